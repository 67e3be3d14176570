// One invalidation as the caches see it, whichever way software issued it (CCMD/IOTLB registers,
// queued-invalidation descriptors, or a trace event). VT-d spec 6.5.1 (register-based) and
// 6.5.2 (queued invalidation descriptors).
#pragma once
#include <cstdint>

#include "vtdsim/spec/types.hpp"

namespace vtdsim::core {

enum class InvalidationTarget : std::uint8_t {
  kContextCache,    // CCMD / cc_inv_dsc
  kIotlb,           // IOTLB_REG / iotlb_inv_dsc (IOTLB and paging-structure caches)
  kPasidCache,      // pc_inv_dsc (scalable mode)
  kPasidIotlb,      // p_iotlb_inv_dsc (scalable mode)
  kDeviceTlb,       // dev_tlb_inv_dsc
  kInterruptEntry,  // iec_inv_dsc (no translation state here; counted only)
};

enum class InvalidationGranularity : std::uint8_t {
  kGlobal,  // everything of that target
  kDomain,  // all entries tagged with `domain`
  kDevice,  // context cache: source-id with function mask
  kPage,    // IOTLB: pages [addr, addr + 2^am * 4K) within `domain`
  kPasid,   // PASID cache / PASID-IOTLB: all entries of (domain, pasid)
};

struct InvalidationRequest {
  InvalidationTarget target = InvalidationTarget::kIotlb;
  InvalidationGranularity granularity = InvalidationGranularity::kGlobal;
  DomainId domain;
  SourceId source;
  std::uint8_t function_mask = 0;  // CCMD.FM / cc_inv_dsc FM: source-id bits to ignore (2 bits)
  Pasid pasid;
  Iova addr;                                       // page-selective: base address (aligned to 2^am pages)
  std::uint8_t address_mask = 0;                   // AM: 2^am 4K pages
  bool invalidation_hint = false;                  // IH=1: leaf entries only; paging-structure caches are kept
  bool drain_reads = false, drain_writes = false;  // IOTLB DR/DW (no effect on state here)
};

}  // namespace vtdsim::core
