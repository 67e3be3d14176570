#include "vtdsim/guest/virtio_driver.hpp"

#include "vtdsim/virtio/virtio_spec.hpp"

namespace vtdsim::guest {

namespace vs = virtio;
namespace cc = virtio::common_cfg;

VirtioDriver::VirtioDriver(std::string name, MmioPort& mmio, std::uint64_t bar_base, const VirtioDriverOptions& options)
    : name_(std::move(name)), mmio_(mmio), bar_(bar_base), options_(options) {}

std::uint8_t VirtioDriver::read_status(tlm_utils::tlm_quantumkeeper& keeper) {
  return static_cast<std::uint8_t>(mmio_.read(bar_ + vs::bar::kCommonCfg + cc::kDeviceStatus, 1, keeper));
}

std::uint64_t VirtioDriver::read_config(std::uint32_t offset, unsigned size, tlm_utils::tlm_quantumkeeper& keeper) {
  return mmio_.read(bar_ + vs::bar::kDeviceCfg + offset, size, keeper);
}

bool VirtioDriver::negotiate(std::uint64_t wanted, tlm_utils::tlm_quantumkeeper& keeper) {
  const std::uint64_t c = bar_ + vs::bar::kCommonCfg;
  mmio_.write(c + cc::kDeviceStatus, 1, 0, keeper);  // 1. reset
  // 4.1.4.3.2: after writing 0 the driver waits until device_status reads back 0.
  for (int i = 0; i < 10 && read_status(keeper) != 0; ++i) {
  }
  std::uint8_t status = vs::kStatusAcknowledge;  // 2.
  mmio_.write(c + cc::kDeviceStatus, 1, status, keeper);
  status |= vs::kStatusDriver;  // 3.
  mmio_.write(c + cc::kDeviceStatus, 1, status, keeper);
  // 4. read device features (both 32-bit halves), write the subset the driver understands.
  device_features_ = 0;
  for (unsigned half = 0; half < 2; ++half) {
    mmio_.write(c + cc::kDeviceFeatureSelect, 4, half, keeper);
    device_features_ |= mmio_.read(c + cc::kDeviceFeature, 4, keeper) << (32 * half);
  }
  std::uint64_t supported = wanted | vs::feature_bit(vs::kFVersion1) | vs::feature_bit(vs::kFAccessPlatform);
  if (options_.event_idx) supported |= vs::feature_bit(vs::kFEventIdx);
  if (options_.indirect) supported |= vs::feature_bit(vs::kFIndirectDesc);
  if (options_.accept_iommu_passthrough) supported |= vs::feature_bit(options_.iommu_passthrough_bit);
  if (options_.refuse_access_platform) supported &= ~vs::feature_bit(vs::kFAccessPlatform);
  // The proposed VIRTIO_F_IOMMU_PASSTHROUGH (2016, never merged) says the hypervisor ignores the
  // IOMMU for this device; ACCESS_PLATFORM (bit 33) says the opposite. A driver that accepts the
  // pass-through claim believes it and does not accept ACCESS_PLATFORM (a device that requires
  // ACCESS_PLATFORM may then refuse FEATURES_OK, virtio 1.2 6.1).
  if (options_.accept_iommu_passthrough && ((device_features_ >> options_.iommu_passthrough_bit) & 1))
    supported &= ~vs::feature_bit(vs::kFAccessPlatform);
  features_ = device_features_ & supported;
  for (unsigned half = 0; half < 2; ++half) {
    mmio_.write(c + cc::kDriverFeatureSelect, 4, half, keeper);
    mmio_.write(c + cc::kDriverFeature, 4, (features_ >> (32 * half)) & 0xffffffffu, keeper);
  }
  status |= vs::kStatusFeaturesOk;  // 5.
  mmio_.write(c + cc::kDeviceStatus, 1, status, keeper);
  if (!(read_status(keeper) & vs::kStatusFeaturesOk)) {  // 6.
    // Linux virtio_add_status(FAILED): read back, OR the bit in.
    mmio_.write(c + cc::kDeviceStatus, 1, read_status(keeper) | vs::kStatusFailed, keeper);
    return false;
  }
  return true;
}

bool VirtioDriver::uses_dma_api() const {
  // Linux vring_use_dma_api(): !virtio_has_dma_quirk(vdev) (ACCESS_PLATFORM negotiated) or
  // xen_domain(); otherwise the driver hands the device physical addresses. An accepted
  // IOMMU_PASSTHROUGH means physical addresses too (the device bypasses translation).
  if (iommu_passthrough()) return false;
  return negotiated(vs::kFAccessPlatform) || options_.force_dma_api;
}

bool VirtioDriver::setup_queues(GuestMemory& memory, DmaApi& dma, unsigned count, std::uint16_t max_size,
                                tlm_utils::tlm_quantumkeeper& keeper) {
  const std::uint64_t c = bar_ + vs::bar::kCommonCfg;
  const auto available = static_cast<unsigned>(mmio_.read(c + cc::kNumQueues, 2, keeper));
  if (available < count) return false;
  for (unsigned q = 0; q < count; ++q) {
    mmio_.write(c + cc::kQueueSelect, 2, q, keeper);
    auto size = static_cast<std::uint16_t>(mmio_.read(c + cc::kQueueSize, 2, keeper));
    if (size == 0) return false;
    if (max_size != 0 && size > max_size) size = max_size;
    mmio_.write(c + cc::kQueueSize, 2, size, keeper);
    queues_.push_back(std::make_unique<DriverVirtqueue>(memory, dma, size, negotiated(vs::kFEventIdx),
                                                        negotiated(vs::kFIndirectDesc), keeper));
    DriverVirtqueue& vq = *queues_.back();
    // 64-bit fields written as two 32-bit halves (4.1.3.1: drivers may access 64-bit fields so).
    auto write64 = [&](std::uint32_t off, std::uint64_t v) {
      mmio_.write(c + off, 4, v & 0xffffffffu, keeper);
      mmio_.write(c + off + 4, 4, v >> 32, keeper);
    };
    write64(cc::kQueueDesc, vq.desc_bus());
    write64(cc::kQueueDriver, vq.driver_bus());
    write64(cc::kQueueDevice, vq.device_bus());
    notify_off_.push_back(static_cast<std::uint16_t>(mmio_.read(c + cc::kQueueNotifyOff, 2, keeper)));
    mmio_.write(c + cc::kQueueEnable, 2, 1, keeper);
  }
  return true;
}

void VirtioDriver::driver_ok(tlm_utils::tlm_quantumkeeper& keeper) {
  const std::uint64_t c = bar_ + vs::bar::kCommonCfg;
  const std::uint8_t status = read_status(keeper);
  mmio_.write(c + cc::kDeviceStatus, 1, status | vs::kStatusDriverOk, keeper);
}

void VirtioDriver::notify(unsigned q, tlm_utils::tlm_quantumkeeper& keeper) {
  ++kicks_;
  mmio_.write(bar_ + vs::bar::kNotify + static_cast<std::uint64_t>(notify_off_[q]) * vs::bar::kNotifyOffMultiplier, 2,
              q, keeper);
}

}  // namespace vtdsim::guest
