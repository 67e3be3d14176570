// Which stages each IOTLB invalidation reaches (invalidation_scope.hpp, EntryStage): for every
// descriptor, the exact set of second-stage, first-stage and nested IOTLB and paging-structure-
// cache entries it drops, in the set-associative IOTLB and the paging-structure caches.
#include <gtest/gtest.h>

#include <string>

#include "vtdsim/cache/translation_caches.hpp"

namespace {

using namespace vtdsim;
using cache::EntryStage;
using cache::IotlbEntry;
using cache::PscEntry;
using cache::TranslationCaches;
using core::InvalidationGranularity;
using core::InvalidationRequest;
using core::InvalidationTarget;
namespace f = cache::fs_leaf;

const SourceId kDev = SourceId::from_bdf(0, 3, 0);
constexpr std::uint16_t kDid = 1;
const Pasid kPasid(5);

std::uint8_t flags_of(EntryStage s) {
  switch (s) {
    case EntryStage::kFirst: return f::kFirstStage;
    case EntryStage::kNested: return f::kFirstStage | f::kNested;
    default: return 0;
  }
}

// One entry of each stage in each structure: 4 KiB IOTLB pages at `iova` and PDEs covering it,
// the same (DID, PASID) for all, each stage at its own address so they can be told apart: second
// stage at 0 MiB, first stage at 2 MiB, nested at 4 MiB (+ the page offset `page`).
constexpr std::uint64_t base_of(EntryStage s) {
  return s == EntryStage::kSecond ? 0 : s == EntryStage::kFirst ? 0x200000 : 0x400000;
}
constexpr EntryStage kStages[] = {EntryStage::kSecond, EntryStage::kFirst, EntryStage::kNested};

void fill_all(TranslationCaches& c) {
  for (EntryStage s : kStages) {
    IotlbEntry e;
    e.source = kDev;
    e.domain = DomainId(kDid);
    e.pasid = kPasid;
    e.iova_base = base_of(s);
    e.page_shift = 12;
    e.host_base = 0x9000;
    e.perms = Perms{true, true};
    e.fs_flags = flags_of(s);
    c.fill_iotlb(e);
    PscEntry p;
    p.domain = DomainId(kDid);
    p.pasid = kPasid;
    p.level = 2;
    p.iova_prefix = base_of(s) >> 21;
    p.next_table = 0x1000;
    p.perms = Perms{true, true};
    p.fs_flags = flags_of(s);
    c.fill_psc(p);
  }
}

// Which of the six entries remain: "S F N" for IOTLB then "S F N" for PSC; '-' where dropped.
std::string remaining(TranslationCaches& c) {
  std::string out;
  const char names[] = {'S', 'F', 'N'};
  for (int i = 0; i < 3; ++i)
    out += c.find_iotlb(kDev, DomainId(kDid), kPasid, Iova(base_of(kStages[i]))) ? names[i] : '-';
  out += ' ';
  for (int i = 0; i < 3; ++i) {
    PscEntry e;
    const bool fs = kStages[i] != EntryStage::kSecond;
    out += c.find_walk_start(DomainId(kDid), kPasid, Iova(base_of(kStages[i])), 2, e, fs) ? names[i] : '-';
  }
  return out;
}

InvalidationRequest req(InvalidationTarget t, InvalidationGranularity g, std::uint64_t addr = 0, bool ih = false) {
  InvalidationRequest r;
  r.target = t;
  r.granularity = g;
  r.domain = DomainId(kDid);
  r.pasid = kPasid;
  r.addr = Iova(addr);
  r.address_mask = 0;
  r.invalidation_hint = ih;
  return r;
}

struct Case {
  const char* name;
  InvalidationRequest request;
  const char* left;  // what remains
};

TEST(CacheStageInvalidation, EachDescriptorReachesTheStagesTheRuleSays) {
  using G = InvalidationGranularity;
  using T = InvalidationTarget;
  const Case cases[] = {
      {"iotlb global", req(T::kIotlb, G::kGlobal), "--- ---"},
      {"iotlb domain", req(T::kIotlb, G::kDomain), "--- ---"},
      // Page-selective on the second-stage page: it and its PDE; nested ones wherever they are; the
      // first-stage entry at the same address would stay (shown below).
      {"iotlb page, second-stage address", req(T::kIotlb, G::kPage, 0), "-F- -F-"},
      {"iotlb page IH=1, second-stage address", req(T::kIotlb, G::kPage, 0, true), "-F- SF-"},
      {"iotlb page, first-stage address", req(T::kIotlb, G::kPage, 0x200000), "SF- SF-"},
      {"iotlb page, unrelated address", req(T::kIotlb, G::kPage, 0x800000), "SF- SF-"},
      // PASID-based: first-stage and nested only, never second-stage entries.
      {"piotlb pasid", req(T::kPasidIotlb, G::kPasid), "S-- S--"},
      {"piotlb page, first-stage address", req(T::kPasidIotlb, G::kPage, 0x200000), "S-N S-N"},
      {"piotlb page IH=1, first-stage address", req(T::kPasidIotlb, G::kPage, 0x200000, true), "S-N SFN"},
      {"piotlb page, nested address", req(T::kPasidIotlb, G::kPage, 0x400000), "SF- SF-"},
      {"piotlb page, second-stage address", req(T::kPasidIotlb, G::kPage, 0), "SFN SFN"},
  };
  for (const Case& k : cases) {
    TranslationCaches c{config::CachesConfig{}};
    fill_all(c);
    ASSERT_EQ(remaining(c), "SFN SFN");
    c.invalidate(k.request);
    EXPECT_EQ(remaining(c), k.left) << k.name;
  }
}

TEST(CacheStageInvalidation, PasidBasedOfAnotherPasidKeepsEverything) {
  TranslationCaches c{config::CachesConfig{}};
  fill_all(c);
  InvalidationRequest r = req(InvalidationTarget::kPasidIotlb, InvalidationGranularity::kPasid);
  r.pasid = Pasid(6);
  EXPECT_EQ(c.invalidate(r), 0u);
  EXPECT_EQ(remaining(c), "SFN SFN");
}

// The scope itself, per stage, and kAny (the profilers' keys) as before the stage rule.
TEST(CacheStageInvalidation, ScopeAnswersPerStage) {
  const auto legacy_page =
      cache::IotlbInvalidationScope::of(req(InvalidationTarget::kIotlb, InvalidationGranularity::kPage, 0x5000));
  EXPECT_TRUE(legacy_page.covers_page(kDid, 5, 0x5000, 0x1000, EntryStage::kSecond));
  EXPECT_FALSE(legacy_page.covers_page(kDid, 5, 0x5000, 0x1000, EntryStage::kFirst));
  EXPECT_TRUE(legacy_page.covers_page(kDid, 5, 0x7000, 0x1000, EntryStage::kNested));
  EXPECT_FALSE(legacy_page.covers_page(kDid + 1, 5, 0x7000, 0x1000, EntryStage::kNested));
  EXPECT_TRUE(legacy_page.covers_page(kDid, 5, 0x5000, 0x1000, EntryStage::kAny));
  EXPECT_FALSE(legacy_page.covers_page(kDid, 5, 0x7000, 0x1000, EntryStage::kAny));
  const auto piotlb =
      cache::IotlbInvalidationScope::of(req(InvalidationTarget::kPasidIotlb, InvalidationGranularity::kPasid));
  EXPECT_FALSE(piotlb.covers_page(kDid, 5, 0, 0x1000, EntryStage::kSecond));
  EXPECT_TRUE(piotlb.covers_page(kDid, 5, 0, 0x1000, EntryStage::kFirst));
  EXPECT_TRUE(piotlb.covers_page(kDid, 5, 0, 0x1000, EntryStage::kNested));
  EXPECT_TRUE(piotlb.covers_page(kDid, 5, 0, 0x1000, EntryStage::kAny));
  EXPECT_EQ(cache::entry_stage(0), EntryStage::kSecond);
  EXPECT_EQ(cache::entry_stage(f::kFirstStage | f::kUser), EntryStage::kFirst);
  EXPECT_EQ(cache::entry_stage(f::kFirstStage | f::kNested), EntryStage::kNested);
}

}  // namespace
