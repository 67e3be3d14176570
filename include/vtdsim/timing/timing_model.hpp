// The cycle-approximate timing model (DESIGN.md "One functional core, two shells"): turns what the
// functional core reported for a request (which caches hit, which memory reads the walk made)
// into a completion cycle. It is the one place where time is computed, so trace replay and the
// SystemC shell get the same numbers for the same events. All costs come from
// config::TimingConfig and are in IOMMU clock cycles.
//
// Per translation (issue cycle t):
//   lookup   = context part + IOTLB part + PSC part, where
//              context part = context_cache_hit   if the context (or PASID) cache hit,
//                             context_cache_miss  if the result has root/context/PASID reads,
//                             0 otherwise (remapping disabled);
//              IOTLB part   = iotlb_hit           if the IOTLB was looked up (hit, or a walk
//                             followed: a miss costs the same lookup);
//              PSC part     = psc_hit             if a paging-structure cache hit.
//   reads    = every memory read of the result (context and paging entries), each costing
//              memory_read + per_read, one after another (each read depends on the previous).
//              With the tables in a memory that times its own accesses (set_memory_timed(true):
//              a platform's memory over TLM, mem::PhysicalMemory::timed), the walk costs
//              reads * per_read + memory_cycles(memory_ps) instead: memory_ps, passed to
//              complete(), is the sum of the memory's annotated delays of the translation's
//              accesses (its reads and first-stage A/D writes), converted to cycles once.
//   A request without reads completes at t + lookup. A request with reads needs one of `walkers`
//   page walkers for reads * (memory_read + per_read) cycles: it takes the earliest interval of
//   that length at or after t + lookup that is free on some walker in simulated time (WalkerPool,
//   walker_pool.hpp: each walker books busy intervals, so a walk that arrives after walks later in
//   time, as under temporal decoupling, uses the time really free at its own cycle), and completes
//   at its end. In time order that is max(t + lookup, earliest free walker), as a single "free at"
//   cycle per walker gives. Queueing for a walker therefore shows up in the latency.
// Pending-walk merging (merge_pending_walks): each walk that started a page walk records an
//   in-flight fill (domain, PASID, page range, issue and completion cycle, reads) in a small fixed
//   table. A later request to the same domain/PASID whose address lies in a page being walked at
//   its issue cycle (fill issued at or before it, completing after it) joins that walk: it
//   completes at max(t + lookup, walk completion) and uses no walker. This matters because the
//   functional core has already filled the IOTLB with the first walk's result and reports the
//   second request as an IOTLB hit; the timing model makes it wait for the data. A second miss
//   that walks again (e.g. a fault that is not cached) joins too. An IOTLB hit on a page whose fill
//   is issued *after* the hit (called earlier, later in simulated time: the functional core's
//   caches follow call order) would have missed at its own cycle: it is timed as the walk the fill
//   made (same reads, on a walker) and counted in `early_hits`.
// Device-TLB hits (translated requests) cost only the context part.
// Invalidations: complete_invalidation(t, descriptors, waits, memory_ps) = t + descriptors *
//   invalidation_descriptor + waits * wait_descriptor + memory_cycles(memory_ps) (memory_ps: the
//   measured time of the descriptor fetches and status writes, 0 unless the memory is timed);
//   with waits > 0 the completion is also no earlier than the end of every walk issued at or
//   before t (an invalidation wait drains them; walks later in simulated time that happened to be
//   booked first do not count). Any
//   invalidation discards the in-flight fill table (later requests must not merge into walks that
//   may return stale data).
//
// No allocation after construction. Requests may arrive with non-monotonic issue cycles.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/timing/latency_histogram.hpp"
#include "vtdsim/timing/walker_pool.hpp"

