// First-stage translation (PGTT 001b; VT-d spec 3.6, PASID entry 9.6, entries 9.7) against
// hand-built tables: 4- and 5-level walks with exact reads, 4K / 2M / 1G pages, the canonical
// check, the access rights of 3.6.1 (user/supervisor, write with WPE, execute with XD and ERE),
// A / EA / D updates of 3.6.2 read back from memory, RID_PASID and RID_PRIV for requests without
// PASID, and every first-stage fault reason with its exact code (spec 7.1.3).
#include <gtest/gtest.h>

#include "fs_rig.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"
#include "vtdsim/spec/pasid_entry.hpp"

using namespace vtdsim;
using core::FsPasidOptions;
using core::FsPerms;
using core::FsSpaceId;
using core::TranslationStage;
using fsrig::fs_read;
using fsrig::FsRig;
using fsrig::kDev;
using fsrig::Req;
using spec::FaultReason;
using spec::FsPagingEntry;
using txrig::reads_of;

namespace {

const DomainId kDid(7);
const FsSpaceId kFs(1);
const Pasid kPasid(0x45);

// kFs (4 levels unless told): iova 0x5000 -> host 0x9000, user, writable.
struct FirstStageRig : FsRig {
  explicit FirstStageRig(unsigned levels = 4, FsPasidOptions o = {}, const config::UnitConfig& c = fsrig::fs_config(),
                         core::ScalableContextOptions ctx = {})
      : FsRig(c, ctx) {
    tables->create_fs_space(kFs, levels);
    tables->map_fs(kFs, Iova(0x5000), 0x9000, 0x1000);
    tables->set_pasid_entry_first_stage(kDev, kPasid, kFs, kDid, o);
    enable();
  }
  std::uint64_t entry(std::uint64_t iova, unsigned level) const {
    return tables->fs_entry_address(kFs, Iova(iova), level);
  }
  // What software does after changing a first-stage entry: p_iotlb_inv_dsc for (DID, PASID).
  std::uint64_t invalidate_pasid() {
    core::InvalidationRequest inv;
    inv.target = core::InvalidationTarget::kPasidIotlb;
    inv.granularity = core::InvalidationGranularity::kPasid;
    inv.domain = kDid;
    inv.pasid = kPasid;
    return unit->invalidate(inv);
  }
};

TEST(TranslateFirstStage, FourLevel4KWalkReadsEachLevelInOrder) {
  FirstStageRig rig;
  const core::TranslationResult r = rig.tx(0x5123, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x9123));
  EXPECT_EQ(r.page_size, kPageSize4K);
  EXPECT_EQ(r.stage, TranslationStage::kFirst);
  EXPECT_EQ(r.domain, kDid);
  EXPECT_EQ(r.perms, (Perms{true, true}));
  auto expected = rig.context_reads(kPasid);
  // iova 0x5123: index 0 at levels 4..2, index 5 in the PTE table.
  const std::uint64_t top = rig.tables->fs_table(kFs);
  EXPECT_EQ(rig.entry(0x5123, 4), top);
  EXPECT_EQ(rig.entry(0x5123, 1) & 0xfff, 5u * 8);
  for (unsigned level = 4; level >= 1; --level) expected.push_back(fs_read(rig.entry(0x5123, level), level));
  EXPECT_EQ(reads_of(r), expected);
  EXPECT_EQ(r.outcome.walk_start_level, 4);
}

TEST(TranslateFirstStage, FiveLevelWalkAndAddressesAbove48Bits) {
  FirstStageRig rig(5);
  // Bits 55:48 set, bit 56 clear: canonical for 5-level paging only.
  const std::uint64_t high = 0x00ab'cd00'0000'0000ull;
  rig.tables->map_fs(kFs, Iova(high), 0x7000, 0x1000);
  const core::TranslationResult r = rig.tx(high + 0x42, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x7042));
  auto expected = rig.context_reads(kPasid);
  for (unsigned level = 5; level >= 1; --level) expected.push_back(fs_read(rig.entry(high, level), level));
  EXPECT_EQ(reads_of(r), expected);
  // Upper half: bits 63:56 all ones.
  const std::uint64_t upper = 0xff80'0000'0000'0000ull;
  rig.tables->map_fs(kFs, Iova(upper), 0xa000, 0x1000);
  EXPECT_EQ(rig.tx(upper + 8, kPasid).host, HostAddr(0xa008));
}

