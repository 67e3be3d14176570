// Which IOTLB tags (IotlbPageKey) one invalidation drops, for the one-pass profilers
// (lru_stack_profiler.hpp, set_assoc_stack_profiler.hpp). Mirrors
// TranslationCaches::Impl::invalidate_iotlb for the shared and per-size organizations:
//   global: everything; domain (and device, not defined for the IOTLB): every key of the domain,
//   all PASIDs; page: keys of the domain whose page overlaps [addr, addr + 2^AM * 4K) with addr
//   aligned down to the range (spec 6.5.1.2, 6.5.2.3); PASID-based (p_iotlb_inv_dsc, spec 6.5.2.4):
//   PASID-selective keys of (domain, PASID), page-selective also compares the PASID.
// Context-cache, PASID-cache, device-TLB and interrupt-entry invalidations leave the IOTLB alone.
#pragma once
#include <cstdint>

#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/study/lru_stack_profiler.hpp"

namespace vtdsim::study {

struct IotlbInvalidationScope {
  bool applies = false;  // the request targets the IOTLB at all
  bool global = false;   // drops every key
  bool page = false;     // page-selective: [base, base + len)
  bool compare_pasid = false;
  std::uint16_t domain = 0;
  std::uint32_t pasid = 0;
  std::uint64_t base = 0, len = 0;

  explicit IotlbInvalidationScope(const core::InvalidationRequest& request);
  // True when the key is dropped (false for every key when !applies).
  bool matches(const IotlbPageKey& key) const {
    if (!applies) return false;
    if (global) return true;
    if (key.domain != domain) return false;
    if (compare_pasid && key.pasid != pasid) return false;
    if (!page) return true;
    const std::uint64_t size = 1ull << key.shift;
    return key.iova_base <= base + (len - 1) && base <= key.iova_base + (size - 1);
  }
};

}  // namespace vtdsim::study
