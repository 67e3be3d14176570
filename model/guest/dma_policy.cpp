#include "vtdsim/guest/dma_policy.hpp"

namespace vtdsim::guest {

const char* to_string(DmaPolicyRequest r) {
  switch (r) {
    case DmaPolicyRequest::kAuto: return "auto";
    case DmaPolicyRequest::kStrict: return "strict";
    case DmaPolicyRequest::kLazy: return "lazy";
    case DmaPolicyRequest::kPassthrough: return "passthrough";
  }
  return "?";
}

const char* to_string(EffectivePolicy p) {
  switch (p) {
    case EffectivePolicy::kStrict: return "strict";
    case EffectivePolicy::kLazy: return "lazy";
    case EffectivePolicy::kPassthrough: return "passthrough";
  }
  return "?";
}

bool first_stage_by_default(bool scalable_mode, bool flts, bool slts) {
  if (!scalable_mode) return false;  // only second stage in legacy mode
  if (flts != slts) return flts;     // only one of them: use it
  return true;                       // both: DMA domains (not UNMANAGED) use first stage
}

DmaPolicyDecision decide_dma_policy(const DmaPolicyInputs& in) {
  if (in.request == DmaPolicyRequest::kPassthrough)
    return {EffectivePolicy::kPassthrough, "iommu=pt: identity (pass-through) default domains"};
  if (in.request == DmaPolicyRequest::kStrict) return {EffectivePolicy::kStrict, "iommu.strict=1"};
  if (in.caching_mode && !in.first_stage)
    return {EffectivePolicy::kStrict,
            std::string("CAP.CM=1 with second-stage DMA domains: \"IOMMU batching disallowed due to virtualization\"") +
                (in.request == DmaPolicyRequest::kLazy ? " (overrides iommu.strict=0)" : "")};
  if (in.request == DmaPolicyRequest::kLazy)
    return {EffectivePolicy::kLazy,
            in.caching_mode ? "iommu.strict=0 (CAP.CM=1 but first-stage DMA domains)" : "iommu.strict=0"};
  if (in.default_lazy)
    return {EffectivePolicy::kLazy, std::string("kernel default CONFIG_IOMMU_DEFAULT_DMA_LAZY") +
                                        (in.caching_mode ? " (CAP.CM=1 but first-stage DMA domains)" : "")};
  return {EffectivePolicy::kStrict, "kernel default CONFIG_IOMMU_DEFAULT_DMA_STRICT"};
}

}  // namespace vtdsim::guest
