// The translation caches of one remapping unit (translation_caches.hpp).
#include "vtdsim/cache/translation_caches.hpp"

#include "vtdsim/cache/invalidation_scope.hpp"

namespace vtdsim::cache {

TranslationCaches::TranslationCaches(const config::CachesConfig& config)
    : config_(config), contexts_(config.context, config.pasid), iotlb_(config), psc_(config.psc) {}

// Context-cache and PASID-cache invalidations reach both context arrays; IOTLB and PASID-based
// IOTLB invalidations reach the IOTLB and the paging-structure caches (spec 6.5.1, 6.5.2).
std::uint64_t TranslationCaches::invalidate(const core::InvalidationRequest& request) {
  using T = core::InvalidationTarget;
  switch (request.target) {
    case T::kContextCache:
    case T::kPasidCache: return contexts_.invalidate(ContextInvalidationScope::of(request));
    case T::kIotlb:
    case T::kPasidIotlb: {
      const IotlbInvalidationScope scope = IotlbInvalidationScope::of(request);
      return iotlb_.invalidate(request, scope) + psc_.invalidate(scope);
    }
    case T::kDeviceTlb:
    case T::kInterruptEntry: return 0;
  }
  return 0;
}

CacheStats TranslationCaches::stats() const {
  CacheStats s;
  s.context = contexts_.context_counters();
  s.pasid = contexts_.pasid_counters();
  const IotlbStats iotlb = iotlb_.stats();
  s.iotlb = iotlb.total;
  s.iotlb_by_size = iotlb.by_size;
  s.qemu_flushes = iotlb.qemu_flushes;
  for (unsigned i = 0; i < PagingStructureCaches::kLevels; ++i) s.psc[i] = psc_.counters(i);
  return s;
}

TranslationCaches::Occupancy TranslationCaches::occupancy() const {
  Occupancy o;
  o.context = contexts_.context_held();
  o.pasid = contexts_.pasid_held();
  const auto held = iotlb_.held_by_size();
  for (int s = 0; s < 3; ++s) o.iotlb_by_size[s] = held[s];
  o.iotlb = held[0] + held[1] + held[2];
  for (unsigned i = 0; i < PagingStructureCaches::kLevels; ++i) o.psc[i] = psc_.held(i);
  return o;
}

}  // namespace vtdsim::cache
