// Fuzzes the YAML configuration loader: any text either resolves to a configuration that builds a
// working remapping unit, or is rejected with a ConfigError. Nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vtdsim::config::UnitConfig config;
  try {
    config = vtdsim::config::resolve_unit_config(vtdsim::config::load_config_text(text, "fuzz"));
  } catch (const vtdsim::config::ConfigError&) {
    return 0;
  }
  // A configuration that resolved must build (geometry was validated) and translate.
  vtdsim::mem::SparseMemory memory(1ull << 24);
  vtdsim::core::RemappingUnit unit(config, memory);
  vtdsim::core::TranslationRequest request;
  (void)unit.translate(request);
  return 0;
}
