// Primary fault logging (VT-d spec 7.2.1): fault recording registers, PFO/PPF in FSTS, and the
// fault event. OWNER: registers work.
#pragma once
#include <cstdint>

#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::core {

struct FaultRecord {
  SourceId source;
  Pasid pasid;
  std::uint64_t address = 0;     // faulting page address (bits 63:12)
  Access access = Access::kRead;
  spec::FaultReason reason = spec::FaultReason::kNone;
};

class FaultRecorder {
 public:
  explicit FaultRecorder(unsigned records);
  // Records a fault (or sets PFO when every record is in use). Allocation-free.
  void record(const FaultRecord& fault);
};

}  // namespace vtdsim::core
