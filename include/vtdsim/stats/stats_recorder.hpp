// Statistics of translations and invalidations, for every way in (trace replay, SystemC run,
// sweeps): one recorder, one JSON layout (DESIGN.md "Stats").
//
// Use:
//   stats::StatsRecorder rec;
//   rec.record(request, result, latency_cycles);           // per translation (hot path)
//   rec.record_invalidation(invalidation_request, dropped);  // per applied invalidation
//   auto warm = rec.snapshot();  ...  auto measured = stats::difference(rec.snapshot(), warm);
//   nlohmann::json j = stats::to_json(measured);
//   j["caches"] = stats::to_json(unit.caches().stats());     // the caches' own counters
//   j["timing"] = stats::to_json(timing_model);               // walkers, queueing, invalidation time
//
// Hot path: record() only increments plain integers and records into a fixed-size histogram. Per
// device (source-id) and per domain counters live in flat vectors found through a 65536-entry
// index (one per id space), pre-sized at construction; the only allocation is the first sight of a
// new device or domain (vector growth beyond the 64 reserved slots). Everything else is fixed.
//
// What each counter means (all derived from the request's TranslationResult):
//   translations           every record() call;  bytes: sum of request sizes
//   remapped               outcome.translated (not pass-through, not TE=0)
//   faults.total           result.fault != kNone; faults.by_reason.<fault_reason_name>
//   iotlb.hits             outcome.iotlb_hit (negative hits included)
//   iotlb.misses           a page walk started (outcome.walk_start_level > 0) without an IOTLB hit
//   iotlb.lookups          hits + misses. by_size.<4k|2m|1g|none>: hits by the hit page's size,
//                          misses by the size the walk found (none: the walk faulted)
//   device_tlb.hits        outcome.device_tlb_hit
//   context_cache.hits     outcome.context_cache_hit or pasid_cache_hit
//   context_cache.misses   no context hit and the result has root/context/PASID-table reads
//   psc.l<N>.hits          walks whose walk started from a level-N paging-structure-cache hit
//   psc.misses             walks without any paging-structure-cache hit; psc.hits = sum of l<N>
//   walks                  page walks (walk_start_level > 0)
//   walk.reads.<kind>      memory reads by kind (root, context, pasid_dir, pasid_table) and
//                          paging entries by level (l1 = PTE ... l5 = PML5E); walk.reads.total
//   walk.by_stage.<part>   the same reads split: tables (root, context, PASID), first_stage and
//                          second_stage paging entries (a nested walk has both), each with
//                          per_translation = reads / translations
//   latency.*              count, min, mean, p50, p90, p99, max (cycles) of the recorded latencies
//   device.<bb:dd.f>.*     translations, faults, bytes, iotlb_hits, iotlb_misses, walks, walk_reads
//   domain.<n>.*           same fields, keyed by the result's domain (decimal)
//   invalidations.total.{count,dropped}; invalidations.<target>.<granularity>.{count,dropped}
// Invariants (tested): iotlb.hits + iotlb.misses = iotlb.lookups, the same for context_cache,
// sum over devices of each field = the total, psc.hits = sum of psc.l<N>.hits,
// walk.reads.total = sum of the per-kind/per-level reads = sum of walk.by_stage.<part>.reads.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the to_json declarations only: includers do not compile JSON

#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/timing/latency_histogram.hpp"
#include "vtdsim/timing/timing_model.hpp"

namespace vtdsim::stats {

struct FlowCounters {  // per device and per domain
  std::uint64_t translations = 0, faults = 0, bytes = 0, iotlb_hits = 0, iotlb_misses = 0, walks = 0, walk_reads = 0;
};

struct CountDropped {
  std::uint64_t count = 0, dropped = 0;
};

constexpr std::size_t kInvalidationTargets = 6;        // core::InvalidationTarget
constexpr std::size_t kInvalidationGranularities = 5;  // core::InvalidationGranularity

// Everything the recorder counts; copyable (snapshots), subtractable (difference()).
struct TranslationStats {
  std::uint64_t translations = 0, remapped = 0, bytes = 0;
  std::uint64_t faults = 0;
  std::array<std::uint64_t, 256> faults_by_reason{};
  std::uint64_t iotlb_hits = 0, iotlb_misses = 0;
  std::array<std::uint64_t, 4> iotlb_hits_by_size{};  // 4K, 2M, 1G, none
  std::array<std::uint64_t, 4> iotlb_misses_by_size{};
  std::uint64_t device_tlb_hits = 0;
  std::uint64_t context_hits = 0, context_misses = 0;
  std::array<std::uint64_t, 4> psc_hits{};  // index = level - 2
  std::uint64_t psc_misses = 0;
  std::uint64_t walks = 0;
  std::array<std::uint64_t, 4> reads_by_kind{};   // root, context, pasid_dir, pasid_table
  std::array<std::uint64_t, 6> reads_by_level{};  // paging entries, index = level (1..5); 0 unused
  std::uint64_t first_stage_reads = 0;            // of the paging entries: first-stage ones (spec 9.7)
  std::uint64_t walk_reads = 0;
  timing::LatencyHistogram latency;
  CountDropped invalidations_total;
  std::array<std::array<CountDropped, kInvalidationGranularities>, kInvalidationTargets> invalidations{};
  // Devices and domains in order of first sight.
  std::vector<std::pair<SourceId, FlowCounters>> devices;
  std::vector<std::pair<DomainId, FlowCounters>> domains;

