// StatsRecorder: counters derived from results, the JSON layout, sums that must agree, and
// snapshot subtraction.
#include "vtdsim/stats/stats_recorder.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "vtdsim/cache/translation_caches.hpp"

namespace {

using namespace vtdsim;
using core::TranslationRequest;
using core::TranslationResult;
using core::WalkReadKind;
using stats::StatsRecorder;

constexpr SourceId kA = SourceId::from_bdf(0, 3, 0);
constexpr SourceId kB = SourceId::from_bdf(0, 4, 1);

TranslationRequest req(SourceId s, std::uint32_t size = 64) {
  TranslationRequest r;
  r.source = s;
  r.iova = Iova(0x1000);
  r.size = size;
  return r;
}

TranslationResult hit(std::uint16_t domain, std::uint64_t page = kPageSize4K) {
  TranslationResult r;
  r.domain = DomainId(domain);
  r.page_size = page;
  r.outcome.translated = true;
  r.outcome.context_cache_hit = true;
  r.outcome.iotlb_hit = true;
  return r;
}

// Legacy walk with a context miss: root + context + paging entries from `top` down.
TranslationResult cold_walk(std::uint16_t domain, unsigned top, unsigned leaf = 1) {
  TranslationResult r;
  r.domain = DomainId(domain);
  r.page_size = leaf == 1 ? kPageSize4K : leaf == 2 ? kPageSize2M : kPageSize1G;
  r.outcome.translated = true;
  r.outcome.walk_start_level = static_cast<std::uint8_t>(top);
  r.walk.push(0x100, WalkReadKind::kRootEntry);
  r.walk.push(0x200, WalkReadKind::kContextEntry);
  for (unsigned l = top; l >= leaf; --l)
    r.walk.push(0x1000 * l, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(l));
  return r;
}

TranslationResult psc_walk(std::uint16_t domain, unsigned psc_level) {
  TranslationResult r;
  r.domain = DomainId(domain);
  r.page_size = kPageSize4K;
  r.outcome.translated = true;
  r.outcome.context_cache_hit = true;
  r.outcome.psc_hit_level = static_cast<std::uint8_t>(psc_level);
  r.outcome.walk_start_level = static_cast<std::uint8_t>(psc_level - 1);
  for (unsigned l = psc_level - 1; l >= 1; --l)
    r.walk.push(0x1000 * l, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(l));
  return r;
}

TranslationResult faulted(std::uint16_t domain, spec::FaultReason reason) {
  TranslationResult r = cold_walk(domain, 4);
  r.page_size = 0;
  r.fault = reason;
  return r;
}

void feed(StatsRecorder& rec) {
  rec.record(req(kA), cold_walk(1, 4), 630);
  rec.record(req(kA), hit(1), 4);
  rec.record(req(kA), hit(1), 4);
  rec.record(req(kB), cold_walk(2, 4, 2), 420);
  rec.record(req(kB), hit(2, kPageSize2M), 4);
  rec.record(req(kB), psc_walk(2, 2), 110);
  rec.record(req(kA, 8), faulted(1, spec::FaultReason::kWriteDenied), 600);
}

TEST(StatsRecorder, CountsFromResults) {
  StatsRecorder rec;
  feed(rec);
  const auto& s = rec.stats();
  EXPECT_EQ(s.translations, 7u);
  EXPECT_EQ(s.bytes, 6u * 64 + 8);
  EXPECT_EQ(s.iotlb_hits, 3u);
  EXPECT_EQ(s.iotlb_misses, 4u);
  EXPECT_EQ(s.iotlb_hits_by_size[0], 2u);
  EXPECT_EQ(s.iotlb_hits_by_size[1], 1u);
  EXPECT_EQ(s.iotlb_misses_by_size[0], 2u);  // cold walk + PSC walk
  EXPECT_EQ(s.iotlb_misses_by_size[1], 1u);
  EXPECT_EQ(s.iotlb_misses_by_size[3], 1u);  // the fault
  EXPECT_EQ(s.walks, 4u);
  EXPECT_EQ(s.psc_hits[0], 1u);
  EXPECT_EQ(s.psc_misses, 3u);
  EXPECT_EQ(s.context_hits, 4u);  // three IOTLB hits and the PSC walk
  EXPECT_EQ(s.context_misses, 3u);
  EXPECT_EQ(s.faults, 1u);
  EXPECT_EQ(s.faults_by_reason[static_cast<int>(spec::FaultReason::kWriteDenied)], 1u);
  EXPECT_EQ(s.reads_by_kind[0], 3u);
  EXPECT_EQ(s.reads_by_level[4], 3u);
  EXPECT_EQ(s.reads_by_level[1], 3u);  // two 4K cold walks... one cold 4K, the fault, the PSC walk
  EXPECT_EQ(s.reads_by_level[2], 3u);
  EXPECT_EQ(s.walk_reads, 6u + 5u + 1u + 6u);
  EXPECT_EQ(s.latency.count(), 7u);
  EXPECT_EQ(s.latency.min(), 4u);
  EXPECT_EQ(s.latency.max(), 630u);
  ASSERT_NE(s.device(kA), nullptr);
  EXPECT_EQ(s.device(kA)->translations, 4u);
  EXPECT_EQ(s.device(kA)->faults, 1u);
  EXPECT_EQ(s.domain(DomainId(2))->iotlb_hits, 1u);
  EXPECT_EQ(s.device(SourceId(0x99)), nullptr);
}

TEST(StatsRecorder, JsonSumsAgree) {
  StatsRecorder rec;
  feed(rec);
  core::InvalidationRequest inv;
  inv.target = core::InvalidationTarget::kIotlb;
  inv.granularity = core::InvalidationGranularity::kPage;
  rec.record_invalidation(inv, 3);
  rec.record_invalidation(inv, 1);
  inv.granularity = core::InvalidationGranularity::kGlobal;
  rec.record_invalidation(inv, 10);
  const nlohmann::json j = stats::to_json(rec.stats());
  EXPECT_EQ(j["translations"], 7);
  EXPECT_EQ(j["iotlb"]["hits"].get<std::uint64_t>() + j["iotlb"]["misses"].get<std::uint64_t>(),
            j["iotlb"]["lookups"].get<std::uint64_t>());
  EXPECT_EQ(j["context_cache"]["hits"].get<std::uint64_t>() + j["context_cache"]["misses"].get<std::uint64_t>(),
            j["context_cache"]["lookups"].get<std::uint64_t>());
  EXPECT_EQ(j["faults"]["total"], 1);
  EXPECT_EQ(j["faults"]["by_reason"]["write_denied"], 1);
  EXPECT_EQ(j["walks"], 4);
  EXPECT_EQ(j["walk"]["reads"]["l4"], 3);
  EXPECT_EQ(j["psc"]["l2"]["hits"], 1);
  std::uint64_t psc_sum = 0;
  for (int l = 2; l <= 5; ++l) psc_sum += j["psc"]["l" + std::to_string(l)]["hits"].get<std::uint64_t>();
  EXPECT_EQ(psc_sum, j["psc"]["hits"].get<std::uint64_t>());
  std::uint64_t reads = 0;
  for (const char* k : {"root", "context", "pasid_dir", "pasid_table", "l1", "l2", "l3", "l4", "l5"}) {
    reads += j["walk"]["reads"][k].get<std::uint64_t>();
  }
  EXPECT_EQ(reads, j["walk"]["reads"]["total"].get<std::uint64_t>());
  for (const char* field : {"translations", "faults", "bytes", "iotlb_hits", "iotlb_misses", "walks", "walk_reads"}) {
    std::uint64_t dev = 0, dom = 0;
    for (const auto& [name, v] : j["device"].items()) dev += v[field].get<std::uint64_t>();
    for (const auto& [name, v] : j["domain"].items()) dom += v[field].get<std::uint64_t>();
    const std::string f = field;
    const std::uint64_t total = f == "translations"   ? j["translations"].get<std::uint64_t>()
                                : f == "faults"       ? j["faults"]["total"].get<std::uint64_t>()
                                : f == "bytes"        ? j["bytes"].get<std::uint64_t>()
                                : f == "iotlb_hits"   ? j["iotlb"]["hits"].get<std::uint64_t>()
                                : f == "iotlb_misses" ? j["iotlb"]["misses"].get<std::uint64_t>()
                                : f == "walks"        ? j["walks"].get<std::uint64_t>()
                                                      : j["walk"]["reads"]["total"].get<std::uint64_t>();
    EXPECT_EQ(dev, total) << field;
    EXPECT_EQ(dom, total) << field;
  }
  EXPECT_EQ(j["device"]["00:03.0"]["translations"], 4);
  EXPECT_EQ(j["device"]["00:04.1"]["translations"], 3);
  EXPECT_EQ(j["domain"]["2"]["walks"], 2);
  EXPECT_EQ(j["latency"]["max"], 630);
  EXPECT_EQ(j["latency"]["min"], 4);
  EXPECT_EQ(j["latency"]["p50"], 110);
  EXPECT_EQ(j["invalidations"]["total"]["count"], 3);
  EXPECT_EQ(j["invalidations"]["total"]["dropped"], 14);
  EXPECT_EQ(j["invalidations"]["iotlb"]["page"]["count"], 2);
  EXPECT_EQ(j["invalidations"]["iotlb"]["page"]["dropped"], 4);
  EXPECT_EQ(j["invalidations"]["iotlb"]["global"]["dropped"], 10);
}

TEST(StatsRecorder, SnapshotSubtractionRemovesWarmup) {
  StatsRecorder rec;
  rec.record(req(kA), cold_walk(1, 4), 630);
  const auto warm = rec.snapshot();
  rec.record(req(kA), hit(1), 4);
  rec.record(req(kB), hit(2), 4);
  const auto d = stats::difference(rec.snapshot(), warm);
  EXPECT_EQ(d.translations, 2u);
  EXPECT_EQ(d.iotlb_hits, 2u);
  EXPECT_EQ(d.iotlb_misses, 0u);
  EXPECT_EQ(d.walks, 0u);
  EXPECT_EQ(d.device(kA)->translations, 1u);
  EXPECT_EQ(d.device(kB)->translations, 1u);
  EXPECT_EQ(d.latency.count(), 2u);
  EXPECT_EQ(d.latency.max(), 4u);
}

TEST(StatsRecorder, CacheStatsJsonAndDifference) {
  cache::TranslationCaches c{config::CachesConfig{}};
  c.find_iotlb(kA, DomainId(1), Pasid{}, Iova(0x1000));
  const cache::CacheStats before = c.stats();
  cache::IotlbEntry e;
  e.domain = DomainId(1);
  e.iova_base = 0x1000;
  c.fill_iotlb(e);
  c.find_iotlb(kA, DomainId(1), Pasid{}, Iova(0x1000));
  const nlohmann::json all = stats::to_json(c.stats());
  EXPECT_EQ(all["iotlb"]["lookups"], 2);
  EXPECT_EQ(all["iotlb"]["hits"], 1);
  EXPECT_EQ(all["iotlb"]["4k"]["hits"], 1);
  const nlohmann::json d = stats::to_json(stats::difference(c.stats(), before));
  EXPECT_EQ(d["iotlb"]["lookups"], 1);
  EXPECT_EQ(d["iotlb"]["misses"], 0);
  EXPECT_EQ(d["iotlb"]["fills"], 1);
  EXPECT_TRUE(d["psc"].contains("l5"));
}

TEST(StatsRecorder, TimingJson) {
  config::TimingConfig tc;
  tc.walkers = 1;
  timing::TimingModel t{tc};
  TranslationRequest r = req(kA);
  t.complete(0, r, cold_walk(1, 4));
  r.iova = Iova(0x200000);
  t.complete(0, r, cold_walk(1, 4));
  const nlohmann::json j = stats::to_json(t);
  EXPECT_EQ(j["walks"], 2);
  EXPECT_EQ(j["walkers"]["queued"], 1);
  EXPECT_DOUBLE_EQ(j["walkers"]["occupancy"].get<double>(), t.walker_occupancy());
  EXPECT_EQ(j["latency"]["count"], 2);
}

}  // namespace