TEST(TranslateFirstStage, NonCanonicalAddressFaultsWithSgn1) {
  FirstStageRig rig(4);
  // 4-level: bit 47 set but bits 63:48 clear.
  const core::TranslationResult r = rig.tx(0x0000'8000'0000'0000ull, kPasid);
  EXPECT_EQ(r.fault, FaultReason::kSmFsNonCanonical);
  EXPECT_EQ(static_cast<int>(r.fault), 0x80);
  EXPECT_EQ(r.fault_stage, TranslationStage::kFirst);
  EXPECT_EQ(r.walk.count, 5u) << "no first-stage read for a non-canonical address";
  // 4-level upper half is canonical (not mapped: not present, not non-canonical).
  EXPECT_EQ(rig.tx(0xffff'8000'0000'0000ull, kPasid).fault, FaultReason::kSmFsNotPresent);
  // An address canonical for 5 levels is not for 4.
  EXPECT_EQ(rig.tx(0x00ab'cd00'0000'0000ull, kPasid).fault, FaultReason::kSmFsNonCanonical);
  FirstStageRig five(5);
  EXPECT_EQ(five.tx(0x0100'0000'0000'0000ull, kPasid).fault, FaultReason::kSmFsNonCanonical);
  EXPECT_EQ(five.tx(0x0000'8000'0000'0000ull, kPasid).fault, FaultReason::kSmFsNotPresent);
}

TEST(TranslateFirstStage, TwoMegabytePage) {
  FirstStageRig rig;
  rig.tables->map_fs(kFs, Iova(0x4000'0000), 0x8000'0000, kPageSize2M, FsPerms{}, kPageSize2M);
  const core::TranslationResult r = rig.tx(0x4012'3456, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x8012'3456));
  EXPECT_EQ(r.page_size, kPageSize2M);
  auto expected = rig.context_reads(kPasid);
  for (unsigned level = 4; level >= 2; --level) expected.push_back(fs_read(rig.entry(0x4000'0000, level), level));
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateFirstStage, OneGigabytePageNeedsFs1gp) {
  FirstStageRig rig;
  rig.tables->map_fs(kFs, Iova(0x80'0000'0000ull), 0xc000'0000, kPageSize1G, FsPerms{}, kPageSize1G);
  const core::TranslationResult r = rig.tx(0x80'2345'6789ull, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0xc000'0000 + 0x2345'6789));
  EXPECT_EQ(r.page_size, kPageSize1G);
  EXPECT_EQ(r.walk.count, 5u + 2u);

  config::UnitConfig no1g = fsrig::fs_config();
  no1g.cap.fl1gp = 0;
  FirstStageRig off(4, {}, no1g);
  off.tables->map_fs(kFs, Iova(0x80'0000'0000ull), 0xc000'0000, kPageSize1G, FsPerms{}, kPageSize1G);
  const core::TranslationResult f = off.tx(0x80'2345'6789ull, kPasid);
  EXPECT_EQ(f.fault, FaultReason::kSmFsReserved);
  EXPECT_EQ(static_cast<int>(f.fault), 0x72);
}

TEST(TranslateFirstStage, NotPresentEntryFaultsWithSfs2) {
  FirstStageRig rig;
  const core::TranslationResult r = rig.tx(0x6000, kPasid);  // PTE index 6 is empty
  EXPECT_EQ(r.fault, FaultReason::kSmFsNotPresent);
  EXPECT_EQ(static_cast<int>(r.fault), 0x71);
  EXPECT_EQ(r.fault_stage, TranslationStage::kFirst);
  EXPECT_EQ(r.walk.count, 5u + 4u);
  const auto recorded = rig.recorded_faults();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].reason, 0x71);
  EXPECT_EQ(recorded[0].address, 0x6000u);
  EXPECT_TRUE(recorded[0].pasid_present);
  EXPECT_EQ(recorded[0].pasid, 0x45u);
}

TEST(TranslateFirstStage, ReservedBitsFaultWithSfs3) {
  {
    FirstStageRig rig;  // HAW 46: bit 50 of the PTE is reserved
    rig.patch(rig.entry(0x5000, 1), 1ull << 50);
    EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmFsReserved);
  }
  {
    FirstStageRig rig;  // PS in a PML4E is reserved
    rig.patch(rig.entry(0x5000, 4), FsPagingEntry::kPageSize);
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsReserved);
    EXPECT_EQ(r.walk.count, 5u + 1u);
  }
  {
    FirstStageRig rig;  // 2 MiB page with bit 13 set (bits 20:13 reserved)
    rig.tables->map_fs(kFs, Iova(0x4000'0000), 0x8000'0000, kPageSize2M, FsPerms{}, kPageSize2M);
    rig.patch(rig.entry(0x4000'0000, 2), 1ull << 13);
    EXPECT_EQ(rig.tx(0x4000'0000, kPasid).fault, FaultReason::kSmFsReserved);
    rig.patch(rig.entry(0x4000'0000, 2), 1ull << 12, 1ull << 13);  // bit 12 is PAT: allowed
    EXPECT_TRUE(rig.tx(0x4000'0000, kPasid).ok());
  }
}

TEST(TranslateFirstStage, AccessErrorsFaultWithSfs4AndSfs1) {
  {
    // FSPTPTR below HAW but beyond host memory (4 GiB): SFS.4.
    FirstStageRig rig;
    rig.patch(rig.tables->pasid_entry_address(kDev, kPasid) + 16, 0x1'0000'0000ull, spec::bits_mask(63, 12));
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsPointerInvalid);
    EXPECT_EQ(static_cast<int>(r.fault), 0x73);
  }
  {
    // A PML4E pointing beyond host memory: reading the PDPE fails, SFS.1.
    FirstStageRig rig;
    rig.patch(rig.entry(0x5000, 4), 0x2'0000'0000ull, spec::bits_mask(51, 12));
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsAccessError);
    EXPECT_EQ(static_cast<int>(r.fault), 0x70);
    EXPECT_EQ(reads_of(r).back(), fs_read(0x2'0000'0000ull, 3));
  }
}

TEST(TranslateFirstStage, FsptptrAboveHawIsReservedPasidEntry) {
  FirstStageRig rig;
  rig.patch(rig.tables->pasid_entry_address(kDev, kPasid) + 16, 1ull << 47);
  EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmPasidEntryReserved);
}

TEST(TranslateFirstStage, UserRequestsNeedUserPagesSgn2) {
  FirstStageRig rig(4, FsPasidOptions{true});                                         // SRE = 1
  rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{true, false, true});  // U/S = 0
  const core::TranslationResult user = rig.tx(0x7000, kPasid);
  EXPECT_EQ(user.fault, FaultReason::kSmFsUserDenied);
  EXPECT_EQ(static_cast<int>(user.fault), 0x81);
  EXPECT_EQ(rig.tx(0x7000, kPasid, Req{Access::kWrite}).fault, FaultReason::kSmFsUserDenied);
  const core::TranslationResult sup = rig.tx(0x7000, kPasid, Req{Access::kRead, true});
  ASSERT_TRUE(sup.ok()) << sup.fault;
  EXPECT_EQ(sup.host, HostAddr(0xb000));
  // U/S = 0 in a non-leaf entry denies user requests to every page below it (once software has
  // invalidated the paging-structure caches that hold the entry, spec 6.2.4).
  rig.patch(rig.entry(0x5000, 3), 0, FsPagingEntry::kUser);
  rig.invalidate_pasid();
  EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmFsUserDenied);
  EXPECT_TRUE(rig.tx(0x5000, kPasid, Req{Access::kRead, true}).ok());
}

TEST(TranslateFirstStage, SupervisorRequestsNeedSreSpt6) {
  FirstStageRig rig;  // SRE = 0
  const core::TranslationResult r = rig.tx(0x5000, kPasid, Req{Access::kRead, true});
  EXPECT_EQ(r.fault, FaultReason::kSmSupervisorRequestDisabled);
  EXPECT_EQ(static_cast<int>(r.fault), 0x5d);
  EXPECT_EQ(r.walk.count, 5u);
}

TEST(TranslateFirstStage, WritesNeedRwUnlessSupervisorWithoutWpe) {
  for (bool wpe : {false, true}) {
    SCOPED_TRACE(wpe ? "WPE=1" : "WPE=0");
    FsPasidOptions o;
    o.supervisor_requests = true;
    o.write_protect = wpe;
    FirstStageRig rig(4, o);
    rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{false, true, true});  // read-only
    const core::TranslationResult user = rig.tx(0x7000, kPasid, Req{Access::kWrite});
    EXPECT_EQ(user.fault, FaultReason::kSmWriteDenied);
    EXPECT_EQ(static_cast<int>(user.fault), 0x85);
    EXPECT_EQ(user.fault_stage, TranslationStage::kFirst);
    const core::TranslationResult read = rig.tx(0x7000, kPasid);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read.perms, (Perms{true, false}));
    const core::TranslationResult sup = rig.tx(0x7000, kPasid, Req{Access::kWrite, true});
    EXPECT_EQ(sup.fault, wpe ? FaultReason::kSmWriteDenied : FaultReason::kNone);
  }
}

TEST(TranslateFirstStage, ExecuteRequestsNeedEreAndNoXd) {
  {
    FirstStageRig rig;  // ERE = 0
    const core::TranslationResult r = rig.tx(0x5000, kPasid, Req{Access::kRead, false, true});
    EXPECT_EQ(r.fault, FaultReason::kSmExecuteRequestDisabled);
    EXPECT_EQ(static_cast<int>(r.fault), 0x5c);
  }
  FsPasidOptions o;
  o.execute_requests = true;
  FirstStageRig rig(4, o);
  rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{true, true, false});  // XD = 1
  EXPECT_TRUE(rig.tx(0x5000, kPasid, Req{Access::kRead, false, true}).ok());
  const core::TranslationResult xd = rig.tx(0x7000, kPasid, Req{Access::kRead, false, true});
  EXPECT_EQ(xd.fault, FaultReason::kSmFsExecuteDenied);
  EXPECT_EQ(static_cast<int>(xd.fault), 0x82);
  EXPECT_TRUE(rig.tx(0x7000, kPasid).ok()) << "XD does not restrict reads";
  // XD in a non-leaf entry covers the pages below it.
  rig.patch(rig.entry(0x5000, 2), FsPagingEntry::kExecuteDisable);
  EXPECT_TRUE(rig.tx(0x5000, kPasid, Req{Access::kRead, false, true}).ok()) << "stale IOTLB entry until invalidated";
  rig.invalidate_pasid();
  EXPECT_EQ(rig.tx(0x5000, kPasid, Req{Access::kRead, false, true}).fault, FaultReason::kSmFsExecuteDenied);
}

TEST(TranslateFirstStage, AccessedAndDirtyBitsAreWrittenBack) {
  FirstStageRig rig;
  for (unsigned level = 4; level >= 1; --level) {
    EXPECT_FALSE(FsPagingEntry{rig.read(rig.entry(0x5000, level))}.accessed());
  }
  const core::TranslationResult r = rig.tx(0x5000, kPasid);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.walk_writes, 4);
  for (unsigned level = 4; level >= 1; --level) {
    const FsPagingEntry e{rig.read(rig.entry(0x5000, level))};
    EXPECT_TRUE(e.accessed()) << "level " << level;
    EXPECT_FALSE(e.dirty()) << "level " << level;
    EXPECT_EQ(e.raw & FsPagingEntry::kExtendedAccessed, 0u) << "EA only with EAFE";
  }
  EXPECT_EQ(rig.tx(0x5000, kPasid).walk_writes, 0) << "A already set: nothing to write";
  const core::TranslationResult w = rig.tx(0x5000, kPasid, Req{Access::kWrite});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.walk_writes, 1);
  EXPECT_TRUE(FsPagingEntry{rig.read(rig.entry(0x5000, 1))}.dirty());
  EXPECT_FALSE(FsPagingEntry{rig.read(rig.entry(0x5000, 2))}.dirty()) << "D only in the leaf";
  EXPECT_EQ(rig.tx(0x5000, kPasid, Req{Access::kWrite}).walk_writes, 0);
}

TEST(TranslateFirstStage, FaultingRequestsDoNotMarkTheLeaf) {
  FirstStageRig rig;
  rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{false, true, true});  // read-only
  const core::TranslationResult r = rig.tx(0x7000, kPasid, Req{Access::kWrite});
  EXPECT_EQ(r.fault, FaultReason::kSmWriteDenied);
  EXPECT_EQ(r.walk_writes, 3) << "the non-leaf entries were used";
  EXPECT_EQ(rig.read(rig.entry(0x7000, 1)) & (FsPagingEntry::kAccessed | FsPagingEntry::kDirty), 0u);
}

TEST(TranslateFirstStage, ExtendedAccessedWithEafe) {
  FsPasidOptions o;
  o.extended_accessed = true;
  FirstStageRig rig(4, o);
  ASSERT_TRUE(rig.tx(0x5000, kPasid).ok());
  for (unsigned level = 4; level >= 1; --level) {
    const std::uint64_t raw = rig.read(rig.entry(0x5000, level));
    EXPECT_EQ(raw & (FsPagingEntry::kAccessed | FsPagingEntry::kExtendedAccessed),
              FsPagingEntry::kAccessed | FsPagingEntry::kExtendedAccessed);
  }
}

TEST(TranslateFirstStage, RequestsWithoutPasidUseRidPasidAndRidPriv) {
  core::ScalableContextOptions ctx;
  ctx.rid_pasid = 0x45;
  {
    FirstStageRig rig(4, {}, fsrig::fs_config(), ctx);
    rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{true, false, true});  // supervisor page
    const core::TranslationResult r = rig.tx(0x5010, Pasid{});
    ASSERT_TRUE(r.ok()) << r.fault;
    EXPECT_EQ(r.host, HostAddr(0x9010));
    EXPECT_EQ(reads_of(r)[4].addr, rig.tables->pasid_entry_address(kDev, kPasid));
    EXPECT_EQ(rig.tx(0x7000, Pasid{}).fault, FaultReason::kSmFsUserDenied) << "RID_PRIV = 0: user";
  }
  ctx.rid_priv = true;
  {
    FirstStageRig rig(4, {}, fsrig::fs_config(), ctx);  // SRE = 0
    EXPECT_EQ(rig.tx(0x5010, Pasid{}).fault, FaultReason::kSmSupervisorRequestDisabled);
  }
  {
    FirstStageRig rig(4, FsPasidOptions{true}, fsrig::fs_config(), ctx);
    rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{true, false, true});
    EXPECT_TRUE(rig.tx(0x7000, Pasid{}).ok()) << "RID_PRIV = 1: supervisor";
    // Requests without PASID carry no execute bit: an execute flag is ignored (ERE = 0 here).
    EXPECT_TRUE(rig.tx(0x7000, Pasid{}, Req{Access::kRead, false, true}).ok());
  }
}

TEST(TranslateFirstStage, PasidEntryProgrammingChecks) {
  {
    config::UnitConfig c = fsrig::fs_config();
    c.cap.flts = false;  // PGTT 001b unsupported
    FirstStageRig rig(4, {}, c);
    EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmPasidEntryInvalid);
  }
  {
    config::UnitConfig c = fsrig::fs_config();
    c.cap.fl5lp = false;  // FSPM 01b unsupported
    FirstStageRig rig(5, {}, c);
    EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmPasidEntryInvalid);
  }
  {
    FirstStageRig rig;
    rig.patch(rig.tables->pasid_entry_address(kDev, kPasid) + 16, spec::with_field(0, 3, 2, 2));  // FSPM 10b
    EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmPasidEntryInvalid);
  }
  {
    FirstStageRig rig;
    rig.patch(rig.tables->pasid_entry_address(kDev, kPasid) + 16, 1ull << 9);  // bits 139:136 reserved
    EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmPasidEntryReserved);
  }
}

TEST(TranslateFirstStage, LeavesAreCachedInTheIotlbByDidAndPasid) {
  FirstStageRig rig;
  ASSERT_TRUE(rig.tx(0x5000, kPasid).ok());
  const core::TranslationResult again = rig.tx(0x5abc, kPasid);
  ASSERT_TRUE(again.ok()) << again.fault;
  EXPECT_TRUE(again.outcome.iotlb_hit);
  EXPECT_TRUE(again.outcome.pasid_cache_hit);
  EXPECT_EQ(again.walk.count, 0u);
  EXPECT_EQ(again.host, HostAddr(0x9abc));
  EXPECT_EQ(again.stage, TranslationStage::kFirst);
  // A PASID-selective IOTLB invalidation (p_iotlb_inv_dsc) drops it: the next request walks.
  EXPECT_GE(rig.invalidate_pasid(), 1u);
  EXPECT_EQ(rig.tx(0x5000, kPasid).walk.count, 4u);
}

TEST(TranslateFirstStage, WriteToACachedCleanPageWalksToSetDirty) {
  FirstStageRig rig;
  ASSERT_TRUE(rig.tx(0x5000, kPasid).ok());  // cached with D = 0
  const core::TranslationResult w = rig.tx(0x5000, kPasid, Req{Access::kWrite});
  ASSERT_TRUE(w.ok()) << w.fault;
  EXPECT_FALSE(w.outcome.iotlb_hit);
  EXPECT_EQ(w.outcome.psc_hit_level, 2) << "the walk resumes from the first-stage PDE cache";
  EXPECT_EQ(w.walk.count, 1u);
  EXPECT_EQ(w.walk_writes, 1);
  EXPECT_TRUE(FsPagingEntry{rig.read(rig.entry(0x5000, 1))}.dirty());
  const core::TranslationResult w2 = rig.tx(0x5000, kPasid, Req{Access::kWrite});
  ASSERT_TRUE(w2.ok());
  EXPECT_TRUE(w2.outcome.iotlb_hit) << "refilled with D = 1";
  EXPECT_EQ(w2.walk_writes, 0);
}

// A first write to a page with A = D = 0 sets both and caches the leaf: the read after it hits
// (spec 6.2.3: the entry is cached once its A bit is set; D = 1 allows writes too).
TEST(TranslateFirstStage, ReadAfterTheFirstWriteHits) {
  FirstStageRig rig;
  ASSERT_EQ(rig.read(rig.entry(0x5000, 1)) & (FsPagingEntry::kAccessed | FsPagingEntry::kDirty), 0u);
  const core::TranslationResult w = rig.tx(0x5000, kPasid, Req{Access::kWrite});
  ASSERT_TRUE(w.ok()) << w.fault;
  EXPECT_FALSE(w.outcome.iotlb_hit);
  const core::TranslationResult r = rig.tx(0x5000, kPasid);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.outcome.iotlb_hit);
  EXPECT_EQ(r.walk.count, 0u);
  EXPECT_TRUE(rig.tx(0x5000, kPasid, Req{Access::kWrite}).outcome.iotlb_hit);
}

