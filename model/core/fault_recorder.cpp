// SCAFFOLDING (replaced by the registers work).
#include "vtdsim/core/fault_recorder.hpp"

namespace vtdsim::core {
FaultRecorder::FaultRecorder(unsigned) {}
void FaultRecorder::record(const FaultRecord&) {}
}  // namespace vtdsim::core
