#include "vtdsim/sysc/tlm_table_memory.hpp"

#include <cmath>

namespace vtdsim::sysc {

bool TlmTableMemory::access(tlm::tlm_command command, std::uint64_t addr, void* data, std::size_t size) const {
  if (size == 0 || size > 0xffffffffu) return false;
  ++accesses_;
  tlm::tlm_generic_payload& p = payload_;
  p.set_command(command);
  p.set_address(addr);
  p.set_data_ptr(static_cast<unsigned char*>(data));
  p.set_data_length(static_cast<unsigned>(size));
  p.set_streaming_width(static_cast<unsigned>(size));
  p.set_byte_enable_ptr(nullptr);
  p.set_byte_enable_length(0);
  p.set_dmi_allowed(false);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (mode_ == TableAccess::kFunctional || debug_) return socket_->transport_dbg(p) == size;
  // Time from the issue of this access to the end the target annotated, including any time the
  // target waited (sc_time_stamp() moved): sc_time is an integer count of the resolution.
  const sc_core::sc_time issued = sc_core::sc_time_stamp() + cursor_;
  sc_core::sc_time delay = cursor_;
  socket_->b_transport(p, delay);
  const sc_core::sc_time ended = sc_core::sc_time_stamp() + delay;
  cursor_ = delay;
  if (ended > issued) {
    elapsed_ps_ += static_cast<std::uint64_t>(std::llround((ended - issued).to_seconds() * 1e12));
  }
  return p.is_response_ok();
}

}  // namespace vtdsim::sysc
