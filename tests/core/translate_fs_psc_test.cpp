// First-stage paging-structure caches (VT-d spec 6.2.4): a first-stage or nested walk fills the
// PML4E / PDPE / PDE caches with the entries it used (A = 1), tagged by DID, PASID and stage; an
// IOTLB miss then resumes below the deepest hit. Exact reads of resumed walks, the access rights
// and faults of a resumed walk equal to a full walk's (user/supervisor, write with WPE, XD),
// nested hits that skip the second-stage walks of the upper tables, and the stage tag that keeps
// first-stage and second-stage entries apart.
#include <gtest/gtest.h>

#include "fs_rig.hpp"
#include "vtdsim/cache/paging_structure_caches.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"

using namespace vtdsim;
using core::FsPasidOptions;
using core::FsSpaceId;
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

const DomainId kDid(7);
const FsSpaceId kFs(1);
const Pasid kPasid(0x45);

config::UnitConfig config_with_psc(bool psc) {
  config::UnitConfig c = fsrig::fs_config();
  for (auto& p : c.caches.psc) p.enabled = psc;
  return c;
}

// 4-level first stage: 0x5000 -> 0x9000 and 0x6000 -> 0xa000 (one PTE table).
struct PscRig : FsRig {
  explicit PscRig(FsPasidOptions o = {}, bool psc = true) : FsRig(config_with_psc(psc)) {
    tables->create_fs_space(kFs, 4);
    tables->map_fs(kFs, Iova(0x5000), 0x9000, 0x1000);
    tables->map_fs(kFs, Iova(0x6000), 0xa000, 0x1000);
    tables->set_pasid_entry_first_stage(kDev, kPasid, kFs, kDid, o);
    enable();
  }
  std::uint64_t entry(std::uint64_t iova, unsigned level) const {
    return tables->fs_entry_address(kFs, Iova(iova), level);
  }
};

TEST(TranslateFsPsc, MissAfterAFillResumesBelowTheDeepestHit) {
  PscRig rig;
  const core::TranslationResult first = rig.tx(0x5000, kPasid);
  ASSERT_TRUE(first.ok()) << first.fault;
  EXPECT_EQ(first.walk.count, 5u + 4u);
  EXPECT_EQ(first.outcome.psc_hit_level, 0);
  // The PML4E, PDPE and PDE the walk used are cached (3 fills, one per level).
  EXPECT_EQ(rig.unit->caches().occupancy().psc[0], 1u);
  EXPECT_EQ(rig.unit->caches().occupancy().psc[1], 1u);
  EXPECT_EQ(rig.unit->caches().occupancy().psc[2], 1u);

  // Same PTE table: the PDE hit leaves one read, the PTE.
  const core::TranslationResult pde = rig.tx(0x6008, kPasid);
  ASSERT_TRUE(pde.ok()) << pde.fault;
  EXPECT_EQ(pde.host, HostAddr(0xa008));
  EXPECT_EQ(pde.outcome.psc_hit_level, 2);
  EXPECT_EQ(pde.outcome.walk_start_level, 1);
  EXPECT_EQ(reads_of(pde), (std::vector<WalkRead>{fs_read(rig.entry(0x6008, 1), 1)}));

  // Another 2 MiB region under the same PDPE: PDE miss, PDPE hit: PDE and PTE reads.
  rig.tables->map_fs(kFs, Iova(0x200000), 0xc000, 0x1000);
  const core::TranslationResult pdpe = rig.tx(0x200000, kPasid);
  ASSERT_TRUE(pdpe.ok()) << pdpe.fault;
  EXPECT_EQ(pdpe.host, HostAddr(0xc000));
  EXPECT_EQ(pdpe.outcome.psc_hit_level, 3);
  EXPECT_EQ(reads_of(pdpe),
            (std::vector<WalkRead>{fs_read(rig.entry(0x200000, 2), 2), fs_read(rig.entry(0x200000, 1), 1)}));

  // Another 1 GiB region under the same PML4E: three reads from the PDPE down.
  rig.tables->map_fs(kFs, Iova(0x40000000), 0xd000, 0x1000);
  const core::TranslationResult pml4e = rig.tx(0x40000000, kPasid);
  ASSERT_TRUE(pml4e.ok()) << pml4e.fault;
  EXPECT_EQ(pml4e.outcome.psc_hit_level, 4);
  EXPECT_EQ(reads_of(pml4e),
            (std::vector<WalkRead>{fs_read(rig.entry(0x40000000, 3), 3), fs_read(rig.entry(0x40000000, 2), 2),
                                   fs_read(rig.entry(0x40000000, 1), 1)}));
  // The per-level counters count first-stage lookups: PDE 1 hit, PDPE 1, PML4E 1.
  EXPECT_EQ(rig.unit->caches().stats().psc[0].hits, 1u);
  EXPECT_EQ(rig.unit->caches().stats().psc[1].hits, 1u);
  EXPECT_EQ(rig.unit->caches().stats().psc[2].hits, 1u);
}

