// Host DRAM as a TLM-2.0 loosely-timed target. Backed by the same mem::SparseMemory object the
// remapping unit reads its tables from, so what devices write is what the core and the guest see.
#pragma once
#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/sysc/memory_timing.hpp"

namespace vtdsim::sysc {

struct MemoryCounters {
  std::uint64_t reads = 0, writes = 0, read_bytes = 0, write_bytes = 0, errors = 0;
};

class MemoryModule : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<MemoryModule> socket;

  MemoryModule(sc_core::sc_module_name name, mem::SparseMemory& memory, const MemoryTiming& timing);

  const MemoryCounters& counters() const { return counters_; }
  mem::SparseMemory& memory() { return memory_; }
  sc_core::sc_time access_time(std::uint64_t bytes) const;

 private:
  void b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& payload);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);
  bool access(tlm::tlm_generic_payload& payload);

  mem::SparseMemory& memory_;
  MemoryTiming timing_;
  sc_core::sc_time latency_;
  double ns_per_byte_ = 0.0;
  MemoryCounters counters_;
};

}  // namespace vtdsim::sysc
