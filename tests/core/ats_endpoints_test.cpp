// core::AtsEndpoints: the device side of ATS (VT-d spec chapter 4) against hand-built tables.
// Exact device-TLB hit/miss sequences, what the remapping unit sees (translation requests,
// translated requests, IOTLB lookups), device-TLB invalidation through the real invalidation
// queue (dev_tlb_inv_dsc 6.5.2.5, p_dev_tlb_inv_dsc 6.5.2.6), the faults of contexts that do not
// allow ATS, and stale translations after unmap + invalidation.
#include "vtdsim/core/ats_endpoints.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "translation_rig.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/stats/ats_endpoints_json.hpp"

using namespace vtdsim;
using core::AtsEndpoints;
using core::TranslationResult;
using core::WalkReadKind;
using spec::FaultReason;
using txrig::Rig;
namespace r = vtdsim::spec::reg;
namespace q = vtdsim::spec::qi;
using PasidMode = core::TableBuilder::PasidMode;

namespace {

const SourceId kDevA = SourceId::from_bdf(0, 3, 0);
const SourceId kDevB = SourceId::from_bdf(0, 4, 0);
const DomainId kDom1(1), kDom2(2);

constexpr std::uint64_t kQueue = 0x800000;   // invalidation queue page (outside the table region)
constexpr std::uint64_t kStatus = 0x900000;  // wait-descriptor status words

config::CacheGeometry devtlb_geometry(std::uint32_t entries = 32, std::uint32_t ways = 0) {
  config::CacheGeometry g;
  g.entries = entries;
  g.ways = ways == 0 ? entries : ways;
  g.policy = config::ReplacementPolicy::kLru;
  g.enabled = true;
  return g;
}

core::LegacyContextOptions tt01() {
  core::LegacyContextOptions o;
  o.device_tlb = true;
  return o;
}

core::TranslationRequest dma(SourceId source, std::uint64_t iova, Access access = Access::kRead,
                             Pasid pasid = Pasid{}) {
  core::TranslationRequest req;
  req.source = source;
  req.pasid = pasid;
  req.iova = Iova(iova);
  req.size = 64;
  req.access = access;
  return req;
}

// A legacy-mode unit with translation and queued invalidation enabled, devices A and B with
// TT = 01b in domain 1, and a queue of 128-bit (or 256-bit in scalable mode) descriptors.
struct AtsRig : Rig {
  std::unique_ptr<AtsEndpoints> ats;
  unsigned next = 0;  // next descriptor index
  bool wide = false;

