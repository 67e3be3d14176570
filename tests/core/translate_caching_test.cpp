// The translation path with the translation caches: context-cache and IOTLB hits skip table reads,
// permissions are checked on IOTLB hits, paging-structure-cache hits skip exactly the upper
// levels, and negative caching follows CAP.CM (spec 6.1: with CM=0 not-present and erroneous
// entries are never cached; with CM=1 they may be, until software invalidates).
#include <gtest/gtest.h>

#include "translation_rig.hpp"

using namespace vtdsim;
using core::TranslationResult;
using core::WalkRead;
using core::WalkReadKind;
using spec::FaultReason;
using txrig::reads_of;
using txrig::Rig;

namespace {

const SourceId kDevA = SourceId::from_bdf(0, 3, 0);
const SourceId kDevB = SourceId::from_bdf(0, 4, 0);
const DomainId kDom1(1);

WalkRead paging(std::uint64_t addr, unsigned level) {
  return WalkRead{addr, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level), false};
}

struct CachingRig : Rig {
  explicit CachingRig(bool caching_mode = false) : Rig(core::TableFormat::kLegacy, make_config(caching_mode)) {
    auto& t = *tables;
    t.create_domain(kDom1, 4);
    t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, false});
    t.map(kDom1, Iova(0x6000), HostAddr(0xa000), 0x1000, Perms{true, true});
    t.map(kDom1, Iova(0x200000), HostAddr(0xb000), 0x1000, Perms{true, true});
    t.set_context(kDevA, kDom1);
    enable();
  }
  static config::UnitConfig make_config(bool caching_mode) {
    config::UnitConfig c;
    c.cap.caching_mode = caching_mode;
    return c;
  }
  void invalidate_all() {
    core::InvalidationRequest ctx;
    ctx.target = core::InvalidationTarget::kContextCache;
    unit->invalidate(ctx);
    core::InvalidationRequest tlb;
    tlb.target = core::InvalidationTarget::kIotlb;
    unit->invalidate(tlb);
  }
};

}  // namespace

TEST(TranslateCaching, SecondTranslationHitsContextCacheAndIotlbWithoutReads) {
  CachingRig rig;
  const TranslationResult first = rig.translate(kDevA, 0x6010, Access::kWrite);
  ASSERT_TRUE(first.ok()) << first.fault;
  EXPECT_FALSE(first.outcome.context_cache_hit);
  EXPECT_FALSE(first.outcome.iotlb_hit);
  EXPECT_EQ(first.walk.count, 6);
  const TranslationResult second = rig.translate(kDevA, 0x6ff0, Access::kWrite);
  ASSERT_TRUE(second.ok()) << second.fault;
  EXPECT_TRUE(second.outcome.context_cache_hit);
  EXPECT_TRUE(second.outcome.iotlb_hit);
  EXPECT_EQ(second.walk.count, 0);
  EXPECT_EQ(second.outcome.walk_start_level, 0);
  EXPECT_EQ(second.host.value, 0xaff0u);
  EXPECT_EQ(second.domain, kDom1);
  EXPECT_EQ(rig.unit->caches().stats().iotlb.hits, 1u);
}

TEST(TranslateCaching, IotlbHitStillChecksPermissions) {
  CachingRig rig;
  ASSERT_TRUE(rig.translate(kDevA, 0x5000, Access::kRead).ok());
  const TranslationResult w = rig.translate(kDevA, 0x5000, Access::kWrite);
  EXPECT_EQ(w.fault, FaultReason::kWriteDenied);
  EXPECT_TRUE(w.outcome.iotlb_hit);
  EXPECT_EQ(w.walk.count, 0);
  EXPECT_EQ(rig.recorded_faults().size(), 1u);
}

TEST(TranslateCaching, PdeCacheHitReadsOnlyThePte) {
  CachingRig rig;
  ASSERT_TRUE(rig.translate(kDevA, 0x5000).ok());
  // 0x6000 shares the page table with 0x5000: the PDE is cached, only the PTE is read.
  const TranslationResult r = rig.translate(kDevA, 0x6000);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_FALSE(r.outcome.iotlb_hit);
  EXPECT_EQ(r.outcome.psc_hit_level, 2);
  EXPECT_EQ(r.outcome.walk_start_level, 1);
  const std::vector<WalkRead> expected{paging(rig.tables->paging_entry_address(kDom1, Iova(0x6000), 1), 1)};
  EXPECT_EQ(reads_of(r), expected);
  EXPECT_EQ(r.host.value, 0xa000u);
}

