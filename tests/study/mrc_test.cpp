// The one-pass IOTLB miss-ratio curve against separate full replays (iotlb entries = N,
// ways = N, policy = lru) at several sizes: a synthetic trace with superpages, faults and every
// IOTLB invalidation granularity, and the real QEMU log.
#include <gtest/gtest.h>

#include <fstream>

#include <random>
#include <sstream>
#include <vector>

#include "vtdsim/trace/vector_trace_source.hpp"
#include "vtdsim/cache/translation_caches.hpp"
#include "vtdsim/study/iotlb_mrc.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"

namespace vtdsim::study {
namespace {

using trace::EventKind;
using trace::TraceEvent;

TraceEvent context(std::uint64_t t, SourceId sid, std::uint16_t domain, std::uint8_t levels) {
  TraceEvent e;
  e.kind = EventKind::kContext;
  e.time_ns = t;
  e.source = sid;
  e.domain = DomainId(domain);
  e.translation_type = core::TranslationType::kUntranslated;
  e.levels = levels;
  return e;
}

TraceEvent map(std::uint64_t t, std::uint16_t domain, std::uint64_t iova, std::uint64_t host, std::uint64_t size,
               std::uint64_t page) {
  TraceEvent e;
  e.kind = EventKind::kMap;
  e.time_ns = t;
  e.domain = DomainId(domain);
  e.iova = Iova(iova);
  e.host = HostAddr(host);
  e.size = size;
  e.perms = Perms{true, true};
  e.page_size = page;
  return e;
}

TraceEvent unmap(std::uint64_t t, std::uint16_t domain, std::uint64_t iova, std::uint64_t size) {
  TraceEvent e;
  e.kind = EventKind::kUnmap;
  e.time_ns = t;
  e.domain = DomainId(domain);
  e.iova = Iova(iova);
  e.size = size;
  return e;
}

TraceEvent dma(std::uint64_t t, SourceId sid, std::uint64_t iova, std::uint64_t size, Access a) {
  TraceEvent e;
  e.kind = EventKind::kDma;
  e.time_ns = t;
  e.source = sid;
  e.iova = Iova(iova);
  e.size = size;
  e.access = a;
  return e;
}

TraceEvent inv(std::uint64_t t, core::InvalidationGranularity g, std::uint16_t domain, std::uint64_t addr = 0,
               std::uint8_t am = 0) {
  TraceEvent e;
  e.kind = EventKind::kInvalidate;
  e.time_ns = t;
  e.invalidation.target = core::InvalidationTarget::kIotlb;
  e.invalidation.granularity = g;
  e.invalidation.domain = DomainId(domain);
  e.invalidation.addr = Iova(addr);
  e.invalidation.address_mask = am;
  return e;
}

// Two devices: domain 1 with 4 KiB pages (skewed reuse, strict-mode unmap/invalidate/remap,
// DMAs crossing pages, faults on unmapped pages), domain 2 with 2 MiB pages; page-, domain- and
// global invalidations and context invalidations (which leave the IOTLB alone).
std::vector<TraceEvent> synthetic_trace() {
  const SourceId a = SourceId::from_bdf(0, 2, 0), b = SourceId::from_bdf(0, 3, 0);
  std::vector<TraceEvent> ev;
  std::uint64_t t = 0;
  ev.push_back(context(t, a, 1, 4));
  ev.push_back(context(t, b, 2, 3));
  constexpr std::uint64_t kBase = 0x100000, kPages = 400;
  ev.push_back(map(t, 1, kBase, 0x10000000, kPages * 4096, 4096));
  ev.push_back(map(t, 2, 0x40000000, 0x80000000, 4 * kPageSize2M, kPageSize2M));
  std::mt19937_64 rng(1234);
  std::geometric_distribution<int> hot(0.03);
  for (int i = 0; i < 30000; ++i) {
    t += 10;
    const unsigned r = rng() % 100;
    if (r < 75) {
      const std::uint64_t page = static_cast<std::uint64_t>(hot(rng)) % (kPages + 8);  // +8: unmapped, faults
      const std::uint64_t offset = (rng() % 8 == 0) ? 4000 : (rng() % 64) * 64;        // some cross a page
      ev.push_back(dma(t, a, kBase + page * 4096 + offset, 256, (rng() & 1) ? Access::kWrite : Access::kRead));
    } else {
      ev.push_back(dma(t, b, 0x40000000 + (rng() % (4 * kPageSize2M)), 64, Access::kRead));
    }
    if (i % 97 == 0) {  // strict mode: unmap, invalidate the page, map again elsewhere
      const std::uint64_t page = static_cast<std::uint64_t>(hot(rng)) % kPages;
      ev.push_back(unmap(t, 1, kBase + page * 4096, 4096));
      ev.push_back(inv(t, core::InvalidationGranularity::kPage, 1, kBase + page * 4096, 0));
      ev.push_back(map(t, 1, kBase + page * 4096, 0x20000000 + (rng() % 1000) * 4096, 4096, 4096));
    }
    if (i % 1013 == 0) ev.push_back(inv(t, core::InvalidationGranularity::kPage, 1, kBase + 16 * 4096, 3));
    if (i % 2503 == 0) ev.push_back(inv(t, core::InvalidationGranularity::kPage, 2, 0x40000000 + 5 * 4096, 0));
    if (i % 4001 == 0) ev.push_back(inv(t, core::InvalidationGranularity::kDomain, 2));
    if (i % 7919 == 0) ev.push_back(inv(t, core::InvalidationGranularity::kGlobal, 0));
    if (i % 5003 == 0) {
      TraceEvent c = inv(t, core::InvalidationGranularity::kGlobal, 0);
      c.invalidation.target = core::InvalidationTarget::kContextCache;
      ev.push_back(c);
    }
  }
  return ev;
}

config::UnitConfig with_full_lru_iotlb(config::UnitConfig cfg, std::uint32_t entries) {
  cfg.caches.iotlb.entries = entries;
  cfg.caches.iotlb.ways = entries;
  cfg.caches.iotlb.policy = config::ReplacementPolicy::kLru;
  cfg.caches.iotlb.enabled = true;
  return cfg;
}

struct ReplayHits {
  std::uint64_t lookups = 0, hits = 0;
};

template <class MakeSource>
ReplayHits full_replay(const config::UnitConfig& cfg, MakeSource make_source) {
  trace::Replayer replayer(cfg);
  auto source = make_source();
  replayer.run(*source);
  const auto& s = replayer.unit().caches().stats();
  return ReplayHits{s.iotlb.lookups, s.iotlb.hits};
}

template <class MakeSource>
void expect_curve_matches_replays(const config::UnitConfig& base, MakeSource make_source,
                                  const std::vector<std::uint32_t>& sizes, std::uint32_t max_entries) {
  auto source = make_source();
  // The feeding replay's own IOTLB geometry does not matter: use a small set-associative one.
  config::UnitConfig feeding = base;
  feeding.caches.iotlb.entries = 8;
  feeding.caches.iotlb.ways = 2;
  const IotlbMissRatioCurve curve = compute_iotlb_mrc(feeding, *source, max_entries);
  ASSERT_GT(curve.lookups(), 0u);
  const auto points = curve.curve();
  ASSERT_EQ(points.size(), max_entries);
  std::uint64_t previous = 0;
  for (const auto& p : points) {
    EXPECT_GE(p.hits, previous) << "hits must not fall as the IOTLB grows (size " << p.entries << ")";
    previous = p.hits;
  }
  for (std::uint32_t n : sizes) {
    const ReplayHits full = full_replay(with_full_lru_iotlb(base, n), make_source);
    EXPECT_EQ(curve.lookups(), full.lookups) << "size " << n;
    EXPECT_EQ(curve.hits_at(n), full.hits) << "size " << n;
    EXPECT_EQ(points[n - 1].hits, full.hits) << "size " << n;
  }
}

TEST(IotlbMrc, SyntheticTraceMatchesSeparateReplays) {
  const auto events = synthetic_trace();
  auto make = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  config::UnitConfig cfg;
  expect_curve_matches_replays(cfg, make, {1, 2, 3, 5, 16, 64, 100, 256, 300}, 300);
}

TEST(IotlbMrc, SyntheticTraceWithCachedFaults) {
  // CAP.CM = 1: not-present translations are cached as negative 4 KiB entries (fills on faults).
  const auto events = synthetic_trace();
  auto make = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  config::UnitConfig cfg;
  cfg.cap.caching_mode = true;
  expect_curve_matches_replays(cfg, make, {1, 4, 32, 128}, 160);
}

TEST(IotlbMrc, PerSizeOrganizationSizesThe4KArray) {
  const auto events = synthetic_trace();
  auto make = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  config::UnitConfig cfg;
  cfg.caches.iotlb_organization = config::IotlbOrganization::kPerSize;
  expect_curve_matches_replays(cfg, make, {1, 7, 64}, 64);
}

TEST(IotlbMrc, SharedQemuLogMatchesSeparateReplays) {
  const std::string log = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.log.gz";
  ASSERT_TRUE(std::ifstream(log).good()) << log << " is missing";
  auto make = [&log] { return std::make_unique<trace::QemuLogImporter>(log); };
  // QEMU's capabilities (3-level tables, CM = 1) with an LRU IOTLB in one shared array.
  config::UnitConfig cfg;
  cfg.cap.caching_mode = true;
  cfg.cap.sllps = 0b11;
  expect_curve_matches_replays(cfg, make, {1, 2, 4, 8, 16, 32, 64, 128, 256}, 256);
}

// --sets S: the per-set curve against replays with iotlb.entries = S x W, iotlb.ways = W, LRU.
config::UnitConfig with_set_lru_iotlb(config::UnitConfig cfg, std::uint32_t sets, std::uint32_t ways) {
  cfg.caches.iotlb.entries = sets * ways;
  cfg.caches.iotlb.ways = ways;
  cfg.caches.iotlb.policy = config::ReplacementPolicy::kLru;
  cfg.caches.iotlb.enabled = true;
  return cfg;
}

template <class MakeSource>
void expect_set_curve_matches_replays(const config::UnitConfig& base, MakeSource make_source, std::uint32_t sets,
                                      const std::vector<std::uint32_t>& ways, std::uint32_t max_ways) {
  auto source = make_source();
  // compute_iotlb_mrc replays with its own IOTLB geometry (half the largest point's capacity).
  const IotlbMissRatioCurve curve = compute_iotlb_mrc(base, *source, max_ways, sets);
  ASSERT_GT(curve.lookups(), 0u);
  const auto points = curve.curve();
  ASSERT_EQ(points.size(), max_ways);
  for (std::uint32_t w : ways) {
    const ReplayHits full = full_replay(with_set_lru_iotlb(base, sets, w), make_source);
    EXPECT_EQ(curve.lookups(), full.lookups) << sets << " sets x " << w << " ways";
    EXPECT_EQ(curve.hits_at(w), full.hits) << sets << " sets x " << w << " ways";
    EXPECT_EQ(points[w - 1].hits, full.hits) << sets << " sets x " << w << " ways";
    EXPECT_EQ(points[w - 1].entries, sets * w);
    EXPECT_EQ(points[w - 1].sets, sets);
    EXPECT_EQ(points[w - 1].ways, w);
  }
}

TEST(IotlbSetMrc, OneSetIsTheFullyAssociativeCurve) {
  const auto events = synthetic_trace();
  trace::VectorTraceSource a(events), b(events);
  const IotlbMissRatioCurve full = compute_iotlb_mrc(config::UnitConfig{}, a, 64);
  const IotlbMissRatioCurve one_set = compute_iotlb_mrc(config::UnitConfig{}, b, 64, 1);
  for (std::uint32_t n = 1; n <= 64; ++n) EXPECT_EQ(one_set.hits_at(n), full.hits_at(n)) << n;
}

TEST(IotlbSetMrc, SyntheticTraceMatchesSeparateReplays) {
  // 4 KiB pages (set = page number mod S) and 2 MiB pages (2 MiB page number mod S) in one
  // shared array, page/domain/global invalidations, faults.
  const auto events = synthetic_trace();
  auto make = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  config::UnitConfig cfg;
  expect_set_curve_matches_replays(cfg, make, 4, {1, 2, 3, 8, 16}, 16);
  expect_set_curve_matches_replays(cfg, make, 16, {1, 4, 7, 12}, 12);
  expect_set_curve_matches_replays(cfg, make, 6, {1, 5, 10}, 10);  // not a power of two
}

TEST(IotlbSetMrc, SyntheticTraceWithCachedFaults) {
  const auto events = synthetic_trace();
  auto make = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  config::UnitConfig cfg;
  cfg.cap.caching_mode = true;
  expect_set_curve_matches_replays(cfg, make, 8, {1, 2, 6, 16}, 16);
}

TEST(IotlbSetMrc, PerSizeOrganizationSizesThe4KArray) {
  const auto events = synthetic_trace();
  auto make = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  config::UnitConfig cfg;
  cfg.caches.iotlb_organization = config::IotlbOrganization::kPerSize;
  expect_set_curve_matches_replays(cfg, make, 8, {1, 3, 8}, 8);
}

TEST(IotlbSetMrc, SharedQemuLogMatchesSeparateReplays) {
  const std::string log = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.log.gz";
  ASSERT_TRUE(std::ifstream(log).good()) << log << " is missing";
  auto make = [&log] { return std::make_unique<trace::QemuLogImporter>(log); };
  config::UnitConfig cfg;
  cfg.cap.caching_mode = true;
  cfg.cap.sllps = 0b11;
  expect_set_curve_matches_replays(cfg, make, 16, {1, 2, 4, 8, 16}, 16);
  expect_set_curve_matches_replays(cfg, make, 64, {1, 4}, 8);
}

TEST(IotlbSetMrc, CsvNamesSetsAndWays) {
  std::vector<MrcPoint> points{{8, 10, 4, 4, 2}, {16, 10, 7, 4, 4}};
  std::ostringstream out;
  write_mrc_csv(out, points);
  EXPECT_EQ(out.str(),
            "sets,ways,entries,lookups,hits,misses,hit_rate,miss_ratio\n"
            "4,2,8,10,4,6,0.400000,0.600000\n"
            "4,4,16,10,7,3,0.700000,0.300000\n");
}

TEST(IotlbMrc, RejectsQemuOrganization) {
  EXPECT_THROW(IotlbMissRatioCurve(config::IotlbOrganization::kQemu, 16), std::invalid_argument);
}

TEST(IotlbMrc, CsvHasOneRowPerSize) {
  std::vector<MrcPoint> points{{1, 10, 4}, {2, 10, 7}};
  std::ostringstream out;
  write_mrc_csv(out, points);
  EXPECT_EQ(out.str(),
            "entries,lookups,hits,misses,hit_rate,miss_ratio\n"
            "1,10,4,6,0.400000,0.600000\n"
            "2,10,7,3,0.700000,0.300000\n");
}

}  // namespace
}  // namespace vtdsim::study

namespace vtdsim::study {
namespace {

// A first-stage or nested translation is refused: which invalidations reach such an IOTLB entry
// depends on its stage, which the one-pass profilers do not record (cache/invalidation_scope.hpp).
TEST(IotlbMrc, FirstStageTranslationsAreRefused) {
  for (auto stage : {core::TranslationStage::kFirst, core::TranslationStage::kNested}) {
    IotlbMissRatioCurve curve(config::IotlbOrganization::kShared, 16);
    core::TranslationRequest request;
    core::TranslationResult result;
    result.stage = stage;
    EXPECT_THROW(curve.on_translation(request, result, cache::CacheStats{}), std::invalid_argument);
  }
  IotlbMissRatioCurve curve(config::IotlbOrganization::kShared, 16);
  core::TranslationResult second;
  second.stage = core::TranslationStage::kSecond;
  EXPECT_NO_THROW(curve.on_translation(core::TranslationRequest{}, second, cache::CacheStats{}));
}

}  // namespace
}  // namespace vtdsim::study