namespace vtdsim::timing {

// Plain counters of the timing model (gathered into JSON by stats/).
struct TimingStats {
  std::uint64_t translations = 0;
  std::uint64_t walks = 0;         // requests that occupied a walker
  std::uint64_t walk_reads = 0;    // memory reads made by those walks
  std::uint64_t merged = 0;        // requests that joined a pending walk
  std::uint64_t queued = 0;        // walks that waited for a free walker
  std::uint64_t queue_cycles = 0;  // total cycles walks waited for a walker
  std::uint64_t max_queue_cycles = 0;
  std::uint64_t walker_busy_cycles = 0;  // sum over walks of their walker occupancy
  std::uint64_t first_issue = 0;         // earliest issue cycle seen
  std::uint64_t last_completion = 0;     // latest completion cycle produced
  std::uint64_t invalidation_batches = 0;
  std::uint64_t invalidation_descriptors = 0;
  std::uint64_t wait_descriptors = 0;
  std::uint64_t invalidation_cycles = 0;
  // Arrivals out of time order (docs/caches-timing-stats.md "Causal booking"); all 0 in time order.
  std::uint64_t late_walks = 0;      // walks issued before the issue cycle of a walk booked earlier
  std::uint64_t gap_fills = 0;       // walks placed in a walker's idle time before a later booking
  std::uint64_t early_hits = 0;      // IOTLB hits on a fill later in simulated time, timed as its walk
  std::uint64_t behind_horizon = 0;  // walks or hits that may have been timed late: history forgotten
};

class TimingModel {
 public:
  static constexpr std::size_t kInflightSlots = 64;

  // Throws std::invalid_argument when timing.walkers == 0 or clock_ghz <= 0.
  explicit TimingModel(const config::TimingConfig& config);

  // Completion cycle of one translation issued at issue_cycle (>= issue_cycle). Inline: the
  // common case (no memory read, no walk in flight to join) is the lookup cost alone; walks and
  // joins are in complete_walk.
  // memory_ps: the time a timed memory took for the translation's accesses (see above; ignored
  // unless set_memory_timed(true)).
  [[gnu::always_inline]] inline std::uint64_t complete(std::uint64_t issue_cycle,
                                                       const core::TranslationRequest& request,
                                                       const core::TranslationResult& result,
                                                       std::uint64_t memory_ps = 0) {
    if (!any_issue_ || issue_cycle < stats_.first_issue) stats_.first_issue = issue_cycle;
    any_issue_ = true;
    ++stats_.translations;
    const core::CacheOutcome& o = result.outcome;
    const std::uint64_t ready = issue_cycle + lookup_cycles(result);
    const bool page_lookup = !o.device_tlb_hit && (o.iotlb_hit || o.walk_start_level > 0);
    // A walk to join (issue >= inflight_max_done_: every fill completed by now, nothing to join)
    // or memory reads of its own: see complete_walk. Otherwise the lookup cost is all.
    std::uint64_t done = ready;
    if (__builtin_expect(result.walk.count > 0, 0) ||
        (issue_cycle < inflight_max_done_ && config_.merge_pending_walks && page_lookup)) {
      done = complete_walk(issue_cycle, ready, page_lookup, request, result, memory_ps);
    }
    if (done > stats_.last_completion) stats_.last_completion = done;
    if (shared_latency_ == nullptr) latency_.record(done - issue_cycle);
    return done;
  }

  // Completion cycle of a batch of invalidation descriptors (waits = wait descriptors among them).
  std::uint64_t complete_invalidation(std::uint64_t issue_cycle, std::uint32_t descriptors, std::uint32_t waits,
                                      std::uint64_t memory_ps = 0);

