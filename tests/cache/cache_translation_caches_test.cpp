// TranslationCaches: context/PASID/IOTLB/PSC lookups in each organization and every invalidation.
#include "vtdsim/cache/translation_caches.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using namespace vtdsim;
using cache::IotlbEntry;
using cache::PscEntry;
using cache::TranslationCaches;
using core::InvalidationGranularity;
using core::InvalidationRequest;
using core::InvalidationTarget;

constexpr SourceId kDev = SourceId::from_bdf(0, 3, 0);

IotlbEntry page(std::uint16_t domain, std::uint64_t iova, unsigned shift, Pasid pasid = Pasid{}, SourceId src = kDev) {
  IotlbEntry e;
  e.source = src;
  e.domain = DomainId(domain);
  e.pasid = pasid;
  e.iova_base = iova;
  e.page_shift = static_cast<std::uint8_t>(shift);
  e.host_base = 0x80000000ull + iova;
  e.perms = Perms{true, true};
  return e;
}

PscEntry psc(std::uint16_t domain, unsigned level, std::uint64_t iova, Pasid pasid = Pasid{}) {
  PscEntry e;
  e.domain = DomainId(domain);
  e.pasid = pasid;
  e.level = static_cast<std::uint8_t>(level);
  e.iova_prefix = iova >> (12 + 9 * (level - 1));
  e.next_table = 0x1000ull * level;
  e.perms = Perms{true, true};
  return e;
}

bool has(TranslationCaches& c, std::uint16_t domain, std::uint64_t iova, Pasid pasid = Pasid{}, SourceId src = kDev) {
  return c.find_iotlb(src, DomainId(domain), pasid, Iova(iova)) != nullptr;
}

InvalidationRequest iotlb_page(std::uint16_t domain, std::uint64_t addr, std::uint8_t am, bool ih) {
  InvalidationRequest r;
  r.target = InvalidationTarget::kIotlb;
  r.granularity = InvalidationGranularity::kPage;
  r.domain = DomainId(domain);
  r.addr = Iova(addr);
  r.address_mask = am;
  r.invalidation_hint = ih;
  return r;
}

config::CachesConfig small_shared() {
  config::CachesConfig c;
  c.iotlb = {4, 4, config::ReplacementPolicy::kLru, true, 1, 1};
  return c;
}

TEST(CacheTranslationCaches, ContextHitMissAndStats) {
  TranslationCaches c{config::CachesConfig{}};
  EXPECT_EQ(c.find_context(kDev, Pasid{}), nullptr);
  cache::ContextCacheEntry e;
  e.source = kDev;
  e.domain = DomainId(7);
  e.table_root = 0x5000;
  c.fill_context(e);
  const auto* hit = c.find_context(kDev, Pasid{});
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->domain, DomainId(7));
  EXPECT_EQ(hit->table_root, 0x5000u);
  EXPECT_EQ(c.find_context(SourceId::from_bdf(0, 4, 0), Pasid{}), nullptr);
  // A PASID request goes to the PASID cache, which holds nothing yet.
  EXPECT_EQ(c.find_context(kDev, Pasid(5)), nullptr);
  const auto& s = c.stats();
  EXPECT_EQ(s.context.lookups, 3u);
  EXPECT_EQ(s.context.hits, 1u);
  EXPECT_EQ(s.context.misses, 2u);
  EXPECT_EQ(s.context.fills, 1u);
  EXPECT_EQ(s.pasid.lookups, 1u);
  EXPECT_EQ(s.pasid.misses, 1u);
}

std::uint64_t context_device_invalidate(unsigned fn, std::uint8_t fm) {
  TranslationCaches c{config::CachesConfig{}};
  for (unsigned f = 0; f < 8; ++f) {
    cache::ContextCacheEntry e;
    e.source = SourceId::from_bdf(0, 3, f);
    e.domain = DomainId(1);
    c.fill_context(e);
  }
  cache::ContextCacheEntry other;
  other.source = SourceId::from_bdf(0, 4, fn);
  c.fill_context(other);
  InvalidationRequest r;
  r.target = InvalidationTarget::kContextCache;
  r.granularity = InvalidationGranularity::kDevice;
  r.source = SourceId::from_bdf(0, 3, fn);
  r.function_mask = fm;
  const std::uint64_t n = c.invalidate(r);
  EXPECT_EQ(c.occupancy().context, 9u - n);
  EXPECT_NE(c.find_context(SourceId::from_bdf(0, 4, fn), Pasid{}), nullptr);
  return n;
}

