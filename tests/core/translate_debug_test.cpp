// RemappingUnit::translate_debug (the translation behind IommuModule::transport_dbg): the same
// answer as a cold translate() (host address, page size, fault reason, the walk's reads) for
// mapped, read-only, unmapped, beyond-AGAW, pass-through and first-stage requests, with no side
// effect: nothing cached, no fault recorded, no first-stage A/D bit written (spec 3.6.2).
#include <gtest/gtest.h>

#include "fs_rig.hpp"
#include "translation_rig.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"

using namespace vtdsim;
using txrig::reads_of;

namespace {

const SourceId kDev = SourceId::from_bdf(0, 3, 0);
const SourceId kPassDev = SourceId::from_bdf(0, 4, 0);

// Domain 1: 0x10000 -> 0x80000 read/write, 0x11000 -> 0x81000 read-only; 00:04.0 pass-through.
void build(txrig::Rig& rig) {
  rig.tables->create_domain(DomainId(1), 4);
  rig.tables->set_context(kDev, DomainId(1));
  rig.tables->set_pass_through(kPassDev, DomainId(2));
  rig.tables->map(DomainId(1), Iova(0x10000), HostAddr(0x80000), 0x1000, Perms{true, true});
  rig.tables->map(DomainId(1), Iova(0x11000), HostAddr(0x81000), 0x1000, Perms{true, false});
  rig.enable();
}

core::TranslationRequest request(SourceId source, std::uint64_t iova, Access access) {
  core::TranslationRequest r;
  r.source = source;
  r.iova = Iova(iova);
  r.access = access;
  return r;
}

TEST(TranslateDebug, SameAnswerAsAColdTranslateAndNoSideEffect) {
  struct Case {
    SourceId source;
    std::uint64_t iova;
    Access access;
    spec::FaultReason fault;
    std::uint64_t host;
  };
  const Case cases[] = {
      {kDev, 0x10123, Access::kRead, spec::FaultReason::kNone, 0x80123},
      {kDev, 0x10123, Access::kWrite, spec::FaultReason::kNone, 0x80123},
      {kDev, 0x11008, Access::kWrite, spec::FaultReason::kWriteDenied, 0},
      {kDev, 0x40000, Access::kRead, spec::FaultReason::kReadDenied, 0},  // unmapped: legacy 6h
      {kDev, 1ull << 48, Access::kRead, spec::FaultReason::kAddressBeyondAgaw, 0},
      {kPassDev, 0x7000, Access::kWrite, spec::FaultReason::kNone, 0x7000},
      {SourceId::from_bdf(0, 5, 0), 0x1000, Access::kRead, spec::FaultReason::kContextNotPresent, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.iova);
    txrig::Rig debug, cold;
    build(debug);
    build(cold);
    const core::TranslationRequest req = request(c.source, c.iova, c.access);
    const core::TranslationResult d = debug.unit->translate_debug(req);
    const core::TranslationResult t = cold.unit->translate(req);
    EXPECT_EQ(d.fault, c.fault);
    EXPECT_EQ(d.fault, t.fault);
    EXPECT_EQ(d.host, HostAddr(c.host));
    EXPECT_EQ(d.host, t.host);
    EXPECT_EQ(d.page_size, t.page_size);
    EXPECT_EQ(reads_of(d), reads_of(t));
    // No side effect: no fault recorded, nothing cached (the next real translation walks again).
    EXPECT_EQ(debug.unit->faults().counters().faults, 0u);
    EXPECT_TRUE(debug.recorded_faults().empty());
    const core::TranslationResult after = debug.unit->translate(req);
    EXPECT_FALSE(after.outcome.context_cache_hit);
    EXPECT_FALSE(after.outcome.iotlb_hit);
  }
}

TEST(TranslateDebug, FirstStageWalkWritesNoAccessedOrDirtyBit) {
  const core::FsSpaceId space(1);
  const Pasid pasid(0x45);
  fsrig::FsRig rig;
  rig.tables->create_fs_space(space, 4);
  rig.tables->map_fs(space, Iova(0x5000), 0x9000, 0x1000);
  rig.tables->set_pasid_entry_first_stage(fsrig::kDev, pasid, space, DomainId(7));
  rig.enable();
  core::TranslationRequest req = request(fsrig::kDev, 0x5123, Access::kWrite);
  req.pasid = pasid;
  const core::TranslationResult d = rig.unit->translate_debug(req);
  ASSERT_TRUE(d.ok()) << d.fault;
  EXPECT_EQ(d.host, HostAddr(0x9123));
  EXPECT_EQ(d.walk_writes, 0u);
  EXPECT_EQ(d.walk.count, 5u + 4u);  // context (5 reads) and four first-stage levels
  const std::uint64_t ad = spec::FsPagingEntry::kAccessed | spec::FsPagingEntry::kDirty;
  for (unsigned level = 4; level >= 1; --level) {
    EXPECT_EQ(rig.read(rig.tables->fs_entry_address(space, Iova(0x5123), level)) & ad, 0u) << level;
  }
  // The real translation sets them (A on the path, D in the leaf): the check above can fail.
  const core::TranslationResult t = rig.unit->translate(req);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.host, d.host);
  EXPECT_EQ(rig.read(rig.tables->fs_entry_address(space, Iova(0x5123), 1)) & ad, ad);
}

}  // namespace