  explicit AtsRig(core::TableFormat format = core::TableFormat::kLegacy,
                  const config::CacheGeometry& g = devtlb_geometry())
      : Rig(format) {
    ats = std::make_unique<AtsEndpoints>(*unit, g);
    wide = format == core::TableFormat::kScalable;
  }
  void start() {
    enable();
    unit->write_register(r::kIqt, 8, 0);
    unit->write_register(r::kIqa, 8, kQueue | (wide ? r::bit(11) : 0));
    // GCMD writes carry the desired state of every enable (11.4.4.1): keep TE.
    unit->write_register(r::kGcmd, 4, r::gcmd::kTe | r::gcmd::kQie);
    ASSERT_TRUE(unit->registers().translation_enabled());
    ASSERT_TRUE(unit->registers().queue_enabled());
  }
  // Domain 1 (4-level tables) maps [iova, iova + size) to host; `contexts` get TT = 01b in it,
  // `ats` of them have ATS enabled; then translation and the queue are started.
  void map_and_start(std::uint64_t iova, std::uint64_t host, std::uint64_t size, std::vector<SourceId> contexts,
                     std::vector<SourceId> ats_on, Perms perms = Perms{true, true}) {
    tables->create_domain(kDom1, 4);
    tables->map(kDom1, Iova(iova), HostAddr(host), size, perms);
    for (SourceId s : contexts) tables->set_context(s, kDom1, tt01());
    for (SourceId s : ats_on) ats->set_enabled(s, true);
    start();
  }
  // Queues descriptors, then a wait descriptor with a status write; moves the tail (the unit
  // processes synchronously) and checks the wait completed.
  void submit(const std::vector<q::Descriptor>& ds) {
    const unsigned bytes = wide ? 32 : 16;
    auto put = [&](const q::Descriptor& d) {
      memory.write(kQueue + std::uint64_t{next} * bytes, d.qw.data(), bytes);
      ++next;
    };
    for (const q::Descriptor& d : ds) put(d);
    const std::uint32_t token = 0x1000 + next;
    put(q::make_wait(true, kStatus, token));
    unit->write_register(r::kIqt, 8, std::uint64_t{next} * bytes);
    std::uint32_t status = 0;
    memory.read32(kStatus, status);
    ASSERT_EQ(status, token) << "invalidation wait did not complete";
    ASSERT_EQ(unit->read_register(r::kFsts, 4) & r::fsts::kIqe, 0u) << "queue error";
  }
  const AtsEndpoints::Device& dev(SourceId s) const {
    const AtsEndpoints::Device* d = ats->find(s);
    EXPECT_NE(d, nullptr);
    return *d;
  }
  bool hits(SourceId s, std::uint64_t iova, Access access = Access::kRead, Pasid pasid = Pasid{}) {
    const TranslationResult res = ats->dma(dma(s, iova, access, pasid));
    EXPECT_TRUE(res.ok()) << res.fault << " at 0x" << std::hex << iova;
    return res.outcome.device_tlb_hit;
  }
};

TEST(AtsEndpoints, FirstDmaMissesSecondHitsWithoutAPageLookup) {
  AtsRig rig;
  rig.map_and_start(0x5000, 0x9000, 0x1000, {kDevA}, {kDevA});

  const TranslationResult first = rig.ats->dma(dma(kDevA, 0x5010));
  ASSERT_TRUE(first.ok()) << first.fault;
  EXPECT_EQ(first.host.value, 0x9010u);
  EXPECT_FALSE(first.outcome.device_tlb_hit);
  EXPECT_FALSE(first.outcome.iotlb_hit);
  EXPECT_TRUE(first.outcome.translated);
  EXPECT_EQ(first.outcome.walk_start_level, 4);
  // Root, context, then the four paging levels; the translated request that completes the DMA
  // finds the context in the context cache (no read).
  ASSERT_EQ(first.walk.count, 6);
  EXPECT_EQ(first.walk.reads[0].kind, WalkReadKind::kRootEntry);
  EXPECT_EQ(first.walk.reads[1].kind, WalkReadKind::kContextEntry);
  EXPECT_EQ(first.walk.reads[5].level, 1);

  const auto& c1 = rig.unit->caches().stats();
  EXPECT_EQ(c1.iotlb.lookups, 1u);
  EXPECT_EQ(c1.iotlb.misses, 1u);
  EXPECT_EQ(c1.iotlb.fills, 1u);
  EXPECT_EQ(c1.context.lookups, 2u);  // translation request (miss), translated request (hit)
  EXPECT_EQ(c1.context.hits, 1u);

  const TranslationResult second = rig.ats->dma(dma(kDevA, 0x5800, Access::kWrite));
  ASSERT_TRUE(second.ok()) << second.fault;
  EXPECT_EQ(second.host.value, 0x9800u);
  EXPECT_TRUE(second.outcome.device_tlb_hit);
  EXPECT_TRUE(second.outcome.translated);
  EXPECT_FALSE(second.outcome.iotlb_hit);
  EXPECT_EQ(second.outcome.walk_start_level, 0);
  EXPECT_EQ(second.walk.count, 0);
  EXPECT_EQ(second.page_size, kPageSize4K);
  EXPECT_EQ(second.perms, (Perms{true, true}));
  EXPECT_EQ(second.domain, kDom1);
  const auto& c2 = rig.unit->caches().stats();
  EXPECT_EQ(c2.iotlb.lookups, 1u);  // no page lookup in the remapping unit
  EXPECT_EQ(c2.context.lookups, 3u);
  EXPECT_EQ(c2.context.hits, 2u);

  const AtsEndpoints::Device& d = rig.dev(kDevA);
  EXPECT_EQ(d.tlb.stats().lookups, 2u);
  EXPECT_EQ(d.tlb.stats().hits, 1u);
  EXPECT_EQ(d.tlb.stats().misses, 1u);
  EXPECT_EQ(d.tlb.stats().fills, 1u);
  EXPECT_EQ(d.counters.dma, 2u);
  EXPECT_EQ(d.counters.translation_requests, 1u);
  EXPECT_EQ(d.counters.translated_requests, 2u);
  EXPECT_TRUE(rig.recorded_faults().empty());
}

TEST(AtsEndpoints, SuperpageIsCachedAtItsSize) {
  AtsRig rig;
  rig.tables->create_domain(kDom1, 4);
  rig.tables->map(kDom1, Iova(0x200000), HostAddr(0x40000000), kPageSize2M, Perms{true, false}, kPageSize2M);
  rig.tables->set_context(kDevA, kDom1, tt01());
  rig.ats->set_enabled(kDevA, true);
  rig.start();
  EXPECT_FALSE(rig.hits(kDevA, 0x200040));
  const TranslationResult r = rig.ats->dma(dma(kDevA, 0x3ff000));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.outcome.device_tlb_hit);
  EXPECT_EQ(r.host.value, 0x401ff000u);
  EXPECT_EQ(r.page_size, kPageSize2M);
  EXPECT_EQ(rig.unit->caches().stats().iotlb.lookups, 1u);
}

