// Nested translation (PGTT 011b; VT-d spec 3.8): FSPTPTR, every first-stage table address and the
// output address are guest-physical and go through the second stage. Exact read lists (each
// first-stage entry read preceded by the second-stage walk of its guest-physical address, then the
// second-stage walk of the output), A/D updates at the host addresses, second-stage permission
// checks on first-stage table reads and A/D writes (SFS.5-SFS.8), second-stage faults inside the
// walk, and the stage every fault is reported for.
#include <gtest/gtest.h>

#include "fs_rig.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"

using namespace vtdsim;
using core::FsPasidOptions;
using core::FsPerms;
using core::FsSpaceId;
using core::TranslationStage;
using core::WalkRead;
using fsrig::fs_read;
using fsrig::FsRig;
using fsrig::kDev;
using fsrig::Req;
using fsrig::ss_read;
using spec::FaultReason;
using spec::FsPagingEntry;
using txrig::reads_of;

namespace {

const DomainId kSs(3);
const FsSpaceId kFs(2);
const Pasid kPasid(0x45);
constexpr std::uint64_t kGuestTables = 0x4000'0000;  // guest-physical pages of the first-stage tables
constexpr std::uint64_t kGpa = 0x30'0000;            // iova 0x5000 -> gpa kGpa -> host 0x9000

config::UnitConfig nested_config(unsigned max_levels = 4) {
  config::UnitConfig c = fsrig::fs_config();
  if (max_levels == 5) c.cap.sagaw = 0b1110;
  return c;
}

struct NestedRig : FsRig {
  unsigned ss_levels;
  explicit NestedRig(unsigned fs_levels = 4, unsigned ss_levels_ = 4, FsPasidOptions o = {})
      : FsRig(nested_config(ss_levels_ > fs_levels ? ss_levels_ : fs_levels)), ss_levels(ss_levels_) {
    tables->create_domain(kSs, ss_levels);
    tables->create_nested_fs_space(kFs, fs_levels, kSs, kGuestTables);
    tables->map_fs(kFs, Iova(0x5000), kGpa, 0x1000);
    tables->map(kSs, Iova(kGpa), HostAddr(0x9000), 0x1000, Perms{true, true});
    tables->set_pasid_entry_nested(kDev, kPasid, kFs, o);
    enable();
  }
  void ss_walk(std::vector<WalkRead>& out, std::uint64_t gpa) const {
    for (unsigned level = ss_levels; level >= 1; --level) {
      out.push_back(ss_read(tables->paging_entry_address(kSs, Iova(gpa), level), level));
    }
  }
  // Reads of a full nested walk of iova whose output is gpa.
  std::vector<WalkRead> nested_reads(std::uint64_t iova, std::uint64_t gpa, unsigned fs_levels,
                                     unsigned leaf = 1) const {
    std::vector<WalkRead> v = context_reads(kPasid);
    for (unsigned level = fs_levels; level >= leaf; --level) {
      ss_walk(v, tables->fs_entry_table_address(kFs, Iova(iova), level));
      v.push_back(fs_read(tables->fs_entry_address(kFs, Iova(iova), level), level));
    }
    ss_walk(v, gpa);
    return v;
  }
  // Re-maps the second-stage page holding the first-stage table of `level` with `perms`.
  void remap_table(unsigned level, Perms perms) {
    const std::uint64_t gpa = tables->fs_entry_table_address(kFs, Iova(0x5000), level) & ~0xfffull;
    const std::uint64_t host = tables->fs_entry_address(kFs, Iova(0x5000), level) & ~0xfffull;
    tables->unmap(kSs, Iova(gpa), 0x1000);
    tables->map(kSs, Iova(gpa), HostAddr(host), 0x1000, perms);
  }
};

TEST(TranslateNested, WalkReadsEveryTableThroughTheSecondStageInOrder) {
  NestedRig rig;
  EXPECT_EQ(rig.tables->fs_table(kFs), kGuestTables) << "FSPTPTR is the first guest table page";
  EXPECT_EQ(rig.tables->fs_entry_table_address(kFs, Iova(0x5000), 4), kGuestTables);
  const core::TranslationResult r = rig.tx(0x5123, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x9123));
  EXPECT_EQ(r.stage, TranslationStage::kNested);
  EXPECT_EQ(r.domain, kSs);
  EXPECT_EQ(r.page_size, kPageSize4K);
  const std::vector<WalkRead> expected = rig.nested_reads(0x5123, kGpa + 0x123, 4);
  ASSERT_EQ(expected.size(), 5u + 4u * (4u + 1u) + 4u);
  EXPECT_EQ(reads_of(r), expected);
  // The first second-stage walk translates FSPTPTR itself.
  EXPECT_EQ(reads_of(r)[5], ss_read(rig.tables->paging_entry_address(kSs, Iova(kGuestTables), 4), 4));
}

