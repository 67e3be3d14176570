// What the translation caches hold (VT-d spec 6.2: context cache, PASID cache, IOTLB,
// paging-structure caches). Tags follow spec 6.2.1-6.2.4.
#pragma once
#include <cstdint>

#include "vtdsim/core/translation.hpp"
#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::cache {

// A resolved context (legacy context entry, or scalable context + PASID entry), tagged by
// source-id (and PASID in scalable mode). With CAP.CM=1 a faulting context may be cached
// (fault != kNone) until software invalidates it.
struct ContextCacheEntry {
  SourceId source;
  Pasid pasid;  // scalable mode: the PASID the entry was resolved for
  DomainId domain;
  core::TranslationType type = core::TranslationType::kUntranslated;
  std::uint8_t levels = 4;       // second-level paging levels (3, 4 or 5)
  std::uint64_t table_root = 0;  // SLPTPTR (host address of the top-level table)
  spec::FaultReason fault = spec::FaultReason::kNone;
  // Added by the translation path: the PASID that tags this context's IOTLB and
  // paging-structure-cache entries (scalable mode: the request's PASID, or the context entry's
  // RID_PASID for requests without one; legacy mode: none), the fault-processing-disable bit of
  // the context / PASID-directory / PASID-table entries (spec 7.1.2, FPD), and whether
  // translation / translated requests are allowed (legacy TT = 01b, scalable DTE = 1).
  Pasid tag_pasid;
  bool fault_processing_disabled = false;
  bool device_tlb_enabled = false;
  // Scalable mode, PGTT 001b / 011b (spec 9.6): the first-stage table (FSPTPTR: host address, or
  // guest-physical when nested), its levels (FSPM) and the first-stage controls; the privilege of
  // requests without PASID (context entry RID_PRIV, spec 9.4). levels / table_root above stay the
  // second stage's (nested) or unused (first-stage only).
  core::TranslationStage stage = core::TranslationStage::kSecond;
  std::uint8_t fs_levels = 0;
  std::uint64_t fs_table_root = 0;
  bool sre = false, ere = false, wpe = false, eafe = false;
  bool rid_priv = false;
};

// What a first-stage (or nested) IOTLB entry remembers of its walk's path, so that a hit can apply
// the access rights of VT-d spec 3.6.1 to requests of either privilege (the entry is tagged by
// DID and PASID, not by privilege). 0 in second-stage entries.
namespace fs_leaf {
constexpr std::uint8_t kFirstStage = 1;      // the entry comes from a first-stage walk
constexpr std::uint8_t kUser = 2;            // U/S = 1 in every entry of the path
constexpr std::uint8_t kWritable = 4;        // R/W = 1 in every entry of the path
constexpr std::uint8_t kExecuteDisable = 8;  // XD = 1 in some entry of the path
constexpr std::uint8_t kDirty = 16;          // the leaf's D was set (a write needs no walk)
constexpr std::uint8_t kNested = 32;         // with kFirstStage: a nested walk (PGTT 011b)
}  // namespace fs_leaf

// One IOTLB entry: a page of 4K, 2M or 1G, tagged by domain (and PASID, and in QEMU organization
// also by source-id). With CAP.CM=1 a not-present translation may be cached (fault != kNone).
// First-stage entries: perms hold the second stage's permissions of a nested translation (R/W
// for first-stage only), fs_flags the first stage's (fs_leaf::).
struct IotlbEntry {
  SourceId source;
  DomainId domain;
  Pasid pasid;
  std::uint64_t iova_base = 0;   // page-aligned IOVA
  std::uint8_t page_shift = 12;  // 12, 21 or 30
  std::uint8_t level = 1;        // paging level the leaf came from (1 = PTE, 2 = PDE, 3 = PDPE)
  std::uint64_t host_base = 0;   // page-aligned host address
  Perms perms;
  spec::FaultReason fault = spec::FaultReason::kNone;
  std::uint8_t fs_flags = 0;
};

// Index of an IOTLB page size: 0 = 4K, 1 = 2M, 2 = 1G (the only sizes, spec 3.7); -1 otherwise.
constexpr int page_size_index(unsigned page_shift) {
  return page_shift == 12 ? 0 : page_shift == 21 ? 1 : page_shift == 30 ? 2 : -1;
}

// One paging-structure cache entry (spec 6.2.4): the non-leaf entry at `level` that covers
// `iova`, i.e. the host address of the next-lower table and the permissions accumulated so far.
// First-stage entries (fs_flags has fs_leaf::kFirstStage): fs_flags hold the path's first-stage
// rights down to and including this level (fs_leaf::kUser, kWritable, kExecuteDisable); perms are
// unused. next_table is a host address (nested: already translated through the second stage) and
// next_table_gpa, nested, its guest-physical address: a resumed walk that must update an A/D bit
// in that table translates it again for the second stage's W (spec 3.8.1), as a full walk would.
struct PscEntry {
  DomainId domain;
  Pasid pasid;
  std::uint8_t level = 2;         // 2 = PDE, 3 = PDPE, 4 = PML4E, 5 = PML5E
  std::uint64_t iova_prefix = 0;  // iova >> (12 + 9 * (level - 1))
  std::uint64_t next_table = 0;   // host address of the table at level - 1
  Perms perms;                    // AND of R/W down to and including this level
  std::uint8_t fs_flags = 0;      // 0 in second-stage entries
  std::uint64_t next_table_gpa = 0;
  bool first_stage() const { return (fs_flags & fs_leaf::kFirstStage) != 0; }
};

}  // namespace vtdsim::cache