namespace {

// Every counter the JSON shows, as one comparable value.
nlohmann::json counters(const StatsRecorder& rec) { return stats::to_json(rec.stats()); }

TEST(StatsRecorder, PlainHitFastPathCountsLikeTheGeneralPath) {
  // The plain-hit fast path must change exactly what the general path changes. A hit with a
  // pasid-cache hit instead of a context-cache hit takes the general path and is counted the
  // same way (both are "context hits"), so the two recorders must agree field by field.
  StatsRecorder fast, general;
  TranslationResult plain = hit(1);
  TranslationResult via_general = hit(1);
  via_general.outcome.context_cache_hit = false;
  via_general.outcome.pasid_cache_hit = true;
  for (int i = 0; i < 5; ++i) {
    fast.record(req(kA, 64 + i), plain, 4 + i);
    general.record(req(kA, 64 + i), via_general, 4 + i);
  }
  EXPECT_EQ(counters(fast), counters(general));
  EXPECT_EQ(fast.stats().translations, 5u);
  EXPECT_EQ(fast.stats().bytes, 64u * 5 + 10);
  EXPECT_EQ(fast.stats().iotlb_hits, 5u);
  EXPECT_EQ(fast.stats().context_hits, 5u);
  EXPECT_EQ(fast.stats().latency.count(), 5u);
}

TEST(StatsRecorder, TotalsFollowRecordsMadeAfterAnEarlierRead) {
  // Totals are summed from the device flows when read: a read between records must not freeze them.
  StatsRecorder rec;
  rec.record(req(kA), hit(1), 4);
  EXPECT_EQ(rec.stats().translations, 1u);
  rec.record(req(kB), cold_walk(2, 4), 630);
  rec.record(req(kA), hit(1), 4);
  EXPECT_EQ(rec.stats().translations, 3u);
  EXPECT_EQ(rec.stats().iotlb_hits, 2u);
  EXPECT_EQ(rec.stats().iotlb_misses, 1u);
  EXPECT_EQ(rec.stats().walks, 1u);
  EXPECT_EQ(rec.stats().walk_reads, 6u);
  EXPECT_EQ(rec.snapshot().translations, 3u);
  rec.reset();
  EXPECT_EQ(rec.stats().translations, 0u);
}

TEST(WalkReads, CopiesCarryExactlyTheUsedReads) {
  // WalkReads leaves unused slots uninitialised; copies must still carry every used read.
  core::WalkReads a;
  a.push(0x100, WalkReadKind::kRootEntry);
  a.push(0x200, WalkReadKind::kContextEntry);
  a.push(0x3000, WalkReadKind::kPagingEntry, 3);
  const core::WalkReads b = a;
  core::WalkReads c;
  c.push(0x9, WalkReadKind::kPasidTable);
  c = b;
  for (const core::WalkReads* w : std::initializer_list<const core::WalkReads*>{&b, &c}) {
    ASSERT_EQ(w->count, 3u);
    EXPECT_EQ(w->reads[0].addr, 0x100u);
    EXPECT_EQ(w->reads[1].kind, WalkReadKind::kContextEntry);
    EXPECT_EQ(w->reads[2].addr, 0x3000u);
    EXPECT_EQ(w->reads[2].level, 3u);
  }
}

}  // namespace

