// TimingModel: exact latencies of hits, walks, PSC hits, walker queueing and merged pending walks.
#include "vtdsim/timing/timing_model.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using namespace vtdsim;
using core::TranslationRequest;
using core::TranslationResult;
using core::WalkReadKind;
using timing::TimingModel;

// Default TimingConfig: iotlb_hit 2, context hit 2 / miss 4, memory_read 100 + per_read 4,
// psc_hit 2, invalidation 20, wait 40.
constexpr std::uint64_t kRead = 104;

TranslationRequest request(std::uint64_t iova, std::uint16_t domain_unused = 0) {
  (void)domain_unused;
  TranslationRequest r;
  r.source = SourceId::from_bdf(0, 3, 0);
  r.iova = Iova(iova);
  return r;
}

TranslationResult iotlb_hit(std::uint16_t domain = 1) {
  TranslationResult r;
  r.domain = DomainId(domain);
  r.page_size = kPageSize4K;
  r.outcome.translated = true;
  r.outcome.context_cache_hit = true;
  r.outcome.iotlb_hit = true;
  return r;
}

// A walk starting at `start_level` down to the PTE, with a context-cache hit.
TranslationResult walk(unsigned start_level, unsigned psc_level = 0, std::uint16_t domain = 1) {
  TranslationResult r;
  r.domain = DomainId(domain);
  r.page_size = kPageSize4K;
  r.outcome.translated = true;
  r.outcome.context_cache_hit = true;
  r.outcome.walk_start_level = static_cast<std::uint8_t>(start_level);
  r.outcome.psc_hit_level = static_cast<std::uint8_t>(psc_level);
  for (unsigned l = start_level; l >= 1; --l)
    r.walk.push(0x1000 * l, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(l));
  return r;
}

config::TimingConfig one_walker() {
  config::TimingConfig c;
  c.walkers = 1;
  return c;
}

TEST(TimingModel, IotlbHitLatency) {
  TimingModel t{config::TimingConfig{}};
  EXPECT_EQ(t.complete(1000, request(0x1000), iotlb_hit()), 1000u + 2 + 2);
  EXPECT_EQ(t.stats().walks, 0u);
  EXPECT_EQ(t.latency().max(), 4u);
}

TEST(TimingModel, SharedLatencyIsTheCallersHistogram) {
  timing::LatencyHistogram recorded;
  TimingModel t{config::TimingConfig{}};
  t.share_latency(recorded);
  const std::uint64_t done = t.complete(1000, request(0x1000), iotlb_hit());
  EXPECT_EQ(t.latency().count(), 0u);  // the caller records, not the model
  recorded.record(done - 1000);
  EXPECT_EQ(&t.latency(), &recorded);
  EXPECT_EQ(t.latency().count(), 1u);
  EXPECT_EQ(t.latency().max(), 4u);
}

TEST(TimingModel, FullFourLevelWalk) {
  TimingModel t{config::TimingConfig{}};
  EXPECT_EQ(t.complete(0, request(0x1000), walk(4)), 2 + 2 + 4 * kRead);
  EXPECT_EQ(t.stats().walks, 1u);
  EXPECT_EQ(t.stats().walk_reads, 4u);
}

TEST(TimingModel, ContextMissAddsContextReads) {
  TimingModel t{config::TimingConfig{}};
  TranslationResult r = walk(4);
  r.outcome.context_cache_hit = false;
  TranslationResult legacy;
  legacy = r;
  legacy.walk.clear();
  legacy.walk.push(0x100, WalkReadKind::kRootEntry);
  legacy.walk.push(0x200, WalkReadKind::kContextEntry);
  for (const auto& rd : r.walk) legacy.walk.push(rd.addr, rd.kind, rd.level);
  EXPECT_EQ(t.complete(0, request(0x1000), legacy), 4 + 2 + 6 * kRead);
}

TEST(TimingModel, WalkWithPdeCacheHit) {
  TimingModel t{config::TimingConfig{}};
  // PDE cache hit: only the PTE is read.
  EXPECT_EQ(t.complete(0, request(0x1000), walk(1, 2)), 2 + 2 + 2 + kRead);
}