TEST(AtsEndpoints, WriteToAReadCachedPageAsksAgainAndFaults) {
  AtsRig rig;
  rig.map_and_start(0x5000, 0x9000, 0x1000, {kDevA}, {kDevA}, Perms{true, false});
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  EXPECT_TRUE(rig.hits(kDevA, 0x5000));
  const TranslationResult w = rig.ats->dma(dma(kDevA, 0x5000, Access::kWrite));
  EXPECT_EQ(w.fault, FaultReason::kWriteDenied);
  const AtsEndpoints::Device& d = rig.dev(kDevA);
  EXPECT_EQ(d.counters.permission_refetches, 1u);
  EXPECT_EQ(d.counters.translation_requests, 2u);
  EXPECT_EQ(d.counters.translation_faults, 1u);
  EXPECT_EQ(d.tlb.size(), 1u);  // the read entry stays
  EXPECT_TRUE(rig.hits(kDevA, 0x5000));
}

TEST(AtsEndpoints, LruEvictionOnATinyDeviceTlb) {
  AtsRig rig(core::TableFormat::kLegacy, devtlb_geometry(2, 2));
  rig.map_and_start(0x10000, 0x80000, 0x3000, {kDevA}, {kDevA});
  const std::uint64_t A = 0x10000, B = 0x11000, C = 0x12000;
  const std::vector<std::uint64_t> seq = {A, B, A, C, A, B, C, A};
  std::vector<bool> got;
  for (std::uint64_t p : seq) got.push_back(rig.hits(kDevA, p));
  // Two entries, LRU: C evicts B (A was used), B evicts C, C evicts A, A evicts B.
  EXPECT_EQ(got, (std::vector<bool>{false, false, true, false, true, false, false, false}));
  const AtsEndpoints::Device& d = rig.dev(kDevA);
  EXPECT_EQ(d.tlb.stats().fills, 6u);
  EXPECT_EQ(d.tlb.stats().evictions, 4u);
  EXPECT_EQ(d.tlb.size(), 2u);
  // Every device-TLB miss was a translation request: 3 IOTLB misses (walks), 3 IOTLB hits.
  const auto& c = rig.unit->caches().stats();
  EXPECT_EQ(c.iotlb.lookups, 6u);
  EXPECT_EQ(c.iotlb.misses, 3u);
  EXPECT_EQ(c.iotlb.hits, 3u);
}