// Every combination of an upper-level entry's U/S = 0, R/W = 0 or XD = 1 with user / supervisor,
// read / write / execute requests and WPE: the walk resumed from the PDE cache (one read) gives
// the full walk's fault, stage and permissions.
TEST(TranslateFsPsc, ResumedWalkKeepsTheRightsOfTheCachedPath) {
  struct Patch {
    unsigned level;
    std::uint64_t set, clear;
  };
  const Patch patches[] = {{4, 0, FsPagingEntry::kUser},           {3, 0, FsPagingEntry::kWritable},
                           {2, FsPagingEntry::kExecuteDisable, 0}, {2, 0, FsPagingEntry::kUser},
                           {4, FsPagingEntry::kExecuteDisable, 0}, {3, 0, 0}};
  const Req reqs[] = {{Access::kRead, false, false}, {Access::kWrite, false, false}, {Access::kRead, true, false},
                      {Access::kWrite, true, false}, {Access::kRead, false, true},   {Access::kRead, true, true}};
  unsigned denied = 0;
  for (bool wpe : {false, true}) {
    for (const Patch& p : patches) {
      for (const Req& q : reqs) {
        FsPasidOptions o;
        o.supervisor_requests = true;
        o.execute_requests = true;
        o.write_protect = wpe;
        PscRig cached(o, true), full(o, false);
        for (PscRig* r : {&cached, &full}) r->patch(r->entry(0x5000, p.level), p.set, p.clear);
        // A supervisor read passes every patch: it fills the caches.
        ASSERT_TRUE(cached.tx(0x5000, kPasid, Req{Access::kRead, true}).ok());
        const core::TranslationResult a = cached.tx(0x6000, kPasid, q);
        const core::TranslationResult b = full.tx(0x6000, kPasid, q);
        SCOPED_TRACE(::testing::Message()
                     << "wpe " << wpe << " level " << p.level << " set " << p.set << " clear " << p.clear << " write "
                     << (q.access == Access::kWrite) << " sup " << q.privileged << " exec " << q.execute);
        EXPECT_EQ(a.outcome.psc_hit_level, 2);
        EXPECT_EQ(a.walk.count, 1u);
        EXPECT_EQ(b.outcome.psc_hit_level, 0);
        EXPECT_EQ(b.walk.count, 5u + 4u);
        EXPECT_EQ(a.fault, b.fault);
        EXPECT_EQ(a.fault_stage, b.fault_stage);
        EXPECT_EQ(a.perms, b.perms);
        EXPECT_EQ(a.host, b.host);
        if (!a.ok()) ++denied;
      }
    }
  }
  // Known answers, per WPE: the U/S = 0 patches (2) deny the user requests (3: read, write,
  // execute) = 6; R/W = 0 denies the user write, and with WPE = 1 the supervisor write = 1 or 2;
  // the XD patches (2) deny the execute requests (2) = 4.
  EXPECT_EQ(denied, (6u + 1u + 4u) + (6u + 2u + 4u));
}

