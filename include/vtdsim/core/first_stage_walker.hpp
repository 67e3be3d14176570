// First-stage page walk (VT-d spec 3.6 first-stage translation, 3.8 nested translation; entry
// format 9.7). Walks the IA-32e-format tables from FSPTPTR, 4 or 5 levels, 4 KiB / 2 MiB / 1 GiB
// (CAP.FS1GP) pages; checks the canonical address, present and reserved bits, and the access
// rights of 3.6.1 (user/supervisor, write with WPE, execute with XD); sets the A (and EA with
// EAFE) bit of every entry it uses and D in the leaf of a write (3.6.2), writing the entry back.
// Nested (PGTT 011b): FSPTPTR, every next-table address and the output address are guest-physical
// and are translated by the second-stage walker (PageWalker) with its permission checks
// (3.8.1: reading a first-stage table needs second-stage R, updating its A/D bits W).
// A walk may start below the top (a first-stage paging-structure-cache hit, spec 6.2.4) with the
// next table's host address and the path's rights so far; it reports the non-leaf entries it used
// (each with its A bit set, by this walk or before) for the caches to fill.
// Every memory read is recorded, in order. Allocation-free; no exceptions.
// Read-only (the const-memory constructor, for a side-effect-free translation such as
// transport_dbg): every check is made as usual but no A/D bit is written (out.writes stays 0).
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/mem/physical_memory.hpp"

namespace vtdsim::core {

// The first-stage part of a resolved context (spec 9.6) and, when nested, its second stage.
struct FsWalkContext {
  std::uint64_t fs_table = 0;  // FSPTPTR
  std::uint8_t fs_levels = 4;  // 4 or 5 (FSPM)
  bool wpe = false;            // supervisor writes honour R/W
  bool eafe = false;           // set EA together with A
  bool nested = false;
  std::uint64_t ss_table = 0;  // nested: SSPTPTR
  std::uint8_t ss_levels = 4;  // nested: second-stage levels (AW)
};

// The request as the first stage sees it (spec 3.6.1): user or supervisor, read/write, execute.
struct FsWalkRequest {
  Iova iova;
  Access access = Access::kRead;
  bool supervisor = false;
  bool execute = false;
};

// Where a walk starts: level 0 = at the top, from FSPTPTR. Else the table holding the level-`level`
// entries, a host address (nested: already translated by the second stage; table_gpa is its
// guest-physical address, translated again only if an A/D bit must be written there), and the
// first-stage rights of the path above it (cache::fs_leaf kUser, kWritable, kExecuteDisable), as
// a cache::PscEntry of level + 1 holds them.
struct FsWalkStart {
  std::uint64_t table = 0;
  std::uint8_t level = 0;
  std::uint8_t fs_flags = 0;
  std::uint64_t table_gpa = 0;
};

struct FsWalkOutcome {
  spec::FaultReason fault = spec::FaultReason::kNone;
  TranslationStage fault_stage = TranslationStage::kNone;  // whose table / permission refused
  std::uint64_t host_base = 0;                             // page base (host address) of the translation
  std::uint8_t page_shift = 12;                            // nested: the smaller of the two stages' pages
  std::uint8_t leaf_level = 1;                             // first-stage level of the leaf
  Perms perms;                 // what this request's privilege may do on the page (both stages)
  Perms ss_perms{true, true};  // nested: the second stage's permissions of the output
  std::uint8_t fs_flags = 0;   // the path's first-stage rights (cache::fs_leaf), for the IOTLB
  std::uint8_t writes = 0;     // entries written back with new A/D bits
  // Non-leaf entries used (A = 1), top down, for the paging-structure caches (domain and PASID
  // left for the caller); also on a fault below them.
  std::array<cache::PscEntry, 4> psc{};
  std::uint8_t psc_count = 0;
  bool ok() const { return fault == spec::FaultReason::kNone; }
};

class FirstStageWalker {
 public:
  FirstStageWalker(const config::CapabilityConfig& cap, mem::PhysicalMemory& memory)
      : cap_(cap), memory_(memory), writable_(&memory) {}
  FirstStageWalker(const config::CapabilityConfig& cap, const mem::PhysicalMemory& memory)
      : cap_(cap), memory_(memory) {}

  FsWalkOutcome walk(const FsWalkContext& context, const FsWalkRequest& request, WalkReads& reads,
                     const FsWalkStart& start = {}) const;

 private:
  void walk_into(const FsWalkContext& context, const FsWalkRequest& request, WalkReads& reads, const FsWalkStart& start,
                 FsWalkOutcome& out) const;
  const config::CapabilityConfig& cap_;
  const mem::PhysicalMemory& memory_;
  mem::PhysicalMemory* writable_ = nullptr;  // nullptr: read-only walk
};

}  // namespace vtdsim::core