// walk.by_stage splits the same reads: the context's tables, first-stage and second-stage paging
// entries (a nested walk has both), each also per translation.
TEST(StatsRecorder, WalkReadsSplitByStage) {
  stats::StatsRecorder rec;
  core::TranslationRequest req;
  req.source = SourceId(0x10);
  core::TranslationResult nested;
  nested.outcome.translated = true;
  nested.outcome.walk_start_level = 4;
  nested.walk.push(0x1000, core::WalkReadKind::kRootEntry);
  nested.walk.push(0x2000, core::WalkReadKind::kContextEntry);
  for (std::uint8_t level = 4; level >= 2; --level)
    nested.walk.push(0x3000 + level, core::WalkReadKind::kPagingEntry, level);
  nested.walk.push(0x4000, core::WalkReadKind::kPagingEntry, 4, true);
  for (std::uint8_t level = 4; level >= 2; --level)
    nested.walk.push(0x5000 + level, core::WalkReadKind::kPagingEntry, level);
  rec.record(req, nested, 0);
  core::TranslationResult hit;
  hit.outcome.translated = hit.outcome.iotlb_hit = true;
  rec.record(req, hit, 0);
  const nlohmann::json j = stats::to_json(rec.stats());
  const nlohmann::json& s = j["walk"]["by_stage"];
  EXPECT_EQ(s["tables"]["reads"], 2);
  EXPECT_EQ(s["first_stage"]["reads"], 1);
  EXPECT_EQ(s["second_stage"]["reads"], 6);
  EXPECT_DOUBLE_EQ(s["second_stage"]["per_translation"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(s["first_stage"]["per_translation"].get<double>(), 0.5);
  EXPECT_EQ(j["walk"]["reads"]["total"], 9);
  const stats::TranslationStats none = stats::difference(rec.stats(), rec.stats());
  EXPECT_EQ(stats::to_json(none)["walk"]["by_stage"]["first_stage"]["reads"], 0);
}