TEST(TranslateFsPsc, ResumedWalkFaultsLikeAFullWalkBelowTheHit) {
  PscRig rig;
  ASSERT_TRUE(rig.tx(0x5000, kPasid).ok());
  const core::TranslationResult r = rig.tx(0x7000, kPasid);  // PTE not present
  EXPECT_EQ(r.fault, FaultReason::kSmFsNotPresent);
  EXPECT_EQ(r.outcome.psc_hit_level, 2);
  EXPECT_EQ(reads_of(r), (std::vector<WalkRead>{fs_read(rig.entry(0x7000, 1), 1)}));
}

// Nested (spec 3.8): the cached next table is a host address, so a hit skips the second-stage walks
// of FSPTPTR and the upper tables; the output is still translated.
constexpr std::uint64_t kGuestTables = 0x4000'0000;
constexpr std::uint64_t kGpa = 0x30'0000;
const DomainId kSs(3);

struct NestedPscRig : FsRig {
  NestedPscRig() : FsRig(config_with_psc(true)) {
    tables->create_domain(kSs, 4);
    tables->create_nested_fs_space(kFs, 4, kSs, kGuestTables);
    tables->map_fs(kFs, Iova(0x5000), kGpa, 0x2000);
    tables->map(kSs, Iova(kGpa), HostAddr(0x9000), 0x2000, Perms{true, true});
    tables->set_pasid_entry_nested(kDev, kPasid, kFs);
    enable();
  }
  void ss_walk(std::vector<WalkRead>& out, std::uint64_t gpa) const {
    for (unsigned level = 4; level >= 1; --level)
      out.push_back(ss_read(tables->paging_entry_address(kSs, Iova(gpa), level), level));
  }
  void remap_pte_table(Perms perms) {
    const std::uint64_t gpa = tables->fs_entry_table_address(kFs, Iova(0x5000), 1) & ~0xfffull;
    const std::uint64_t host = tables->fs_entry_address(kFs, Iova(0x5000), 1) & ~0xfffull;
    tables->unmap(kSs, Iova(gpa), 0x1000);
    tables->map(kSs, Iova(gpa), HostAddr(host), 0x1000, perms);
  }
};

TEST(TranslateFsPsc, NestedHitSkipsTheSecondStageWalksOfTheUpperTables) {
  NestedPscRig rig;
  const core::TranslationResult first = rig.tx(0x5000, kPasid);
  ASSERT_TRUE(first.ok()) << first.fault;
  EXPECT_EQ(first.walk.count, 5u + 4u * 5u + 4u);
  // 0x6000's PTE has A = 0: the resumed walk sets it, after the second stage's walk of the PTE
  // table for its W (4 reads), then translates the output (4).
  const core::TranslationResult set_a = rig.tx(0x6000, kPasid);
  ASSERT_TRUE(set_a.ok()) << set_a.fault;
  EXPECT_EQ(set_a.outcome.psc_hit_level, 2);
  EXPECT_EQ(set_a.walk.count, 1u + 4u + 4u);
  // Drop the IOTLB entry only (PASID-based page-selective, IH = 1 keeps the PSC entries).
  core::InvalidationRequest inv;
  inv.target = core::InvalidationTarget::kPasidIotlb;
  inv.granularity = core::InvalidationGranularity::kPage;
  inv.domain = kSs;
  inv.pasid = kPasid;
  inv.addr = Iova(0x6000);
  inv.invalidation_hint = true;
  EXPECT_EQ(rig.unit->invalidate(inv), 1u);
  const core::TranslationResult r = rig.tx(0x6008, kPasid);
  ASSERT_TRUE(r.ok()) << r.fault;
  EXPECT_EQ(r.host, HostAddr(0xa008));
  EXPECT_EQ(r.outcome.psc_hit_level, 2);
  std::vector<WalkRead> expected{fs_read(rig.tables->fs_entry_address(kFs, Iova(0x6008), 1), 1)};
  rig.ss_walk(expected, kGpa + 0x1008);
  EXPECT_EQ(reads_of(r), expected);
}

