#include "vtdsim/sysc/memory_module.hpp"

namespace vtdsim::sysc {

MemoryModule::MemoryModule(sc_core::sc_module_name name, mem::SparseMemory& memory, const MemoryTiming& timing)
    : sc_core::sc_module(name),
      socket("socket"),
      memory_(memory),
      timing_(timing),
      latency_(timing.latency_ns, sc_core::SC_NS) {
  if (timing.bandwidth_gbps > 0) ns_per_byte_ = 1.0 / timing.bandwidth_gbps;  // GB/s = bytes/ns
  socket.register_b_transport(this, &MemoryModule::b_transport);
  socket.register_transport_dbg(this, &MemoryModule::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &MemoryModule::get_direct_mem_ptr);
}

sc_core::sc_time MemoryModule::access_time(std::uint64_t bytes) const {
  return latency_ + sc_core::sc_time(ns_per_byte_ * static_cast<double>(bytes), sc_core::SC_NS);
}

bool MemoryModule::access(tlm::tlm_generic_payload& payload) {
  // Byte enables and streaming are not used by DMA engines here; reject rather than ignore them.
  if (payload.get_byte_enable_ptr() != nullptr ||
      (payload.get_streaming_width() != 0 && payload.get_streaming_width() < payload.get_data_length())) {
    payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  const std::uint64_t addr = payload.get_address();
  const std::size_t len = payload.get_data_length();
  bool ok = false;
  if (payload.is_read()) {
    ok = memory_.read(addr, payload.get_data_ptr(), len);
  } else if (payload.is_write()) {
    ok = memory_.write(addr, payload.get_data_ptr(), len);
  } else {
    payload.set_response_status(tlm::TLM_OK_RESPONSE);  // TLM_IGNORE_COMMAND
    return true;
  }
  payload.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
  return ok;
}

void MemoryModule::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const bool ok = access(payload);
  const std::uint64_t len = payload.get_data_length();
  if (!ok) {
    ++counters_.errors;
  } else if (payload.is_read()) {
    ++counters_.reads;
    counters_.read_bytes += len;
  } else if (payload.is_write()) {
    ++counters_.writes;
    counters_.write_bytes += len;
  }
  delay += access_time(len);
  payload.set_dmi_allowed(false);
}

unsigned MemoryModule::transport_dbg(int, tlm::tlm_generic_payload& payload) {
  return access(payload) ? payload.get_data_length() : 0;
}

bool MemoryModule::get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  // SparseMemory is page-granular and allocates on write, so it cannot hand out one host pointer
  // for a range: DMI is never granted (the bypass path stays on b_transport).
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
  dmi.set_start_address(0);
  dmi.set_end_address(~0ull);
  return false;
}

}  // namespace vtdsim::sysc
