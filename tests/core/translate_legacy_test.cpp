// Legacy-mode translation path against hand-built tables with known answers: exact walk reads per
// table depth, superpages and CAP.SLLPS, pass-through, address types, and every fault reason of
// the legacy rows of VT-d spec table 7.1.3 reachable from a table state.
#include <gtest/gtest.h>

#include "translation_rig.hpp"
#include "vtdsim/spec/context_entry.hpp"
#include "vtdsim/spec/root_entry.hpp"
#include "vtdsim/spec/sl_paging_entry.hpp"

using namespace vtdsim;
using core::TranslationResult;
using core::WalkRead;
using core::WalkReadKind;
using spec::FaultReason;
using txrig::reads_of;
using txrig::Rig;

namespace {

const SourceId kDevA = SourceId::from_bdf(0, 3, 0);  // devfn 0x18
const SourceId kDevB = SourceId::from_bdf(0, 4, 0);  // devfn 0x20
const SourceId kDevOtherBus = SourceId::from_bdf(7, 1, 0);
const DomainId kDom1(1);
const DomainId kDom2(2);

WalkRead paging(std::uint64_t addr, unsigned level) {
  return WalkRead{addr, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level), false};
}

// Expected reads for a full walk: root, context, then levels top..stop_level.
std::vector<WalkRead> full_walk(const core::TableBuilder& t, SourceId dev, DomainId dom, std::uint64_t iova,
                                unsigned stop_level = 1) {
  std::vector<WalkRead> v{{t.root_entry_address(dev.bus()), WalkReadKind::kRootEntry, 0, false},
                          {t.context_entry_address(dev), WalkReadKind::kContextEntry, 0, false}};
  for (unsigned level = t.domain_levels(dom); level >= stop_level; --level) {
    v.push_back(paging(t.paging_entry_address(dom, Iova(iova), level), level));
  }
  return v;
}

config::UnitConfig with_cap(void (*edit)(config::CapabilityConfig&)) {
  config::UnitConfig c;
  edit(c.cap);
  return c;
}

}  // namespace

TEST(TranslateLegacy, TranslationDisabledPassesThroughUntranslated) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1);
  // RTADDR set but TE never enabled.
  rig.unit->write_register(txrig::kRtaddr, 8, rig.tables->rtaddr());
  rig.unit->write_register(txrig::kGcmd, 4, txrig::kGcmdSrtp);
  const TranslationResult r = rig.translate(kDevA, 0xdead1234, Access::kWrite);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.host.value, 0xdead1234u);
  EXPECT_FALSE(r.outcome.translated);
  EXPECT_EQ(r.walk.count, 0);
}

TEST(TranslateLegacy, FourLevelWalkReadsExactAddresses) {
  Rig rig;
  auto& t = *rig.tables;
  // Allocation order fixes every table address: root 0x100000, domain PML4 0x101000, PDPT
  // 0x102000, PD 0x103000, PT 0x104000, bus-0 context table 0x105000.
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x12345000), HostAddr(0x80000000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x12345678);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x80000678u);
  EXPECT_EQ(r.page_size, kPageSize4K);
  EXPECT_EQ(r.perms, (Perms{true, true}));
  EXPECT_EQ(r.domain, kDom1);
  EXPECT_TRUE(r.outcome.translated);
  EXPECT_EQ(r.outcome.walk_start_level, 4);
  // iova 0x12345000: PML4 index 0, PDPT index 0, PD index 0x91, PT index 0x145.
  const std::vector<WalkRead> expected{{0x100000, WalkReadKind::kRootEntry, 0, false},
                                       {0x105000 + 0x18 * 16, WalkReadKind::kContextEntry, 0, false},
                                       paging(0x101000, 4),
                                       paging(0x102000, 3),
                                       paging(0x103000 + 0x91 * 8, 2),
                                       paging(0x104000 + 0x145 * 8, 1)};
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateLegacy, ThreeLevelWalkReadsThreePagingEntries) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1, 3);
  const std::uint64_t iova = 0x7fabc000;  // below 2^39
  t.map(kDom1, Iova(iova), HostAddr(0x40000000), 0x1000, Perms{true, false});
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, iova + 0x10);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x40000010u);
  EXPECT_EQ(r.outcome.walk_start_level, 3);
  EXPECT_EQ(reads_of(r), full_walk(t, kDevA, kDom1, iova));
  EXPECT_EQ(r.walk.count, 2 + 3);
}

