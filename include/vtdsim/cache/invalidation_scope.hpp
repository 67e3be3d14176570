// Which cached entries one invalidation reaches (VT-d spec 6.5), decided once per request and
// then asked per entry. Every cache that follows the spec's scopes uses these: the context and
// PASID caches, the set-associative IOTLB, the paging-structure caches and the one-pass IOTLB
// profiler (study/). QEMU's emulated IOTLB has its own rules (qemu_iotlb.hpp).
#pragma once
#include <cstdint>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/core/invalidation.hpp"

namespace vtdsim::cache {

// Context cache (spec 6.5.1.1 CCMD, 6.5.2.2 cc_inv_dsc) and PASID cache (spec 6.5.2.5 pc_inv_dsc).
//   context cache: global; domain-selective; device-selective: source-id under the function mask
//     (the descriptor also names a domain; matching the source-id only is a superset);
//   PASID cache: global; domain-selective; PASID-selective within the domain, where a PASID
//     matches the entry's PASID or its tag PASID (RID_PASID of requests without one).
// Both reach the context and the PASID arrays: a resolved scalable-mode context embeds
// context-entry and PASID-entry state, whichever array holds it.
class ContextInvalidationScope {
 public:
  // The scope of a context- or PASID-cache invalidation; reaches nothing for other targets.
  static ContextInvalidationScope of(const core::InvalidationRequest& r) {
    using G = core::InvalidationGranularity;
    using T = core::InvalidationTarget;
    ContextInvalidationScope s;
    s.domain_ = r.domain;
    s.source_ = r.source;
    s.pasid_ = r.pasid;
    if (r.target == T::kContextCache) {
      switch (r.granularity) {
        case G::kDomain: s.kind_ = Kind::kDomain; break;
        case G::kDevice:
          s.kind_ = Kind::kSourceMasked;
          s.source_keep_ = static_cast<std::uint16_t>(~function_mask_bits(r.function_mask));
          break;
        default: s.kind_ = Kind::kAll; break;
      }
    } else if (r.target == T::kPasidCache) {
      switch (r.granularity) {
        case G::kDomain: s.kind_ = Kind::kDomain; break;
        case G::kPasid:
        case G::kPage: s.kind_ = Kind::kDomainPasid; break;
        case G::kDevice: s.kind_ = Kind::kSourceMasked; break;
        case G::kGlobal: s.kind_ = Kind::kAll; break;
      }
    }
    return s;
  }

  bool reaches_anything() const { return kind_ != Kind::kNothing; }

  bool covers(const ContextCacheEntry& e) const {
    switch (kind_) {
      case Kind::kNothing: return false;
      case Kind::kAll: return true;
      case Kind::kDomain: return e.domain == domain_;
      case Kind::kSourceMasked: return (e.source.value & source_keep_) == (source_.value & source_keep_);
      case Kind::kDomainPasid: return e.domain == domain_ && (e.pasid == pasid_ || e.tag_pasid == pasid_);
    }
    return false;
  }

  // CCMD.FM / cc_inv_dsc FM (spec 6.5.1.1, 6.5.2.2): 0 = no bits masked, 1 = mask function bit 2,
  // 2 = mask function bits 2:1, 3 = mask function bits 2:0.
  static std::uint16_t function_mask_bits(std::uint8_t fm) {
    switch (fm & 3) {
      case 1: return 0x4;
      case 2: return 0x6;
      case 3: return 0x7;
      default: return 0;
    }
  }

