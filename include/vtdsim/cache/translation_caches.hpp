// All translation caches of one remapping unit behind one small interface: the remapping unit
// asks and fills, invalidations go through invalidate(). Geometry from config::CachesConfig.
#pragma once
#include <cstdint>
#include <memory>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/cache/cache_keys.hpp"
#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/cache/set_assoc_cache.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"

namespace vtdsim::cache {

class TranslationCaches {
 public:
  explicit TranslationCaches(const config::CachesConfig& config);
  ~TranslationCaches();
  TranslationCaches(const TranslationCaches&) = delete;
  TranslationCaches& operator=(const TranslationCaches&) = delete;

  // Lookups count a lookup and a hit or miss; a returned pointer is valid until the next call.
  // Inline: every translation makes this probe (requests with a PASID go to the PASID cache).
  const ContextCacheEntry* find_context(SourceId source, Pasid pasid) {
    if (pasid.present()) return find_pasid_context(source, pasid);
    if (hot_.context == nullptr) return nullptr;
    const ContextCacheEntry* e = hot_.context->lookup(ContextKey{source.value});
    ++(e ? hot_.context_counters->hits : hot_.context_counters->misses);
    return e;
  }
  void fill_context(const ContextCacheEntry& entry);

  // Finds the entry of any page size that covers iova. Inline: the common 4K hit is a leaf call
  // (no registers to save); larger pages, the QEMU organization and misses are in find_iotlb_rest.
  const IotlbEntry* find_iotlb(SourceId source, DomainId domain, Pasid pasid, Iova iova) {
    if (const IotlbEntry* e = find_iotlb_4k(domain, pasid, iova)) return e;
    return find_iotlb_rest(source, domain, pasid, iova);
  }
  void fill_iotlb(const IotlbEntry& entry);

  // Deepest paging-structure cache entry (lowest level >= 2, up to top_level) covering iova.
  bool find_walk_start(DomainId domain, Pasid pasid, Iova iova, unsigned top_level, PscEntry& out);
  void fill_psc(const PscEntry& entry);

  // The two halves of find_iotlb: the 4K probe of a set-associative organization (nullptr when
  // it does not hit), then every other probe (larger pages, the QEMU table) and the miss count.
  const IotlbEntry* find_iotlb_4k(DomainId domain, Pasid pasid, Iova iova) {
    if (__builtin_expect(hot_.iotlb_4k != nullptr && *hot_.held_4k != 0, 1)) {
      if (const IotlbEntry* e = hot_.iotlb_4k->lookup(IotlbKey{iova.value >> 12, pasid.value, domain.value, 12})) {
        ++hot_.iotlb_4k_counters->hits;
        return e;
      }
      ++hot_.iotlb_4k_counters->misses;
    }
    return nullptr;
  }
  const IotlbEntry* find_iotlb_rest(SourceId source, DomainId domain, Pasid pasid, Iova iova);

  // Applies one invalidation; returns the number of entries dropped.
  std::uint64_t invalidate(const core::InvalidationRequest& request);

  const CacheStats& stats() const;
  const config::CachesConfig& config() const;

  // Valid entries held now, per structure (tests, occupancy stats). iotlb_by_size: 4K, 2M, 1G.
  struct Occupancy {
    std::uint64_t context = 0, pasid = 0, iotlb = 0;
    std::uint64_t iotlb_by_size[3] = {0, 0, 0};
    std::uint64_t psc[4] = {0, 0, 0, 0};
  };
  Occupancy occupancy() const;

 private:
  const ContextCacheEntry* find_pasid_context(SourceId source, Pasid pasid);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  // What the inline probes above use, pointing into *impl_ (set once by the constructor; the
  // caches are neither copied nor moved): the context cache (nullptr when disabled) and the array
  // that holds 4K IOTLB entries (nullptr in the QEMU organization or when disabled), with the
  // number of 4K entries it holds (the probe is skipped when none) and their counters.
  struct HotPath {
    SetAssocCache<ContextCacheEntry, ContextKey>* context = nullptr;
    CacheCounters* context_counters = nullptr;
    SetAssocCache<IotlbEntry, IotlbKey>* iotlb_4k = nullptr;
    const std::uint64_t* held_4k = nullptr;
    CacheCounters* iotlb_4k_counters = nullptr;
  };
  HotPath hot_;
};

}  // namespace vtdsim::cache
