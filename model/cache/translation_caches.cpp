// SCAFFOLDING (replaced by the caches work): every lookup misses, nothing is held.
#include "vtdsim/cache/translation_caches.hpp"

namespace vtdsim::cache {

struct TranslationCaches::Impl {
  config::CachesConfig config;
  CacheStats stats;
};

TranslationCaches::TranslationCaches(const config::CachesConfig& config)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
}
TranslationCaches::~TranslationCaches() = default;

const ContextCacheEntry* TranslationCaches::find_context(SourceId, Pasid) {
  ++impl_->stats.context.lookups;
  ++impl_->stats.context.misses;
  return nullptr;
}
void TranslationCaches::fill_context(const ContextCacheEntry&) {}
const IotlbEntry* TranslationCaches::find_iotlb(SourceId, DomainId, Pasid, Iova) {
  ++impl_->stats.iotlb.lookups;
  ++impl_->stats.iotlb.misses;
  return nullptr;
}
void TranslationCaches::fill_iotlb(const IotlbEntry&) {}
bool TranslationCaches::find_walk_start(DomainId, Pasid, Iova, unsigned, PscEntry&) { return false; }
void TranslationCaches::fill_psc(const PscEntry&) {}
std::uint64_t TranslationCaches::invalidate(const core::InvalidationRequest&) { return 0; }
const CacheStats& TranslationCaches::stats() const { return impl_->stats; }
const config::CachesConfig& TranslationCaches::config() const { return impl_->config; }

}  // namespace vtdsim::cache
