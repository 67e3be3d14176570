// A device's DMA engine: issues reads and writes through the device's TLM initiator socket with
// the DmaExtension attached, splitting at 4 KiB boundaries and at the maximum payload size as a
// PCIe function must (PCIe base spec: a request never crosses a 4 KiB boundary). Time is kept with
// the device's tlm_quantumkeeper (loosely timed). Allocation-free after construction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/sysc/dma_extension.hpp"

namespace vtdsim::sysc {

struct DmaPortCounters {
  std::uint64_t requests = 0, errors = 0, read_bytes = 0, write_bytes = 0;
};

class DmaPort {
 public:
  DmaPort(tlm::tlm_initiator_socket<>& socket, tlm_utils::tlm_quantumkeeper& keeper, SourceId source,
          std::uint32_t max_payload = 4096);
  DmaPort(const DmaPort&) = delete;
  DmaPort& operator=(const DmaPort&) = delete;

  // Return false when any piece got an error response (later pieces are not issued).
  bool read(std::uint64_t addr, void* dst, std::size_t size);
  bool write(std::uint64_t addr, const void* src, std::size_t size);

  void set_access_platform(bool value) { ext_->access_platform = value; }
  void set_pasid(Pasid pasid) { ext_->pasid = pasid; }
  SourceId source() const { return ext_->source; }
  spec::FaultReason last_fault() const { return last_fault_; }
  const DmaPortCounters& counters() const { return counters_; }

 private:
  bool transfer(tlm::tlm_command command, std::uint64_t addr, unsigned char* data, std::size_t size);

  tlm::tlm_initiator_socket<>& socket_;
  tlm_utils::tlm_quantumkeeper& keeper_;
  tlm::tlm_generic_payload payload_;
  DmaExtension* ext_;  // owned by payload_ (freed by its destructor)
  std::uint32_t max_payload_;
  spec::FaultReason last_fault_ = spec::FaultReason::kNone;
  DmaPortCounters counters_;
};

}  // namespace vtdsim::sysc
