// The deferred-invalidation ("lazy", DMA-FQ) flush queue of one DMA domain, as Linux 6.1's
// drivers/iommu/dma-iommu.c (struct iova_fq, queue_iova, fq_ring_free, fq_flush_iotlb,
// fq_flush_timeout): one ring of IOVA_FQ_SIZE (256) slots per CPU, of which one always stays
// empty (fq_full: tail + 1 == head), so a ring holds 255 entries. Each entry remembers the
// domain's flush-start count when it was queued; an entry is released (its IOVA freed) only once
// a whole-domain flush that started after it has finished (counter < finish count). queue_iova
// first releases what earlier flushes covered; a still-full ring forces a synchronous
// whole-domain flush before the new entry is added. The first entry queued while the timer is off
// arms a one-shot timer of IOVA_FQ_TIMEOUT (10 ms); when it fires it flushes the domain and
// releases every CPU's covered entries. This class keeps the rings, the two counts and the timer
// state; DmaApi issues the flushes (VtdDriver::flush_domain) and frees the IOVAs. No allocation
// after construction.
#pragma once
#include <cstdint>
#include <vector>

namespace vtdsim::guest {

class FlushQueue {
 public:
  static constexpr unsigned kRingSlots = 256;  // IOVA_FQ_SIZE

  struct Entry {
    std::uint64_t pfn = 0, pages = 0, counter = 0;
    std::uint64_t queued_ns = 0;  // when the guest unmapped it (the exposure window's start)
  };

  // `slots` per CPU ring (>= 2: one stays empty). Throws std::invalid_argument otherwise.
  FlushQueue(unsigned cpus, unsigned slots = kRingSlots);

  bool full(unsigned cpu) const;
  // fq_ring_add: the entry is tagged with the current flush-start count. The ring must not be full.
  void add(unsigned cpu, std::uint64_t pfn, std::uint64_t pages, std::uint64_t queued_ns = 0);
  // fq_ring_free: calls release(entry) for each entry of `cpu`'s ring, oldest first, that a
  // finished flush covers, and drops them. Returns how many.
  template <class Release>
  unsigned release_flushed(unsigned cpu, Release&& release);

  // Calls f(entry) for each pending entry that the most recently started flush was the first to
  // cover (queued after the flush before it started): the entries whose exposure window it ends.
  template <class F>
  void for_each_first_covered(F&& f) const;
  // Pending entries no started flush covers yet (their window is still open).
  std::size_t uncovered() const;

  // fq_flush_iotlb brackets the IOTLB flush with these two.
  void flush_started() { ++flush_start_; }
  void flush_finished() { ++flush_finish_; }

  std::size_t pending(unsigned cpu) const;
  std::size_t pending() const;
  unsigned cpus() const { return static_cast<unsigned>(rings_.size()); }
  unsigned slots() const { return slots_; }

  // One-shot timer state (fq_timer_on and the expiry), in whatever time unit the caller uses.
  bool timer_on = false;
  double timer_deadline = 0;
  unsigned timer_cpu = 0;  // the CPU that armed it (its timer softirq frees the IOVAs)

 private:
  struct Ring {
    std::vector<Entry> entries;
    unsigned head = 0, tail = 0;
  };
  std::vector<Ring> rings_;
  unsigned slots_;
  std::uint64_t flush_start_ = 0, flush_finish_ = 0;
};

template <class Release>
unsigned FlushQueue::release_flushed(unsigned cpu, Release&& release) {
  Ring& r = rings_[cpu];
  unsigned n = 0;
  while (r.head != r.tail && r.entries[r.head].counter < flush_finish_) {
    release(r.entries[r.head]);
    r.head = (r.head + 1) % slots_;
    ++n;
  }
  return n;
}

template <class F>
void FlushQueue::for_each_first_covered(F&& f) const {
  if (flush_start_ == 0) return;
  for (const Ring& r : rings_)
    for (unsigned i = r.head; i != r.tail; i = (i + 1) % slots_)
      if (r.entries[i].counter == flush_start_ - 1) f(r.entries[i]);
}

}  // namespace vtdsim::guest
