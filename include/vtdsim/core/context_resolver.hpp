// Context resolution on a context-cache miss: reads the root entry and context entry (legacy
// mode, VT-d spec 3.4.2) or the scalable-mode root entry, context entry, PASID-directory entry and
// PASID-table entry (scalable mode, spec 3.4.3), checks them (spec 7.1.3 fault conditions) and
// returns what the context cache holds. Every memory read is recorded in the walk; it only reads
// (const memory).
// Allocation-free; no exceptions.
#pragma once
#include <cstdint>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/mem/physical_memory.hpp"

namespace vtdsim::core {

struct ContextResolution {
  // The resolved context. On a fault it carries the fault, type kBlocked and the FPD bit of the
  // entries read so far.
  cache::ContextCacheEntry entry;
  // Whether a fault comes from the contents of a table entry (not present, reserved bits,
  // invalid programming) rather than from a failed memory access. With CAP.CM=1 such
  // "not-present or erroneous" results may be cached (spec 11.4.2, CM).
  bool fault_from_entry = false;
  bool ok() const { return entry.fault == spec::FaultReason::kNone; }
};

class ContextResolver {
 public:
  ContextResolver(const config::CapabilityConfig& cap, const mem::PhysicalMemory& memory)
      : cap_(cap), memory_(memory) {}

  // root_table: RTADDR latched by SRTP. `pasid` is the request's PASID (Pasid{} if none).
  ContextResolution resolve(std::uint64_t root_table, bool scalable, SourceId source, Pasid pasid,
                            WalkReads& walk) const;

 private:
  ContextResolution resolve_legacy(std::uint64_t root_table, SourceId source, WalkReads& walk) const;
  ContextResolution resolve_scalable(std::uint64_t root_table, SourceId source, Pasid pasid, WalkReads& walk) const;

  const config::CapabilityConfig& cap_;
  const mem::PhysicalMemory& memory_;
};

}  // namespace vtdsim::core
