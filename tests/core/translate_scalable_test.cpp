// Scalable-mode translation path (VT-d spec 3.4.3, 9.2, 9.4-9.6) against hand-built tables:
// exact walk reads through root, context, PASID directory and PASID table, PGTT second-level and
// pass-through, RID_PASID for requests without PASID, and the SM fault codes of table 7.1.3.
#include <gtest/gtest.h>

#include "translation_rig.hpp"
#include "vtdsim/spec/pasid_entry.hpp"
#include "vtdsim/spec/scalable_context_entry.hpp"
#include "vtdsim/spec/sl_paging_entry.hpp"

using namespace vtdsim;
using core::ScalableContextOptions;
using core::TranslationResult;
using core::WalkRead;
using core::WalkReadKind;
using spec::FaultReason;
using txrig::reads_of;
using txrig::Rig;
using PasidMode = core::TableBuilder::PasidMode;

namespace {

const SourceId kDevA = SourceId::from_bdf(0, 3, 0);  // devfn 0x18: lower context table
const SourceId kDevB = SourceId::from_bdf(0, 4, 0);
const SourceId kDevUpper = SourceId::from_bdf(0, 17, 2);  // devfn 0x8a: upper context table
const DomainId kDom1(1), kDom2(2), kDom3(3);

WalkRead paging(std::uint64_t addr, unsigned level) {
  return WalkRead{addr, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level), false};
}

// Domain 1: iova 0x5000 -> 0x9000 RW. Domain 2: 0x5000 -> 0x7000 read-only.
// kDevA: RID_PASID 0 -> domain 1 (second level), PASID 0x45 -> domain 2, PASID 0x46 pass-through.
struct ScalableRig : Rig {
  explicit ScalableRig(const config::UnitConfig& c = config::UnitConfig{}) : Rig(core::TableFormat::kScalable, c) {
    auto& t = *tables;
    t.create_domain(kDom1, 4);
    t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
    t.create_domain(kDom2, 4);
    t.map(kDom2, Iova(0x5000), HostAddr(0x7000), 0x1000, Perms{true, false});
    t.set_scalable_context(kDevA);
    t.set_pasid_entry(kDevA, Pasid(0), PasidMode::kSecondLevel, kDom1);
    t.set_pasid_entry(kDevA, Pasid(0x45), PasidMode::kSecondLevel, kDom2);
    t.set_pasid_entry(kDevA, Pasid(0x46), PasidMode::kPassThrough, kDom3);
  }
  std::vector<WalkRead> context_reads(SourceId dev, Pasid pasid) const {
    const std::uint64_t ctx = tables->context_entry_address(dev);
    return {{tables->root_entry_address(dev.bus()), WalkReadKind::kRootEntry, 0, false},
            {ctx, WalkReadKind::kContextEntry, 0, false},
            {ctx + 16, WalkReadKind::kContextEntry, 0, false},
            {tables->pasid_dir_entry_address(dev, pasid), WalkReadKind::kPasidDirectory, 0, false},
            {tables->pasid_entry_address(dev, pasid), WalkReadKind::kPasidTable, 0, false}};
  }
  void patch(std::uint64_t addr, std::uint64_t set_bits, std::uint64_t clear_bits = 0) {
    std::uint64_t v = 0;
    ASSERT_TRUE(memory.read64(addr, v));
    memory.write64(addr, (v & ~clear_bits) | set_bits);
  }
};

}  // namespace

TEST(TranslateScalable, RequestWithoutPasidUsesRidPasidAndReadsEveryLevel) {
  ScalableRig rig;
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x5abc, Access::kWrite);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x9abcu);
  EXPECT_EQ(r.domain, kDom1);
  EXPECT_EQ(r.page_size, kPageSize4K);
  std::vector<WalkRead> expected = rig.context_reads(kDevA, Pasid(0));
  for (unsigned level = 4; level >= 1; --level) {
    expected.push_back(paging(rig.tables->paging_entry_address(kDom1, Iova(0x5000), level), level));
  }
  EXPECT_EQ(reads_of(r), expected);
  EXPECT_EQ(r.walk.count, 9);
}