TEST(CacheTranslationCaches, ContextDeviceInvalidationWithFunctionMask) {
  EXPECT_EQ(context_device_invalidate(4, 0), 1u);
  EXPECT_EQ(context_device_invalidate(4, 1), 2u);  // functions 0 and 4
  EXPECT_EQ(context_device_invalidate(4, 2), 4u);  // 0, 2, 4, 6
  EXPECT_EQ(context_device_invalidate(4, 3), 8u);
}

TEST(CacheTranslationCaches, ContextDomainAndGlobalInvalidation) {
  TranslationCaches c{config::CachesConfig{}};
  for (unsigned d = 0; d < 4; ++d) {
    cache::ContextCacheEntry e;
    e.source = SourceId::from_bdf(0, d, 0);
    e.domain = DomainId(d % 2 ? 2 : 1);
    c.fill_context(e);
  }
  InvalidationRequest r;
  r.target = InvalidationTarget::kContextCache;
  r.granularity = InvalidationGranularity::kDomain;
  r.domain = DomainId(2);
  EXPECT_EQ(c.invalidate(r), 2u);
  EXPECT_NE(c.find_context(SourceId::from_bdf(0, 0, 0), Pasid{}), nullptr);
  EXPECT_EQ(c.find_context(SourceId::from_bdf(0, 1, 0), Pasid{}), nullptr);
  r.granularity = InvalidationGranularity::kGlobal;
  EXPECT_EQ(c.invalidate(r), 2u);
  EXPECT_EQ(c.occupancy().context, 0u);
  EXPECT_EQ(c.stats().context.invalidated, 4u);
}

TEST(CacheTranslationCaches, PasidCacheInvalidation) {
  TranslationCaches c{config::CachesConfig{}};
  for (std::uint32_t p : {5u, 6u}) {
    for (std::uint16_t d : {1, 2}) {
      cache::ContextCacheEntry e;
      e.source = SourceId(static_cast<std::uint16_t>(kDev.value + d));
      e.pasid = Pasid(p);
      e.domain = DomainId(d);
      c.fill_context(e);
    }
  }
  EXPECT_NE(c.find_context(SourceId(kDev.value + 1), Pasid(5)), nullptr);
  EXPECT_EQ(c.find_context(SourceId(kDev.value + 1), Pasid(7)), nullptr);
  InvalidationRequest r;
  r.target = InvalidationTarget::kPasidCache;
  r.granularity = InvalidationGranularity::kPasid;
  r.domain = DomainId(1);
  r.pasid = Pasid(5);
  EXPECT_EQ(c.invalidate(r), 1u);
  EXPECT_EQ(c.find_context(SourceId(kDev.value + 1), Pasid(5)), nullptr);
  EXPECT_NE(c.find_context(SourceId(kDev.value + 1), Pasid(6)), nullptr);
  r.granularity = InvalidationGranularity::kDomain;
  r.domain = DomainId(2);
  EXPECT_EQ(c.invalidate(r), 2u);
  r.granularity = InvalidationGranularity::kGlobal;
  EXPECT_EQ(c.invalidate(r), 1u);
  EXPECT_EQ(c.occupancy().pasid, 0u);
}

TEST(CacheTranslationCaches, PasidInvalidationReachesRidPasidContexts) {
  TranslationCaches c{config::CachesConfig{}};
  cache::ContextCacheEntry e;  // scalable-mode request without PASID, resolved through RID_PASID 0
  e.source = kDev;
  e.domain = DomainId(3);
  e.tag_pasid = Pasid(0);
  c.fill_context(e);
  InvalidationRequest r;
  r.target = InvalidationTarget::kPasidCache;
  r.granularity = InvalidationGranularity::kPasid;
  r.domain = DomainId(3);
  r.pasid = Pasid(1);
  EXPECT_EQ(c.invalidate(r), 0u);
  r.pasid = Pasid(0);
  EXPECT_EQ(c.invalidate(r), 1u);
  EXPECT_EQ(c.find_context(kDev, Pasid{}), nullptr);
}