TEST(TranslateNested, FiveLevelStagesFillTheWalkList) {
  NestedRig rig(5, 5);
  const core::TranslationResult r = rig.tx(0x5008, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x9008));
  const std::vector<WalkRead> expected = rig.nested_reads(0x5008, kGpa + 8, 5);
  ASSERT_EQ(expected.size(), core::WalkReads::kCapacity) << "5 + 5 x 6 + 5: the worst case fits";
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateNested, AccessedAndDirtyBitsAreWrittenAtHostAddresses) {
  NestedRig rig;
  const core::TranslationResult r = rig.tx(0x5000, kPasid, Req{Access::kWrite});
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.walk_writes, 4);
  for (unsigned level = 4; level >= 1; --level) {
    const FsPagingEntry e{rig.read(rig.tables->fs_entry_address(kFs, Iova(0x5000), level))};
    EXPECT_TRUE(e.accessed()) << "level " << level;
    EXPECT_EQ(e.dirty(), level == 1) << "level " << level;
  }
}

TEST(TranslateNested, SuperpagesGiveTheSmallerPage) {
  NestedRig rig;
  // First stage 2 MiB, second stage 4 KiB pages: the translation is a 4 KiB page.
  rig.tables->map_fs(kFs, Iova(0x4000'0000), 0x80'0000, kPageSize2M, FsPerms{}, kPageSize2M);
  rig.tables->map(kSs, Iova(0x80'0000), HostAddr(0x8000'0000), kPageSize2M, Perms{true, true});
  const core::TranslationResult r = rig.tx(0x4001'2345, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x8001'2345));
  EXPECT_EQ(r.page_size, kPageSize4K);
  EXPECT_EQ(reads_of(r), rig.nested_reads(0x4001'2345, 0x81'2345, 4, 2));
  // First stage 4 KiB, second stage 2 MiB: 4 KiB again.
  rig.tables->map_fs(kFs, Iova(0x7000), 0x60'3000, 0x1000);
  rig.tables->map(kSs, Iova(0x60'0000), HostAddr(0xa000'0000), kPageSize2M, Perms{true, true}, kPageSize2M);
  const core::TranslationResult s = rig.tx(0x7010, kPasid);
  ASSERT_TRUE(s.ok()) << s.fault;
  EXPECT_EQ(s.host, HostAddr(0xa000'3010));
  EXPECT_EQ(s.page_size, kPageSize4K);
}

TEST(TranslateNested, OutputNotMappedInSecondStageFaultsSsl2) {
  NestedRig rig;
  rig.tables->map_fs(kFs, Iova(0x6000), 0x50'0000, 0x1000);
  const core::TranslationResult r = rig.tx(0x6000, kPasid);
  EXPECT_EQ(r.fault, FaultReason::kSmSlNotPresent);
  EXPECT_EQ(static_cast<int>(r.fault), 0x79);
  EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
  // The second-stage walk of the output stops at the empty PDE of gpa 0x50'0000 (no PTE table).
  EXPECT_EQ(reads_of(r).back(), ss_read(rig.tables->paging_entry_address(kSs, Iova(0x50'0000), 2), 2));
  ASSERT_EQ(rig.recorded_faults().size(), 1u);
  EXPECT_EQ(rig.recorded_faults()[0].reason, 0x79);
}

TEST(TranslateNested, WritePermissionOfEachStage) {
  NestedRig rig;
  // Second stage read-only: fault reported for the second stage.
  rig.tables->map_fs(kFs, Iova(0x6000), 0x50'0000, 0x1000);
  rig.tables->map(kSs, Iova(0x50'0000), HostAddr(0xb000), 0x1000, Perms{true, false});
  const core::TranslationResult ss = rig.tx(0x6000, kPasid, Req{Access::kWrite});
  EXPECT_EQ(ss.fault, FaultReason::kSmWriteDenied);
  EXPECT_EQ(ss.fault_stage, TranslationStage::kSecond);
  const core::TranslationResult read = rig.tx(0x6000, kPasid);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.perms, (Perms{true, false}));
  // First stage read-only: fault reported for the first stage.
  rig.tables->map_fs(kFs, Iova(0x7000), 0x51'0000, 0x1000, FsPerms{false, true, true});
  rig.tables->map(kSs, Iova(0x51'0000), HostAddr(0xc000), 0x1000, Perms{true, true});
  const core::TranslationResult fs = rig.tx(0x7000, kPasid, Req{Access::kWrite});
  EXPECT_EQ(fs.fault, FaultReason::kSmWriteDenied);
  EXPECT_EQ(fs.fault_stage, TranslationStage::kFirst);
  // Second stage write-only: a read is refused by the second stage (SGN.7).
  rig.tables->map_fs(kFs, Iova(0x8000), 0x52'0000, 0x1000);
  rig.tables->map(kSs, Iova(0x52'0000), HostAddr(0xd000), 0x1000, Perms{false, true});
  const core::TranslationResult ro = rig.tx(0x8000, kPasid);
  EXPECT_EQ(ro.fault, FaultReason::kSmReadDenied);
  EXPECT_EQ(ro.fault_stage, TranslationStage::kSecond);
}

TEST(TranslateNested, FirstStageTablesNeedSecondStageRead) {
  {
    NestedRig rig;
    rig.remap_table(4, Perms{false, true});  // FSPTPTR's page write-only: SFS.6
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsNestedPointerReadDenied);
    EXPECT_EQ(static_cast<int>(r.fault), 0x75);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
    EXPECT_EQ(r.walk.count, 5u + 4u) << "the second-stage walk of FSPTPTR, no first-stage read";
  }
  {
    NestedRig rig;
    rig.remap_table(1, Perms{false, true});  // the PTE table's page write-only: SFS.7
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsNestedEntryReadDenied);
    EXPECT_EQ(static_cast<int>(r.fault), 0x76);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
  }
}

TEST(TranslateNested, AccessedDirtyUpdatesNeedSecondStageWrite) {
  {
    NestedRig rig;
    rig.remap_table(3, Perms{true, false});  // PDPE table read-only, A not yet set: SFS.8
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsNestedAdWriteDenied);
    EXPECT_EQ(static_cast<int>(r.fault), 0x77);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
    EXPECT_EQ(r.walk_writes, 1) << "the PML4E's A bit was set before";
  }
  {
    NestedRig rig;
    ASSERT_TRUE(rig.tx(0x5000, kPasid).ok());  // sets A everywhere
    rig.remap_table(1, Perms{true, false});
    EXPECT_TRUE(rig.tx(0x5000, kPasid).ok()) << "nothing to update: read permission suffices";
    EXPECT_EQ(rig.tx(0x5000, kPasid, Req{Access::kWrite}).fault, FaultReason::kSmFsNestedAdWriteDenied)
        << "D of the leaf needs a write";
  }
}

TEST(TranslateNested, AddressesBeyondTheSecondStageWidth) {
  {
    // A PML4E pointing to guest-physical 2^40, beyond a 3-level second stage (39 bits): SFS.5.
    NestedRig rig(4, 3);
    rig.patch(rig.tables->fs_entry_address(kFs, Iova(0x5000), 4), 1ull << 40, spec::bits_mask(51, 12));
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsNestedBeyondAgaw);
    EXPECT_EQ(static_cast<int>(r.fault), 0x74);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
  }
  {
    // The output guest-physical address beyond it: SGN.5.
    NestedRig rig(4, 3);
    rig.tables->map_fs(kFs, Iova(0x6000), 1ull << 40, 0x1000);
    const core::TranslationResult r = rig.tx(0x6000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmAddressBeyondAgaw);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
  }
}

TEST(TranslateNested, SecondStageTableFaultsInsideTheWalk) {
  {
    NestedRig rig;  // SSPTPTR beyond host memory: SSL.4 on the first table translation
    rig.patch(rig.tables->pasid_entry_address(kDev, kPasid), 0x1'0000'0000ull, spec::bits_mask(63, 12));
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmSlPointerInvalid);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
  }
  {
    NestedRig rig;  // a reserved bit in the second-stage PTE mapping the PDE table: SSL.3
    const std::uint64_t gpa = rig.tables->fs_entry_table_address(kFs, Iova(0x5000), 2);
    rig.patch(rig.tables->paging_entry_address(kSs, Iova(gpa), 1), 1ull << 50);
    const core::TranslationResult r = rig.tx(0x5000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmSlReserved);
    EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
    EXPECT_EQ(r.walk.count, 5u + 2u * 5u + 4u) << "PML4E, PDPE, then the PDE table's second-stage walk";
  }
  {
    NestedRig rig;  // first-stage fault inside a nested walk: stage first
    const core::TranslationResult r = rig.tx(0x6000, kPasid);
    EXPECT_EQ(r.fault, FaultReason::kSmFsNotPresent);
    EXPECT_EQ(r.fault_stage, TranslationStage::kFirst);
  }
}

TEST(TranslateNested, CachedNestedLeavesApplyBothStagesPermissions) {
  NestedRig rig;
  rig.tables->map_fs(kFs, Iova(0x6000), 0x50'0000, 0x1000);
  rig.tables->map(kSs, Iova(0x50'0000), HostAddr(0xb000), 0x1000, Perms{true, false});
  ASSERT_TRUE(rig.tx(0x6000, kPasid).ok());
  const core::TranslationResult hit = rig.tx(0x6040, kPasid);
  EXPECT_TRUE(hit.outcome.iotlb_hit);
  EXPECT_EQ(hit.walk.count, 0u);
  EXPECT_EQ(hit.host, HostAddr(0xb040));
  EXPECT_EQ(hit.perms, (Perms{true, false}));
  // A write walks (D = 0 in the cached leaf), sets D, then the second stage refuses it.
  const core::TranslationResult w = rig.tx(0x6000, kPasid, Req{Access::kWrite});
  EXPECT_EQ(w.fault, FaultReason::kSmWriteDenied);
  EXPECT_EQ(w.fault_stage, TranslationStage::kSecond);
  EXPECT_FALSE(w.outcome.iotlb_hit);
  // A write-only second-stage page: reads are refused on the cached entry too.
  rig.tables->map_fs(kFs, Iova(0x7000), 0x51'0000, 0x1000);
  rig.tables->map(kSs, Iova(0x51'0000), HostAddr(0xc000), 0x1000, Perms{false, true});
  ASSERT_TRUE(rig.tx(0x7000, kPasid, Req{Access::kWrite}).ok());
  const core::TranslationResult r = rig.tx(0x7000, kPasid);
  EXPECT_TRUE(r.outcome.iotlb_hit);
  EXPECT_EQ(r.fault, FaultReason::kSmReadDenied);
  EXPECT_EQ(r.fault_stage, TranslationStage::kSecond);
}

TEST(TranslateNested, NeedsEcapNest) {
  config::UnitConfig c = nested_config();
  c.cap.nest = false;
  FsRig rig(c);
  rig.tables->create_domain(kSs, 4);
  rig.tables->create_nested_fs_space(kFs, 4, kSs, kGuestTables);
  rig.tables->set_pasid_entry_nested(kDev, kPasid, kFs);
  rig.enable();
  EXPECT_EQ(rig.tx(0x5000, kPasid).fault, FaultReason::kSmPasidEntryInvalid);
}

}  // namespace

// A host that maps the guest's RAM one to one with 2 MiB pages (platform.nested): the first-stage
// tables sit at guest-physical = host-physical addresses, each table address and the output take a
// 3-read second-stage walk (PML4E, PDPE, PDE leaf), and the PASID entry's DID is the guest domain's.
TEST(TranslateNested, IdentityTablesOnATwoMiBHostSecondStage) {
  FsRig rig(nested_config());
  const DomainId host(7), guest_domain(9);
  rig.tables->create_domain(host, 4);
  // 0..6 MiB one to one: the table region (1..5 MiB, txrig) and the output page.
  rig.tables->map(host, Iova(0), HostAddr(0), 0x60'0000, Perms{true, true}, kPageSize2M);
  rig.tables->create_identity_nested_fs_space(kFs, 4, host);
  EXPECT_EQ(rig.tables->fs_entry_table_address(kFs, Iova(0x5000), 4), rig.tables->fs_table(kFs));
  rig.tables->map_fs(kFs, Iova(0x5000), 0x40'3000, 0x1000);
  for (unsigned level = 4; level >= 1; --level)
    EXPECT_EQ(rig.tables->fs_entry_table_address(kFs, Iova(0x5000), level),
              rig.tables->fs_entry_address(kFs, Iova(0x5000), level))
        << "guest-physical = host-physical at level " << level;
  rig.tables->set_pasid_entry_nested(kDev, kPasid, kFs, FsPasidOptions{}, guest_domain);
  rig.enable();
  const core::TranslationResult r = rig.tx(0x5123, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0x40'3123));
  EXPECT_EQ(r.stage, TranslationStage::kNested);
  EXPECT_EQ(r.domain, guest_domain);
  std::vector<WalkRead> expected = rig.context_reads(kPasid);
  const auto ss_walk = [&](std::uint64_t gpa) {
    for (unsigned level = 4; level >= 2; --level)
      expected.push_back(ss_read(rig.tables->paging_entry_address(host, Iova(gpa), level), level));
  };
  for (unsigned level = 4; level >= 1; --level) {
    ss_walk(rig.tables->fs_entry_table_address(kFs, Iova(0x5000), level));
    expected.push_back(fs_read(rig.tables->fs_entry_address(kFs, Iova(0x5000), level), level));
  }
  ss_walk(0x40'3123);
  ASSERT_EQ(expected.size(), 5u + 4u * (3u + 1u) + 3u);
  EXPECT_EQ(reads_of(r), expected);
}

TEST(TranslateNested, IdentityTablesNeedTheirPagesMappedToThemselves) {
  FsRig rig(nested_config());
  const DomainId host(7);
  rig.tables->create_domain(host, 4);
  try {
    rig.tables->create_identity_nested_fs_space(kFs, 4, host);  // nothing mapped yet
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("is not mapped to itself"), std::string::npos) << e.what();
  }
}