TEST(AtsEndpoints, DevTlbInvDescriptorDropsExactlyTheCoveredEntries) {
  AtsRig rig;
  rig.map_and_start(0x10000, 0x80000, 0x8000, {kDevA, kDevB}, {kDevA, kDevB});
  for (std::uint64_t p = 0x10000; p < 0x18000; p += 0x1000) {
    EXPECT_FALSE(rig.hits(kDevA, p));
    EXPECT_FALSE(rig.hits(kDevB, p));
  }
  ASSERT_EQ(rig.dev(kDevA).tlb.size(), 8u);

  // S = 0: the one 4 KiB page at ADDR, for the SID in the descriptor only.
  rig.submit({q::make_dev_tlb(kDevA.value, 0x11000, false)});
  EXPECT_EQ(rig.unit->commands().entries_dropped, 1u);
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 7u);
  EXPECT_EQ(rig.dev(kDevB).tlb.size(), 8u);
  // S = 1, bit 12 clear: 8 KiB at 0x12000 (pages 0x12000, 0x13000).
  rig.submit({q::make_dev_tlb(kDevA.value, 0x12000, true)});
  EXPECT_EQ(rig.unit->commands().entries_dropped, 3u);
  // S = 1, bit 12 set, bit 13 clear: 16 KiB aligned, 0x14000..0x17fff.
  rig.submit({q::make_dev_tlb(kDevA.value, 0x15000, true)});
  EXPECT_EQ(rig.unit->commands().entries_dropped, 7u);
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 1u);
  EXPECT_EQ(rig.dev(kDevA).tlb.stats().invalidated, 7u);
  EXPECT_EQ(rig.dev(kDevA).counters.invalidation_requests, 3u);
  // A SID without ATS: nothing.
  rig.submit({q::make_dev_tlb(SourceId::from_bdf(0, 9, 0).value, 0x10000, false)});
  EXPECT_EQ(rig.unit->commands().entries_dropped, 7u);

  EXPECT_TRUE(rig.hits(kDevA, 0x10000));  // not covered by any of them
  for (std::uint64_t p = 0x11000; p < 0x18000; p += 0x1000) EXPECT_FALSE(rig.hits(kDevA, p)) << std::hex << p;
  for (std::uint64_t p = 0x10000; p < 0x18000; p += 0x1000) EXPECT_TRUE(rig.hits(kDevB, p)) << std::hex << p;

  // ADDR[62:12] all ones with S = 1: the device's whole address space.
  rig.submit({q::make_dev_tlb(kDevB.value, 0x7ffffffffffff000ull, true)});
  EXPECT_EQ(rig.dev(kDevB).tlb.size(), 0u);
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 8u);
}

TEST(AtsEndpoints, PasidDevTlbInvDescriptorDropsOnlyThatPasid) {
  AtsRig rig(core::TableFormat::kScalable);
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x2000, Perms{true, true});
  t.create_domain(kDom2, 4);
  t.map(kDom2, Iova(0x5000), HostAddr(0x7000), 0x2000, Perms{true, true});
  core::ScalableContextOptions o;
  o.device_tlb = true;  // DTE
  t.set_scalable_context(kDevA, o);
  t.set_pasid_entry(kDevA, Pasid(0), PasidMode::kSecondLevel, kDom1);  // RID_PASID
  t.set_pasid_entry(kDevA, Pasid(0x45), PasidMode::kSecondLevel, kDom2);
  rig.ats->set_enabled(kDevA, true);
  rig.start();
  ASSERT_TRUE(rig.unit->registers().scalable_mode());

  const Pasid p45(0x45);
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  EXPECT_FALSE(rig.hits(kDevA, 0x6000));
  EXPECT_FALSE(rig.hits(kDevA, 0x5000, Access::kRead, p45));
  EXPECT_FALSE(rig.hits(kDevA, 0x6000, Access::kRead, p45));
  const TranslationResult with_pasid = rig.ats->dma(dma(kDevA, 0x5008, Access::kRead, p45));
  EXPECT_TRUE(with_pasid.outcome.device_tlb_hit);
  EXPECT_EQ(with_pasid.host.value, 0x7008u);
  const TranslationResult without = rig.ats->dma(dma(kDevA, 0x5008));
  EXPECT_TRUE(without.outcome.device_tlb_hit);
  EXPECT_EQ(without.host.value, 0x9008u);
  ASSERT_EQ(rig.dev(kDevA).tlb.size(), 4u);

  // p_dev_tlb_inv_dsc, PASID 0x45, S = 1 ADDR 0x5000 (bit 12 set: 16 KiB at 0x4000).
  rig.submit({q::make_pdev_tlb(kDevA.value, 0x45, 0x5000, true)});
  EXPECT_EQ(rig.unit->commands().entries_dropped, 2u);
  EXPECT_FALSE(rig.hits(kDevA, 0x5000, Access::kRead, p45));
  EXPECT_TRUE(rig.hits(kDevA, 0x5000));
  EXPECT_TRUE(rig.hits(kDevA, 0x6000));
  // dev_tlb_inv_dsc (no PASID), S = 0 at 0x6000: every PASID's entry of that page.
  EXPECT_FALSE(rig.hits(kDevA, 0x6000, Access::kRead, p45));
  rig.submit({q::make_dev_tlb(kDevA.value, 0x6000, false)});
  EXPECT_EQ(rig.unit->commands().entries_dropped, 4u);
  EXPECT_TRUE(rig.hits(kDevA, 0x5000));
  EXPECT_TRUE(rig.hits(kDevA, 0x5000, Access::kRead, p45));
  EXPECT_FALSE(rig.hits(kDevA, 0x6000));
  EXPECT_FALSE(rig.hits(kDevA, 0x6000, Access::kRead, p45));
}

