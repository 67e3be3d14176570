// The guest's virtio-pci driver core (virtio 1.2 section 3.1.1 "Driver Requirements: Device
// Initialization", 4.1.5 "PCI-specific Initialization"): reset, ACKNOWLEDGE, DRIVER, feature
// negotiation through the 32-bit halves, FEATURES_OK read back, queue set-up, DRIVER_OK. Whether
// the device's buffers go through the DMA API is decided as Linux's vring_use_dma_api() does:
// only when VIRTIO_F_ACCESS_PLATFORM was negotiated, or a platform quirk forces it (Xen).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vtdsim/guest/driver_virtqueue.hpp"
#include "vtdsim/guest/mmio_port.hpp"

namespace vtdsim::guest {

struct VirtioDriverOptions {
  bool refuse_access_platform = false;   // driver does not accept VIRTIO_F_ACCESS_PLATFORM
  bool force_dma_api = false;            // platform quirk: DMA API even without ACCESS_PLATFORM
  bool accept_iommu_passthrough = true;  // accept the proposed VIRTIO_F_IOMMU_PASSTHROUGH if offered
                                         // (then not ACCESS_PLATFORM: the device bypasses the IOMMU)
  unsigned iommu_passthrough_bit = 42;
  bool event_idx = true;
  bool indirect = true;
};

class VirtioDriver {
 public:
  VirtioDriver(std::string name, MmioPort& mmio, std::uint64_t bar_base, const VirtioDriverOptions& options);

  // Steps 1-6 of 3.1.1. `wanted` = device-specific features the driver supports. Returns false
  // when the device refused FEATURES_OK (status FAILED is then written, step 8 "give up").
  bool negotiate(std::uint64_t wanted, tlm_utils::tlm_quantumkeeper& keeper);
  bool uses_dma_api() const;
  // The proposed VIRTIO_F_IOMMU_PASSTHROUGH was negotiated: the device's DMA bypasses the IOMMU.
  bool iommu_passthrough() const { return negotiated(options_.iommu_passthrough_bit); }
  bool negotiated(unsigned bit) const { return (features_ >> bit) & 1; }
  std::uint64_t device_features() const { return device_features_; }
  std::uint64_t features() const { return features_; }

  // Step 7: discovers and sets up the queues (4.1.5.1.3), then DRIVER_OK (step 8).
  bool setup_queues(GuestMemory& memory, DmaApi& dma, unsigned count, std::uint16_t max_size,
                    tlm_utils::tlm_quantumkeeper& keeper);
  void driver_ok(tlm_utils::tlm_quantumkeeper& keeper);
  std::uint8_t read_status(tlm_utils::tlm_quantumkeeper& keeper);
  std::uint64_t read_config(std::uint32_t offset, unsigned size, tlm_utils::tlm_quantumkeeper& keeper);

  DriverVirtqueue& queue(unsigned i) { return *queues_[i]; }
  unsigned num_queues() const { return static_cast<unsigned>(queues_.size()); }
  void notify(unsigned q, tlm_utils::tlm_quantumkeeper& keeper);
  std::uint64_t kicks() const { return kicks_; }
  const std::string& name() const { return name_; }
  const VirtioDriverOptions& options() const { return options_; }

 private:
  std::string name_;
  MmioPort& mmio_;
  std::uint64_t bar_;
  VirtioDriverOptions options_;
  std::uint64_t device_features_ = 0, features_ = 0;
  std::vector<std::unique_ptr<DriverVirtqueue>> queues_;
  std::vector<std::uint16_t> notify_off_;
  std::uint64_t kicks_ = 0;
};

}  // namespace vtdsim::guest