TEST(TranslateFirstStage, CachedLeavesKeepTheAccessRightsOfTheirPath) {
  FsPasidOptions o;
  o.supervisor_requests = true;
  o.execute_requests = true;
  o.write_protect = true;
  FirstStageRig rig(4, o);
  rig.tables->map_fs(kFs, Iova(0x7000), 0xb000, 0x1000, FsPerms{false, false, false});  // supervisor, RO, XD
  ASSERT_TRUE(rig.tx(0x7000, kPasid, Req{Access::kRead, true}).ok());                   // fills the IOTLB
  const core::TranslationResult user = rig.tx(0x7000, kPasid);
  EXPECT_TRUE(user.outcome.iotlb_hit);
  EXPECT_EQ(user.fault, FaultReason::kSmFsUserDenied);
  EXPECT_EQ(user.fault_stage, TranslationStage::kFirst);
  const core::TranslationResult exec = rig.tx(0x7000, kPasid, Req{Access::kRead, true, true});
  EXPECT_TRUE(exec.outcome.iotlb_hit);
  EXPECT_EQ(exec.fault, FaultReason::kSmFsExecuteDenied);
  const core::TranslationResult write = rig.tx(0x7000, kPasid, Req{Access::kWrite, true});
  EXPECT_TRUE(write.outcome.iotlb_hit);
  EXPECT_EQ(write.fault, FaultReason::kSmWriteDenied) << "WPE = 1: supervisor writes honour R/W";
  const core::TranslationResult read = rig.tx(0x7000, kPasid, Req{Access::kRead, true});
  EXPECT_TRUE(read.outcome.iotlb_hit);
  EXPECT_TRUE(read.ok());
  EXPECT_EQ(read.perms, (Perms{true, false}));
}

TEST(TranslateFirstStage, SecondStageResultsSayTheirStage) {
  FsRig rig;
  rig.tables->create_domain(DomainId(1), 4);
  rig.tables->map(DomainId(1), Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, false});
  rig.tables->set_pasid_entry(kDev, Pasid(0x10), core::TableBuilder::PasidMode::kSecondLevel, DomainId(1));
  rig.tables->set_pasid_entry(kDev, Pasid(0x11), core::TableBuilder::PasidMode::kPassThrough, DomainId(2));
  rig.enable();
  EXPECT_EQ(rig.tx(0x5000, Pasid(0x10)).stage, TranslationStage::kSecond);
  const core::TranslationResult w = rig.tx(0x5000, Pasid(0x10), Req{Access::kWrite});
  EXPECT_EQ(w.fault, FaultReason::kSmWriteDenied);
  EXPECT_EQ(w.fault_stage, TranslationStage::kSecond);
  EXPECT_EQ(rig.tx(0x6000, Pasid(0x10)).fault_stage, TranslationStage::kSecond);
  EXPECT_EQ(rig.tx(0x5000, Pasid(0x11)).stage, TranslationStage::kPassThrough);
}

}  // namespace
