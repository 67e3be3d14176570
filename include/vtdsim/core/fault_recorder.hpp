// Primary fault logging (VT-d spec 7.2.1): fault recording registers, PFO/PPF in FSTS, and the
// fault event (spec 7.3). Owns the fault-status register block: FSTS (11.4), FECTL (11.4),
// FEDATA/FEADDR/FEUADDR (11.4-5) and the fault recording registers FRCD (11.4);
// RemappingUnit routes MMIO accesses at those offsets here. OWNER: registers work.
#pragma once
#include <cstdint>
#include <vector>

#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::core {

struct FaultRecord {
  SourceId source;
  Pasid pasid;
  std::uint64_t address = 0;  // faulting page address (bits 63:12)
  Access access = Access::kRead;
  spec::FaultReason reason = spec::FaultReason::kNone;
  AddressType address_type = AddressType::kUntranslated;  // FRCD.AT
  bool privileged = false;                                // FRCD.PRIV (PASID requests with privilege)
  bool execute = false;                                   // FRCD.EXE
};

struct FaultCounters {
  std::uint64_t faults = 0;    // record() calls
  std::uint64_t recorded = 0;  // written to a fault recording register
  std::uint64_t dropped = 0;   // lost to overflow (PFO set or next record still in use)
  std::uint64_t events = 0;    // fault event conditions (FECTL.IP set or message sent)
  std::uint64_t messages = 0;  // fault event interrupt messages sent
};

class FaultRecorder {
 public:
  // records = CAP.NFR; address_width = MGAW (FRCD.FI bits at and above it are recorded as 0).
  explicit FaultRecorder(unsigned records, unsigned address_width = 64);
  // Records a fault (or sets PFO when the next record is still in use). Allocation-free.
  void record(const FaultRecord& fault);

  unsigned records() const { return static_cast<unsigned>(slots_.size()); }

  // Register views. Dword index 0..3 within a 128-bit fault recording register.
  std::uint32_t read_fsts() const;
  void write_fsts(std::uint32_t value);  // PFO, IQE, ICE, ITE are RW1C; PPF, FRI RO
  std::uint32_t read_fectl() const;
  void write_fectl(std::uint32_t value);  // IM RW; IP RO
  std::uint32_t read_record(unsigned index, unsigned dword) const;
  void write_record(unsigned index, unsigned dword, std::uint32_t value);  // F (bit 127) RW1C
  std::uint32_t fedata() const { return fedata_; }
  std::uint32_t feaddr() const { return feaddr_; }
  std::uint32_t feuaddr() const { return feuaddr_; }
  void write_fedata(std::uint32_t v) { fedata_ = v & 0xffff; }  // IMD [15:0] (EIMD removed, rev 4)
  void write_feaddr(std::uint32_t v) { feaddr_ = v & ~3u; }     // MA [31:2]
  void write_feuaddr(std::uint32_t v) { feuaddr_ = v; }

  // Sets invalidation-queue error status (FSTS.IQE / ICE / ITE) and signals a fault event if
  // no event-causing status was already set (spec 7.3.1).
  void raise_status(std::uint32_t fsts_bits);

  // The decoded content of record `index` and whether its F bit is set.
  bool pending(unsigned index) const { return index < slots_.size() && slots_[index].f; }
  const FaultRecord& record_at(unsigned index) const { return slots_[index].rec; }
  unsigned next_index() const { return next_; }

  // Level view of the fault interrupt: an event-causing FSTS status is set and FECTL.IM is clear.
  bool interrupt_pending() const;
  const FaultCounters& counters() const { return counters_; }

 private:
  struct Slot {
    FaultRecord rec;
    bool f = false;
  };
  bool any_pending() const { return pending_count_ != 0; }
  std::uint32_t causes() const;  // event-causing FSTS bits currently set
  // Called after a status bit was set; `before` = causes() before it.
  void event_if_new(std::uint32_t before);

  std::vector<Slot> slots_;
  std::uint64_t fi_mask_;
  unsigned pending_count_ = 0;
  unsigned next_ = 0;         // index of the register the next fault goes to
  std::uint32_t status_ = 0;  // PFO, IQE, ICE, ITE (PPF derived; FRI below)
  std::uint32_t fri_ = 0;
  bool im_ = true;  // FECTL.IM resets to 1 (11.4)
  bool ip_ = false;
  std::uint32_t fedata_ = 0, feaddr_ = 0, feuaddr_ = 0;
  FaultCounters counters_;
};

}  // namespace vtdsim::core