TEST(TranslateCaching, PdpeCacheHitReadsPdeAndPte) {
  CachingRig rig;
  ASSERT_TRUE(rig.translate(kDevA, 0x5000).ok());
  // 0x200000 has its own PDE (index 1) in the same page directory.
  const TranslationResult r = rig.translate(kDevA, 0x200000);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.outcome.psc_hit_level, 3);
  EXPECT_EQ(r.outcome.walk_start_level, 2);
  const std::vector<WalkRead> expected{paging(rig.tables->paging_entry_address(kDom1, Iova(0x200000), 2), 2),
                                       paging(rig.tables->paging_entry_address(kDom1, Iova(0x200000), 1), 1)};
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateCaching, PscPermissionsCarryIntoTheShortWalk) {
  CachingRig rig;
  // Clear W in the PDE that covers 0x5000 and 0x6000, then warm the PDE cache with a read.
  const std::uint64_t pde = rig.tables->paging_entry_address(kDom1, Iova(0x6000), 2);
  std::uint64_t v = 0;
  ASSERT_TRUE(rig.memory.read64(pde, v));
  rig.memory.write64(pde, v & ~2ull);
  ASSERT_TRUE(rig.translate(kDevA, 0x5000).ok());
  const TranslationResult r = rig.translate(kDevA, 0x6000, Access::kWrite);
  EXPECT_EQ(r.outcome.psc_hit_level, 2);
  EXPECT_EQ(r.fault, FaultReason::kWriteDenied);
}

TEST(TranslateCaching, WithoutCachingModeFaultsAreNeverCached) {
  CachingRig rig(/*caching_mode=*/false);
  const TranslationResult a = rig.translate(kDevA, 0x7000);
  EXPECT_EQ(a.fault, FaultReason::kReadDenied);
  const TranslationResult b = rig.translate(kDevA, 0x7000);
  EXPECT_EQ(b.fault, FaultReason::kReadDenied);
  EXPECT_FALSE(b.outcome.iotlb_hit);
  EXPECT_EQ(b.walk.count, 1);  // context cached (valid); PDE cached; the PTE is read again
  // A not-present context is read again every time too.
  rig.tables->set_blocked(kDevB);
  EXPECT_EQ(rig.translate(kDevB, 0x5000).walk.count, 2);
  const TranslationResult c = rig.translate(kDevB, 0x5000);
  EXPECT_EQ(c.fault, FaultReason::kContextNotPresent);
  EXPECT_FALSE(c.outcome.context_cache_hit);
  EXPECT_EQ(c.walk.count, 2);
}

TEST(TranslateCaching, WithCachingModeNotPresentTranslationIsCachedUntilInvalidated) {
  CachingRig rig(/*caching_mode=*/true);
  EXPECT_EQ(rig.translate(kDevA, 0x7000).fault, FaultReason::kReadDenied);
  const TranslationResult hit = rig.translate(kDevA, 0x7000);
  EXPECT_EQ(hit.fault, FaultReason::kReadDenied);
  EXPECT_TRUE(hit.outcome.iotlb_hit);
  EXPECT_EQ(hit.walk.count, 0);
  // The negative entry reports the permission the request lacks.
  EXPECT_EQ(rig.translate(kDevA, 0x7000, Access::kWrite).fault, FaultReason::kWriteDenied);
  // Software maps the page: the stale negative entry still faults until it invalidates.
  rig.tables->map(kDom1, Iova(0x7000), HostAddr(0xc000), 0x1000, Perms{true, true});
  EXPECT_EQ(rig.translate(kDevA, 0x7000).fault, FaultReason::kReadDenied);
  rig.invalidate_all();
  const TranslationResult ok = rig.translate(kDevA, 0x7000);
  ASSERT_TRUE(ok.ok()) << ok.fault;
  EXPECT_EQ(ok.host.value, 0xc000u);
}

TEST(TranslateCaching, WithCachingModeNotPresentContextIsCached) {
  CachingRig rig(/*caching_mode=*/true);
  rig.tables->set_blocked(kDevB);
  EXPECT_EQ(rig.translate(kDevB, 0x5000).fault, FaultReason::kContextNotPresent);
  const TranslationResult hit = rig.translate(kDevB, 0x5000);
  EXPECT_EQ(hit.fault, FaultReason::kContextNotPresent);
  EXPECT_TRUE(hit.outcome.context_cache_hit);
  EXPECT_EQ(hit.walk.count, 0);
  rig.tables->set_context(kDevB, kDom1);
  EXPECT_EQ(rig.translate(kDevB, 0x5000).fault, FaultReason::kContextNotPresent);
  rig.invalidate_all();
  EXPECT_TRUE(rig.translate(kDevB, 0x5000).ok());
}