TEST(CacheTranslationCaches, SharedIotlbFindsSuperpagesFromAny4KPage) {
  TranslationCaches c{config::CachesConfig{}};
  c.fill_iotlb(page(1, 0x40000000, 21));
  c.fill_iotlb(page(1, 0x80000000, 30));
  c.fill_iotlb(page(1, 0x1000, 12));
  const IotlbEntry* e = c.find_iotlb(kDev, DomainId(1), Pasid{}, Iova(0x40000000 + 0x12345));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->page_shift, 21);
  EXPECT_EQ(e->iova_base, 0x40000000u);
  EXPECT_EQ(e->level, 2);
  EXPECT_TRUE(has(c, 1, 0x401ff000));
  EXPECT_FALSE(has(c, 1, 0x40200000));
  EXPECT_TRUE(has(c, 1, 0x80000000 + 0x3fffffff));
  EXPECT_TRUE(has(c, 1, 0x1fff));
  EXPECT_FALSE(has(c, 1, 0x2000));
  EXPECT_FALSE(has(c, 2, 0x40000000));        // other domain
  EXPECT_FALSE(has(c, 1, 0x1000, Pasid(3)));  // other PASID
  const auto& s = c.stats();
  EXPECT_EQ(s.iotlb.lookups, 8u);
  EXPECT_EQ(s.iotlb.hits, 4u);
  EXPECT_EQ(s.iotlb.misses, 4u);
  // Every lookup probes 4K first; the 2M probe comes only after a 4K miss.
  EXPECT_EQ(s.iotlb_by_size[0].lookups, 8u);
  EXPECT_EQ(s.iotlb_by_size[0].hits, 1u);
  EXPECT_EQ(s.iotlb_by_size[1].hits, 2u);
  EXPECT_EQ(s.iotlb_by_size[2].hits, 1u);
  for (const auto& k : s.iotlb_by_size) EXPECT_EQ(k.hits + k.misses, k.lookups);
}

TEST(CacheTranslationCaches, SharedIotlbSkipsProbesForAbsentSizes) {
  TranslationCaches c{config::CachesConfig{}};
  c.fill_iotlb(page(1, 0x1000, 12));
  EXPECT_FALSE(has(c, 1, 0x5000));
  EXPECT_EQ(c.stats().iotlb_by_size[0].lookups, 1u);
  EXPECT_EQ(c.stats().iotlb_by_size[1].lookups, 0u);
  EXPECT_EQ(c.stats().iotlb_by_size[2].lookups, 0u);
}

TEST(CacheTranslationCaches, IotlbCountersPerProbeAndSizeReadMidStream) {
  // Lookups are derived (hits + misses) when the stats are read: check exact per-size probe counts
  // and that a read between lookups does not freeze them.
  TranslationCaches c{config::CachesConfig{}};
  c.fill_iotlb(page(1, 0x1000, 12));
  c.fill_iotlb(page(1, 0x40000000, 21));
  EXPECT_TRUE(has(c, 1, 0x1010));       // 4K probe hits
  EXPECT_TRUE(has(c, 1, 0x40123000));   // 4K probe misses, 2M probe hits
  EXPECT_FALSE(has(c, 1, 0x80000000));  // 4K and 2M probes miss; no 1G entry held: not probed
  {
    const auto& s = c.stats();
    EXPECT_EQ(s.iotlb.lookups, 3u);
    EXPECT_EQ(s.iotlb.hits, 2u);
    EXPECT_EQ(s.iotlb.misses, 1u);
    EXPECT_EQ(s.iotlb_by_size[0].lookups, 3u);
    EXPECT_EQ(s.iotlb_by_size[0].hits, 1u);
    EXPECT_EQ(s.iotlb_by_size[1].lookups, 2u);
    EXPECT_EQ(s.iotlb_by_size[1].hits, 1u);
    EXPECT_EQ(s.iotlb_by_size[2].lookups, 0u);
  }
  EXPECT_TRUE(has(c, 1, 0x1020));
  EXPECT_EQ(c.stats().iotlb.lookups, 4u);
  EXPECT_EQ(c.stats().iotlb.hits, 3u);
  EXPECT_EQ(c.stats().iotlb_by_size[0].lookups, 4u);
}

TEST(CacheTranslationCaches, SharedIotlbSuperpagesCompeteWith4K) {
  TranslationCaches c{small_shared()};
  for (int i = 0; i < 4; ++i) c.fill_iotlb(page(1, 0x1000 * i, 12));
  c.fill_iotlb(page(1, 0x200000, 21));
  EXPECT_EQ(c.stats().iotlb.evictions, 1u);
  EXPECT_FALSE(has(c, 1, 0x0));  // LRU victim: the first 4K page
  EXPECT_TRUE(has(c, 1, 0x3ff000));
  EXPECT_EQ(c.occupancy().iotlb_by_size[0], 3u);
  EXPECT_EQ(c.occupancy().iotlb_by_size[1], 1u);
}