TEST(TranslateScalable, RequestWithPasidUsesThatPasidsTable) {
  ScalableRig rig;
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x5010, Access::kRead, Pasid(0x45));
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x7010u);
  EXPECT_EQ(r.domain, kDom2);
  EXPECT_EQ(r.perms, (Perms{true, false}));
  const auto reads = reads_of(r);
  ASSERT_EQ(reads.size(), 9u);
  // PASID 0x45: directory index 1, table index 5.
  const std::uint64_t ctx = rig.tables->context_entry_address(kDevA);
  std::uint64_t q0 = 0;
  ASSERT_TRUE(rig.memory.read64(ctx, q0));
  const std::uint64_t dir = spec::ScalableContextEntry{{q0, 0, 0, 0}}.pasid_dir_pointer();
  EXPECT_EQ(reads[3].addr, dir + 1 * 8);
  EXPECT_EQ(reads[4].addr % 4096, 5u * 64);
  EXPECT_EQ(std::vector<WalkRead>(reads.begin(), reads.begin() + 5), rig.context_reads(kDevA, Pasid(0x45)));
  EXPECT_EQ(rig.translate(kDevA, 0x5010, Access::kWrite, Pasid(0x45)).fault, FaultReason::kSmWriteDenied);
}

TEST(TranslateScalable, NonZeroRidPasidSelectsItsEntry) {
  ScalableRig rig;
  ScalableContextOptions o;
  o.rid_pasid = 0x80;  // directory index 2
  rig.tables->set_scalable_context(kDevB, o);
  rig.tables->set_pasid_entry(kDevB, Pasid(0x80), PasidMode::kSecondLevel, kDom2);
  rig.enable();
  const TranslationResult r = rig.translate(kDevB, 0x5000);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.domain, kDom2);
  EXPECT_EQ(r.host.value, 0x7000u);
  const auto reads = reads_of(r);
  EXPECT_EQ(std::vector<WalkRead>(reads.begin(), reads.begin() + 5), rig.context_reads(kDevB, Pasid(0x80)));
}

TEST(TranslateScalable, PassThroughPasidGivesIdentityAfterPasidEntry) {
  ScalableRig rig;
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x123456000, Access::kWrite, Pasid(0x46));
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x123456000u);
  EXPECT_FALSE(r.outcome.translated);
  EXPECT_EQ(r.domain, kDom3);
  EXPECT_EQ(reads_of(r), rig.context_reads(kDevA, Pasid(0x46)));
}

TEST(TranslateScalable, PassThroughWithoutEcapPtIsInvalidPasidEntry) {
  config::UnitConfig c;
  c.cap.pt = false;
  ScalableRig rig(c);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000, Access::kRead, Pasid(0x46)).fault, FaultReason::kSmPasidEntryInvalid);
}

TEST(TranslateScalable, UpperHalfDevfnUsesUpperContextTable) {
  ScalableRig rig;
  rig.tables->set_scalable_context(kDevUpper);
  rig.tables->set_pasid_entry(kDevUpper, Pasid(0), PasidMode::kSecondLevel, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevUpper, 0x5004);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x9004u);
  const std::uint64_t upper_ctx = rig.tables->context_entry_address(kDevUpper);
  const std::uint64_t lower_ctx = rig.tables->context_entry_address(kDevA);
  EXPECT_NE(upper_ctx & ~0xfffull, lower_ctx & ~0xfffull);
  EXPECT_EQ(upper_ctx % 4096, (0x8au & 0x7f) * 32);
  EXPECT_EQ(r.walk.reads[1].addr, upper_ctx);
}

TEST(TranslateScalable, RootNotPresentForUnusedBusAndUnusedHalf) {
  ScalableRig rig;
  rig.enable();
  EXPECT_EQ(rig.translate(SourceId::from_bdf(9, 0, 0), 0x5000).fault, FaultReason::kSmRootNotPresent);
  // Bus 0 has only the lower half: devfn >= 128 finds UP = 0.
  EXPECT_EQ(rig.translate(kDevUpper, 0x5000).fault, FaultReason::kSmRootNotPresent);
}

