// Construction and direct invalidation. Register side effects: remapping_unit_registers.cpp;
// the translation path: remapping_unit_translate.cpp.
#include "vtdsim/core/remapping_unit.hpp"

namespace vtdsim::core {

RemappingUnit::RemappingUnit(const config::UnitConfig& config, mem::PhysicalMemory& memory)
    : config_(config),
      memory_(memory),
      registers_(config.cap),
      faults_(config.cap.nfr, config.cap.mgaw),
      caches_(config.caches) {}

std::uint64_t RemappingUnit::invalidate(const InvalidationRequest& request) {
  std::uint64_t dropped = caches_.invalidate(request);
  if (request.target == InvalidationTarget::kDeviceTlb && device_tlb_handler_) dropped += device_tlb_handler_(request);
  ++commands_.invalidations;
  commands_.entries_dropped += dropped;
  if (invalidation_observer_) invalidation_observer_(request, dropped);
  return dropped;
}

void RemappingUnit::reset() {
  registers_ = RegisterFile(config_.cap);
  faults_ = FaultRecorder(config_.cap.nfr, config_.cap.mgaw);
  for (const InvalidationTarget target :
       {InvalidationTarget::kContextCache, InvalidationTarget::kPasidCache, InvalidationTarget::kIotlb}) {
    InvalidationRequest all;
    all.target = target;
    all.granularity = InvalidationGranularity::kGlobal;
    caches_.invalidate(all);
  }
  resolved_context_ = {};
}

}  // namespace vtdsim::core
