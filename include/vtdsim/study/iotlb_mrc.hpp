// One-pass IOTLB miss-ratio curve: hits of a fully associative LRU IOTLB of every size
// 1..max_entries under one replay, as if the trace had been replayed once per size with
// iotlb.entries = N, iotlb.ways = N (full), iotlb.policy = lru (docs/studies.md).
//
// It is fed the per-translation stream of one replay (any IOTLB geometry: the keys and fills do
// not depend on it) and every IOTLB invalidation applied during that replay:
//   - which translations looked up the IOTLB, which hit and which filled, and the page size of
//     the entry hit or filled, come from the IOTLB counters of that replay (CacheStats.iotlb and
//     iotlb_by_size), so the stream is exactly what the TranslationCaches did;
//   - the key is the one TranslationCaches uses in the shared and per-size organizations
//     (VT-d spec 6.2.3: domain, PASID tag, page number at the entry's page size); the PASID tag is
//     taken as the request's PASID (legacy mode: none; see the limits in docs/studies.md);
//   - a lookup that missed and filled nothing (a fault not cached) inserts nothing at any size;
//   - invalidations drop keys at every size (LruStackProfiler::invalidate).
// Organization per_size: only the 4 KiB array is sized by the curve; 2 MiB and 1 GiB lookups hit
// or miss in their own arrays exactly as in the feeding replay. Organization qemu is not an LRU
// cache and is rejected.
//
// Exact when translations do not depend on the IOTLB contents, i.e. software invalidates after
// changing mappings (as the spec requires); with stale entries a smaller IOTLB can translate
// differently from a larger one and no single pass can follow both.
#pragma once
#include <array>
#include <cstdint>
#include <ostream>
#include <vector>

#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/study/lru_stack_profiler.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::study {

struct MrcPoint {
  std::uint32_t entries = 0;
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses() const { return lookups - hits; }
  double hit_rate() const { return lookups ? static_cast<double>(hits) / static_cast<double>(lookups) : 0.0; }
};

class IotlbMissRatioCurve {
 public:
  // organization: of the feeding replay's configuration. Throws std::invalid_argument for kQemu
  // or max_entries == 0.
  IotlbMissRatioCurve(config::IotlbOrganization organization, std::uint32_t max_entries);

  // After each translation of the feeding replay: the request, its result and the caches' stats
  // right after it. The first call takes all-zero counters as "before" unless set_baseline() was
  // called with the stats before the first translation.
  void on_translation(const core::TranslationRequest& request, const core::TranslationResult& result,
                      const cache::CacheStats& after);
  void set_baseline(const cache::CacheStats& stats);
  // Every invalidation applied to the caches of the feeding replay.
  void on_invalidation(const core::InvalidationRequest& request);

  std::uint32_t max_entries() const { return profiler_.max_entries(); }
  std::uint64_t lookups() const { return lookups_; }
  std::uint64_t hits_at(std::uint32_t entries) const;
  std::vector<MrcPoint> curve() const;
  const LruStackProfiler& profiler() const { return profiler_; }

 private:
  struct Counters {
    std::uint64_t lookups = 0, hits = 0, fills = 0;
    std::array<std::uint64_t, 3> size_hits{}, size_fills{};
  };
  static Counters snapshot(const cache::CacheStats& stats);

  bool per_size_;
  LruStackProfiler profiler_;
  Counters last_;
  std::uint64_t lookups_ = 0;
  std::uint64_t fixed_hits_ = 0;  // per_size: 2M/1G hits, independent of the 4K array's size
};

// Replays `source` once with `config` (trace::Replayer) and feeds a curve up to max_entries:
// translations through the replayer's callback, invalidation events as they are applied.
// Throws what the replayer or the source throws (TraceError with the position), and
// std::invalid_argument for the qemu organization.
IotlbMissRatioCurve compute_iotlb_mrc(const config::UnitConfig& config, trace::TraceSource& source,
                                      std::uint32_t max_entries);

// CSV: entries,lookups,hits,misses,hit_rate,miss_ratio (one row per size).
void write_mrc_csv(std::ostream& out, const std::vector<MrcPoint>& curve);

}  // namespace vtdsim::study
