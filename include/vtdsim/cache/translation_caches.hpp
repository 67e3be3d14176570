// All translation caches of one remapping unit (VT-d spec 6.2) behind the verbs the remapping
// unit uses: it asks and fills, invalidations go through invalidate(). Each structure is its own
// class: the context and PASID caches (context_caches.hpp), the IOTLB in its configured
// organization (iotlb.hpp) and the paging-structure caches (paging_structure_caches.hpp); which
// entries an invalidation reaches is decided once, in invalidation_scope.hpp. Geometry from
// config::CachesConfig.
#pragma once
#include <cstdint>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/cache/context_caches.hpp"
#include "vtdsim/cache/iotlb.hpp"
#include "vtdsim/cache/paging_structure_caches.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"

namespace vtdsim::cache {

class TranslationCaches {
 public:
  explicit TranslationCaches(const config::CachesConfig& config);
  // The IOTLB's arrays are referred to by address inside it.
  TranslationCaches(const TranslationCaches&) = delete;
  TranslationCaches& operator=(const TranslationCaches&) = delete;

  // Lookups count a hit or a miss; a returned pointer is valid until the next fill or invalidation.
  const ContextCacheEntry* find_context(SourceId source, Pasid pasid) { return contexts_.find(source, pasid); }
  void fill_context(const ContextCacheEntry& entry) { contexts_.fill(entry); }

  // The IOTLB entry of any page size that covers iova.
  const IotlbEntry* find_iotlb(SourceId source, DomainId domain, Pasid pasid, Iova iova) {
    return iotlb_.find(source, domain, pasid, iova);
  }
  void fill_iotlb(const IotlbEntry& entry) { iotlb_.fill(entry); }

  // Deepest paging-structure cache entry (lowest level >= 2, up to top_level) covering iova.
  bool find_walk_start(DomainId domain, Pasid pasid, Iova iova, unsigned top_level, PscEntry& out,
                       bool first_stage = false) {
    return psc_.find_walk_start(domain, pasid, iova, top_level, out, first_stage);
  }
  void fill_psc(const PscEntry& entry) { psc_.fill(entry); }

  // Applies one invalidation; returns the number of entries dropped. Device-TLB and
  // interrupt-entry invalidations do not touch these caches (the device TLB is per device).
  std::uint64_t invalidate(const core::InvalidationRequest& request);

  // Every structure's counters, with the derived ones (lookups = hits + misses) filled in.
  CacheStats stats() const;
  const config::CachesConfig& config() const { return config_; }

  // Valid entries held now, per structure (tests, occupancy stats). iotlb_by_size: 4K, 2M, 1G.
  struct Occupancy {
    std::uint64_t context = 0, pasid = 0, iotlb = 0;
    std::uint64_t iotlb_by_size[3] = {0, 0, 0};
    std::uint64_t psc[4] = {0, 0, 0, 0};
  };
  Occupancy occupancy() const;

 private:
  config::CachesConfig config_;
  ContextCaches contexts_;
  Iotlb iotlb_;
  PagingStructureCaches psc_;
};

}  // namespace vtdsim::cache