  const FlowCounters* device(SourceId s) const;
  const FlowCounters* domain(DomainId d) const;
};

class StatsRecorder {
 public:
  StatsRecorder();

  // One translation and its latency in cycles (0 when there is no timing model).
  // Totals that equal the sum over devices (translations, bytes, faults, IOTLB hits and misses,
  // walks, walk reads) are not counted here: sync_totals() adds up the device flows when the
  // stats are read, which saves seven increments per translation.
  // Inline fast path, the common case of a hit-dominated run: a remapped translation that hit the
  // context cache and the IOTLB with no memory read, no fault and no device-TLB involvement. It
  // changes exactly the counters record_general would change for it.
  [[gnu::always_inline]] inline void record(const core::TranslationRequest& request,
                                            const core::TranslationResult& result, std::uint64_t latency) {
    const core::CacheOutcome& o = result.outcome;
    totals_synced_ = false;
    if (__builtin_expect(o.iotlb_hit & o.context_cache_hit & o.translated & !o.device_tlb_hit &
                             (result.walk.count == 0) & (result.fault == spec::FaultReason::kNone),
                         1)) {
      TranslationStats& s = stats_;
      ++s.remapped;
      ++s.iotlb_hits_by_size[size_slot(result.page_size)];
      ++s.context_hits;
      s.latency.record(latency);
      FlowCounters& dev = device_slot(request.source);
      ++dev.translations;
      dev.bytes += request.size;
      ++dev.iotlb_hits;
      FlowCounters& dom = domain_slot(result.domain);
      ++dom.translations;
      dom.bytes += request.size;
      ++dom.iotlb_hits;
      return;
    }
    record_general(request, result, latency);
  }
  void record_invalidation(const core::InvalidationRequest& request, std::uint64_t entries_dropped);

  const TranslationStats& stats() const {
    sync_totals();
    return stats_;
  }
  TranslationStats snapshot() const { return stats(); }
  void reset();

  // Index of a page size in the *_by_size arrays: 4K, 2M, 1G, anything else (none).
  static int size_slot(std::uint64_t page_size) {
    switch (page_size) {
      case kPageSize4K: return 0;
      case kPageSize2M: return 1;
      case kPageSize1G: return 2;
      default: return 3;
    }
  }

 private:
  // Everything but the plain-hit fast path of record(); out of line so that the fast path keeps
  // a short prologue.
  [[gnu::noinline]] void record_general(const core::TranslationRequest& request, const core::TranslationResult& result,
                                        std::uint64_t latency);
  // Inline fast path (the flow was seen before); add_* appends a new flow.
  FlowCounters& device_slot(SourceId s) {
    const std::uint32_t i = device_index_[s.value];
    return i != 0 ? stats_.devices[i - 1].second : add_device(s);
  }
  FlowCounters& domain_slot(DomainId d) {
    const std::uint32_t i = domain_index_[d.value];
    return i != 0 ? stats_.domains[i - 1].second : add_domain(d);
  }
  FlowCounters& add_device(SourceId s);
  FlowCounters& add_domain(DomainId d);
  // Totals that are sums over the device flows are computed when the stats are read.
  void sync_totals() const;

  mutable TranslationStats stats_;
  mutable bool totals_synced_ = true;
  std::vector<std::uint32_t> device_index_;  // source-id -> position + 1 in stats_.devices
  std::vector<std::uint32_t> domain_index_;  // domain-id -> position + 1 in stats_.domains
};

// later - earlier, field by field (devices/domains matched by id); for warm-up removal.
TranslationStats difference(const TranslationStats& later, const TranslationStats& earlier);
cache::CacheStats difference(const cache::CacheStats& later, const cache::CacheStats& earlier);
timing::TimingStats difference(const timing::TimingStats& later, const timing::TimingStats& earlier);

// Stable short names used as JSON keys.
const char* invalidation_target_name(core::InvalidationTarget t);
const char* invalidation_granularity_name(core::InvalidationGranularity g);

nlohmann::json to_json(const TranslationStats& s);
nlohmann::json to_json(const timing::LatencyHistogram& h);  // count, min, mean, p50, p90, p99, max
// {context, pasid, iotlb{..., 4k, 2m, 1g}, psc{l2..l5}, qemu_flushes}: lookups, hits, misses,
// fills, evictions, invalidated each.
nlohmann::json to_json(const cache::CacheStats& s);
nlohmann::json to_json(const timing::TimingStats& s, std::uint32_t walkers);
nlohmann::json to_json(const timing::TimingModel& m);  // stats + walker_occupancy

}  // namespace vtdsim::stats
