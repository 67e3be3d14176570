// SCAFFOLDING (replaced by the registers work).
#include "vtdsim/core/remapping_unit.hpp"

namespace vtdsim::core {
std::uint64_t RemappingUnit::read_register(std::uint32_t, unsigned) { return 0; }
void RemappingUnit::write_register(std::uint32_t, unsigned, std::uint64_t) {}
bool RemappingUnit::fault_interrupt_pending() const { return false; }
void RemappingUnit::process_invalidation_queue() {}
}  // namespace vtdsim::core
