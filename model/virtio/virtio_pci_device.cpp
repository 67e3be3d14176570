#include "vtdsim/virtio/virtio_pci_device.hpp"

#include <cstring>

namespace vtdsim::virtio {

VirtioPciDevice::VirtioPciDevice(sc_core::sc_module_name name, const VirtioPciConfig& config, std::uint16_t device_id,
                                 unsigned num_queues, std::uint64_t device_specific_features)
    : sc_core::sc_module(name),
      dma_socket("dma_socket"),
      bar("bar"),
      config_(config),
      device_id_(device_id),
      device_features_(device_specific_features | feature_bit(kFVersion1)),
      queues_(num_queues) {
  if (config.offer_access_platform) device_features_ |= feature_bit(kFAccessPlatform);
  if (config.offer_iommu_passthrough) device_features_ |= feature_bit(config.iommu_passthrough_bit);
  if (config.offer_event_idx) device_features_ |= feature_bit(kFEventIdx);
  if (config.offer_indirect) device_features_ |= feature_bit(kFIndirectDesc);
  bar.register_b_transport(this, &VirtioPciDevice::bar_b_transport);
  if (config.stale_dma.enabled)
    stale_ =
        std::make_unique<StaleDmaEngine>("stale_dma", dma_socket, config.source, config.stale_dma, config.max_payload);
}

void VirtioPciDevice::configure_port(sysc::DmaPort& port) const {
  // Without ACCESS_PLATFORM the device "has same access to memory addresses supplied to it as the
  // driver has" (6.1): QEMU then bypasses the vIOMMU. The root complex decides for "auto" routes.
  port.set_access_platform(negotiated(kFAccessPlatform));
  if (stale_) stale_->set_access_platform(negotiated(kFAccessPlatform));
}

void VirtioPciDevice::wait_for_kick(unsigned q) {
  if (!queues_[q].kick_pending) sc_core::wait(queues_[q].kick | state_event_);
  queues_[q].kick_pending = false;
}

void VirtioPciDevice::raise_queue_interrupt(unsigned q, const sc_core::sc_time& local_offset) {
  isr_ |= kIsrQueue;
  ++counters_.interrupts;
  queues_[q].irq.notify(local_offset);
}

void VirtioPciDevice::set_needs_reset(const sc_core::sc_time& local_offset) {
  if (status_ & kStatusNeedsReset) return;
  status_ |= kStatusNeedsReset;
  isr_ |= kIsrConfig;
  ++counters_.needs_reset;
  config_irq_.notify(local_offset);
}

void VirtioPciDevice::reset() {
  // 2.4 Device Reset / 4.1.4.3.2: writing 0 to device_status resets the device.
  ++counters_.resets;
  ++generation_;
  driver_features_ = 0;
  device_feature_select_ = driver_feature_select_ = 0;
  status_ = 0;
  isr_ = 0;
  queue_select_ = 0;
  config_msix_ = 0xffff;
  for (Queue& q : queues_) {
    q.vq.reset();
    q.size = 0;
    q.enable = 0;
    q.kick_pending = false;
    q.msix = 0xffff;
    q.desc = q.driver = q.device = 0;
  }
  on_reset();
  state_event_.notify(sc_core::SC_ZERO_TIME);
}

void VirtioPciDevice::write_status(std::uint8_t value, const sc_core::sc_time& delay) {
  if (value == 0) {
    reset();
    return;
  }
  const std::uint8_t old = status_;
  std::uint8_t next = value;
  if ((value & kStatusFeaturesOk) && !(old & kStatusFeaturesOk)) {
    // 3.1.1 step 5/6: the device refuses FEATURES_OK by leaving the bit clear.
    bool ok = (driver_features_ & ~device_features_) == 0 && negotiated(kFVersion1);
    if (config_.require_access_platform && config_.offer_access_platform && !negotiated(kFAccessPlatform)) ok = false;
    if (!ok) {
      next &= static_cast<std::uint8_t>(~kStatusFeaturesOk);
      ++counters_.features_rejected;
    } else {
      on_features_ok();
    }
  }
  if ((old & kStatusNeedsReset)) next |= kStatusNeedsReset;  // only a reset clears it
  status_ = next;
  if ((status_ & kStatusDriverOk) && !(old & kStatusDriverOk)) state_event_.notify(delay);
}

std::uint64_t VirtioPciDevice::read_common(std::uint32_t offset, unsigned size) {
  using namespace common_cfg;
  const Queue* q = queue_select_ < queues_.size() ? &queues_[queue_select_] : nullptr;
  std::uint64_t v = 0;
  switch (offset) {
    case kDeviceFeatureSelect: v = device_feature_select_; break;
    case kDeviceFeature:
      v = device_feature_select_ < 2 ? (device_features_ >> (32 * device_feature_select_)) & 0xffffffffu : 0;
      break;
    case kDriverFeatureSelect: v = driver_feature_select_; break;
    case kDriverFeature:
      v = driver_feature_select_ < 2 ? (driver_features_ >> (32 * driver_feature_select_)) & 0xffffffffu : 0;
      break;
    case kConfigMsixVector: v = config_msix_; break;
    case kNumQueues: v = queues_.size(); break;
    case kDeviceStatus: v = status_; break;
    case kConfigGeneration: v = config_generation_; break;
    case kQueueSelect: v = queue_select_; break;
    // 4.1.4.3.1: queue_size reads 0 for an unavailable queue; notify_off etc. likewise.
    case kQueueSize: v = q ? (q->size ? q->size : config_.max_queue_size) : 0; break;
    case kQueueMsixVector: v = q ? q->msix : 0xffff; break;
    case kQueueEnable: v = q ? q->enable : 0; break;
    case kQueueNotifyOff: v = q ? queue_select_ : 0; break;
    case kQueueDesc: v = q ? q->desc : 0; break;
    case kQueueDesc + 4: v = q ? q->desc >> 32 : 0; break;
    case kQueueDriver: v = q ? q->driver : 0; break;
    case kQueueDriver + 4: v = q ? q->driver >> 32 : 0; break;
    case kQueueDevice: v = q ? q->device : 0; break;
    case kQueueDevice + 4: v = q ? q->device >> 32 : 0; break;
    default: v = 0; break;
  }
  if (size < 8) v &= (1ull << (8 * size)) - 1;
  return v;
}

void VirtioPciDevice::write_common(std::uint32_t offset, unsigned size, std::uint64_t value,
                                   const sc_core::sc_time& delay) {
  using namespace common_cfg;
  Queue* q = queue_select_ < queues_.size() ? &queues_[queue_select_] : nullptr;
  auto set_half = [&](std::uint64_t& field, bool high) {
    if (size == 8 && !high) {
      field = value;
    } else if (high) {
      field = (field & 0xffffffffull) | (value << 32);
    } else {
      field = (field & ~0xffffffffull) | (value & 0xffffffffull);
    }
  };
  switch (offset) {
    case kDeviceFeatureSelect: device_feature_select_ = static_cast<std::uint32_t>(value); break;
    case kDriverFeatureSelect: driver_feature_select_ = static_cast<std::uint32_t>(value); break;
    case kDriverFeature:
      // 3.1.1: features may only be written before FEATURES_OK.
      if (!(status_ & kStatusFeaturesOk) && driver_feature_select_ < 2) {
        const unsigned shift = 32 * driver_feature_select_;
        driver_features_ = (driver_features_ & ~(0xffffffffull << shift)) | ((value & 0xffffffffull) << shift);
      }
      break;
    case kConfigMsixVector: config_msix_ = static_cast<std::uint16_t>(value); break;
    case kDeviceStatus: write_status(static_cast<std::uint8_t>(value), delay); break;
    case kQueueSelect: queue_select_ = static_cast<std::uint16_t>(value); break;
    case kQueueSize:
      // 4.1.4.3.2: a power of 2 not above the device's maximum; 2.7: max 32768.
      if (q && !q->enable) {
        const std::uint16_t n = static_cast<std::uint16_t>(value);
        if (n != 0 && (n & (n - 1)) == 0 && n <= config_.max_queue_size) q->size = n;
      }
      break;
    case kQueueMsixVector:
      if (q) q->msix = static_cast<std::uint16_t>(value);
      break;
    case kQueueEnable:
      // 4.1.4.3.2: the driver MUST NOT write 0; queue set up at enable time.
      if (q && value == 1 && !q->enable) {
        q->enable = 1;
        if (q->size == 0) q->size = config_.max_queue_size;
        q->vq.configure(q->size, q->desc, q->driver, q->device, negotiated(kFEventIdx));
        state_event_.notify(delay);
      }
      break;
    case kQueueDesc:
      if (q && !q->enable) set_half(q->desc, false);
      break;
    case kQueueDesc + 4:
      if (q && !q->enable) set_half(q->desc, true);
      break;
    case kQueueDriver:
      if (q && !q->enable) set_half(q->driver, false);
      break;
    case kQueueDriver + 4:
      if (q && !q->enable) set_half(q->driver, true);
      break;
    case kQueueDevice:
      if (q && !q->enable) set_half(q->device, false);
      break;
    case kQueueDevice + 4:
      if (q && !q->enable) set_half(q->device, true);
      break;
    default: break;  // read-only fields
  }
}

void VirtioPciDevice::bar_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const std::uint64_t addr = payload.get_address();
  const unsigned size = payload.get_data_length();
  if (size == 0 || size > 8 || addr >= bar::kSize) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::uint64_t value = 0;
  if (payload.is_write()) std::memcpy(&value, payload.get_data_ptr(), size);
  if (addr < bar::kIsr) {
    const std::uint32_t off = static_cast<std::uint32_t>(addr - bar::kCommonCfg);
    if (off >= common_cfg::kSize) {
      payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (payload.is_read())
      value = read_common(off, size);
    else
      write_common(off, size, value, delay);
  } else if (addr < bar::kDeviceCfg) {
    if (payload.is_read()) {  // 4.1.4.5.1: reading ISR clears it
      value = isr_;
      isr_ = 0;
    }
  } else if (addr < bar::kNotify) {
    if (payload.is_read()) value = read_device_config(static_cast<std::uint32_t>(addr - bar::kDeviceCfg), size);
  } else {
    // 4.1.4.4: queue q's notify address = notify base + queue_notify_off * multiplier.
    const std::uint64_t q = (addr - bar::kNotify) / bar::kNotifyOffMultiplier;
    if (payload.is_write() && q < queues_.size() && queues_[q].enable) {
      ++counters_.notifications;
      queues_[q].kick_pending = true;
      queues_[q].kick.notify(delay);
    }
  }
  if (payload.is_read()) std::memcpy(payload.get_data_ptr(), &value, size);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace vtdsim::virtio
