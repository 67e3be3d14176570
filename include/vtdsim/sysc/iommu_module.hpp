// The VT-d remapping unit as a thin TLM-2.0 module (DESIGN.md "TLM shell") around iommu::Iommu,
// the same IOMMU the trace replayer drives: device DMA comes in on dma_in, Iommu::dma translates,
// times and records it, and the translated access goes out on mem_out; the module only turns the
// payload into a request and adds the request's latency to the annotated delay. Software reaches
// the registers through the mmio target socket (offsets relative to the register base, VT-d spec
// 11.4).
//
//  - The request issues at the initiator's local time (sc_time_stamp() + delay) truncated to whole
//    nanoseconds, the resolution of the trace formats, so that `vtdsim run --trace-out` records the
//    time the unit saw (DmaExtension::issue_ns) and its replay times the request identically.
//  - A faulting request gets TLM_ADDRESS_ERROR_RESPONSE and nothing is forwarded: a request that
//    spans several pages is translated completely before any byte is written.
//  - Forwarding follows the TLM-2.0 base protocol: a request whose pages are contiguous in host
//    memory goes on as itself with the host address (restored after); otherwise each contiguous
//    run goes in a payload of the module's own (pooled: no allocation once warm) with its data
//    pointer, length and the slice of the byte enables. Streaming bursts (width < length) get
//    TLM_BURST_ERROR_RESPONSE, byte enables of length 0 TLM_BYTE_ENABLE_ERROR_RESPONSE.
//  - DMI is never granted on dma_in (every translated access must be seen by the unit).
//  - fault_irq follows RemappingUnit::fault_interrupt_pending() (VT-d spec 7.3, fault event). It
//    is written only by the module's own method process (one driver, whichever initiator's call
//    changed the level: a device thread faulting, a driver thread clearing the record), one
//    delta cycle after the change.
//  - SystemC reporting: a request the shell refuses (above) is also an SC_REPORT_WARNING of type
//    vtdsim/iommu/tlm naming the mistake (programming errors of the initiator); with
//    set_report_faults(true) every DMA fault is an SC_REPORT_INFO of type vtdsim/iommu/fault
//    (source-id, IOVA, fault reason). Both go through sc_report_handler, so set_actions applies.
//  - AT (approximately timed): nb_transport_fw on dma_in follows the base protocol's four phases
//    (IEEE 1666-2011 15.2). BEGIN_REQ goes through a payload event queue to its own time; END_REQ
//    is sent when one of translation_slots() slots is free and held back while none is (the
//    backpressure: the initiator may not send its next request before it); the slot's thread
//    then translates and forwards through the same path as b_transport (transport(), issued at
//    the time of END_REQ, so AT requests reach the timing model in time order), waits the
//    latency and sends BEGIN_RESP on nb_transport_bw, one response at a time per initiator (the
//    response exclusion rule). The initiator ends the response with END_RESP on the forward
//    path, TLM_UPDATED + END_RESP or TLM_COMPLETED on the backward call; the slot is free again
//    then. LT and AT initiators may share dma_in.
//  - set_stats_dump(path): at the end of the simulation (end_of_simulation, after sc_stop) the
//    module writes iommu::to_json of its IOMMU (docs/stats.md) to path; a file it cannot write is
//    an SC_REPORT_WARNING of type "vtdsim/iommu", not an abort.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <vector>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/peq_with_cb_and_phase.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/sysc/dma_extension.hpp"

namespace vtdsim::sysc {

// What the TLM shell refused before the IOMMU saw a request (the IOMMU counts the rest).
struct IommuModuleCounters {
  std::uint64_t malformed = 0;  // no DmaExtension, zero length, neither read nor write, a streaming
                                // burst, or byte enables of length 0
  std::uint64_t too_large = 0;  // more than kMaxPagesPerRequest pages
};

class IommuModule : public sc_core::sc_module {
 public:
  static constexpr unsigned kMaxPagesPerRequest = 32;  // 128 KiB of 4K pages
  // AT requests held at once: VT-d and Intel's datasheets give no number; gem5's SMMUv3 device
  // interface has 16 translation slots (src/dev/arm/SMMUv3.py, xlate_slots), taken as the default.
  static constexpr unsigned kDefaultTranslationSlots = 16;

