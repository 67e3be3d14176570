// One-pass IOTLB miss-ratio curve: hits of a fully associative LRU IOTLB of every size
// 1..max_entries under one replay, as if the trace had been replayed once per size with
// iotlb.entries = N, iotlb.ways = N (full), iotlb.policy = lru (docs/studies.md).
// With a number of sets S (> 0): hits of an LRU IOTLB of S sets and every associativity
// 1..max_ways, as replays with iotlb.entries = S x W, iotlb.ways = W, iotlb.policy = lru would
// count them (per-set stacks, set_assoc_stack_profiler.hpp; set = page number mod S as the IOTLB).
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
//   - invalidations drop keys at every size (the IOTLB's scopes, cache/invalidation_scope.hpp).
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
#include <variant>
#include <vector>

#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/study/lru_stack_profiler.hpp"
#include "vtdsim/study/set_assoc_stack_profiler.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::study {

struct MrcPoint {
  std::uint32_t entries = 0;
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint32_t sets = 0;  // set-associative curve: sets (entries = sets x ways); 0: fully associative
  std::uint32_t ways = 0;
  std::uint64_t misses() const { return lookups - hits; }
  double hit_rate() const { return lookups ? static_cast<double>(hits) / static_cast<double>(lookups) : 0.0; }
};

class IotlbMissRatioCurve {
 public:
  // organization: of the feeding replay's configuration. sets == 0: fully associative, sizes
  // 1..max_size entries; sets > 0: that many sets, associativities 1..max_size. Throws
  // std::invalid_argument for kQemu or max_size == 0.
  IotlbMissRatioCurve(config::IotlbOrganization organization, std::uint32_t max_size, std::uint32_t sets = 0);

  // After each translation of the feeding replay: the request, its result and the caches' stats
  // right after it. The first call takes all-zero counters as "before" unless set_baseline() was
  // called with the stats before the first translation.
  void on_translation(const core::TranslationRequest& request, const core::TranslationResult& result,
                      const cache::CacheStats& after);
  void set_baseline(const cache::CacheStats& stats);
  // Every invalidation applied to the caches of the feeding replay.
  void on_invalidation(const core::InvalidationRequest& request);

  std::uint32_t sets() const { return sets_; }          // 0: fully associative
  std::uint32_t max_size() const { return max_size_; }  // entries (fully associative) or ways
  std::uint64_t lookups() const { return lookups_; }
  // Hits at `size` entries (fully associative) or `size` ways (sets > 0).
  std::uint64_t hits_at(std::uint32_t size) const;
  std::vector<MrcPoint> curve() const;
  std::size_t live_keys() const;

 private:
  struct Counters {
    std::uint64_t lookups = 0, hits = 0, fills = 0;
    std::array<std::uint64_t, 3> size_hits{}, size_fills{};
  };
  static Counters snapshot(const cache::CacheStats& stats);

  bool per_size_;
  std::uint32_t sets_, max_size_;
  std::variant<LruStackProfiler, SetAssocStackProfiler> profiler_;
  Counters last_;
  std::uint64_t lookups_ = 0;
  std::uint64_t fixed_hits_ = 0;  // per_size: 2M/1G hits, independent of the 4K array's size
};

// Replays `source` once with `config` (trace::Replayer) and feeds a curve up to max_size
// (entries, or ways of `sets` sets): translations through the replayer's callback, invalidation
// events as they are applied. With sets > 0 the replay's IOTLB gets sets x max_size / 2 entries in
// 4 ways (the geometry does not change the curve, only the cost of the pass). Throws what the replayer or the source
// throws (TraceError with the position), and std::invalid_argument for the qemu organization.
IotlbMissRatioCurve compute_iotlb_mrc(const config::UnitConfig& config, trace::TraceSource& source,
                                      std::uint32_t max_size, std::uint32_t sets = 0);

// CSV: entries,lookups,hits,misses,hit_rate,miss_ratio (one row per size); for a set-associative
// curve (sets > 0) sets,ways,entries,lookups,hits,misses,hit_rate,miss_ratio (one row per ways).
void write_mrc_csv(std::ostream& out, const std::vector<MrcPoint>& curve);

}  // namespace vtdsim::study