TEST(TranslateCaching, AccessErrorsAreNotCachedEvenWithCachingMode) {
  CachingRig rig(/*caching_mode=*/true);
  rig.memory.write64(rig.tables->root_entry_address(3), (txrig::kMemoryLimit) | 1);
  const SourceId dev = SourceId::from_bdf(3, 0, 0);
  EXPECT_EQ(rig.translate(dev, 0x5000).fault, FaultReason::kContextTableAccessError);
  const TranslationResult again = rig.translate(dev, 0x5000);
  EXPECT_FALSE(again.outcome.context_cache_hit);
  EXPECT_EQ(again.walk.count, 2);
}

TEST(TranslateCaching, CachedContextKeepsFaultProcessingDisable) {
  CachingRig rig;
  rig.tables->set_context(kDevB, kDom1, core::LegacyContextOptions{true, false});
  rig.invalidate_all();
  EXPECT_EQ(rig.translate(kDevB, 0x7000).fault, FaultReason::kReadDenied);
  const TranslationResult second = rig.translate(kDevB, 0x7000);
  EXPECT_TRUE(second.outcome.context_cache_hit);
  EXPECT_EQ(second.fault, FaultReason::kReadDenied);
  EXPECT_TRUE(rig.recorded_faults().empty());
}

TEST(TranslateCaching, Pml4eCacheHitInFiveLevelTable) {
  config::UnitConfig c;
  c.cap.sagaw = 0b1110;
  c.cap.mgaw = 57;
  Rig rig(core::TableFormat::kLegacy, c);
  auto& t = *rig.tables;
  t.create_domain(kDom1, 5);
  const std::uint64_t a = 0x5000;
  const std::uint64_t b = (1ull << 30) | 0x5000;  // same PML5E and PML4E, next PDPE
  t.map(kDom1, Iova(a), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.map(kDom1, Iova(b), HostAddr(0xa000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  rig.enable();
  ASSERT_EQ(rig.translate(kDevA, a).walk.count, 7);
  const TranslationResult r = rig.translate(kDevA, b);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.outcome.psc_hit_level, 4);
  EXPECT_EQ(r.outcome.walk_start_level, 3);
  const std::vector<WalkRead> expected{paging(t.paging_entry_address(kDom1, Iova(b), 3), 3),
                                       paging(t.paging_entry_address(kDom1, Iova(b), 2), 2),
                                       paging(t.paging_entry_address(kDom1, Iova(b), 1), 1)};
  EXPECT_EQ(reads_of(r), expected);
  EXPECT_EQ(r.host.value, 0xa000u);
}

TEST(TranslateCaching, WithCachingModeReservedPagingEntryIsCachedAsNegative) {
  CachingRig rig(/*caching_mode=*/true);
  const std::uint64_t pte = rig.tables->paging_entry_address(kDom1, Iova(0x6000), 1);
  std::uint64_t v = 0;
  ASSERT_TRUE(rig.memory.read64(pte, v));
  rig.memory.write64(pte, v | (1ull << 50));  // above HAW
  EXPECT_EQ(rig.translate(kDevA, 0x6000).fault, FaultReason::kPagingEntryReserved);
  const TranslationResult hit = rig.translate(kDevA, 0x6000, Access::kWrite);
  EXPECT_EQ(hit.fault, FaultReason::kPagingEntryReserved);
  EXPECT_TRUE(hit.outcome.iotlb_hit);
  EXPECT_EQ(hit.walk.count, 0);
}

TEST(TranslateCaching, ScalableIotlbEntriesAreTaggedByPasid) {
  Rig rig(core::TableFormat::kScalable);
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.create_domain(DomainId(2));
  t.map(DomainId(2), Iova(0x5000), HostAddr(0x7000), 0x1000, Perms{true, true});
  t.set_scalable_context(kDevA);
  t.set_pasid_entry(kDevA, Pasid(0), core::TableBuilder::PasidMode::kSecondLevel, kDom1);
  t.set_pasid_entry(kDevA, Pasid(0x45), core::TableBuilder::PasidMode::kSecondLevel, DomainId(2));
  rig.enable();
  for (int round = 0; round < 2; ++round) {
    const TranslationResult rid = rig.translate(kDevA, 0x5000);
    const TranslationResult with = rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x45));
    ASSERT_TRUE(rid.ok() && with.ok());
    EXPECT_EQ(rid.host.value, 0x9000u);
    EXPECT_EQ(with.host.value, 0x7000u);
    EXPECT_EQ(rid.outcome.iotlb_hit, round == 1);
    EXPECT_EQ(with.outcome.iotlb_hit, round == 1);
    EXPECT_EQ(with.outcome.pasid_cache_hit, round == 1);
  }
}