TEST(AtsEndpoints, TranslationRequestFromATt00ContextFaults) {
  AtsRig rig;
  rig.tables->create_domain(kDom1, 4);
  rig.tables->map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  rig.tables->set_context(kDevA, kDom1);  // TT = 00b: untranslated requests only
  rig.ats->set_enabled(kDevA, true);      // the device has ATS on anyway
  rig.start();
  for (int i = 0; i < 2; ++i) {
    const TranslationResult r = rig.ats->dma(dma(kDevA, 0x5000));
    EXPECT_EQ(r.fault, FaultReason::kTranslationBlocked);  // 0Dh (spec 7.1.3)
    EXPECT_FALSE(r.outcome.device_tlb_hit);
  }
  const AtsEndpoints::Device& d = rig.dev(kDevA);
  EXPECT_EQ(d.tlb.size(), 0u);  // faults are not cached
  EXPECT_EQ(d.counters.translation_requests, 2u);
  EXPECT_EQ(d.counters.translation_faults, 2u);
  EXPECT_EQ(d.tlb.stats().fills, 0u);
  const auto faults = rig.recorded_faults();
  ASSERT_GE(faults.size(), 1u);
  EXPECT_EQ(faults[0].reason, 0x0d);
  EXPECT_EQ(faults[0].address_type, 1);  // AT = translation request
  EXPECT_EQ(faults[0].source, kDevA.value);
  // The same device with ATS off: an untranslated request, translated normally.
  rig.ats->set_enabled(kDevA, false);
  const TranslationResult u = rig.ats->dma(dma(kDevA, 0x5000));
  ASSERT_TRUE(u.ok()) << u.fault;
  EXPECT_EQ(u.host.value, 0x9000u);
}

TEST(AtsEndpoints, TranslationRequestWithDteClearFaultsInScalableMode) {
  AtsRig rig(core::TableFormat::kScalable);
  auto& t = *rig.tables;
  t.create_domain(kDom1, 4);
  t.map(kDom1, Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  t.set_scalable_context(kDevA);  // DTE = 0
  t.set_pasid_entry(kDevA, Pasid(0), PasidMode::kSecondLevel, kDom1);
  rig.ats->set_enabled(kDevA, true);
  rig.start();
  EXPECT_EQ(rig.ats->dma(dma(kDevA, 0x5000)).fault, FaultReason::kSmDeviceTlbDisabled);  // SCT.5
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 0u);
}

TEST(AtsEndpoints, ContextChangedToTt00RefusesTheCachedTranslation) {
  AtsRig rig;
  rig.map_and_start(0x5000, 0x9000, 0x1000, {kDevA}, {kDevA});
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  rig.tables->set_context(kDevA, kDom1);  // TT = 00b
  rig.submit({q::make_cc(q::cc::kGlobal)});
  const TranslationResult r = rig.ats->dma(dma(kDevA, 0x5000));
  EXPECT_EQ(r.fault, FaultReason::kTranslationBlocked);  // the translated request is refused
  EXPECT_EQ(rig.dev(kDevA).counters.translated_faults, 1u);
  const auto faults = rig.recorded_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].address_type, 2);  // AT = translated
  EXPECT_EQ(faults[0].address, 0x9000u);
}

// After unmap + IOTLB invalidation + device-TLB invalidation (and the wait completing), no later
// DMA uses the old translation: the next one walks again and sees the new state.
TEST(AtsEndpoints, NoStaleTranslationAfterUnmapAndInvalidation) {
  AtsRig rig;
  rig.map_and_start(0x5000, 0x9000, 0x1000, {kDevA}, {kDevA});
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  EXPECT_TRUE(rig.hits(kDevA, 0x5000));

  rig.tables->unmap(kDom1, Iova(0x5000), 0x1000);
  rig.submit({q::make_iotlb(q::iotlb::kPage, kDom1.value, 0x5000, 0)});
  // Only the IOTLB was invalidated: the device still holds the stale translation.
  const TranslationResult stale = rig.ats->dma(dma(kDevA, 0x5000));
  EXPECT_TRUE(stale.outcome.device_tlb_hit);
  EXPECT_EQ(stale.host.value, 0x9000u);

  rig.submit({q::make_dev_tlb(kDevA.value, 0x5000, false)});
  const std::uint64_t walks_before = rig.unit->caches().stats().iotlb.misses;
  const TranslationResult gone = rig.ats->dma(dma(kDevA, 0x5000));
  EXPECT_EQ(gone.fault, FaultReason::kReadDenied);  // legacy not-present: the missing permission
  EXPECT_FALSE(gone.outcome.device_tlb_hit);
  EXPECT_EQ(gone.outcome.walk_start_level, 4);  // walked: nothing cached in the IOTLB
  EXPECT_EQ(rig.unit->caches().stats().iotlb.misses, walks_before + 1);
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 0u);  // the fault was not cached

  rig.tables->map(kDom1, Iova(0x5000), HostAddr(0xa000), 0x1000, Perms{true, true});
  const TranslationResult remapped = rig.ats->dma(dma(kDevA, 0x5010));
  ASSERT_TRUE(remapped.ok()) << remapped.fault;
  EXPECT_EQ(remapped.host.value, 0xa010u);
  EXPECT_FALSE(remapped.outcome.device_tlb_hit);
  const TranslationResult again = rig.ats->dma(dma(kDevA, 0x5020));
  EXPECT_TRUE(again.outcome.device_tlb_hit);
  EXPECT_EQ(again.host.value, 0xa020u);
}

