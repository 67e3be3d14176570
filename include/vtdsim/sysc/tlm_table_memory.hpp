// mem::PhysicalMemory over a TLM-2.0 initiator socket (issue 15, "walks and queue traffic over
// TLM"): the IOMMU's root, context, PASID and paging structures (VT-d spec 3.4, 9.1-9.8), its
// invalidation queue (spec 6.5.2: descriptor fetches, wait-descriptor status writes, 6.5.2.8) and
// the first-stage A/D updates (spec 3.6.2) become transactions on IommuModule::mem_out, so the
// tables live in whatever memory the platform binds there.
//
//  - Timed mode: every access is one b_transport of a payload of this object's own (reused: no
//    allocation per access), with the access's own data buffer. The first access of a DMA is
//    issued at the DMA's local time (start_at), each further one at the end of the previous one
//    (the reads of a walk depend on each other: their delays add up). The memory's annotated delay
//    (and any time it waited) is summed in elapsed_ps(); iommu::Iommu hands a translation's part
//    of it to the timing model, which charges it in place of timing.memory_read.
//  - Functional mode: every access is a transport_dbg (zero time, no wait, nothing to time);
//    timed() is false, so the timing model charges timing.memory_read per read as it does with the
//    model's own memory, and a run gives the same latencies as with SparseMemory.
//  - An access fails (the walker's access-error fault, a queue fetch error) when the target
//    answers with an error response (timed) or moves fewer bytes than asked (functional).
// The payload carries no extension and never asks for DMI. b_transport may wait in the target,
// so timed accesses must come from a SystemC thread (or outside any process), as the DMAs and MMIO
// writes that cause them do.
#pragma once
#include <cstdint>
#include <systemc>
#include <tlm>

#include "vtdsim/mem/physical_memory.hpp"

namespace vtdsim::sysc {

enum class TableAccess : std::uint8_t {
  kTimed,       // b_transport; the memory's delays are the walk's memory time
  kFunctional,  // transport_dbg; zero time, the timing model's memory_read per read
};

class TlmTableMemory final : public mem::PhysicalMemory {
 public:
  TlmTableMemory(tlm::tlm_initiator_socket<>& socket, TableAccess mode) : socket_(socket), mode_(mode) {}

  bool read64(std::uint64_t addr, std::uint64_t& out) const override {
    return (addr & 7) == 0 && access(tlm::TLM_READ_COMMAND, addr, &out, 8);
  }
  bool write64(std::uint64_t addr, std::uint64_t value) override {
    return (addr & 7) == 0 && access(tlm::TLM_WRITE_COMMAND, addr, &value, 8);
  }
  bool read32(std::uint64_t addr, std::uint32_t& out) const override {
    return (addr & 3) == 0 && access(tlm::TLM_READ_COMMAND, addr, &out, 4);
  }
  bool write32(std::uint64_t addr, std::uint32_t value) override {
    return (addr & 3) == 0 && access(tlm::TLM_WRITE_COMMAND, addr, &value, 4);
  }
  bool read(std::uint64_t addr, void* dst, std::size_t size) const override {
    return access(tlm::TLM_READ_COMMAND, addr, dst, size);
  }
  bool write(std::uint64_t addr, const void* src, std::size_t size) override {
    return access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), size);  // NOLINT: a write only reads it
  }

  bool timed() const override { return mode_ == TableAccess::kTimed; }
  // While set, every access is a transport_dbg whatever the mode (and adds no time): the walk of a
  // debug access (IommuModule::transport_dbg) must not take time or wait.
  void set_debug(bool on) const { debug_ = on; }
  std::uint64_t elapsed_ps() const override { return elapsed_ps_; }

  // The local time offset (from sc_time_stamp()) at which the next access is issued: the caller's
  // annotated delay when a DMA or a register write reaches the unit.
  void start_at(const sc_core::sc_time& local_offset) const { cursor_ = local_offset; }
  TableAccess mode() const { return mode_; }
  std::uint64_t accesses() const { return accesses_; }

 private:
  bool access(tlm::tlm_command command, std::uint64_t addr, void* data, std::size_t size) const;

  tlm::tlm_initiator_socket<>& socket_;
  TableAccess mode_;
  // Mutable: a read is const for the walker (it does not change memory) but uses the payload.
  mutable tlm::tlm_generic_payload payload_;
  mutable sc_core::sc_time cursor_ = sc_core::SC_ZERO_TIME;
  mutable std::uint64_t elapsed_ps_ = 0;
  mutable std::uint64_t accesses_ = 0;
  mutable bool debug_ = false;
};

}  // namespace vtdsim::sysc
