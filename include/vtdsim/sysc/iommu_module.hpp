// The VT-d remapping unit as a thin TLM-2.0 module (DESIGN.md "TLM shell"): device DMA comes in on
// dma_in, is translated by core::RemappingUnit, and the translated access goes out on mem_out;
// the module only adds the timing model's latency to the annotated delay. Software reaches the
// registers through the mmio target socket (offsets relative to the register base, VT-d spec 11.4).
//
//  - A faulting request gets TLM_ADDRESS_ERROR_RESPONSE and nothing is forwarded: a request that
//    spans several pages is translated completely before any byte is written.
//  - DMI is never granted on dma_in (every translated access must be seen by the unit).
//  - fault_irq follows RemappingUnit::fault_interrupt_pending() (VT-d spec 7.3, fault event).
#pragma once
#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/core/ats_endpoints.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/stats/stats_recorder.hpp"
#include "vtdsim/timing/timing_model.hpp"

namespace vtdsim::sysc {

struct IommuCounters {
  std::uint64_t requests = 0;         // DMA requests received (before page splitting)
  std::uint64_t translations = 0;     // translate() calls (one per page touched)
  std::uint64_t faults = 0;           // requests answered with an error
  std::uint64_t iotlb_hits = 0;
  std::uint64_t device_tlb_hits = 0;  // answered by the device's own TLB (ATS)
  std::uint64_t untranslated = 0;     // pass-through or TE=0
  std::uint64_t mmio_reads = 0, mmio_writes = 0;
  std::uint64_t busy_cycles = 0;      // sum of translation latencies (cycles)
};

class IommuModule : public sc_core::sc_module {
 public:
  static constexpr unsigned kMaxPagesPerRequest = 32;  // 128 KiB of 4K pages

  tlm_utils::multi_passthrough_target_socket<IommuModule> dma_in;
  tlm_utils::simple_target_socket<IommuModule> mmio;
  tlm_utils::simple_initiator_socket<IommuModule> mem_out;
  sc_core::sc_signal<bool> fault_irq;
  sc_core::sc_event fault_event;      // notified when fault_irq rises

  IommuModule(sc_core::sc_module_name name, core::RemappingUnit& unit);

  // Devices with ATS (platform.devices[].ats): their DMA goes through `ats` (device-TLB lookup,
  // translated request on a hit, translation request on a miss) instead of straight to the unit.
  // The device TLBs live in the devices; this is where their requests meet the unit, and
  // AtsEndpoints sends every device's requests to the unit unchanged unless its ATS is enabled.
  void set_ats(core::AtsEndpoints* ats) { ats_ = ats; }
  const core::AtsEndpoints* ats() const { return ats_; }
  core::RemappingUnit& unit() { return unit_; }
  const IommuCounters& counters() const { return counters_; }
  // Per-translation statistics in the same layout as `vtdsim replay` (stats::StatsRecorder).
  const stats::StatsRecorder& recorder() const { return recorder_; }
  timing::TimingModel& timing() { return timing_; }
  const timing::TimingModel& timing() const { return timing_; }
  sc_core::sc_time cycles_to_time(std::uint64_t cycles) const;
  std::uint64_t time_to_cycles(const sc_core::sc_time& t) const;

 private:
  void b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& payload);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  void mmio_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void update_fault_line();

  core::RemappingUnit& unit_;
  core::AtsEndpoints* ats_ = nullptr;
  timing::TimingModel timing_;
  stats::StatsRecorder recorder_;
  IommuCounters counters_;
  double ns_per_cycle_;
  bool irq_level_ = false;
};

}  // namespace vtdsim::sysc