TEST(AtsEndpoints, DisablingDropsEntriesAndDevicesWithoutAtsBypass) {
  AtsRig rig;
  rig.map_and_start(0x5000, 0x9000, 0x1000, {kDevA, kDevB}, {kDevA});
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  EXPECT_TRUE(rig.hits(kDevA, 0x5000));
  // Device B has no ATS: untranslated requests, the IOTLB hits.
  const TranslationResult b = rig.ats->dma(dma(kDevB, 0x5000));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b.outcome.device_tlb_hit);
  EXPECT_TRUE(b.outcome.iotlb_hit);
  EXPECT_EQ(rig.ats->find(kDevB), nullptr);

  rig.ats->set_enabled(kDevA, true);  // already on: keeps the entry
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 1u);
  rig.ats->set_enabled(kDevA, false);
  EXPECT_EQ(rig.dev(kDevA).tlb.size(), 0u);
  EXPECT_FALSE(rig.ats->enabled(kDevA));
  rig.ats->set_enabled(kDevA, true);
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  EXPECT_EQ(rig.ats->devices().size(), 1u);
}

TEST(AtsEndpoints, GlobalDeviceTlbInvalidationAndJson) {
  AtsRig rig;
  rig.map_and_start(0x5000, 0x9000, 0x2000, {kDevA, kDevB}, {kDevA, kDevB});
  EXPECT_FALSE(rig.hits(kDevA, 0x5000));
  EXPECT_FALSE(rig.hits(kDevA, 0x6000));
  EXPECT_TRUE(rig.hits(kDevA, 0x6000));
  EXPECT_FALSE(rig.hits(kDevB, 0x5000));
  core::InvalidationRequest all;
  all.target = core::InvalidationTarget::kDeviceTlb;
  all.granularity = core::InvalidationGranularity::kGlobal;
  EXPECT_EQ(rig.unit->invalidate(all), 3u);

  const nlohmann::json j = stats::to_json(*rig.ats);
  EXPECT_EQ(j["devices_enabled"], 2);
  const nlohmann::json& a = j["devices"]["00:03.0"];
  EXPECT_EQ(a["lookups"], 3);
  EXPECT_EQ(a["hits"], 1);
  EXPECT_EQ(a["misses"], 2);
  EXPECT_EQ(a["fills"], 2);
  EXPECT_EQ(a["invalidated"], 2);
  EXPECT_EQ(a["entries"], 0);
  EXPECT_EQ(a["translation_requests"], 2);
  EXPECT_EQ(a["translated_requests"], 3);
  EXPECT_EQ(a["invalidation_requests"], 1);
  EXPECT_EQ(j["devices"]["00:04.0"]["invalidated"], 1);
  EXPECT_EQ(j["total"]["lookups"], 4);
  EXPECT_EQ(j["total"]["invalidated"], 3);
}

TEST(AtsEndpoints, DestructionUnregistersTheHandler) {
  Rig rig;
  {
    AtsEndpoints ats(*rig.unit, devtlb_geometry());
    ats.set_enabled(kDevA, true);
  }
  core::InvalidationRequest all;
  all.target = core::InvalidationTarget::kDeviceTlb;
  EXPECT_EQ(rig.unit->invalidate(all), 0u);  // no call into the destroyed object
}

}  // namespace
