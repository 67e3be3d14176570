// The guest software as SystemC processes: boot (VT-d driver init, per-device virtio probe with
// the Linux-like DMA decision), then one workload per device (net tx/rx stream, net
// request-response, blk sequential/random read/write) driving the devices through their
// virtqueues and the DMA API, and the flush-queue timers of the lazy policy. Device i's
// threads (submissions and completions) run on guest CPU i mod cpus.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/guest/dma_api.hpp"
#include "vtdsim/guest/dma_policy.hpp"
#include "vtdsim/guest/virtio_driver.hpp"
#include "vtdsim/guest/vtd_driver.hpp"
#include "vtdsim/guest/dma_intent_sink.hpp"
#include "vtdsim/guest/event_sink.hpp"
#include "vtdsim/guest/guest_config.hpp"
#include "vtdsim/virtio/virtio_pci_device.hpp"
#include "vtdsim/timing/latency_histogram.hpp"

namespace vtdsim::guest {

struct WorkloadStats {
  std::uint64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0, rx_bad = 0;
  std::uint64_t transactions = 0;                                                      // rr
  std::uint64_t requests = 0, request_bytes = 0, request_errors = 0, data_errors = 0;  // blk
  std::uint64_t ring_full_waits = 0, map_failures = 0;
  timing::LatencyHistogram completion_ns;  // rr round trip / blk request latency
};

// Buffers of a device's workload threads. They live here, not on the threads' stacks: SystemC
// threads still blocked when the simulation ends are never unwound, so locals would leak.
struct WorkloadBuffers {
  struct BlkSlot {
    std::uint64_t meta = 0, data = 0;  // meta page: header at 0, status at 64
    std::uint64_t hdr_bus = 0, status_bus = 0;
    std::vector<std::uint64_t> data_bus;  // one bus address per data segment
    std::uint64_t sector = 0;
    sc_core::sc_time issued;
  };
  std::vector<unsigned char> tx_content;
  std::vector<std::uint16_t> tx_free;
  std::vector<std::uint64_t> tx_bus, rx_bus;
  std::vector<BlkSlot> blk_slots;
  std::vector<unsigned> blk_free;
  std::vector<Sg> blk_sg;  // header, data segments, status
};

struct GuestDevice {
  DeviceConfig config;
  virtio::VirtioPciDevice* device = nullptr;
  std::unique_ptr<VirtioDriver> driver;
  std::unique_ptr<DmaApi> dma;
  bool probed = false;
  bool dma_api = false;  // the virtio driver uses the DMA API
  DmaMode mode = DmaMode::kPhysical;
  std::string context;        // "translate", "pass-through", "none"
  unsigned submit_cpu = 0;    // guest CPU of the submitting thread (tx, blk requests): maps
  unsigned complete_cpu = 0;  // guest CPU of completions (rx, blk interrupts): unmaps
  WorkloadStats stats;
  WorkloadBuffers buffers;
  sc_core::sc_event rx_done;  // rr: a response arrived
};

class GuestOs : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(GuestOs);
  tlm_utils::simple_initiator_socket<GuestOs> mmio_socket;

  // iommu_base: the remapping unit's register window; seed: the workloads' random streams.
  GuestOs(sc_core::sc_module_name name, const GuestConfig& config, std::uint64_t iommu_base, std::uint64_t seed,
          GuestMemory& memory, DmaIntentSink* monitor, EventSink* log);
  void add_device(const DeviceConfig& config, virtio::VirtioPciDevice* device);
  // Called when the guest turns ATS on in a device (the ATS Control register's Enable bit, PCIe
  // ATS capability): for devices with `ats` that get a translated (TT = 01b) context.
  void set_ats_enable(std::function<void(SourceId)> enable) { ats_enable_ = std::move(enable); }

  std::vector<std::unique_ptr<GuestDevice>>& devices() { return devices_; }
  VtdDriver* vtd() { return vtd_.get(); }
  bool booted() const { return booted_; }
  // The DMA policy in force and why (decided at boot from guest.dma_policy and CAP/ECAP).
  const DmaPolicyDecision& dma_policy() const { return policy_; }
  MmioPort& mmio() { return mmio_; }

 private:
  void boot_thread();
  void lazy_timer_thread();  // the flush-queue timers of every lazy domain
  void probe(GuestDevice& d, tlm_utils::tlm_quantumkeeper& keeper);
  void start_workload(GuestDevice& d);
  void net_tx(GuestDevice* d);
  void net_rx(GuestDevice* d);
  void blk(GuestDevice* d);  // the device's phases, one after the other
  // One blk phase; false when the device stopped (DEVICE_NEEDS_RESET).
  bool blk_phase(GuestDevice* d, const WorkloadConfig& wl);
  sc_core::sc_time now(const tlm_utils::tlm_quantumkeeper& k) const {
    return sc_core::sc_time_stamp() + k.get_local_time();
  }

  GuestConfig config_;
  std::uint64_t seed_;
  GuestMemory& memory_;
  DmaIntentSink* monitor_;
  MmioPort mmio_;
  std::unique_ptr<VtdDriver> vtd_;
  std::vector<std::unique_ptr<GuestDevice>> devices_;
  bool booted_ = false;
  DmaPolicyDecision policy_;
  sc_core::sc_event fq_timer_armed_;
  std::function<void(SourceId)> ats_enable_;
};

}  // namespace vtdsim::guest
