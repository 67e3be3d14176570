// PCIe root complex: routes each device's DMA either through the IOMMU or straight to memory
// (per platform description: a device outside every DMAR device scope, or one the platform simply
// does not translate, bypasses), and routes CPU-side MMIO to device BARs and the IOMMU registers.
// Every DMA is reported to the observers after it completes (stats, consistency check, trace).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/dma_route.hpp"

namespace vtdsim::sysc {

// One completed DMA as the root complex saw it.
struct DmaRecord {
  SourceId source;
  Pasid pasid;
  std::uint64_t bus_addr = 0;  // address the device issued
  std::uint32_t size = 0;
  Access access = Access::kRead;
  bool translated = false;  // went through the IOMMU
  bool ok = false;          // TLM_OK_RESPONSE
  HostAddr host;            // host address of the first byte (bus_addr when direct)
  spec::FaultReason fault = spec::FaultReason::kNone;
  core::CacheOutcome outcome;
  sc_core::sc_time start;      // local time of the initiator when issued
  sc_core::sc_time latency;    // annotated delay added by the path (IOMMU + memory + hop)
  std::uint64_t issue_ns = 0;  // translated: the nanosecond the IOMMU issued it at
};

class DmaObserver {
 public:
  virtual ~DmaObserver() = default;
  virtual void on_dma(const DmaRecord& record) = 0;
};

class RootComplex : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<RootComplex> dma_in;  // device DMA initiators
  tlm_utils::simple_initiator_socket<RootComplex> to_iommu;
  tlm_utils::simple_initiator_socket<RootComplex> to_memory;
  tlm_utils::simple_target_socket<RootComplex> cpu_in;                  // CPU MMIO
  tlm_utils::multi_passthrough_initiator_socket<RootComplex> mmio_out;  // BARs, IOMMU registers

  RootComplex(sc_core::sc_module_name name, double hop_latency_ns);

  void set_route(SourceId source, DmaRoute route);
  DmaRoute route(SourceId source) const { return routes_[source.value]; }
  // MMIO window [base, base + size) goes to mmio_out port `port` (bind order), address made
  // relative to base.
  void add_mmio_window(const std::string& name, std::uint64_t base, std::uint64_t size, unsigned port);
  void add_observer(DmaObserver* observer) { observers_.push_back(observer); }

  std::uint64_t mmio_errors() const { return mmio_errors_; }

 private:
  struct Window {
    std::string name;
    std::uint64_t base, size;
    unsigned port;
  };
  void dma_b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void cpu_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);

  sc_core::sc_time hop_;
  std::vector<DmaRoute> routes_;  // indexed by source-id (65536 entries)
  std::vector<Window> windows_;
  std::vector<DmaObserver*> observers_;
  std::uint64_t mmio_errors_ = 0;
};

}  // namespace vtdsim::sysc
