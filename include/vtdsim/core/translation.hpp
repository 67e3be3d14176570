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
};

// Which structure a memory read of a walk fetched.
enum class WalkReadKind : std::uint8_t {
  kRootEntry, kContextEntry, kPasidDirectory, kPasidTable, kPagingEntry
};

// One memory read made by a table walk. level: paging-structure level 1..5 for kPagingEntry
// (5 = PML5E, 4 = PML4E, 3 = PDPE, 2 = PDE, 1 = PTE), 0 otherwise.
// Trivial (no member initializers) so that WalkReads below is not zero-filled per translation.
struct WalkRead {
  std::uint64_t addr;
  WalkReadKind kind;
  std::uint8_t level;
};

// Fixed capacity, no allocation: root + context (2 x 128-bit in scalable mode) + PASID dir + PASID
// table + 5 paging levels fit in 16. Only reads[0, count) are meaningful: the slots are left
// uninitialised (filling 256 bytes per translation was most of the IOTLB-hit path's cost,
// bench/translate_bench), and copies copy only the used slots.
struct WalkReads {
  static constexpr std::size_t kCapacity = 16;
  std::array<WalkRead, kCapacity> reads;
  std::uint8_t count = 0;
  WalkReads() {}  // NOLINT: leaves reads uninitialised on purpose
  WalkReads(const WalkReads& o) : count(o.count) { copy_used(o); }
  WalkReads& operator=(const WalkReads& o) {
    count = o.count;
    copy_used(o);
    return *this;
  }
  void push(std::uint64_t addr, WalkReadKind kind, std::uint8_t level = 0) {
    if (count < kCapacity) reads[count++] = WalkRead{addr, kind, level};
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
  bool translated = false;        // false: pass-through or remapping disabled (TE=0)
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
  HostAddr host;                 // translated address of the request's first byte
  std::uint64_t page_size = 0;   // 4K, 2M or 1G; 0 when faulted
  Perms perms;                   // effective permissions of the page
  DomainId domain;
  CacheOutcome outcome;
  WalkReads walk;                // memory reads the lookup made, in order
  bool ok() const { return fault == spec::FaultReason::kNone; }
};

}  // namespace vtdsim::core
