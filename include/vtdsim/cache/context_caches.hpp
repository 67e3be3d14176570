// The context cache (VT-d spec 6.2.1) and the PASID cache (spec 6.2.2) of one remapping unit.
//
// Context cache: resolved legacy contexts, and scalable-mode contexts of requests without PASID
//   (resolved through RID_PASID), tagged by source-id.
// PASID cache: resolved scalable-mode contexts (context + PASID entry) of requests that carry a
//   PASID, tagged by (source-id, PASID). The spec tags PASID-cache entries by (domain, PASID); the
//   model looks up by source-id because the domain is only known after the entry is read, and
//   keeps the domain in the entry so that domain- and PASID-selective invalidations match the
//   spec's scopes (invalidation_scope.hpp).
// A disabled cache (enabled = false) holds nothing and counts no lookups.
#pragma once
#include <cstdint>
#include <optional>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/cache/cache_keys.hpp"
#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/cache/invalidation_scope.hpp"
#include "vtdsim/cache/set_assoc_cache.hpp"
#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::cache {

class ContextCaches {
 public:
  ContextCaches(const config::CacheGeometry& context, const config::CacheGeometry& pasid);

  // Counts a hit or a miss; a returned pointer is valid until the next fill or invalidation.
  // Inline: every translation makes this probe (requests with a PASID go to the PASID cache).
  const ContextCacheEntry* find(SourceId source, Pasid pasid) {
    if (pasid.present()) return find_with_pasid(source, pasid);
    if (!context_) return nullptr;
    const ContextCacheEntry* e = context_->lookup(ContextKey{source.value});
    ++(e ? context_counters_.hits : context_counters_.misses);
    return e;
  }
  void fill(const ContextCacheEntry& entry);
  // Drops every entry of either array in scope; returns how many.
  std::uint64_t invalidate(const ContextInvalidationScope& scope);

  // Counters with lookups = hits + misses.
  CacheCounters context_counters() const;
  CacheCounters pasid_counters() const;
  std::uint64_t context_held() const { return context_ ? context_->size() : 0; }
  std::uint64_t pasid_held() const { return pasid_ ? pasid_->size() : 0; }

 private:
  const ContextCacheEntry* find_with_pasid(SourceId source, Pasid pasid);

  std::optional<SetAssocCache<ContextCacheEntry, ContextKey>> context_;
  std::optional<SetAssocCache<ContextCacheEntry, PasidKey>> pasid_;
  CacheCounters context_counters_, pasid_counters_;
};

}  // namespace vtdsim::cache