TEST(CacheTranslationCaches, PerSizeIotlbKeepsSizesApart) {
  config::CachesConfig cfg = small_shared();
  cfg.iotlb_organization = config::IotlbOrganization::kPerSize;
  cfg.iotlb_2m = {2, 2, config::ReplacementPolicy::kLru, true, 1, 1};
  TranslationCaches c{cfg};
  for (int i = 0; i < 4; ++i) c.fill_iotlb(page(1, 0x1000 * i, 12));
  c.fill_iotlb(page(1, 0x200000, 21));
  c.fill_iotlb(page(1, 0x400000, 21));
  c.fill_iotlb(page(1, 0x40000000, 30));
  EXPECT_EQ(c.stats().iotlb.evictions, 0u);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(has(c, 1, 0x1000 * i + 0x10));
  EXPECT_TRUE(has(c, 1, 0x234567));
  EXPECT_TRUE(has(c, 1, 0x5fffff));
  EXPECT_TRUE(has(c, 1, 0x7fffffff));
  c.fill_iotlb(page(1, 0x600000, 21));  // 2M array holds two entries: evicts its LRU
  EXPECT_EQ(c.stats().iotlb.evictions, 1u);
  EXPECT_EQ(c.stats().iotlb_by_size[1].evictions, 1u);
  EXPECT_FALSE(has(c, 1, 0x200000));
  EXPECT_EQ(c.occupancy().iotlb, 4u + 2u + 1u);
}

TEST(CacheTranslationCaches, NegativeEntriesAreCached) {
  TranslationCaches c{config::CachesConfig{}};
  IotlbEntry e = page(1, 0x9000, 12);
  e.fault = spec::FaultReason::kWriteDenied;
  c.fill_iotlb(e);
  const IotlbEntry* hit = c.find_iotlb(kDev, DomainId(1), Pasid{}, Iova(0x9abc));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->fault, spec::FaultReason::kWriteDenied);
}

TEST(CacheTranslationCaches, PageSelectiveInvalidationWithAddressMask) {
  TranslationCaches c{config::CachesConfig{}};
  for (std::uint16_t d : {1, 2}) {
    for (int i = 0; i < 8; ++i) c.fill_iotlb(page(d, 0x1000 * i, 12));
  }
  // AM = 2: four pages from 0x4000, domain 1 only.
  EXPECT_EQ(c.invalidate(iotlb_page(1, 0x4000, 2, true)), 4u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(has(c, 1, 0x1000 * i), i < 4) << i;
    EXPECT_TRUE(has(c, 2, 0x1000 * i)) << i;
  }
  // An unaligned address is aligned down to the range: 0x2000 with AM = 1 covers 0x2000-0x3fff.
  EXPECT_EQ(c.invalidate(iotlb_page(1, 0x3000, 1, true)), 2u);
  EXPECT_TRUE(has(c, 1, 0x1000));
  EXPECT_FALSE(has(c, 1, 0x2000));
  EXPECT_EQ(c.stats().iotlb.invalidated, 6u);
}

TEST(CacheTranslationCaches, PageSelectiveInvalidationDropsOverlappingSuperpages) {
  TranslationCaches c{config::CachesConfig{}};
  c.fill_iotlb(page(1, 0x200000, 21));
  c.fill_iotlb(page(1, 0x400000, 21));
  c.fill_iotlb(page(1, 0x40000000, 30));
  EXPECT_EQ(c.invalidate(iotlb_page(1, 0x3ff000, 0, true)), 1u);
  EXPECT_FALSE(has(c, 1, 0x200000));
  EXPECT_TRUE(has(c, 1, 0x400000));
  EXPECT_EQ(c.invalidate(iotlb_page(1, 0x7fe00000, 9, true)), 1u);  // 2M range inside the 1G page
  EXPECT_FALSE(has(c, 1, 0x40000000));
}

