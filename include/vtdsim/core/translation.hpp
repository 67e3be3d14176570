// A DMA translation request and what the remapping unit did with it.
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::core {

struct TranslationRequest {
  SourceId source;
  Pasid pasid;  // Pasid{} (not present) for requests without a PASID prefix
  Iova iova;
  std::uint32_t size = 4;  // bytes
  Access access = Access::kRead;
  AddressType address_type = AddressType::kUntranslated;
  // PCIe PASID prefix bits (VT-d spec 3.6.1): privileged-mode (supervisor) and execute requested.
  // Only requests with a PASID carry them; requests without one take the privilege from the
  // scalable context entry's RID_PRIV and are never execute requests.
  bool privileged = false;
  bool execute = false;
};

// Which translation a context uses (scalable mode: the PASID entry's PGTT, spec 9.6; legacy
// mode: second stage or pass-through) and, for a fault, which stage failed.
enum class TranslationStage : std::uint8_t { kNone, kSecond, kFirst, kNested, kPassThrough };

// Which structure a memory read of a walk fetched.
enum class WalkReadKind : std::uint8_t { kRootEntry, kContextEntry, kPasidDirectory, kPasidTable, kPagingEntry };

// One memory read made by a table walk. level: paging-structure level 1..5 for kPagingEntry
// (5 = PML5E, 4 = PML4E, 3 = PDPE, 2 = PDE, 1 = PTE), 0 otherwise. first_stage: a kPagingEntry
// read of a first-stage table (spec 9.7), else second stage.
// Trivial (no member initializers) so that WalkReads below is not zero-filled per translation.
struct WalkRead {
  std::uint64_t addr;
  WalkReadKind kind;
  std::uint8_t level;
  bool first_stage;
};

// Fixed capacity, no allocation: root + context (2 x 128-bit in scalable mode) + PASID dir + PASID
// table (5 reads) + a nested walk of 5 first-stage levels, each table address and the output
// translated by a 5-level second stage (5 x (5 + 1) + 5 = 35) fit in 40 (spec 3.8). Only
// reads[0, count) are meaningful: the slots are left uninitialised (filling them per translation
// was most of the IOTLB-hit path's cost, bench/translate_bench), and copies copy only the used
// slots.
struct WalkReads {
  static constexpr std::size_t kCapacity = 40;
  std::array<WalkRead, kCapacity> reads;
  std::uint8_t count = 0;
  WalkReads() {}  // NOLINT: leaves reads uninitialised on purpose
  WalkReads(const WalkReads& o) : count(o.count) { copy_used(o); }
  WalkReads& operator=(const WalkReads& o) {
    count = o.count;
    copy_used(o);
    return *this;
  }
  void push(std::uint64_t addr, WalkReadKind kind, std::uint8_t level = 0, bool first_stage = false) {
    if (count < kCapacity) reads[count++] = WalkRead{addr, kind, level, first_stage};
  }
  void clear() { count = 0; }
  const WalkRead* begin() const { return reads.data(); }
  const WalkRead* end() const { return reads.data() + count; }

 private:
  void copy_used(const WalkReads& o) {
    for (std::uint8_t i = 0; i < o.count; ++i) reads[i] = o.reads[i];
  }
};

// How the translation was found: which caches hit (for stats and the timing model).
struct CacheOutcome {
  bool translated = false;  // false: pass-through or remapping disabled (TE=0)
  bool context_cache_hit = false;
  bool pasid_cache_hit = false;
  bool iotlb_hit = false;
  bool device_tlb_hit = false;
  std::uint8_t walk_start_level = 0;  // level the page walk started at (0: no walk)
  std::uint8_t psc_hit_level = 0;     // paging-structure cache level that hit (0: none)
};

enum class TranslationType : std::uint8_t { kUntranslated, kDeviceTlb, kPassThrough, kBlocked };

struct TranslationResult {
  spec::FaultReason fault = spec::FaultReason::kNone;
  HostAddr host;                // translated address of the request's first byte
  std::uint64_t page_size = 0;  // 4K, 2M or 1G; 0 when faulted
  Perms perms;                  // effective permissions of the page
  DomainId domain;
  CacheOutcome outcome;
  WalkReads walk;                                          // memory reads the lookup made, in order
  TranslationStage stage = TranslationStage::kNone;        // the context's translation (kNone:
                                                           // TE = 0, or no context resolved)
  TranslationStage fault_stage = TranslationStage::kNone;  // kFirst / kSecond: the walk or the
                                                           // permission check of that stage failed
  std::uint8_t walk_writes = 0;  // A/D-bit updates the first-stage walk wrote to memory (spec 3.6.2)
  bool ok() const { return fault == spec::FaultReason::kNone; }
};

}  // namespace vtdsim::core
