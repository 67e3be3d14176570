// SCAFFOLDING (replaced by the registers work).
#include "vtdsim/core/register_file.hpp"

namespace vtdsim::core {
RegisterFile::RegisterFile(const config::CapabilityConfig& cap) : cap_(cap) {}
bool RegisterFile::translation_enabled() const { return false; }
std::uint64_t RegisterFile::root_table_address() const { return 0; }
bool RegisterFile::scalable_mode() const { return false; }
}  // namespace vtdsim::core