TEST(TranslateScalable, ContextNotPresentAndReserved) {
  ScalableRig rig;
  rig.tables->set_blocked(kDevB);
  rig.patch(rig.tables->context_entry_address(kDevA), 1ull << 5);  // bit 5: reserved
  rig.enable();
  EXPECT_EQ(rig.translate(kDevB, 0x5000).fault, FaultReason::kSmContextNotPresent);
  EXPECT_EQ(rig.translate(kDevA, 0x5000).fault, FaultReason::kSmContextReserved);
}

TEST(TranslateScalable, RootReservedBit) {
  ScalableRig rig;
  rig.patch(rig.tables->root_entry_address(0), 1ull << 3);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000).fault, FaultReason::kSmRootReserved);
}

TEST(TranslateScalable, RequestWithPasidNeedsPasidEnable) {
  ScalableRig rig;
  ScalableContextOptions o;
  o.pasid_enable = false;
  rig.tables->set_scalable_context(kDevB, o);
  rig.tables->set_pasid_entry(kDevB, Pasid(0), PasidMode::kSecondLevel, kDom1);
  rig.enable();
  EXPECT_TRUE(rig.translate(kDevB, 0x5000).ok());
  EXPECT_EQ(rig.translate(kDevB, 0x5000, Access::kRead, Pasid(0)).fault, FaultReason::kSmPasidDisabled);
}

TEST(TranslateScalable, PasidBeyondDirectorySize) {
  ScalableRig rig;  // PDTS 0: 128 directory entries, PASIDs below 0x2000
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x2000)).fault, FaultReason::kSmPasidBeyondDirectory);
}

TEST(TranslateScalable, RidPasidBeyondDirectoryIsRidPasidError) {
  ScalableRig rig;
  const std::uint64_t ctx = rig.tables->context_entry_address(kDevA);
  rig.patch(ctx + 8, 0x3000);  // RID_PASID 0x3000: directory index 0xc0 >= 128
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000).fault, FaultReason::kSmRidPasidError);
}

TEST(TranslateScalable, PasidDirectoryAndTableEntryNotPresent) {
  ScalableRig rig;
  rig.enable();
  // 0x1000: directory index 64, never set. 0x47: table of index 1 exists, entry 7 is empty.
  const TranslationResult dir = rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x1000));
  EXPECT_EQ(dir.fault, FaultReason::kSmPasidDirNotPresent);
  EXPECT_EQ(dir.walk.count, 4);
  const TranslationResult pte = rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x47));
  EXPECT_EQ(pte.fault, FaultReason::kSmPasidEntryNotPresent);
  EXPECT_EQ(pte.walk.count, 5);
}

TEST(TranslateScalable, PasidEntryReservedAndInvalid) {
  ScalableRig rig;
  rig.patch(rig.tables->pasid_entry_address(kDevA, Pasid(0x45)), 1ull << 10);  // reserved bit 10
  const std::uint64_t pt = rig.tables->pasid_entry_address(kDevA, Pasid(0x46));
  rig.patch(pt, spec::with_field(0, 8, 6, 1), spec::bits_mask(8, 6));  // PGTT 001b: first level
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x45)).fault, FaultReason::kSmPasidEntryReserved);
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x46)).fault, FaultReason::kSmPasidEntryInvalid);
}

TEST(TranslateScalable, PasidEntryAddressWidthNotInSagawIsInvalid) {
  ScalableRig rig;
  rig.tables->create_domain(DomainId(9), 5);  // SAGAW = 0110b has no 5-level
  rig.tables->set_pasid_entry(kDevA, Pasid(0x48), PasidMode::kSecondLevel, DomainId(9));
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x48)).fault, FaultReason::kSmPasidEntryInvalid);
}