TEST(TranslateLegacy, FiveLevelWalkReadsFivePagingEntries) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) {
            c.sagaw = 0b1110;
            c.mgaw = 57;
          }));
  auto& t = *rig.tables;
  t.create_domain(kDom1, 5);
  const std::uint64_t iova = (3ull << 48) | (5ull << 39) | 0x1000;  // uses the PML5 index
  t.map(kDom1, Iova(iova), HostAddr(0x1234000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, iova | 0xabc, Access::kWrite);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x1234abcu);
  EXPECT_EQ(r.outcome.walk_start_level, 5);
  const auto reads = reads_of(r);
  EXPECT_EQ(reads, full_walk(t, kDevA, kDom1, iova));
  ASSERT_EQ(reads.size(), 7u);
  EXPECT_EQ(reads[2].addr, t.domain_table(kDom1) + 3 * 8);  // PML5 index 3
}

TEST(TranslateLegacy, TwoMegabytePageWhenSllpsAllows) {
  Rig rig;  // default CAP.SLLPS = 01b (2 MiB)
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x40200000), HostAddr(0x80400000), kPageSize2M, Perms{true, true}, kPageSize2M);
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x40212345);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x80412345u);
  EXPECT_EQ(r.page_size, kPageSize2M);
  EXPECT_EQ(reads_of(r), full_walk(t, kDevA, kDom1, 0x40200000, 2));  // stops at the PDE
}

TEST(TranslateLegacy, OneGigabytePageWhenSllpsAllows) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) { c.sllps = 0b11; }));
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x80000000), HostAddr(0x40000000), kPageSize1G, Perms{true, false}, kPageSize1G);
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x9abcdef0);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x5abcdef0u);
  EXPECT_EQ(r.page_size, kPageSize1G);
  EXPECT_EQ(r.perms, (Perms{true, false}));
  EXPECT_EQ(reads_of(r), full_walk(t, kDevA, kDom1, 0x80000000, 3));
}

TEST(TranslateLegacy, OneGigabytePageIsReservedWhenSllpsLacksIt) {
  Rig rig;  // SLLPS = 01b: no 1 GiB pages
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x80000000), HostAddr(0x40000000), kPageSize1G, Perms{true, true}, kPageSize1G);
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x80000000);
  EXPECT_EQ(r.fault, FaultReason::kPagingEntryReserved);
  EXPECT_EQ(reads_of(r), full_walk(t, kDevA, kDom1, 0x80000000, 3));
}

TEST(TranslateLegacy, TwoMegabytePageIsReservedWhenSllpsIsZero) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) { c.sllps = 0; }));
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x200000), HostAddr(0x400000), kPageSize2M, Perms{true, true}, kPageSize2M);
  t.set_context(kDevA, kDom1);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x200000).fault, FaultReason::kPagingEntryReserved);
}

TEST(TranslateLegacy, PassThroughContextGivesIdentityWithoutWalk) {
  Rig rig;
  auto& t = *rig.tables;
  t.set_pass_through(kDevB, kDom2);
  rig.enable();
  const TranslationResult r = rig.translate(kDevB, 0x123456789, Access::kWrite);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, 0x123456789u);
  EXPECT_FALSE(r.outcome.translated);
  EXPECT_EQ(r.domain, kDom2);
  const std::vector<WalkRead> expected{{t.root_entry_address(0), WalkReadKind::kRootEntry, 0, false},
                                       {t.context_entry_address(kDevB), WalkReadKind::kContextEntry, 0, false}};
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateLegacy, PassThroughWithoutEcapPtIsInvalidContext) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) { c.pt = false; }));
  rig.tables->set_pass_through(kDevB, kDom2);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevB, 0x1000).fault, FaultReason::kInvalidContext);
}

TEST(TranslateLegacy, RootNotPresentForUnusedBus) {
  Rig rig;
  rig.enable();
  const TranslationResult r = rig.translate(kDevOtherBus, 0x1000);
  EXPECT_EQ(r.fault, FaultReason::kRootNotPresent);
  EXPECT_EQ(r.page_size, 0u);
  ASSERT_EQ(r.walk.count, 1);
  EXPECT_EQ(r.walk.reads[0].addr, rig.tables->root_table() + 7 * 16);
}

TEST(TranslateLegacy, ContextNotPresentForBlockedDevice) {
  Rig rig;
  rig.tables->set_blocked(kDevA);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kContextNotPresent);
  // A device on the same bus without a context entry is not present either.
  EXPECT_EQ(rig.translate(kDevB, 0x1000).fault, FaultReason::kContextNotPresent);
}