 private:
  enum class Kind : std::uint8_t { kNothing, kAll, kDomain, kSourceMasked, kDomainPasid };
  Kind kind_ = Kind::kNothing;
  DomainId domain_;
  SourceId source_;
  Pasid pasid_;
  std::uint16_t source_keep_ = 0xffff;
};

// IOTLB and paging-structure caches (spec 6.5.1.2 IOTLB_REG, 6.5.2.3 iotlb_inv_dsc, 6.5.2.4
// p_iotlb_inv_dsc):
//   global: every entry;
//   domain: every entry tagged with the domain (all PASIDs);
//   page:   entries of the domain whose page overlaps [addr, addr + 2^AM * 4K) (superpages
//           included), addr aligned down to the range size (software must pass an aligned
//           address; hardware ignores the low bits); the paging-structure caches too unless IH = 1;
//   PASID (PASID-based only): every entry of (domain, PASID).
// PASID-based page invalidations also compare the PASID. A device-selective granularity does not
// exist for the IOTLB and is taken as domain-selective, as is PASID-selective in a legacy one.
//
// Which translations each descriptor reaches in scalable mode, by the PGTT the entry came from
// (EntryStage). The spec's own text (6.5.2.3, 6.5.2.4) was not available here; the rule follows
// what Linux does with it: drivers/iommu/intel/ invalidates first-stage tables only with
// PASID-based-IOTLB descriptors (qi_flush_piotlb; commit "iommu/vt-d: Add
// domain_flush_pasid_iotlb()": "The VT-d spec requires to use PASID-based-IOTLB invalidation
// descriptor to invalidate IOTLB and the paging-structure caches for a first-stage page table"),
// second-stage tables with iotlb_inv_dsc, and intel_pasid_tear_down_entry() (commit 8798d36, "Per
// chapter 6.5.3.3 of VT-d spec 3.3 ... Domain selective IOTLB flush if the PGTT of the pasid entry
// is SL only or Nested, while for ... FL only or PT using PASID-based IOTLB flush is enough"):
//   p_iotlb_inv_dsc (every granularity): first-stage (001b) and nested (011b) IOTLB entries and
//     first-stage paging-structure-cache entries; never second-stage-only (010b) entries nor
//     second-stage paging-structure-cache entries, even PASID-selective;
//   iotlb_inv_dsc / IOTLB_REG global and domain-selective: entries of every stage;
//   iotlb_inv_dsc page-selective (the address is a second-stage input address): second-stage
//     entries overlapping the range (paging-structure caches unless IH = 1); nested entries of the
//     domain whatever their address and IH (their tag is the first-stage input address, and their
//     output and cached table addresses went through the second stage); first-stage-only entries
//     not at all.
// Pass-through (100b) translations are not cached here. EntryStage::kAny asks the stage-independent
// scope, for holders whose tags do not record the stage (the study profilers' IOTLB keys).
enum class EntryStage : std::uint8_t { kSecond, kFirst, kNested, kAny };

// The stage of an IOTLB or paging-structure-cache entry from its fs_flags (cache::fs_leaf).
constexpr EntryStage entry_stage(std::uint8_t fs_flags) {
  if ((fs_flags & fs_leaf::kFirstStage) == 0) return EntryStage::kSecond;
  return (fs_flags & fs_leaf::kNested) != 0 ? EntryStage::kNested : EntryStage::kFirst;
}

class IotlbInvalidationScope {
 public:
  // The scope of an IOTLB or PASID-based-IOTLB invalidation; reaches nothing for other targets.
  static IotlbInvalidationScope of(const core::InvalidationRequest& r) {
    using G = core::InvalidationGranularity;
    using T = core::InvalidationTarget;
    IotlbInvalidationScope s;
    if (r.target != T::kIotlb && r.target != T::kPasidIotlb) return s;
    const bool pasid_based = r.target == T::kPasidIotlb;
    G g = r.granularity;
    if (g == G::kDevice || (g == G::kPasid && !pasid_based)) g = G::kDomain;
    s.domain_ = r.domain.value;
    s.pasid_ = r.pasid.value;
    s.compare_pasid_ = pasid_based && (g == G::kPasid || g == G::kPage);
    s.pasid_based_ = pasid_based;
    switch (g) {
      case G::kGlobal: s.kind_ = Kind::kAll; break;
      case G::kPage: {
        s.kind_ = Kind::kPages;
        const unsigned am = r.address_mask > 52 ? 52 : r.address_mask;
        s.length_ = 1ull << (12 + am);
        s.base_ = r.addr.value & ~(s.length_ - 1);
        s.keeps_paging_structures_ = r.invalidation_hint;
        break;
      }
      default: s.kind_ = Kind::kTagged; break;
    }
    return s;
  }

  bool reaches_anything() const { return kind_ != Kind::kNothing; }
  bool is_global() const { return kind_ == Kind::kAll; }
  bool is_page_range() const { return kind_ == Kind::kPages; }
  bool compares_pasid() const { return compare_pasid_; }
  std::uint16_t domain() const { return domain_; }
  std::uint64_t range_base() const { return base_; }
  std::uint64_t range_length() const { return length_; }

  // An IOTLB entry of (domain, pasid) mapping [page_base, page_base + page_size), from a `stage` walk.
  bool covers_page(std::uint16_t domain, std::uint32_t pasid, std::uint64_t page_base, std::uint64_t page_size,
                   EntryStage stage = EntryStage::kAny) const {
    if (!reaches_stage(stage) || !covers_tag(domain, pasid)) return false;
    if (kind_ != Kind::kPages || legacy_page_of_nested(stage)) return true;
    return overlaps(page_base, page_size);
  }
  // A paging-structure-cache entry covering [range_base, range_base + range_size); IH = 1 keeps
  // them (except nested ones under a legacy page-selective invalidation, see above).
  bool covers_paging_structure(std::uint16_t domain, std::uint32_t pasid, std::uint64_t range_base,
                               std::uint64_t range_size, EntryStage stage = EntryStage::kAny) const {
    if (kind_ == Kind::kPages && keeps_paging_structures_ && !legacy_page_of_nested(stage)) return false;
    return covers_page(domain, pasid, range_base, range_size, stage);
  }

 private:
  enum class Kind : std::uint8_t { kNothing, kAll, kTagged, kPages };
  bool reaches_stage(EntryStage stage) const {
    if (stage == EntryStage::kAny) return true;
    if (pasid_based_) return stage != EntryStage::kSecond;
    return kind_ != Kind::kPages || stage != EntryStage::kFirst;
  }
  bool legacy_page_of_nested(EntryStage stage) const {
    return kind_ == Kind::kPages && !pasid_based_ && stage == EntryStage::kNested;
  }
  bool covers_tag(std::uint16_t domain, std::uint32_t pasid) const {
    if (kind_ == Kind::kAll) return true;
    if (kind_ == Kind::kNothing || domain != domain_) return false;
    return !compare_pasid_ || pasid == pasid_;
  }
  // Half-open ranges; sizes are powers of two and bases aligned, so no overflow at the top.
  bool overlaps(std::uint64_t base, std::uint64_t size) const {
    return base <= base_ + (length_ - 1) && base_ <= base + (size - 1);
  }

  Kind kind_ = Kind::kNothing;
  bool compare_pasid_ = false;
  bool pasid_based_ = false;
  bool keeps_paging_structures_ = false;
  std::uint16_t domain_ = 0;
  std::uint32_t pasid_ = 0;
  std::uint64_t base_ = 0, length_ = 0;
};

}  // namespace vtdsim::cache