TEST(TranslateScalable, SecondLevelFaultsUseScalableCodes) {
  ScalableRig rig;
  rig.tables->map(kDom1, Iova(0x8000), HostAddr(0xa000), 0x1000, Perms{false, true});  // write-only
  rig.enable();
  // Non-present PTE: SSL.2 for reads and writes alike.
  EXPECT_EQ(rig.translate(kDevA, 0x6000, Access::kRead).fault, FaultReason::kSmSlNotPresent);
  EXPECT_EQ(rig.translate(kDevA, 0x6000, Access::kWrite).fault, FaultReason::kSmSlNotPresent);
  EXPECT_EQ(rig.translate(kDevA, 0x8000, Access::kRead).fault, FaultReason::kSmReadDenied);
  EXPECT_EQ(rig.translate(kDevA, 1ull << 48).fault, FaultReason::kSmAddressBeyondAgaw);
}

TEST(TranslateScalable, SecondLevelReservedAndAccessErrors) {
  ScalableRig rig;
  auto& t = *rig.tables;
  t.map(kDom2, Iova(0x40000000), HostAddr(0x1000), 0x1000, Perms{true, true});
  // Domain 1: reserved bit in the PDPE. Domain 2: PDE of 0x40000000 points beyond memory.
  rig.patch(t.paging_entry_address(kDom1, Iova(0x5000), 3), 1ull << 62);
  rig.memory.write64(t.paging_entry_address(kDom2, Iova(0x40000000), 2),
                     spec::SlPagingEntry::make_table(txrig::kMemoryLimit).raw);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000).fault, FaultReason::kSmSlReserved);
  const TranslationResult r = rig.translate(kDevA, 0x40000000, Access::kRead, Pasid(0x45));
  EXPECT_EQ(r.fault, FaultReason::kSmSlAccessError);
  EXPECT_EQ(r.walk.count, 5 + 4);
}

TEST(TranslateScalable, SlptptrBeyondMemoryIsInvalidPointer) {
  ScalableRig rig;
  const std::uint64_t pe = rig.tables->pasid_entry_address(kDevA, Pasid(0x45));
  rig.patch(pe, txrig::kMemoryLimit, spec::bits_mask(63, 12));
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid(0x45)).fault, FaultReason::kSmSlPointerInvalid);
}

TEST(TranslateScalable, TableAccessErrors) {
  ScalableRig rig;
  const std::uint64_t ctx = rig.tables->context_entry_address(kDevA);
  rig.patch(ctx, txrig::kMemoryLimit, spec::bits_mask(63, 12));  // PASID directory beyond memory
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000).fault, FaultReason::kSmPasidDirAccessError);

  ScalableRig rig2;
  rig2.enable_with_rtaddr(txrig::kMemoryLimit | (1ull << 10));
  EXPECT_EQ(rig2.translate(kDevA, 0x5000).fault, FaultReason::kSmRootAccessError);
}

TEST(TranslateScalable, TranslationRequestNeedsDeviceTlbEnable) {
  ScalableRig rig;
  ScalableContextOptions o;
  o.device_tlb = true;
  rig.tables->set_scalable_context(kDevB, o);
  rig.tables->set_pasid_entry(kDevB, Pasid(0), PasidMode::kSecondLevel, kDom1);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid{}, AddressType::kTranslationRequest).fault,
            FaultReason::kSmDeviceTlbDisabled);
  const TranslationResult r = rig.translate(kDevB, 0x5000, Access::kRead, Pasid{}, AddressType::kTranslationRequest);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x9000u);
}

TEST(TranslateScalable, PasidEntryFaultProcessingDisableSuppressesRecording) {
  ScalableRig rig;
  rig.tables->set_pasid_entry(kDevA, Pasid(0x50), PasidMode::kSecondLevel, kDom1, /*fpd=*/true);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x6000, Access::kRead, Pasid(0x50)).fault, FaultReason::kSmSlNotPresent);
  EXPECT_TRUE(rig.recorded_faults().empty());
  EXPECT_EQ(rig.translate(kDevA, 0x6000, Access::kRead, Pasid(0x45)).fault, FaultReason::kSmSlNotPresent);
  const auto faults = rig.recorded_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].reason, 0x79);
  EXPECT_TRUE(faults[0].pasid_present);
  EXPECT_EQ(faults[0].pasid, 0x45u);
  EXPECT_EQ(faults[0].address, 0x6000u);
}
