#include "vtdsim/guest/flush_queue.hpp"

#include <stdexcept>

namespace vtdsim::guest {

FlushQueue::FlushQueue(unsigned cpus, unsigned slots) : rings_(cpus), slots_(slots) {
  if (cpus == 0) throw std::invalid_argument("flush queue: at least one CPU");
  if (slots < 2) throw std::invalid_argument("flush queue: at least 2 slots per ring");
  for (Ring& r : rings_) r.entries.resize(slots);
}

bool FlushQueue::full(unsigned cpu) const {
  const Ring& r = rings_[cpu];
  return (r.tail + 1) % slots_ == r.head;
}

void FlushQueue::add(unsigned cpu, std::uint64_t pfn, std::uint64_t pages, std::uint64_t queued_ns) {
  Ring& r = rings_[cpu];
  r.entries[r.tail] = Entry{pfn, pages, flush_start_, queued_ns};
  r.tail = (r.tail + 1) % slots_;
}

std::size_t FlushQueue::pending(unsigned cpu) const {
  const Ring& r = rings_[cpu];
  return (r.tail + slots_ - r.head) % slots_;
}

std::size_t FlushQueue::uncovered() const {
  std::size_t n = 0;
  for (const Ring& r : rings_)
    for (unsigned i = r.head; i != r.tail; i = (i + 1) % slots_)
      if (r.entries[i].counter == flush_start_) ++n;
  return n;
}

std::size_t FlushQueue::pending() const {
  std::size_t n = 0;
  for (unsigned c = 0; c < rings_.size(); ++c) n += pending(c);
  return n;
}

}  // namespace vtdsim::guest