TEST(TranslateLegacy, ReservedTranslationTypeIsInvalidContext) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.set_context(kDevA, kDom1);
  const std::uint64_t addr = t.context_entry_address(kDevA);
  std::uint64_t lo = 0;
  ASSERT_TRUE(rig.memory.read64(addr, lo));
  rig.memory.write64(addr, spec::with_field(lo, 3, 2, 3));  // TT = 11b
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kInvalidContext);
}

TEST(TranslateLegacy, DeviceTlbTranslationTypeWithoutEcapDtIsInvalidContext) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) { c.dt = false; }));
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1, core::LegacyContextOptions{false, true});
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kInvalidContext);
}

TEST(TranslateLegacy, AddressWidthNotInSagawIsInvalidContext) {
  Rig rig;  // SAGAW = 0110b: 3 and 4 levels only
  rig.tables->create_domain(kDom1, 5);
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x1000);
  EXPECT_EQ(r.fault, FaultReason::kInvalidContext);
  EXPECT_EQ(r.walk.count, 2);  // no paging read
}

TEST(TranslateLegacy, AddressBeyondAgawOfThreeLevelTable) {
  Rig rig;
  rig.tables->create_domain(kDom1, 3);
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 1ull << 39);
  EXPECT_EQ(r.fault, FaultReason::kAddressBeyondAgaw);
  EXPECT_EQ(r.walk.count, 2);
}

TEST(TranslateLegacy, AddressBeyondMgawEvenWhenAgawIsWider) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) { c.mgaw = 40; }));
  rig.tables->create_domain(kDom1, 4);
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 1ull << 40).fault, FaultReason::kAddressBeyondAgaw);
  EXPECT_EQ(rig.translate(kDevA, (1ull << 40) - 0x1000).fault, FaultReason::kReadDenied);  // in range, unmapped
}

TEST(TranslateLegacy, ReadOfWriteOnlyPageIsReadDenied) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{false, true});
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  EXPECT_TRUE(rig.translate(kDevA, 0x5000, Access::kWrite).ok());
  const TranslationResult r = rig.translate(kDevA, 0x5000, Access::kRead);
  EXPECT_EQ(r.fault, FaultReason::kReadDenied);
  EXPECT_EQ(r.host.value, 0u);
}

TEST(TranslateLegacy, WriteOfReadOnlyPageIsWriteDenied) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, false});
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x5008, Access::kWrite);
  EXPECT_EQ(r.fault, FaultReason::kWriteDenied);
  EXPECT_EQ(reads_of(r), full_walk(*rig.tables, kDevA, kDom1, 0x5000));
}

TEST(TranslateLegacy, PermissionsAccumulateDownTheLevels) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  // Clear W in the PDE: the RW leaf is then read-only.
  const std::uint64_t pde = t.paging_entry_address(kDom1, Iova(0x5000), 2);
  std::uint64_t v = 0;
  ASSERT_TRUE(rig.memory.read64(pde, v));
  rig.memory.write64(pde, v & ~2ull);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x5000, Access::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.perms, (Perms{true, false}));
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kWrite).fault, FaultReason::kWriteDenied);
}

TEST(TranslateLegacy, NonPresentLeafIsReportedPerAccess) {
  // Legacy mode has no "not present" code for paging entries: R=W=0 means the request lacks
  // the permission it needs (table 7.1.3, 5h / 6h).
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult rd = rig.translate(kDevA, 0x6000, Access::kRead);
  EXPECT_EQ(rd.fault, FaultReason::kReadDenied);
  EXPECT_EQ(reads_of(rd), full_walk(t, kDevA, kDom1, 0x6000));  // PTE read, found empty
  EXPECT_EQ(rig.translate(kDevA, 0x6000, Access::kWrite).fault, FaultReason::kWriteDenied);
}

TEST(TranslateLegacy, NonPresentIntermediateEntryStopsTheWalk) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  rig.enable();
  const std::uint64_t iova = 1ull << 39;  // PML4 index 1: empty
  const TranslationResult r = rig.translate(kDevA, iova, Access::kWrite);
  EXPECT_EQ(r.fault, FaultReason::kWriteDenied);
  ASSERT_EQ(r.walk.count, 3);
  EXPECT_EQ(r.walk.reads[2], paging(t.domain_table(kDom1) + 8, 4));
}