  tlm_utils::multi_passthrough_target_socket<IommuModule> dma_in;
  tlm_utils::simple_target_socket<IommuModule> mmio;
  tlm_utils::simple_initiator_socket<IommuModule> mem_out;
  sc_core::sc_signal<bool> fault_irq;
  sc_core::sc_event fault_event;  // notified when fault_irq rises

  SC_HAS_PROCESS(IommuModule);
  IommuModule(sc_core::sc_module_name name, iommu::Iommu& iommu);

  iommu::Iommu& iommu() { return iommu_; }
  const iommu::Iommu& iommu() const { return iommu_; }
  core::RemappingUnit& unit() { return iommu_.unit(); }
  const IommuModuleCounters& counters() const { return counters_; }
  // Where end_of_simulation writes the IOMMU's stats JSON ("" = nowhere, the default).
  void set_stats_dump(std::string path) { stats_dump_path_ = std::move(path); }
  // Whether every DMA fault is also an SC_REPORT_INFO (type vtdsim/iommu/fault); off by default.
  void set_report_faults(bool on) { report_faults_ = on; }
  // AT requests the module holds between END_REQ and the end of their response (>= 1); call
  // before the simulation starts.
  void set_translation_slots(unsigned slots);
  unsigned translation_slots() const { return slots_wanted_; }
  sc_core::sc_time cycles_to_time(std::uint64_t cycles) const;
  // The IOMMU cycle of local time t: t truncated to whole nanoseconds, then Iommu::cycle_at_ns.
  std::uint64_t issue_cycle(const sc_core::sc_time& t, std::uint64_t* ns = nullptr) const;

 private:
  void b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  // The one DMA path (LT and AT): translate at sc_time_stamp() + delay, forward on mem_out, add
  // the latency to delay; the outcome is in the payload's response status and DmaExtension.
  void transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  // AT (see the header comment).
  struct AtSlot {
    tlm::tlm_generic_payload* payload = nullptr;
    int id = 0;
    bool response_done = false;
    sc_core::sc_event start;
  };
  tlm::tlm_sync_enum nb_transport_fw(int id, tlm::tlm_generic_payload& payload, tlm::tlm_phase& phase,
                                     sc_core::sc_time& t);
  void at_phase(tlm::tlm_generic_payload& payload, const tlm::tlm_phase& phase);  // the queue's callback
  void at_accept(AtSlot& slot, tlm::tlm_generic_payload& payload, int id);        // END_REQ
  void at_slot_thread(AtSlot& slot);
  int at_initiator(const tlm::tlm_generic_payload& payload) const;
  void end_of_elaboration() override;
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& payload);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  void mmio_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  struct PooledPayload {
    tlm::tlm_generic_payload payload;
    std::vector<unsigned char> byte_enables;  // one request's worth
  };
  PooledPayload& take_payload();
  void give_back(PooledPayload& p);
  void end_of_simulation() override;
  void refuse(tlm::tlm_generic_payload& payload, tlm::tlm_response_status status, std::uint64_t& counter,
              const std::string& why);
  void update_fault_line();  // from any process: schedules drive_fault_irq on a change
  void drive_fault_irq();    // the method process, the one writer of fault_irq

  iommu::Iommu& iommu_;
  IommuModuleCounters counters_;
  double ns_per_cycle_;
  std::vector<std::unique_ptr<PooledPayload>> pool_;
  std::vector<PooledPayload*> free_payloads_;
  bool irq_level_ = false;
  std::string stats_dump_path_;
  bool report_faults_ = false;
  sc_core::sc_event irq_changed_;
  // AT state: sized at the end of elaboration, no allocation per request.
  tlm_utils::peq_with_cb_and_phase<IommuModule> at_peq_;
  unsigned slots_wanted_ = kDefaultTranslationSlots;
  std::vector<std::unique_ptr<AtSlot>> at_slots_;
  std::vector<AtSlot*> at_free_;
  struct AtTxn {
    tlm::tlm_generic_payload* payload;
    int id;
  };
  std::vector<AtTxn> at_txns_;       // transactions between BEGIN_REQ and the end of the response
  std::vector<AtTxn> at_waiting_;    // BEGIN_REQ seen, END_REQ held back (no free slot), in order
  std::vector<char> at_responding_;  // per initiator: a BEGIN_RESP not yet ended
  sc_core::sc_event at_response_ended_;
};

}  // namespace vtdsim::sysc