TEST(TimingModel, OneWalkerQueuesTheSecondMiss) {
  TimingModel t{one_walker()};
  const std::uint64_t first = t.complete(0, request(0x1000), walk(4));
  const std::uint64_t second = t.complete(0, request(0x200000), walk(4));
  EXPECT_EQ(first, 4 + 4 * kRead);
  EXPECT_EQ(second, first + 4 * kRead);  // waits for the only walker
  EXPECT_EQ(t.stats().queued, 1u);
  EXPECT_EQ(t.stats().queue_cycles, first - 4);
  EXPECT_EQ(t.latency().max(), second);
  EXPECT_DOUBLE_EQ(t.walker_occupancy(), static_cast<double>(8 * kRead) / static_cast<double>(second));
}

TEST(TimingModel, FreeWalkersDoNotQueue) {
  TimingModel t{config::TimingConfig{}};  // 4 walkers
  EXPECT_EQ(t.complete(0, request(0x1000), walk(4)), 4 + 4 * kRead);
  EXPECT_EQ(t.complete(0, request(0x200000), walk(4)), 4 + 4 * kRead);
  EXPECT_EQ(t.stats().queued, 0u);
}

TEST(TimingModel, HitOnPageBeingWalkedJoinsTheWalk) {
  TimingModel t{config::TimingConfig{}};
  const std::uint64_t walk_done = t.complete(0, request(0x1000), walk(4));
  // The functional core already filled the IOTLB, so the second request reports a hit.
  EXPECT_EQ(t.complete(10, request(0x1008), iotlb_hit()), walk_done);
  EXPECT_EQ(t.stats().merged, 1u);
  // Another domain, or another page, does not merge.
  EXPECT_EQ(t.complete(10, request(0x1008), iotlb_hit(2)), 14u);
  EXPECT_EQ(t.complete(10, request(0x2000), iotlb_hit()), 14u);
  // After the walk completed, a hit is a plain hit.
  EXPECT_EQ(t.complete(walk_done, request(0x1000), iotlb_hit()), walk_done + 4);
  EXPECT_EQ(t.stats().merged, 1u);
}

TEST(TimingModel, MergedMissUsesNoWalker) {
  TimingModel t{one_walker()};
  const std::uint64_t walk_done = t.complete(0, request(0x1000), walk(4));
  EXPECT_EQ(t.complete(5, request(0x1000), walk(4)), walk_done);  // joins instead of queueing
  EXPECT_EQ(t.stats().walks, 1u);
  EXPECT_EQ(t.complete(5, request(0x5000), walk(4)), walk_done + 4 * kRead);
}

TEST(TimingModel, MergingCanBeDisabled) {
  config::TimingConfig c;
  c.merge_pending_walks = false;
  TimingModel t{c};
  t.complete(0, request(0x1000), walk(4));
  EXPECT_EQ(t.complete(10, request(0x1008), iotlb_hit()), 14u);
  EXPECT_EQ(t.stats().merged, 0u);
}

TEST(TimingModel, SuperpageWalkMergesAnyPageInside) {
  TimingModel t{config::TimingConfig{}};
  TranslationResult r = walk(4);
  r.walk.clear();
  for (unsigned l = 4; l >= 2; --l) r.walk.push(0x1000 * l, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(l));
  r.page_size = kPageSize2M;
  const std::uint64_t done = t.complete(0, request(0x200000), r);
  EXPECT_EQ(done, 4 + 3 * kRead);
  EXPECT_EQ(t.complete(1, request(0x3ff000), iotlb_hit()), done);
}

TEST(TimingModel, InvalidationCostAndWaitDrains) {
  TimingModel t{config::TimingConfig{}};
  EXPECT_EQ(t.complete_invalidation(100, 3, 0), 100u + 3 * 20);
  EXPECT_EQ(t.complete_invalidation(100, 3, 1), 100u + 3 * 20 + 40);
  const std::uint64_t walk_done = t.complete(0, request(0x1000), walk(4));
  EXPECT_EQ(t.complete_invalidation(10, 1, 1), walk_done);  // waits for the walk in progress
  // The invalidation discarded the pending fill: no merge afterwards.
  EXPECT_EQ(t.complete(20, request(0x1000), iotlb_hit()), 24u);
  EXPECT_EQ(t.stats().invalidation_descriptors, 7u);
  EXPECT_EQ(t.stats().wait_descriptors, 2u);
}

TEST(TimingModel, ValidatesConfig) {
  config::TimingConfig c;
  c.walkers = 0;
  EXPECT_THROW(TimingModel{c}, std::invalid_argument);
  c.walkers = config::kMaxWalkers + 1;  // a vector of that many walkers would be allocated
  EXPECT_THROW(TimingModel{c}, std::invalid_argument);
  c.walkers = config::kMaxWalkers;
  EXPECT_NO_THROW(TimingModel{c});
}

}  // namespace
