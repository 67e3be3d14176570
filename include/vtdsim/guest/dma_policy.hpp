// Which DMA-domain policy a Linux 6.1 guest ends up with, from what the kernel was told and what
// the IOMMU advertises (plain C++, no SystemC):
//  - the request is the kernel argument: `passthrough` = iommu=pt (identity domains), `strict` =
//    iommu.strict=1, `lazy` = iommu.strict=0, `auto` = none, so the build default decides
//    (drivers/iommu/iommu.c: iommu_dma_strict from CONFIG_IOMMU_DEFAULT_DMA_STRICT, else DMA-FQ;
//    x86 Kconfig defaults to CONFIG_IOMMU_DEFAULT_DMA_LAZY, as Debian's config-6.1.0-56-amd64);
//  - intel_iommu_init (drivers/iommu/intel/iommu.c): when an IOMMU has CAP.CM (caching mode, VT-d
//    spec 6.1 "Caching Mode") and DMA domains do not use first-stage tables, it prints "IOMMU
//    batching disallowed due to virtualization" and calls iommu_set_dma_strict(), which overrides
//    iommu.strict=0 too: the default domain is DMA, never DMA-FQ. First-stage domains are exempt
//    (the `!first_level_by_default(IOMMU_DOMAIN_DMA)` test of 6.1.y / later kernels);
//  - first_level_by_default (intel/iommu.c): legacy mode has only second-stage tables; in scalable
//    mode the one of FLTS/SLTS that exists, or first stage when both exist.
#pragma once
#include <cstdint>
#include <string>

namespace vtdsim::guest {

enum class DmaPolicyRequest : std::uint8_t { kAuto, kStrict, kLazy, kPassthrough };
enum class EffectivePolicy : std::uint8_t { kStrict, kLazy, kPassthrough };
const char* to_string(DmaPolicyRequest r);
const char* to_string(EffectivePolicy p);

struct DmaPolicyInputs {
  DmaPolicyRequest request = DmaPolicyRequest::kAuto;
  bool default_lazy = true;   // CONFIG_IOMMU_DEFAULT_DMA_LAZY (false: _STRICT)
  bool caching_mode = false;  // CAP.CM of the IOMMU
  bool first_stage = false;   // DMA domains use first-stage tables (first_stage_by_default)
};

struct DmaPolicyDecision {
  EffectivePolicy policy = EffectivePolicy::kStrict;
  std::string reason;  // one sentence, for the run's output
};

bool first_stage_by_default(bool scalable_mode, bool flts, bool slts);
DmaPolicyDecision decide_dma_policy(const DmaPolicyInputs& in);

}  // namespace vtdsim::guest
