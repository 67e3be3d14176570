// Second-level page walk (VT-d spec 3.6 legacy / 3.7 second-level translation; entry format 9.8).
// Walks from a given table and level down to the leaf, recording each read in the walk,
// checking present / reserved bits / superpage support (CAP.SLLPS) and accumulating R/W.
// The walk is bounded by the level count, so tables that point into themselves terminate.
// Allocation-free; no exceptions.
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/mem/physical_memory.hpp"

namespace vtdsim::core {

// Where the walk begins: the top-level table (SLPTPTR) or, after a paging-structure-cache hit,
// the table below the cached entry, with the permissions accumulated above it.
struct WalkStart {
  std::uint64_t table = 0;
  std::uint8_t level = 4;  // level of the entries in `table`
  Perms perms{true, true};
};

enum class WalkFault : std::uint8_t {
  kNone,
  kPointerAccessError,  // reading the top-level table through SLPTPTR failed
  kAccessError,         // reading a lower table (through a paging entry's address) failed
  kNotPresent,          // R = W = 0
  kReserved,            // non-zero reserved bits, or PS=1 where CAP.SLLPS has no such page size
};

struct WalkOutcome {
  WalkFault fault = WalkFault::kNone;
  std::uint8_t fault_level = 0;
  // Leaf (when no fault): page base, size as a shift, level and accumulated permissions.
  std::uint64_t page_base = 0;
  std::uint8_t page_shift = 12;
  std::uint8_t leaf_level = 1;
  Perms perms;
  // Non-leaf entries read on the way (for the paging-structure caches); domain and PASID are left
  // for the caller to fill.
  std::array<cache::PscEntry, 4> psc{};
  std::uint8_t psc_count = 0;
};

class PageWalker {
 public:
  PageWalker(const config::CapabilityConfig& cap, const mem::PhysicalMemory& memory) : cap_(cap), memory_(memory) {}

  // top_level: the table's level count (3, 4 or 5); tells which read goes through SLPTPTR.
  // scalable: leaf bit 11 (SNP) is allowed in scalable mode (legacy: only with ECAP.SC).
  WalkOutcome walk(const WalkStart& start, unsigned top_level, Iova iova, bool scalable, WalkReads& reads) const;

 private:
  const config::CapabilityConfig& cap_;
  const mem::PhysicalMemory& memory_;
};

}  // namespace vtdsim::core