TEST(CacheTranslationCaches, InvalidationHintKeepsPagingStructureCaches) {
  for (bool ih : {true, false}) {
    TranslationCaches c{config::CachesConfig{}};
    c.fill_iotlb(page(1, 0x201000, 12));
    c.fill_psc(psc(1, 2, 0x201000));  // PDE of 0x200000-0x3fffff
    c.fill_psc(psc(1, 2, 0x400000));  // PDE of 0x400000-0x5fffff: no overlap
    c.fill_psc(psc(1, 3, 0x201000));  // PDPE of 0-1G
    c.fill_psc(psc(1, 4, 0x201000));  // PML4E of 0-512G
    c.fill_psc(psc(2, 2, 0x201000));  // other domain
    const std::uint64_t n = c.invalidate(iotlb_page(1, 0x201000, 0, ih));
    EXPECT_EQ(n, ih ? 1u : 4u) << ih;
    EXPECT_EQ(c.occupancy().psc[0], ih ? 3u : 2u);
    EXPECT_EQ(c.occupancy().psc[1], ih ? 1u : 0u);
    EXPECT_EQ(c.occupancy().psc[2], ih ? 1u : 0u);
    PscEntry out;
    EXPECT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x400000), 4, out));
    EXPECT_EQ(out.level, 2);
  }
}

TEST(CacheTranslationCaches, DomainAndGlobalIotlbInvalidationDropPsc) {
  TranslationCaches c{config::CachesConfig{}};
  for (std::uint16_t d : {1, 2}) {
    c.fill_iotlb(page(d, 0x1000, 12));
    c.fill_iotlb(page(d, 0x1000, 12, Pasid(9)));
    c.fill_psc(psc(d, 2, 0x1000));
    c.fill_psc(psc(d, 3, 0x1000));
  }
  InvalidationRequest r;
  r.target = InvalidationTarget::kIotlb;
  r.granularity = InvalidationGranularity::kDomain;
  r.domain = DomainId(1);
  EXPECT_EQ(c.invalidate(r), 4u);  // both PASIDs of domain 1, and its two PSC entries
  EXPECT_FALSE(has(c, 1, 0x1000));
  EXPECT_TRUE(has(c, 2, 0x1000));
  r.granularity = InvalidationGranularity::kGlobal;
  EXPECT_EQ(c.invalidate(r), 4u);
  EXPECT_EQ(c.occupancy().iotlb, 0u);
  EXPECT_EQ(c.occupancy().psc[0] + c.occupancy().psc[1], 0u);
}

// P_IOTLB_INV_DSC reaches first-stage (and nested) entries only (invalidation_scope.hpp): the
// entries here are first-stage ones.
TEST(CacheTranslationCaches, PasidBasedIotlbInvalidation) {
  TranslationCaches c{config::CachesConfig{}};
  for (std::uint32_t p : {5u, 6u}) {
    for (int i = 0; i < 4; ++i) {
      IotlbEntry e = page(1, 0x1000 * i, 12, Pasid(p));
      e.fs_flags = cache::fs_leaf::kFirstStage;
      c.fill_iotlb(e);
    }
    PscEntry e = psc(1, 2, 0, Pasid(p));
    e.fs_flags = cache::fs_leaf::kFirstStage;
    c.fill_psc(e);
  }
  InvalidationRequest r;
  r.target = InvalidationTarget::kPasidIotlb;
  r.granularity = InvalidationGranularity::kPage;
  r.domain = DomainId(1);
  r.pasid = Pasid(5);
  r.addr = Iova(0x2000);
  r.address_mask = 1;
  EXPECT_EQ(c.invalidate(r), 3u);  // two pages and the PDE of PASID 5
  EXPECT_FALSE(has(c, 1, 0x2000, Pasid(5)));
  EXPECT_TRUE(has(c, 1, 0x2000, Pasid(6)));
  r.granularity = InvalidationGranularity::kPasid;
  EXPECT_EQ(c.invalidate(r), 2u);  // the remaining two pages of PASID 5
  EXPECT_TRUE(has(c, 1, 0x0, Pasid(6)));
  EXPECT_EQ(c.occupancy().iotlb, 4u);
  EXPECT_EQ(c.occupancy().psc[0], 1u);
}

