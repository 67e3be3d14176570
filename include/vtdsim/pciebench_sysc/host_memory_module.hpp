// Host memory behind the root complex for the SystemC pcie-bench (timing only: reads return
// zeros, writes are dropped; the bench measures time, not data). A TLM-2.0 LT target: an access
// arrives at sc_time_stamp() + delay, the time its translation finished (IommuModule's annotated
// delay; the arrival itself with the IOMMU off), and gets the discrete-event engine's memory
// arithmetic (pciebench::HostMemory: FIFO over 64 B lines, read data after the latency, a posted
// write committed when served).
// Before that, the request leaves the root complex's translation stage (pciebench::
// TranslationQueue::leave, the queue the PcieLinkModule entered it through): in arrival order
// where the PCIe ordering rules or the configuration ask for it, posted writes always (PCIe Base
// spec 2.4.1), reads with root_complex.in_order_translation. Calls come in arrival order (the
// link forwards TLPs in arrival order), so "the one before" is the last call.
#pragma once
#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "vtdsim/pciebench/host_memory.hpp"
#include "vtdsim/pciebench/translation_queue.hpp"

namespace vtdsim::pciebench_sysc {

struct HostMemoryCounters {
  std::uint64_t reads = 0, writes = 0, read_bytes = 0, write_bytes = 0;
};

class HostMemoryModule : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<HostMemoryModule> socket;

  HostMemoryModule(sc_core::sc_module_name name, double bandwidth_gbyte_per_s, double latency_ns,
                   pciebench::TranslationQueue& queue);

  const HostMemoryCounters& counters() const { return counters_; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);

  pciebench::HostMemory memory_;
  pciebench::TranslationQueue& queue_;
  HostMemoryCounters counters_;
};

}  // namespace vtdsim::pciebench_sysc
