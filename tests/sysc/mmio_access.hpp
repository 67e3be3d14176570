// A register access over a TLM initiator socket, as a driver thread makes it (SystemC tests).
#pragma once
#include <cstdint>
#include <systemc>
#include <tlm>

namespace vtdsim::test {

// Reads or writes `size` bytes at `offset`; returns the value read (or `value`). The annotated
// delay is added to `delay`; the status is in `*status` when given.
template <class Socket>
std::uint64_t mmio_access(Socket& socket, bool write, std::uint32_t offset, unsigned size, std::uint64_t value,
                          sc_core::sc_time& delay, tlm::tlm_response_status* status = nullptr) {
  tlm::tlm_generic_payload p;
  p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  p.set_address(offset);
  p.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  p.set_data_length(size);
  p.set_streaming_width(size);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  socket->b_transport(p, delay);
  if (status) *status = p.get_response_status();
  return value;
}

}  // namespace vtdsim::test