// The deepest paging-structure-cache hit at or below the table's top level (spec 6.2.4: a 4-level
// table's PML4E is held in the PML4E cache, so a hit there skips the top-level read).
TEST(CacheTranslationCaches, WalkStartIsDeepestHitUpToTheTopLevel) {
  TranslationCaches c{config::CachesConfig{}};
  PscEntry out;
  EXPECT_FALSE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x12345000), 4, out));  // PDE, PDPE, PML4E miss
  c.fill_psc(psc(1, 4, 0x12345000));
  c.fill_psc(psc(1, 3, 0x12345000));
  ASSERT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x12345000), 4, out));
  EXPECT_EQ(out.level, 3);
  EXPECT_EQ(out.next_table, 0x3000u);
  c.fill_psc(psc(1, 2, 0x12345000));
  ASSERT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x12345000), 4, out));
  EXPECT_EQ(out.level, 2);
  ASSERT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x12345000), 3, out));
  EXPECT_EQ(out.level, 2);
  // Other 2M region of the same 1G region: the PDPE entry is the deepest hit.
  ASSERT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x12545000), 3, out));
  EXPECT_EQ(out.level, 3);
  ASSERT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x12545000), 4, out));
  EXPECT_EQ(out.level, 3);
  // Other 1G region: the PML4E entry (512G region) hits after PDE and PDPE miss.
  ASSERT_TRUE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x52345000), 5, out));
  EXPECT_EQ(out.level, 4);
  // A 3-level table never probes the PML4E cache.
  EXPECT_FALSE(c.find_walk_start(DomainId(1), Pasid{}, Iova(0x52345000), 3, out));
  const auto& s = c.stats();
  EXPECT_EQ(s.psc[0].lookups, 8u);
  EXPECT_EQ(s.psc[0].hits, 2u);
  EXPECT_EQ(s.psc[1].lookups, 6u);  // probed only after a PDE miss
  EXPECT_EQ(s.psc[1].hits, 3u);
  EXPECT_EQ(s.psc[2].lookups, 2u);  // probed only after PDE and PDPE miss with top level >= 4
  EXPECT_EQ(s.psc[2].hits, 1u);
}

config::CachesConfig qemu_config(std::uint32_t max) {
  config::CachesConfig c;
  c.iotlb_organization = config::IotlbOrganization::kQemu;
  c.qemu_max_entries = max;
  return c;
}

// QEMU 10.0's IOTLB (configs/qemu-10.0.yaml) with the entries' stage given.
config::CachesConfig qemu10_config(config::QemuStage stage) {
  config::CachesConfig c = qemu_config(1024);
  c.qemu_inv_mask_bits = 64;
  c.qemu_piotlb = config::QemuPasidIotlb::kV10;
  c.qemu_first_stage = stage;
  return c;
}

TEST(CacheTranslationCaches, QemuFlushesWholeTableAtLimit) {
  TranslationCaches c{qemu_config(4)};
  for (int i = 0; i < 4; ++i) c.fill_iotlb(page(1, 0x1000 * i, 12));
  c.fill_iotlb(page(1, 0x2000, 12));  // existing key: replaced, no flush
  EXPECT_EQ(c.stats().qemu_flushes, 0u);
  EXPECT_EQ(c.occupancy().iotlb, 4u);
  c.fill_iotlb(page(1, 0x9000, 12));
  EXPECT_EQ(c.stats().qemu_flushes, 1u);
  EXPECT_EQ(c.stats().iotlb.evictions, 4u);
  EXPECT_EQ(c.occupancy().iotlb, 1u);
  EXPECT_FALSE(has(c, 1, 0x0));
  EXPECT_TRUE(has(c, 1, 0x9000));
}

TEST(CacheTranslationCaches, QemuDefaultLimitIs1024) {
  TranslationCaches c{qemu_config(1024)};
  for (int i = 0; i < 1024; ++i) c.fill_iotlb(page(1, 0x1000ull * i, 12));
  EXPECT_EQ(c.occupancy().iotlb, 1024u);
  EXPECT_EQ(c.stats().qemu_flushes, 0u);
  c.fill_iotlb(page(1, 0x1000ull * 5000, 12));
  EXPECT_EQ(c.stats().qemu_flushes, 1u);
  EXPECT_EQ(c.occupancy().iotlb, 1u);
}

TEST(CacheTranslationCaches, QemuKeysBySourceAndFindsSuperpages) {
  TranslationCaches c{qemu_config(1024)};
  c.fill_iotlb(page(1, 0x200000, 21));
  EXPECT_TRUE(has(c, 1, 0x3fffff));
  EXPECT_TRUE(has(c, 9, 0x3fffff));  // QEMU's key has no domain
  EXPECT_FALSE(has(c, 1, 0x3fffff, Pasid{}, SourceId::from_bdf(0, 4, 0)));
  EXPECT_EQ(c.stats().iotlb_by_size[1].hits, 2u);
}