TEST(TranslateLegacy, ReservedBitInRootEntry) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1);
  const std::uint64_t addr = rig.tables->root_entry_address(0);
  std::uint64_t lo = 0;
  ASSERT_TRUE(rig.memory.read64(addr, lo));
  rig.memory.write64(addr, lo | 0x2);  // bit 1: reserved
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kRootReserved);
}

TEST(TranslateLegacy, ReservedBitAboveHawInRootEntry) {
  Rig rig;
  rig.tables->set_blocked(kDevA);
  const std::uint64_t addr = rig.tables->root_entry_address(0);
  std::uint64_t lo = 0;
  ASSERT_TRUE(rig.memory.read64(addr, lo));
  rig.memory.write64(addr, lo | (1ull << 50));  // HAW = 46
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kRootReserved);
}

TEST(TranslateLegacy, ReservedBitInContextEntry) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1);
  const std::uint64_t addr = rig.tables->context_entry_address(kDevA) + 8;
  std::uint64_t hi = 0;
  ASSERT_TRUE(rig.memory.read64(addr, hi));
  rig.memory.write64(addr, hi | (1ull << 30));  // bit 94: reserved
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kContextReserved);
}

TEST(TranslateLegacy, ReservedBitInPagingEntry) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  const std::uint64_t pdpe = t.paging_entry_address(kDom1, Iova(0x5000), 3);
  std::uint64_t v = 0;
  ASSERT_TRUE(rig.memory.read64(pdpe, v));
  rig.memory.write64(pdpe, v | (1ull << 11));  // bit 11 is reserved in a non-leaf entry
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x5000);
  EXPECT_EQ(r.fault, FaultReason::kPagingEntryReserved);
  EXPECT_EQ(reads_of(r), full_walk(t, kDevA, kDom1, 0x5000, 3));
}

TEST(TranslateLegacy, PageSizeBitInPml4eIsReserved) {
  Rig rig(core::TableFormat::kLegacy, with_cap([](config::CapabilityConfig& c) { c.sllps = 0b11; }));
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  const std::uint64_t pml4e = t.paging_entry_address(kDom1, Iova(0x5000), 4);
  std::uint64_t v = 0;
  ASSERT_TRUE(rig.memory.read64(pml4e, v));
  rig.memory.write64(pml4e, v | (1ull << 7));
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000).fault, FaultReason::kPagingEntryReserved);
}

TEST(TranslateLegacy, RootTableBeyondMemoryIsRootTableAccessError) {
  Rig rig;
  rig.enable_with_rtaddr(txrig::kMemoryLimit + 0x1000);
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kRootTableAccessError);
}

TEST(TranslateLegacy, ContextTableBeyondMemoryIsContextTableAccessError) {
  Rig rig;
  rig.memory.write64(rig.tables->root_entry_address(0), spec::RootEntry::make(txrig::kMemoryLimit).lo);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x1000).fault, FaultReason::kContextTableAccessError);
}

TEST(TranslateLegacy, SlptptrBeyondMemoryIsInvalidContext) {
  // Table 7.1.3, 3h: an error accessing the paging entry referenced through SLPTPTR.
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1);
  const spec::ContextEntry e =
      spec::ContextEntry::make(spec::ContextTranslationType::kUntranslated, txrig::kMemoryLimit, 2, 1, false);
  rig.memory.write64(rig.tables->context_entry_address(kDevA), e.lo);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x1000);
  EXPECT_EQ(r.fault, FaultReason::kInvalidContext);
  ASSERT_EQ(r.walk.count, 3);
  EXPECT_EQ(r.walk.reads[2], paging(txrig::kMemoryLimit, 4));
}

TEST(TranslateLegacy, LowerTableBeyondMemoryIsPagingEntryAccessError) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);
  rig.memory.write64(t.paging_entry_address(kDom1, Iova(0x5000), 3),
                     spec::SlPagingEntry::make_table(txrig::kMemoryLimit + 0x2000).raw);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x5000);
  EXPECT_EQ(r.fault, FaultReason::kPagingEntryAccessError);
  ASSERT_EQ(r.walk.count, 5);
  EXPECT_EQ(r.walk.reads[4], paging(txrig::kMemoryLimit + 0x2000, 2));
}

