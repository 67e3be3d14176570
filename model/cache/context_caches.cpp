// Context and PASID caches (context_caches.hpp).
#include "vtdsim/cache/context_caches.hpp"

#include "vtdsim/cache/configured_cache.hpp"

namespace vtdsim::cache {

namespace {
CacheCounters with_lookups(CacheCounters c) {
  c.lookups = c.hits + c.misses;
  return c;
}
}  // namespace

ContextCaches::ContextCaches(const config::CacheGeometry& context, const config::CacheGeometry& pasid)
    : context_(make_configured_cache<SetAssocCache<ContextCacheEntry, ContextKey>>(context, "context")),
      pasid_(make_configured_cache<SetAssocCache<ContextCacheEntry, PasidKey>>(pasid, "pasid")) {}

const ContextCacheEntry* ContextCaches::find_with_pasid(SourceId source, Pasid pasid) {
  if (!pasid_) return nullptr;
  const ContextCacheEntry* e = pasid_->lookup(PasidKey{source.value, pasid.value});
  ++(e ? pasid_counters_.hits : pasid_counters_.misses);
  return e;
}

void ContextCaches::fill(const ContextCacheEntry& entry) {
  if (entry.pasid.present()) {
    if (!pasid_) return;
    ++pasid_counters_.fills;
    if (pasid_->insert(PasidKey{entry.source.value, entry.pasid.value}, entry).evicted) ++pasid_counters_.evictions;
    return;
  }
  if (!context_) return;
  ++context_counters_.fills;
  if (context_->insert(ContextKey{entry.source.value}, entry).evicted) ++context_counters_.evictions;
}

std::uint64_t ContextCaches::invalidate(const ContextInvalidationScope& scope) {
  if (!scope.reaches_anything()) return 0;
  std::uint64_t total = 0;
  if (context_) {
    const std::uint64_t n =
        context_->invalidate_if([&](const ContextKey&, const ContextCacheEntry& e) { return scope.covers(e); });
    context_counters_.invalidated += n;
    total += n;
  }
  if (pasid_) {
    const std::uint64_t n =
        pasid_->invalidate_if([&](const PasidKey&, const ContextCacheEntry& e) { return scope.covers(e); });
    pasid_counters_.invalidated += n;
    total += n;
  }
  return total;
}

CacheCounters ContextCaches::context_counters() const { return with_lookups(context_counters_); }
CacheCounters ContextCaches::pasid_counters() const { return with_lookups(pasid_counters_); }

}  // namespace vtdsim::cache