TEST(CacheTranslationCaches, QemuInvalidationSemantics) {
  TranslationCaches c{qemu_config(1024)};
  c.fill_iotlb(page(1, 0x200000, 21));
  c.fill_iotlb(page(1, 0x5000, 12));
  c.fill_iotlb(page(1, 0x6000, 12));
  c.fill_iotlb(page(2, 0x5000, 12, Pasid{}, SourceId::from_bdf(0, 4, 0)));
  // The 2M entry's page contains the address.
  EXPECT_EQ(c.invalidate(iotlb_page(1, 0x201000, 0, false)), 1u);
  // gfn 5 under mask ~1 equals 4.
  EXPECT_EQ(c.invalidate(iotlb_page(1, 0x4000, 1, false)), 1u);
  EXPECT_TRUE(has(c, 1, 0x6000));
  InvalidationRequest r;
  r.target = InvalidationTarget::kIotlb;
  r.granularity = InvalidationGranularity::kDomain;
  r.domain = DomainId(1);
  EXPECT_EQ(c.invalidate(r), 1u);
  EXPECT_EQ(c.occupancy().iotlb, 1u);
  r.granularity = InvalidationGranularity::kGlobal;
  EXPECT_EQ(c.invalidate(r), 1u);
  EXPECT_EQ(c.occupancy().iotlb, 0u);
}

// QEMU 7.2 keeps VTDIOTLBPageInvInfo.mask in a uint8_t: page-selective invalidation compares only
// the low 8 bits of the page numbers, so it also drops entries 256 pages apart (qemu_inv_mask_bits
// = 8, the default); 64 compares the whole page number.
TEST(CacheTranslationCaches, QemuPageInvalidationMaskWidth) {
  for (std::uint8_t bits : {std::uint8_t{8}, std::uint8_t{64}}) {
    config::CachesConfig cfg = qemu_config(1024);
    cfg.qemu_inv_mask_bits = bits;
    TranslationCaches c{cfg};
    c.fill_iotlb(page(1, 0x5000, 12));
    c.fill_iotlb(page(1, 0x105000, 12));  // gfn 0x105: same low 8 bits as 0x5
    c.fill_iotlb(page(1, 0x6000, 12));
    EXPECT_EQ(c.invalidate(iotlb_page(1, 0x5000, 0, false)), bits == 8 ? 2u : 1u) << int(bits);
    EXPECT_EQ(has(c, 1, 0x105000), bits != 8);
    EXPECT_TRUE(has(c, 1, 0x6000));
    // AM >= 8 leaves no bits to compare in the 8-bit mask: every entry of the domain goes.
    EXPECT_EQ(c.invalidate(iotlb_page(1, 0x40000000, 8, false)), bits == 8 ? 1u : 0u) << int(bits);
  }
}

InvalidationRequest piotlb(std::uint16_t domain, std::uint32_t pasid, InvalidationGranularity g, std::uint64_t addr = 0,
                           std::uint8_t am = 0) {
  InvalidationRequest r;
  r.target = InvalidationTarget::kPasidIotlb;
  r.granularity = g;
  r.domain = DomainId(domain);
  r.pasid = Pasid(pasid);
  r.addr = Iova(addr);
  r.address_mask = am;
  return r;
}

// P_IOTLB_INV_DSC (spec 6.5.2.4) in QEMU's IOTLB: QEMU before 10.0 ignores it; 10.0 drops the
// (domain, PASID) entries of any stage for PASID-selective (vtd_hash_remove_by_pasid; an entry of
// a request without PASID carries RID_PASID = 0) and only first-stage ones for page-selective.
TEST(CacheTranslationCaches, QemuPasidIotlbByRelease) {
  using G = InvalidationGranularity;
  for (auto behaviour : {config::QemuPasidIotlb::kIgnore, config::QemuPasidIotlb::kV10}) {
    const bool v10 = behaviour == config::QemuPasidIotlb::kV10;
    config::CachesConfig cfg = qemu_config(1024);
    cfg.qemu_inv_mask_bits = 64;
    cfg.qemu_piotlb = behaviour;
    TranslationCaches c{cfg};
    c.fill_iotlb(page(4, 0x5000, 12));            // request without PASID
    c.fill_iotlb(page(4, 0x6000, 12, Pasid(7)));  // request with PASID 7
    c.fill_iotlb(page(5, 0x5000, 12, Pasid{}, SourceId::from_bdf(0, 4, 0)));
    // Page-selective: second-stage entries are never reached.
    EXPECT_EQ(c.invalidate(piotlb(4, 0, G::kPage, 0x5000)), 0u);
    EXPECT_EQ(c.invalidate(piotlb(4, 7, G::kPage, 0x6000)), 0u);
    // PASID-selective: PASID 7 of domain 4, then RID_PASID (0) = the request without PASID.
    EXPECT_EQ(c.invalidate(piotlb(4, 7, G::kPasid)), v10 ? 1u : 0u);
    EXPECT_EQ(c.invalidate(piotlb(4, 0, G::kPasid)), v10 ? 1u : 0u);
    EXPECT_TRUE(has(c, 5, 0x5000, Pasid{}, SourceId::from_bdf(0, 4, 0)));  // other domain kept
    EXPECT_EQ(c.occupancy().iotlb, v10 ? 1u : 3u);
  }
}

