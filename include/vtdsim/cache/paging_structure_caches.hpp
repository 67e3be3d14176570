// The paging-structure caches of one remapping unit (VT-d spec 6.2.4): one array per level 2..5
// (PDE, PDPE, PML4E, PML5E), tagged by (domain, PASID, iova >> level shift, stage). An entry holds
// the host address of the next-lower table and the permissions accumulated down to its level, so a
// walk can start below the root. First-stage entries (PML5E/PML4E/PDPE/PDE of FSPTPTR's tables)
// share each level's array with the second-stage ones (one capacity, one set of counters) and are
// told apart by the key's stage bit. A disabled level holds nothing and counts no lookups.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/cache/cache_keys.hpp"
#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/cache/invalidation_scope.hpp"
#include "vtdsim/cache/set_assoc_cache.hpp"
#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::cache {

class PagingStructureCaches {
 public:
  static constexpr unsigned kLevels = 4;  // levels 2..5
  explicit PagingStructureCaches(const std::array<config::CacheGeometry, kLevels>& levels);

  // The deepest entry (lowest level >= 2, up to top_level) covering iova: probes from PDE upward.
  // first_stage: only first-stage entries match, else only second-stage ones.
  bool find_walk_start(DomainId domain, Pasid pasid, Iova iova, unsigned top_level, PscEntry& out,
                       bool first_stage = false);
  void fill(const PscEntry& entry);
  // Drops every entry in scope (IH = 1 page ranges keep them); returns how many.
  std::uint64_t invalidate(const IotlbInvalidationScope& scope);

  // Counters of level 2 + i with lookups = hits + misses; entries held at level 2 + i.
  CacheCounters counters(unsigned i) const;
  std::uint64_t held(unsigned i) const { return levels_[i] ? levels_[i]->size() : 0; }

  // Address bits below the part that selects an entry at `level` (2 = 21, 3 = 30, ...).
  static constexpr unsigned shift_of(unsigned level) { return 12 + 9 * (level - 1); }

 private:
  std::array<std::optional<SetAssocCache<PscEntry, PscKey>>, kLevels> levels_;
  std::array<CacheCounters, kLevels> counters_{};
};

}  // namespace vtdsim::cache
