// The remapping unit's register file (VT-d spec 11.4). Holds register state and applies the
// read-only / reserved / RW1C rules; side effects (invalidations, queue processing) are carried
// out by RemappingUnit. OWNER: registers work (fills in the layout and semantics).
#pragma once
#include <cstdint>

#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::core {

class RegisterFile {
 public:
  explicit RegisterFile(const config::CapabilityConfig& cap);

  // State the translation path needs.
  bool translation_enabled() const;          // GSTS.TES
  std::uint64_t root_table_address() const;  // RTADDR latched by the last SRTP (4K aligned)
  bool scalable_mode() const;                // RTADDR.TTM == 01b latched by SRTP

 private:
  config::CapabilityConfig cap_;
};

}  // namespace vtdsim::core
