// The TLM extension that every device DMA carries: who issued it (PCI source-id), an optional
// PASID (PCIe PASID TLP prefix) and the PCIe address type (AT field). On the way back the IOMMU
// fills in what happened (host address, fault reason, cache outcome) so the root complex and the
// platform's consistency check can see it without a second lookup.
#pragma once
#include <tlm>

#include "vtdsim/core/translation.hpp"
#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::sysc {

class DmaExtension : public tlm::tlm_extension<DmaExtension> {
 public:
  // Request side (set by the device).
  SourceId source;
  Pasid pasid;  // Pasid{} = no PASID prefix
  AddressType address_type = AddressType::kUntranslated;
  // The device uses platform DMA (virtio: VIRTIO_F_ACCESS_PLATFORM negotiated; other devices:
  // always). The root complex routes "auto" devices on this (QEMU's virtio behaviour: without
  // ACCESS_PLATFORM the device model bypasses the vIOMMU).
  bool access_platform = true;

  // Response side (set by the root complex / IOMMU; reset by the device before each request).
  bool translated = false;  // went through the remapping unit
  HostAddr host;            // host address of the first byte
  spec::FaultReason fault = spec::FaultReason::kNone;
  core::CacheOutcome outcome;
  std::uint64_t issue_ns = 0;  // when the unit saw it (whole ns; translated only)

  void reset_response() {
    translated = false;
    issue_ns = 0;
    host = HostAddr{};
    fault = spec::FaultReason::kNone;
    outcome = core::CacheOutcome{};
  }

  tlm::tlm_extension_base* clone() const override { return new DmaExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override { *this = static_cast<const DmaExtension&>(other); }
};

}  // namespace vtdsim::sysc
