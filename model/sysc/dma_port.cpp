#include "vtdsim/sysc/dma_port.hpp"

#include <algorithm>

namespace vtdsim::sysc {

DmaPort::DmaPort(tlm::tlm_initiator_socket<>& socket, tlm_utils::tlm_quantumkeeper& keeper, SourceId source,
                 std::uint32_t max_payload)
    : socket_(socket), keeper_(keeper), ext_(new DmaExtension), max_payload_(max_payload) {
  ext_->source = source;
  payload_.set_extension(ext_);
  if (max_payload_ == 0 || max_payload_ > 4096) max_payload_ = 4096;
}

bool DmaPort::read(std::uint64_t addr, void* dst, std::size_t size) {
  return transfer(tlm::TLM_READ_COMMAND, addr, static_cast<unsigned char*>(dst), size);
}

bool DmaPort::write(std::uint64_t addr, const void* src, std::size_t size) {
  // TLM data pointers are non-const; the target does not modify data of a write.
  return transfer(tlm::TLM_WRITE_COMMAND, addr, const_cast<unsigned char*>(static_cast<const unsigned char*>(src)),
                  size);
}

bool DmaPort::transfer(tlm::tlm_command command, std::uint64_t addr, unsigned char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const std::uint64_t cur = addr + done;
    const std::uint64_t to_boundary = ((cur | 0xfff) + 1) - cur;
    const std::size_t chunk =
        static_cast<std::size_t>(std::min<std::uint64_t>({size - done, to_boundary, max_payload_}));
    payload_.set_command(command);
    payload_.set_address(cur);
    payload_.set_data_ptr(data + done);
    payload_.set_data_length(static_cast<unsigned>(chunk));
    payload_.set_streaming_width(static_cast<unsigned>(chunk));
    payload_.set_byte_enable_ptr(nullptr);
    payload_.set_byte_enable_length(0);
    payload_.set_dmi_allowed(false);
    payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = keeper_.get_local_time();
    socket_->b_transport(payload_, delay);
    keeper_.set(delay);
    ++counters_.requests;
    if (payload_.get_response_status() != tlm::TLM_OK_RESPONSE) {
      ++counters_.errors;
      last_fault_ = ext_->fault;
      if (keeper_.need_sync()) keeper_.sync();
      return false;
    }
    if (command == tlm::TLM_READ_COMMAND)
      counters_.read_bytes += chunk;
    else
      counters_.write_bytes += chunk;
    if (keeper_.need_sync()) keeper_.sync();
    done += chunk;
  }
  return true;
}

}  // namespace vtdsim::sysc
