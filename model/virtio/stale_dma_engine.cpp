#include "vtdsim/virtio/stale_dma_engine.hpp"

#include <algorithm>
#include <functional>

namespace vtdsim::virtio {

StaleDmaEngine::StaleDmaEngine(sc_core::sc_module_name name, tlm::tlm_initiator_socket<>& socket, SourceId source,
                               const StaleDmaConfig& config, std::uint32_t max_payload)
    : sc_core::sc_module(name), config_(config), source_(source), port_(socket, keeper_, source, max_payload) {
  slots_.resize(StaleDmaConfig::kMaxActive);
  free_.reserve(StaleDmaConfig::kMaxActive);
  for (unsigned i = StaleDmaConfig::kMaxActive; i > 0; --i) free_.push_back(i - 1);
  heap_.reserve(StaleDmaConfig::kMaxActive);
  buf_.fill(0xdb);
  SC_THREAD(thread);
}

void StaleDmaEngine::completed(const DescChain& chain, const sc_core::sc_time& local) {
  const std::uint32_t every = std::max<std::uint32_t>(config_.every, 1);
  if (chains_++ % every != 0) return;
  const sc_core::sc_time done = sc_core::sc_time_stamp() + local;
  const sc_core::sc_time interval(config_.interval_ns, sc_core::SC_NS);
  for (unsigned i = 0; i < chain.count; ++i) {
    if (free_.empty()) {
      ++counters_.dropped;
      continue;
    }
    const unsigned slot = free_.back();
    free_.pop_back();
    Entry& e = slots_[slot];
    e.bus = chain.buffers[i].addr;
    e.len = chain.buffers[i].len;
    e.write = config_.access == StaleDmaConfig::Access::kWrite ||
              (config_.access == StaleDmaConfig::Access::kSame && chain.buffers[i].device_writable);
    e.ticket = sink_ ? sink_->buffer_completed(source_, e.bus) : 0;
    e.left = config_.count;
    e.next = done + interval;
    e.end = config_.after_complete_ns > 0 ? done + sc_core::sc_time(config_.after_complete_ns, sc_core::SC_NS)
                                          : sc_core::SC_ZERO_TIME;
    heap_.emplace_back(e.next, slot);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
    ++counters_.followed;
  }
  added_.notify(sc_core::SC_ZERO_TIME);
}

void StaleDmaEngine::thread() {
  const sc_core::sc_time interval(config_.interval_ns, sc_core::SC_NS);
  while (true) {
    if (heap_.empty()) {
      sc_core::wait(added_);
      continue;
    }
    const sc_core::sc_time due = heap_.front().first;
    if (due > sc_core::sc_time_stamp()) {
      sc_core::wait(due - sc_core::sc_time_stamp(), added_);
      continue;
    }
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    const unsigned slot = heap_.back().second;
    heap_.pop_back();
    Entry& e = slots_[slot];
    if (e.end != sc_core::SC_ZERO_TIME && e.next > e.end) {
      free_.push_back(slot);
      continue;
    }
    // One piece: within the buffer and its first page (a request never crosses 4 KiB).
    const std::uint64_t page_left = 4096 - (e.bus & 0xfff);
    const auto n = static_cast<std::size_t>(std::max<std::uint64_t>(
        1, std::min<std::uint64_t>({config_.bytes, e.len ? e.len : 1, page_left, buf_.size()})));
    keeper_.reset();
    if (sink_) sink_->begin_stale(source_, e.bus, e.ticket);
    const bool ok = e.write ? port_.write(e.bus, buf_.data(), n) : port_.read(e.bus, buf_.data(), n);
    if (sink_) sink_->end_stale(source_);
    keeper_.reset();
    ++counters_.issued;
    if (!ok) ++counters_.errors;
    if (config_.count > 0 && --e.left == 0) {
      free_.push_back(slot);
      continue;
    }
    e.next += interval;
    if (e.end != sc_core::SC_ZERO_TIME && e.next > e.end) {
      free_.push_back(slot);
      continue;
    }
    heap_.emplace_back(e.next, slot);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  }
}

}  // namespace vtdsim::virtio
