// The CPU's uncached MMIO accesses (to device BARs and the VT-d registers) through the platform's
// root complex. Each access costs the annotated delay of the path, kept in the calling thread's
// quantum keeper.
#pragma once
#include <cstdint>
#include <cstring>
#include <tlm>
#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace vtdsim::guest {

class MmioPort {
 public:
  explicit MmioPort(tlm::tlm_initiator_socket<>& socket) : socket_(socket) {}

  std::uint64_t read(std::uint64_t addr, unsigned size, tlm_utils::tlm_quantumkeeper& keeper) {
    std::uint64_t value = 0;
    access(tlm::TLM_READ_COMMAND, addr, &value, size, keeper);
    return value;
  }
  void write(std::uint64_t addr, unsigned size, std::uint64_t value, tlm_utils::tlm_quantumkeeper& keeper) {
    access(tlm::TLM_WRITE_COMMAND, addr, &value, size, keeper);
  }
  std::uint64_t accesses() const { return accesses_; }
  std::uint64_t errors() const { return errors_; }

 private:
  void access(tlm::tlm_command cmd, std::uint64_t addr, std::uint64_t* value, unsigned size,
              tlm_utils::tlm_quantumkeeper& keeper) {
    // One payload for every access of every guest thread: targets of MMIO never wait, so no
    // two accesses overlap, and no payload is left on a thread stack that is never unwound.
    tlm::tlm_generic_payload& p = payload_;
    p.set_command(cmd);
    p.set_address(addr);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(value));
    p.set_data_length(size);
    p.set_streaming_width(size);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = keeper.get_local_time();
    socket_->b_transport(p, delay);
    keeper.set(delay);
    ++accesses_;
    if (p.get_response_status() != tlm::TLM_OK_RESPONSE) {
      ++errors_;
      if (cmd == tlm::TLM_READ_COMMAND) *value = ~0ull >> (64 - 8 * size);  // master abort: all ones
    }
    if (keeper.need_sync()) keeper.sync();
  }

  tlm::tlm_initiator_socket<>& socket_;
  tlm::tlm_generic_payload payload_;
  std::uint64_t accesses_ = 0, errors_ = 0;
};

}  // namespace vtdsim::guest