TEST(TranslateLegacy, SelfReferencingTableTerminatesAfterOneReadPerLevel) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.set_context(kDevA, kDom1);
  // Index 1 at every level; that entry points back at the same (top-level) table.
  const std::uint64_t iova = (1ull << 39) | (1ull << 30) | (1ull << 21) | (1ull << 12);
  const std::uint64_t top = t.domain_table(kDom1);
  rig.memory.write64(top + 8, spec::SlPagingEntry::make_table(top).raw);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, iova + 0x44);
  // The walk reads the same entry four times and takes it as the PTE at level 1.
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host.value, top + 0x44);
  const std::vector<WalkRead> expected{{t.root_entry_address(0), WalkReadKind::kRootEntry, 0, false},
                                       {t.context_entry_address(kDevA), WalkReadKind::kContextEntry, 0, false},
                                       paging(top + 8, 4),
                                       paging(top + 8, 3),
                                       paging(top + 8, 2),
                                       paging(top + 8, 1)};
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateLegacy, SelfReferencingContextTableTerminates) {
  // A root entry whose context-table pointer is the root table itself: two reads, then a fault.
  Rig rig;
  rig.memory.write64(rig.tables->root_entry_address(0), spec::RootEntry::make(rig.tables->root_table()).lo);
  rig.enable();
  const TranslationResult r = rig.translate(SourceId::from_bdf(0, 0, 0), 0x1000);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.walk.count, 2);
}

TEST(TranslateLegacy, TranslationRequestBlockedUnlessDeviceTlbEnabled) {
  Rig rig;
  auto& t = *rig.tables;
  t.create_domain(kDom1);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_context(kDevA, kDom1);                                           // TT = 00b
  t.set_context(kDevB, kDom1, core::LegacyContextOptions{false, true});  // TT = 01b
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x5000, Access::kRead, Pasid{}, AddressType::kTranslationRequest).fault,
            FaultReason::kTranslationBlocked);
  EXPECT_EQ(rig.translate(kDevA, 0x9000, Access::kRead, Pasid{}, AddressType::kTranslated).fault,
            FaultReason::kTranslationBlocked);
  const auto faults = rig.recorded_faults();
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].reason, 0x0d);
  EXPECT_EQ(faults[0].address_type, 1);  // translation request
  EXPECT_EQ(faults[1].address_type, 2);  // translated request
  const TranslationResult tr = rig.translate(kDevB, 0x5000, Access::kRead, Pasid{}, AddressType::kTranslationRequest);
  ASSERT_TRUE(tr.ok()) << tr.fault;
  EXPECT_EQ(tr.host.value, 0x9000u);
  const TranslationResult translated = rig.translate(kDevB, 0x9000, Access::kWrite, Pasid{}, AddressType::kTranslated);
  ASSERT_TRUE(translated.ok());
  EXPECT_EQ(translated.host.value, 0x9000u);
  EXPECT_FALSE(translated.outcome.translated);
}

TEST(TranslateLegacy, PassThroughBlocksTranslationRequests) {
  Rig rig;
  rig.tables->set_pass_through(kDevB, kDom2);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevB, 0x5000, Access::kRead, Pasid{}, AddressType::kTranslationRequest).fault,
            FaultReason::kTranslationBlocked);
}

TEST(TranslateLegacy, RequestWithPasidInLegacyModeFaults) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  const TranslationResult r = rig.translate(kDevA, 0x1000, Access::kRead, Pasid(5));
  EXPECT_EQ(r.fault, FaultReason::kSmLegacyRequestWithPasid);
  EXPECT_EQ(r.walk.count, 0);
}

TEST(TranslateLegacy, FaultIsRecordedWithReasonSourceAndPage) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x7123, Access::kWrite).fault, FaultReason::kWriteDenied);
  const auto faults = rig.recorded_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].reason, 0x05);
  EXPECT_EQ(faults[0].source, kDevA.value);
  EXPECT_EQ(faults[0].address, 0x7000u);
}

TEST(TranslateLegacy, FaultProcessingDisabledSuppressesRecording) {
  Rig rig;
  rig.tables->create_domain(kDom1);
  rig.tables->set_context(kDevA, kDom1, core::LegacyContextOptions{true, false});  // FPD = 1
  rig.tables->set_blocked(kDevB, /*fault_processing_disabled=*/true);
  rig.enable();
  EXPECT_EQ(rig.translate(kDevA, 0x7000, Access::kWrite).fault, FaultReason::kWriteDenied);
  EXPECT_EQ(rig.translate(kDevB, 0x7000).fault, FaultReason::kContextNotPresent);
  EXPECT_TRUE(rig.recorded_faults().empty());
  // Root-level faults happen before any context entry is read: FPD cannot apply.
  EXPECT_EQ(rig.translate(kDevOtherBus, 0x7000).fault, FaultReason::kRootNotPresent);
  EXPECT_EQ(rig.recorded_faults().size(), 1u);
}
