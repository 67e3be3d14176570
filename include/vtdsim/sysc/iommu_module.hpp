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
//  - Interrupt lines: fault_irq follows RemappingUnit::fault_interrupt_pending() (VT-d spec 7.3,
//    fault event) and inv_irq invalidation_interrupt_pending() (ICS.IWC with IECTL.IM clear, spec
//    7.4 / 11.4 ICS_REG). Both are sc_out<bool> ports written only by the module's own method
//    process (one driver, whichever initiator's call changed the level: a device thread faulting,
//    a driver thread clearing the record), one delta cycle after the change. A port the platform
//    leaves unbound is bound to a signal of the module's own before the end of elaboration, so
//    `fault_irq.read()` and `sensitive << fault_irq` work either way.
//  - Interrupt messages: each fault event and invalidation completion event message the unit sends
//    (spec 7.3.1 and 7.4: an unmasked event, or clearing IM with IP set) is, when msi_out is bound,
//    a 4-byte write of FEDATA to FEUADDR:FEADDR (IEDATA to IEUADDR:IEADDR), the registers'
//    values when the event happened, issued by the module's own thread at the local time of the
//    access that caused it (the PCI MSI form the spec's interrupt messages take). Unbound, the
//    messages are only counted (messages()).
//  - reset(): the unit's registers and caches to their reset state (RemappingUnit::reset), both
//    lines low, queued messages dropped; statistics are kept.
//  - SystemC reporting: a request the shell refuses (above) is also an SC_REPORT_WARNING of type
//    vtdsim/iommu/tlm naming the mistake (programming errors of the initiator); with
//    set_report_faults(true) every DMA fault is an SC_REPORT_INFO of type vtdsim/iommu/fault
//    (source-id, IOVA, fault reason). Both go through sc_report_handler, so set_actions applies.
//  - Where the tables live: the first constructor takes an Iommu built on memory the caller owns
//    (the model's SparseMemory: platform/, `vtdsim run`); the second builds and owns an Iommu whose
//    root, context, PASID and paging structures, invalidation queue and wait-status writes are
//    accessed over mem_out (TlmTableMemory): in the platform's own memory target, timed
//    (b_transport, the memory's delays are the walk's memory time) or functional (transport_dbg).
//  - transport_dbg on dma_in (needs a DmaExtension for the source-id): the translation the DMA
//    would get from the tables (RemappingUnit::translate_debug: no cache, statistics, fault record
//    or A/D bit touched; its walk is itself debug accesses), then transport_dbg on mem_out with the
//    host address, per run of host-contiguous pages; returns the bytes the target moved, 0 on a
//    translation fault, without a DmaExtension, or beyond kMaxPagesPerRequest pages. Byte enables
//    and streaming width are ignored, as for any debug transport (IEEE 1666-2011 11.3, the debug
//    transport interface).
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
#include <deque>
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
#include "vtdsim/sysc/tlm_table_memory.hpp"

namespace vtdsim::sysc {

// What the TLM shell refused before the IOMMU saw a request (the IOMMU counts the rest).
struct IommuModuleCounters {
  std::uint64_t malformed = 0;  // no DmaExtension, zero length, neither read nor write, a streaming
                                // burst, or byte enables of length 0
  std::uint64_t too_large = 0;  // more than kMaxPagesPerRequest pages
};

// Interrupt messages the unit sent (VT-d spec 7.3.1, 7.4) and those written on msi_out.
struct IommuMessageCounters {
  std::uint64_t fault = 0, invalidation = 0;  // sent by the unit
  std::uint64_t written = 0;                  // of those, written on msi_out (bound)
  std::uint64_t write_errors = 0;             // writes the target answered with an error
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
  tlm_utils::simple_initiator_socket_optional<IommuModule> msi_out;  // interrupt messages
  sc_core::sc_out<bool> fault_irq;                                   // fault event line
  sc_core::sc_out<bool> inv_irq;                                     // invalidation completion event line
  sc_core::sc_event fault_event;                                     // notified when fault_irq rises
  sc_core::sc_event invalidation_event;                              // notified when inv_irq rises

  SC_HAS_PROCESS(IommuModule);
  IommuModule(sc_core::sc_module_name name, iommu::Iommu& iommu);
  // The IOMMU's tables in the platform's memory: owns an Iommu built from `config` on a
  // TlmTableMemory over mem_out (no YAML needed: config::UnitConfig{} is the default unit).
  IommuModule(sc_core::sc_module_name name, const config::UnitConfig& config, TableAccess tables = TableAccess::kTimed);
  // The memory over mem_out the owned Iommu uses (nullptr with the first constructor).
  const TlmTableMemory* table_memory() const { return table_memory_.get(); }

  iommu::Iommu& iommu() { return iommu_; }
  const iommu::Iommu& iommu() const { return iommu_; }
  core::RemappingUnit& unit() { return iommu_.unit(); }
  const IommuModuleCounters& counters() const { return counters_; }
  const IommuMessageCounters& messages() const { return messages_; }
  // A reset of the unit (see the header comment); call from any process.
  void reset();
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
  void bind_processes();  // both constructors: socket callbacks, the line and message processes
  // After the IOMMU accessed the tables over mem_out from a call at local time stamp_before +
  // delay: a target that waited moved sc_time_stamp(); take that out of delay.
  void discount_waits(const sc_core::sc_time& stamp_before, sc_core::sc_time& delay) const;
  void before_end_of_elaboration() override;
  // From any process, after an access at local time `at`: schedules drive_lines on a level
  // change and queues the messages the unit sent.
  void update_lines(const sc_core::sc_time& at);
  void drive_lines();    // the method process, the one writer of fault_irq and inv_irq
  void send_messages();  // the thread that writes queued messages on msi_out
  struct Message {
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    sc_core::sc_time at;
  };
  void queue_message(std::uint64_t address, std::uint32_t data, const sc_core::sc_time& at);

  std::unique_ptr<TlmTableMemory> table_memory_;  // second constructor only
  std::unique_ptr<iommu::Iommu> owned_iommu_;     // second constructor only
  iommu::Iommu& iommu_;
  IommuModuleCounters counters_;
  double ns_per_cycle_;
  std::vector<std::unique_ptr<PooledPayload>> pool_;
  std::vector<PooledPayload*> free_payloads_;
  bool fault_level_ = false, inv_level_ = false;
  std::string stats_dump_path_;
  bool report_faults_ = false;
  sc_core::sc_event lines_changed_;
  sc_core::sc_signal<bool> own_fault_irq_, own_inv_irq_;  // bound when the platform leaves a line unbound
  IommuMessageCounters messages_;
  std::uint64_t seen_fault_messages_ = 0, seen_inv_messages_ = 0;  // the unit's counters last seen
  std::deque<Message> message_queue_;                              // rare: an event per fault burst or wait-with-IF
  sc_core::sc_event message_queued_;
  tlm::tlm_generic_payload message_payload_;
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
