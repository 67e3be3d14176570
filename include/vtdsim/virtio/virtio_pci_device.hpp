// A modern (non-transitional) virtio-pci function (virtio 1.2 section 4.1): BAR0 holds the common
// configuration structure, ISR, device-specific configuration and the notification area (layout
// in virtio_spec.hpp, bar::). Feature negotiation (3.1.1), reset (2.4 / 4.1.4.3.2), queue set-up,
// notifications and interrupts. Subclasses (net, blk) run their queues in SC_THREADs and do every
// ring and buffer access through DMA.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/sysc/dma_port.hpp"
#include "vtdsim/virtio/split_virtqueue.hpp"
#include "vtdsim/virtio/stale_dma_engine.hpp"
#include "vtdsim/virtio/virtio_spec.hpp"
#include "vtdsim/virtio/virtio_device_config.hpp"

namespace vtdsim::virtio {

struct VirtioDeviceCounters {
  std::uint64_t notifications = 0;  // driver -> device (notify writes)
  std::uint64_t interrupts = 0;     // device -> driver
  std::uint64_t resets = 0;
  std::uint64_t features_rejected = 0;  // FEATURES_OK refused
  std::uint64_t needs_reset = 0;        // DEVICE_NEEDS_RESET raised after a DMA error
};

class VirtioPciDevice : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<VirtioPciDevice> dma_socket;
  tlm_utils::simple_target_socket<VirtioPciDevice> bar;

  const VirtioPciConfig& config() const { return config_; }
  std::uint16_t device_id() const { return device_id_; }
  std::uint64_t device_features() const { return device_features_; }
  std::uint64_t driver_features() const { return driver_features_; }
  bool negotiated(unsigned bit) const { return (driver_features_ >> bit) & 1; }
  std::uint8_t status() const { return status_; }
  bool driver_ok() const { return (status_ & kStatusDriverOk) && !(status_ & kStatusNeedsReset); }
  unsigned num_queues() const { return static_cast<unsigned>(queues_.size()); }
  SplitVirtqueue& queue(unsigned q) { return queues_[q].vq; }
  // Raised when the device interrupts the driver for queue q (MSI-X vector per queue).
  sc_core::sc_event& queue_irq(unsigned q) { return queues_[q].irq; }
  sc_core::sc_event& config_irq() { return config_irq_; }
  const VirtioDeviceCounters& counters() const { return counters_; }
  // The buggy-device engine (config().stale_dma); nullptr when disabled.
  const StaleDmaEngine* stale_dma() const { return stale_.get(); }
  void set_stale_dma_sink(StaleDmaSink* sink) {
    if (stale_) stale_->set_sink(sink);
  }
  // Sum of the DMA counters of every engine of this device.
  virtual sysc::DmaPortCounters dma_counters() const = 0;

 protected:
  VirtioPciDevice(sc_core::sc_module_name name, const VirtioPciConfig& config, std::uint16_t device_id,
                  unsigned num_queues, std::uint64_t device_specific_features);

  // Device-specific configuration space (4.1.4.6), little-endian.
  virtual std::uint64_t read_device_config(std::uint32_t offset, unsigned size) = 0;
  virtual void on_features_ok() {}
  virtual void on_reset() {}

  // Interrupt for queue q at the caller's local time offset (4.1.4.5: ISR bit 0).
  void raise_queue_interrupt(unsigned q, const sc_core::sc_time& local_offset);
  // A DMA error or malformed ring: set DEVICE_NEEDS_RESET and send a configuration interrupt (2.1.2).
  void set_needs_reset(const sc_core::sc_time& local_offset);
  sc_core::sc_event& queue_event(unsigned q) { return queues_[q].kick; }
  // Kicks are latched: a notify that arrives while the queue's thread is busy is not lost.
  void clear_kick(unsigned q) { queues_[q].kick_pending = false; }
  bool kick_pending(unsigned q) const { return queues_[q].kick_pending; }
  // Blocks until the driver notifies queue q or the device state changes (unless already latched).
  void wait_for_kick(unsigned q);
  sc_core::sc_event& state_event() { return state_event_; }
  // Applies negotiated ACCESS_PLATFORM to a DMA engine of this device.
  void configure_port(sysc::DmaPort& port) const;
  // The device put `chain` in the used ring (at its local time offset): the stale-DMA engine, if
  // enabled, keeps accessing its buffers.
  void buffer_completed(const DescChain& chain, const sc_core::sc_time& local) {
    if (stale_) stale_->completed(chain, local);
  }
  // Bumped by every reset; threads compare it to notice a reset while they were blocked.
  std::uint64_t generation() const { return generation_; }

  VirtioPciConfig config_;

 private:
  struct Queue {
    SplitVirtqueue vq;
    std::uint16_t size = 0;
    std::uint16_t enable = 0;
    std::uint16_t msix = 0xffff;
    std::uint64_t desc = 0, driver = 0, device = 0;
    bool kick_pending = false;
    sc_core::sc_event kick;
    sc_core::sc_event irq;
  };
  void bar_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  std::uint64_t read_common(std::uint32_t offset, unsigned size);
  void write_common(std::uint32_t offset, unsigned size, std::uint64_t value, const sc_core::sc_time& delay);
  void write_status(std::uint8_t value, const sc_core::sc_time& delay);
  void reset();

  std::uint16_t device_id_;
  std::uint64_t device_features_;
  std::uint64_t driver_features_ = 0;
  std::uint32_t device_feature_select_ = 0, driver_feature_select_ = 0;
  std::uint8_t status_ = 0;
  std::uint8_t config_generation_ = 0;
  std::uint8_t isr_ = 0;
  std::uint16_t queue_select_ = 0;
  std::uint16_t config_msix_ = 0xffff;
  std::uint64_t generation_ = 0;
  std::vector<Queue> queues_;
  sc_core::sc_event state_event_;
  sc_core::sc_event config_irq_;
  VirtioDeviceCounters counters_;
  std::unique_ptr<StaleDmaEngine> stale_;
};

}  // namespace vtdsim::virtio