  // Cost of the lookup part (context + IOTLB + PSC) for a result, and the cost of one read.
  std::uint64_t lookup_cycles(const core::TranslationResult& r) const {
    const core::CacheOutcome& o = r.outcome;
    std::uint64_t c = 0;
    if (o.context_cache_hit || o.pasid_cache_hit) {
      c += config_.context_cache_hit;
    } else {
      for (const core::WalkRead& rd : r.walk) {
        if (rd.kind != core::WalkReadKind::kPagingEntry) {
          c += config_.context_cache_miss;
          break;
        }
      }
    }
    if (o.device_tlb_hit) return c;
    if (o.iotlb_hit || o.walk_start_level > 0) c += config_.iotlb_hit;
    if (o.psc_hit_level > 0) c += config_.psc_hit;
    return c;
  }
  std::uint64_t read_cycles() const { return std::uint64_t{config_.memory_read} + config_.per_read; }
  // Walker cycles of a walk with `reads` memory reads whose accesses a timed memory measured at
  // memory_ps in all (the one formula for both kinds of memory).
  std::uint64_t walk_cycles(std::uint64_t reads, std::uint64_t memory_ps) const {
    return memory_timed_ ? reads * config_.per_read + memory_cycles(memory_ps) : reads * read_cycles();
  }
  // Picoseconds of memory time in IOMMU cycles, rounded up (the walker waits for the data).
  std::uint64_t memory_cycles(std::uint64_t ps) const;
  // Whether walks take their memory time from the memory (complete()'s memory_ps) instead of
  // memory_read; iommu::Iommu sets it from mem::PhysicalMemory::timed().
  void set_memory_timed(bool timed) { memory_timed_ = timed; }
  bool memory_timed() const { return memory_timed_; }

  // Fraction of walker capacity in use between the first issue and the last completion.
  double walker_occupancy() const;
  double cycles_to_ns(std::uint64_t cycles) const { return static_cast<double>(cycles) / config_.clock_ghz; }

  const TimingStats& stats() const { return stats_; }
  // Latency (completion - issue) of every translation completed.
  const LatencyHistogram& latency() const { return shared_latency_ ? *shared_latency_ : latency_; }
  // For a caller that records every completion's latency (completion - issue cycle) in a
  // histogram of its own, as StatsRecorder::record does in the replayer and the SystemC module:
  // the model then keeps no second copy (one histogram update less per translation) and
  // latency() returns `recorded`, which must outlive the model.
  void share_latency(const LatencyHistogram& recorded) { shared_latency_ = &recorded; }
  const config::TimingConfig& config() const { return config_; }
  // Forgets walkers, in-flight fills, stats and latencies.
  void reset();

 private:
  struct Inflight {
    std::uint64_t base = 0, size = 0, done = 0, issue = 0;
    std::uint64_t busy = 0;  // the walk's walker cycles
    std::uint32_t pasid = 0, reads = 0;
    std::uint16_t domain = 0;
    bool valid = false;
  };
  // The walk in flight at `issue` to join (nullptr: none); *future = a fill of the page issued
  // after `issue` (nullptr: none).
  const Inflight* find_inflight(std::uint64_t issue, std::uint16_t domain, std::uint32_t pasid, std::uint64_t iova,
                                const Inflight** future) const;
  // The part of complete() for a request that joins a pending walk or walks itself (out of line:
  // the common IOTLB hit does not need it).
  [[gnu::noinline]] std::uint64_t complete_walk(std::uint64_t issue, std::uint64_t ready, bool page_lookup,
                                                const core::TranslationRequest& request,
                                                const core::TranslationResult& result, std::uint64_t memory_ps);
  void add_inflight(std::uint64_t issue, const Inflight& fill);

  config::TimingConfig config_;
  WalkerPool walkers_;
  std::array<Inflight, kInflightSlots> inflight_{};
  // Upper bound of `done` over the valid in-flight fills (0 when none): a lookup issued at or
  // after it cannot merge with any, so find_inflight returns without scanning the slots.
  std::uint64_t inflight_max_done_ = 0;
  std::uint64_t reused_fill_done_ = 0;  // latest completion of a fill whose slot was reused
  std::uint64_t last_walk_issue_ = 0;   // issue cycle of the latest-issued walk booked so far
  TimingStats stats_;
  LatencyHistogram latency_;
  const LatencyHistogram* shared_latency_ = nullptr;  // see share_latency
  bool any_issue_ = false;
  bool memory_timed_ = false;
};

}  // namespace vtdsim::timing
