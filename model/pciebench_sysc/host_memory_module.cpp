#include "vtdsim/pciebench_sysc/host_memory_module.hpp"

#include <algorithm>
#include <cstring>

#include "vtdsim/pciebench_sysc/pcie_link_module.hpp"

namespace vtdsim::pciebench_sysc {

HostMemoryModule::HostMemoryModule(sc_core::sc_module_name name, double bandwidth_gbyte_per_s, double latency_ns,
                                   pciebench::TranslationQueue& queue)
    : sc_core::sc_module(name), socket("socket"), memory_(bandwidth_gbyte_per_s, latency_ns), queue_(queue) {
  socket.register_b_transport(this, &HostMemoryModule::b_transport);
}

void HostMemoryModule::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const auto len = static_cast<std::uint32_t>(payload.get_data_length());
  const double arrival = now_ns() + delay / sc_core::sc_time(1, sc_core::SC_NS);
  const double t = queue_.leave(arrival, payload.is_write());
  double done = t;
  if (payload.is_read()) {
    done = memory_.read_ready(t, len);
    std::memset(payload.get_data_ptr(), 0, len);
    ++counters_.reads;
    counters_.read_bytes += len;
  } else if (payload.is_write()) {
    done = memory_.write_committed(t, len);
    ++counters_.writes;
    counters_.write_bytes += len;
  }
  delay += sc_core::sc_time(done - arrival, sc_core::SC_NS);
  payload.set_dmi_allowed(false);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace vtdsim::pciebench_sysc