// A resumed nested walk that must set an A/D bit in the cached table checks the second stage's W
// there, as a full walk does (SFS.8), with that table's second-stage walk in the read list.
TEST(TranslateFsPsc, NestedResumedAdUpdateChecksTheSecondStageWrite) {
  NestedPscRig rig;
  ASSERT_TRUE(rig.tx(0x5000, kPasid).ok());
  rig.remap_pte_table(Perms{true, false});
  const core::TranslationResult read = rig.tx(0x6000, kPasid);  // the PTE's A is set by this walk...
  EXPECT_EQ(read.fault, FaultReason::kSmFsNestedAdWriteDenied) << "...which needs W on the PTE table's page";
  EXPECT_EQ(read.outcome.psc_hit_level, 2);
  std::vector<WalkRead> expected{fs_read(rig.tables->fs_entry_address(kFs, Iova(0x6000), 1), 1)};
  rig.ss_walk(expected, rig.tables->fs_entry_table_address(kFs, Iova(0x6000), 1));
  EXPECT_EQ(reads_of(read), expected);
}

// Spec 6.2.4: only entries with A = 1 are cached. The PDPE's A update is refused (its table read-
// only in the second stage, SFS.8): the PML4E is cached, the PDPE not, and a later walk resumes
// at the PDPE and faults the same way.
TEST(TranslateFsPsc, EntriesWhoseAccessedBitCouldNotBeSetAreNotCached) {
  NestedPscRig rig;
  const std::uint64_t gpa = rig.tables->fs_entry_table_address(kFs, Iova(0x5000), 3) & ~0xfffull;
  const std::uint64_t host = rig.tables->fs_entry_address(kFs, Iova(0x5000), 3) & ~0xfffull;
  rig.tables->unmap(kSs, Iova(gpa), 0x1000);
  rig.tables->map(kSs, Iova(gpa), HostAddr(host), 0x1000, Perms{true, false});
  const core::TranslationResult a = rig.tx(0x5000, kPasid);
  EXPECT_EQ(a.fault, FaultReason::kSmFsNestedAdWriteDenied);
  EXPECT_EQ(rig.unit->caches().occupancy().psc[2], 1u);  // PML4E
  EXPECT_EQ(rig.unit->caches().occupancy().psc[1], 0u);  // PDPE: A = 0
  const core::TranslationResult b = rig.tx(0x6000, kPasid);
  EXPECT_EQ(b.outcome.psc_hit_level, 4);
  EXPECT_EQ(b.fault, FaultReason::kSmFsNestedAdWriteDenied);
  std::vector<WalkRead> expected{fs_read(rig.tables->fs_entry_address(kFs, Iova(0x6000), 3), 3)};
  rig.ss_walk(expected, rig.tables->fs_entry_table_address(kFs, Iova(0x6000), 3));
  EXPECT_EQ(reads_of(b), expected);
}

// The stage bit of the tag: a first-stage entry never answers a second-stage lookup of the same
// (DID, PASID, address) and the reverse.
TEST(TranslateFsPsc, StagesNeverHitEachOthersEntries) {
  std::array<config::CacheGeometry, cache::PagingStructureCaches::kLevels> geo{};
  cache::PagingStructureCaches psc(geo);
  cache::PscEntry ss;
  ss.domain = DomainId(1);
  ss.pasid = Pasid(5);
  ss.level = 2;
  ss.iova_prefix = 0;
  ss.next_table = 0x1000;
  psc.fill(ss);
  cache::PscEntry out;
  EXPECT_FALSE(psc.find_walk_start(DomainId(1), Pasid(5), Iova(0x5000), 4, out, true));
  ASSERT_TRUE(psc.find_walk_start(DomainId(1), Pasid(5), Iova(0x5000), 4, out, false));
  EXPECT_EQ(out.next_table, 0x1000u);
  cache::PscEntry fs = ss;
  fs.fs_flags = cache::fs_leaf::kFirstStage;
  fs.next_table = 0x2000;
  psc.fill(fs);
  ASSERT_TRUE(psc.find_walk_start(DomainId(1), Pasid(5), Iova(0x5000), 4, out, true));
  EXPECT_EQ(out.next_table, 0x2000u);
  ASSERT_TRUE(psc.find_walk_start(DomainId(1), Pasid(5), Iova(0x5000), 4, out, false));
  EXPECT_EQ(out.next_table, 0x1000u);
  EXPECT_EQ(psc.held(0), 2u);
}

}  // namespace