// QEMU 10.0 x-flts=on: the entries are first-stage ones. A legacy page-selective invalidation
// drops all of the domain's entries (vtd_hash_remove_by_page), a PASID-based one the matching
// page of (domain, PASID) under the full mask (vtd_hash_remove_by_page_piotlb).
TEST(CacheTranslationCaches, QemuFirstStageEntries) {
  TranslationCaches c{qemu10_config(config::QemuStage::kFirst)};
  c.fill_iotlb(page(4, 0x5000, 12));
  c.fill_iotlb(page(4, 0x105000, 12));
  c.fill_iotlb(page(4, 0x6000, 12));
  c.fill_iotlb(page(5, 0x5000, 12, Pasid{}, SourceId::from_bdf(0, 4, 0)));
  EXPECT_EQ(c.invalidate(piotlb(4, 0, InvalidationGranularity::kPage, 0x5000)), 1u);
  EXPECT_TRUE(has(c, 4, 0x105000));
  EXPECT_EQ(c.invalidate(piotlb(4, 3, InvalidationGranularity::kPage, 0x6000)), 0u);  // other PASID
  EXPECT_EQ(c.invalidate(iotlb_page(4, 0x900000, 0, false)), 2u);                     // every entry of domain 4
  EXPECT_EQ(c.occupancy().iotlb, 1u);
}

// qemu_first_stage: auto takes the stage from the first page-selective flush: P_IOTLB -> first
// stage (a later legacy PSI drops the whole domain), legacy -> second (a later P_IOTLB PSI drops
// nothing).
TEST(CacheTranslationCaches, QemuStageFromTheFirstPageFlush) {
  for (bool pasid_first : {true, false}) {
    TranslationCaches c{qemu10_config(config::QemuStage::kAuto)};
    c.fill_iotlb(page(4, 0x5000, 12));
    c.fill_iotlb(page(4, 0x6000, 12));
    c.fill_iotlb(page(4, 0x7000, 12));
    if (pasid_first) {
      EXPECT_EQ(c.invalidate(piotlb(4, 0, InvalidationGranularity::kPage, 0x5000)), 1u);  // first stage
      EXPECT_EQ(c.invalidate(iotlb_page(4, 0x900000, 0, false)), 2u);                     // whole domain
    } else {
      EXPECT_EQ(c.invalidate(iotlb_page(4, 0x5000, 0, false)), 1u);  // second stage
      EXPECT_EQ(c.invalidate(piotlb(4, 0, InvalidationGranularity::kPage, 0x6000)), 0u);
      EXPECT_EQ(c.occupancy().iotlb, 2u);
    }
  }
}

TEST(CacheTranslationCaches, DisabledCachesHoldNothing) {
  config::CachesConfig cfg;
  cfg.iotlb.enabled = false;
  cfg.context.enabled = false;
  TranslationCaches c{cfg};
  c.fill_iotlb(page(1, 0x1000, 12));
  EXPECT_FALSE(has(c, 1, 0x1000));
  cache::ContextCacheEntry e;
  e.source = kDev;
  c.fill_context(e);
  EXPECT_EQ(c.find_context(kDev, Pasid{}), nullptr);
  EXPECT_EQ(c.stats().iotlb.lookups, 0u);
  EXPECT_EQ(c.stats().context.lookups, 0u);
}

TEST(CacheTranslationCaches, BadGeometryNamesTheCache) {
  config::CachesConfig cfg;
  cfg.iotlb.ways = 3;
  try {
    TranslationCaches c{cfg};
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("caches.iotlb"), std::string::npos) << e.what();
  }
}

}  // namespace
