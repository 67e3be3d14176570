// The IOTLB as hardware builds it (VT-d spec 6.2.3): set-associative arrays of entries tagged by
// (domain, PASID, page number, page size). Two organizations (config::IotlbOrganization):
//   kShared  one array for every page size. The set is chosen from the page number at the entry's
//            own size ((iova >> page_shift) mod sets), so a lookup probes up to three sets: the 4K
//            page number, then the 2M and 1G page numbers of the address;
//   kPerSize three arrays (iotlb, iotlb_2m, iotlb_1g), same probing, each with its own geometry.
// Sizes of which no entry is held are not probed (per-size occupancy), so a 4K-only workload costs
// one probe. Each probe counts in by_size[size] (lookups = hits + misses); a lookup that misses in
// every probed size counts once in total.misses. Invalidation scopes: invalidation_scope.hpp.
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

class SetAssocIotlb {
 public:
  explicit SetAssocIotlb(const config::CachesConfig& config);
  // The per-size array pointers point into this object.
  SetAssocIotlb(const SetAssocIotlb&) = delete;
  SetAssocIotlb& operator=(const SetAssocIotlb&) = delete;

  // The entry of any page size that covers iova. Inline: the common 4K hit is a leaf call (no
  // registers to save); larger pages and misses are in find_larger.
  [[gnu::always_inline]] inline const IotlbEntry* find(DomainId domain, Pasid pasid, Iova iova) {
    if (__builtin_expect(held_[0] != 0 && by_size_[0] != nullptr, 1)) {
      if (const IotlbEntry* e = by_size_[0]->lookup(IotlbKey{iova.value >> 12, pasid.value, domain.value, 12})) {
        ++by_size_counters_[0].hits;
        return e;
      }
      ++by_size_counters_[0].misses;
    }
    return find_larger(domain, pasid, iova);
  }
  // entry: page-aligned, page size 4K, 2M or 1G.
  void fill(const IotlbEntry& entry);
  std::uint64_t invalidate(const IotlbInvalidationScope& scope);

  bool enabled() const { return by_size_[0] != nullptr || by_size_[1] != nullptr || by_size_[2] != nullptr; }
  IotlbStats stats() const;
  std::array<std::uint64_t, 3> held_by_size() const { return held_; }

 private:
  using Array = SetAssocCache<IotlbEntry, IotlbKey>;
  [[gnu::noinline]] const IotlbEntry* find_larger(DomainId domain, Pasid pasid, Iova iova);
  template <int S>
  const IotlbEntry* probe(DomainId domain, Pasid pasid, Iova iova);

  std::array<std::optional<Array>, 3> arrays_;  // kShared: [0] holds every size
  std::array<Array*, 3> by_size_{};             // the array holding each size (nullptr: none)
  std::array<std::uint64_t, 3> held_{};         // valid entries per size (probe skipping)
  std::array<CacheCounters, 3> by_size_counters_{};
  CacheCounters total_;  // misses, fills, evictions, invalidated; hits are the sum by size
};

}  // namespace vtdsim::cache
