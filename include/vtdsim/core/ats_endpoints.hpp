// The device side of PCIe ATS (Address Translation Services; VT-d spec chapter 4 "Support for
// Device-TLBs"): every endpoint with ATS enabled owns one cache::DeviceTlb (the PCIe Address
// Translation Cache), with the geometry of config::CachesConfig::device_tlb.
//
// A DMA of such a device (dma()):
//   - device-TLB hit (entry of the request's PASID covering the address, with the permission the
//     access needs): the device sends a Translated request (AT = 10b) with the host address. The
//     remapping unit checks that the context allows translated requests (legacy TT = 01b, spec
//     9.3; scalable DTE = 1, spec 9.4) and passes it through. The result has
//     outcome.device_tlb_hit = outcome.translated = true, the host address, page size and
//     permissions of the device-TLB entry, and no page lookup in the IOTLB.
//   - miss (or a hit without the needed permission): the device sends a Translation Request
//     (AT = 01b, spec 4.2.3), which the unit answers like an untranslated request (IOTLB, walk).
//     A successful answer fills the device TLB (page size, permissions; faults are not cached),
//     then the DMA completes as a Translated request to the returned address. The result is the
//     translation request's (its cache outcome and walk reads, plus any reads of the translated
//     request).
// Requests of devices without ATS enabled go to RemappingUnit::translate unchanged.
//
// Invalidation: the constructor registers this object as the unit's device-TLB handler, so
// dev_tlb_inv_dsc / p_dev_tlb_inv_dsc (spec 6.5.2.5 / 6.5.2.6, by the SID in the descriptor) and
// trace "devtlb" invalidations reach the device named by the source-id, in the ATS ADDR + S range
// form (core::ats_range). Without a PASID the range is dropped for every PASID of the device (a
// superset of the requests-without-PASID entries: never leaves a stale one); with a PASID only
// that PASID's entries. The handler returns the number of entries dropped. The destructor removes
// the handler.
//
// No allocation per request: a device's TLB is created by set_enabled(), never by dma().
#pragma once
#include <cstdint>
#include <vector>

#include "vtdsim/cache/device_tlb.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/translation.hpp"

namespace vtdsim::core {

class RemappingUnit;

// The device's ATS traffic (the device TLB's own counters are in DeviceTlb::stats()).
struct AtsDeviceCounters {
  std::uint64_t dma = 0;                    // requests that went through the device's ATS path
  std::uint64_t translation_requests = 0;   // AT = 01b sent (device-TLB misses and refetches)
  std::uint64_t translated_requests = 0;    // AT = 10b sent (hits, and DMAs after a translation)
  std::uint64_t permission_refetches = 0;   // hits whose entry lacked the access's permission
  std::uint64_t translation_faults = 0;     // translation requests answered with a fault
  std::uint64_t translated_faults = 0;      // translated requests the unit refused
  std::uint64_t invalidation_requests = 0;  // device-TLB invalidations addressed to this device
};

class AtsEndpoints {
 public:
  struct Device {
    SourceId source;
    bool enabled = false;
    cache::DeviceTlb tlb;
    AtsDeviceCounters counters;
  };

  // Registers itself as `unit`'s device-TLB handler.
  AtsEndpoints(RemappingUnit& unit, const config::CacheGeometry& geometry);
  ~AtsEndpoints();
  AtsEndpoints(const AtsEndpoints&) = delete;
  AtsEndpoints& operator=(const AtsEndpoints&) = delete;

  // Turns ATS on or off for `source` (the ATS Control register's Enable bit, PCIe ATS
  // capability). The first enable creates the device's TLB (allocation here only). Turning it
  // off drops the device's entries (counted as invalidated); enabling an enabled device keeps them.
  void set_enabled(SourceId source, bool enabled);
  bool enabled(SourceId source) const;

  // One DMA request (untranslated address, within one 4 KiB page) of `request.source`. Requests
  // of devices without ATS enabled, and requests that are not untranslated, go straight to
  // RemappingUnit::translate. No allocation.
  TranslationResult dma(const TranslationRequest& request);

  // The device-TLB handler: applies a kDeviceTlb invalidation; returns the entries dropped.
  // kGlobal: every device; otherwise the device with request.source (whole range for kDevice,
  // the ATS range of addr/address_mask for kPage), of request.pasid if present.
  std::uint64_t invalidate(const InvalidationRequest& request);

  // Devices in the order they were first enabled (entries stay after a disable).
  const std::vector<Device>& devices() const { return devices_; }
  const Device* find(SourceId source) const;
  const config::CacheGeometry& geometry() const { return geometry_; }

 private:
  Device* find_mutable(SourceId source) {
    const std::uint32_t i = index_[source.value];
    return i == 0 ? nullptr : &devices_[i - 1];
  }
  TranslationResult translated(Device& device, const TranslationRequest& request, const cache::DeviceTlbEntry& entry);
  TranslationResult translate_and_fill(Device& device, const TranslationRequest& request);

  RemappingUnit& unit_;
  config::CacheGeometry geometry_;
  std::vector<Device> devices_;
  std::vector<std::uint32_t> index_;  // source-id -> devices_ index + 1 (0 = none); 64 Ki entries
};

}  // namespace vtdsim::core
