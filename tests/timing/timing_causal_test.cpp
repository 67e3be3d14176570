// Causal walker booking (issue 15): occupancy follows the walks' own cycles, not call order.
// Hand-computed cycles with the default TimingConfig (lookup = context hit 2 + IOTLB 2 = 4, one
// read = 100 + 4 = 104, a 4-level walk = 416).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <vector>

#include "vtdsim/timing/timing_model.hpp"
#include "vtdsim/timing/walker_pool.hpp"

namespace {

using namespace vtdsim;
using core::TranslationRequest;
using core::TranslationResult;
using core::WalkReadKind;
using timing::TimingModel;
using timing::WalkerPool;

constexpr std::uint64_t kWalk = 4 * 104;

TranslationRequest request(std::uint64_t iova) {
  TranslationRequest r;
  r.source = SourceId::from_bdf(0, 3, 0);
  r.iova = Iova(iova);
  return r;
}

TranslationResult walk(unsigned levels, bool context_hit = true) {
  TranslationResult r;
  r.domain = DomainId(1);
  r.page_size = kPageSize4K;
  r.outcome.translated = true;
  r.outcome.context_cache_hit = context_hit;
  r.outcome.walk_start_level = static_cast<std::uint8_t>(levels);
  if (!context_hit) {
    r.walk.push(0x100, WalkReadKind::kRootEntry);
    r.walk.push(0x200, WalkReadKind::kContextEntry);
  }
  for (unsigned l = levels; l >= 1; --l)
    r.walk.push(0x1000 * l, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(l));
  return r;
}

TranslationResult iotlb_hit() {
  TranslationResult r;
  r.domain = DomainId(1);
  r.page_size = kPageSize4K;
  r.outcome.translated = true;
  r.outcome.context_cache_hit = true;
  r.outcome.iotlb_hit = true;
  return r;
}

config::TimingConfig walkers(std::uint32_t n) {
  config::TimingConfig c;
  c.walkers = n;
  return c;
}

TEST(CausalTiming, LateArrivalFillsTheEarlierGap) {
  TimingModel t{walkers(1)};
  EXPECT_EQ(t.complete(1000, request(0x1000), walk(4)), 1004 + kWalk);  // [1004, 1420)
  // Issued at 0, called after: [4, 420) is free in simulated time. The old single "free at"
  // cycle made it start at 1420 and complete at 1836.
  EXPECT_EQ(t.complete(0, request(0x200000), walk(4)), 4 + kWalk);
  EXPECT_EQ(t.stats().queued, 0u);
  EXPECT_EQ(t.stats().gap_fills, 1u);
  EXPECT_EQ(t.stats().late_walks, 1u);
}

TEST(CausalTiming, GapTooShortQueuesBehindTheLaterWalk) {
  TimingModel t{walkers(1)};
  EXPECT_EQ(t.complete(500, request(0x1000), walk(4)), 504 + kWalk);  // [504, 920)
  // Ready at 204, [204, 620) overlaps: the first free interval of 416 starts at 920.
  EXPECT_EQ(t.complete(200, request(0x200000), walk(4)), 920 + kWalk);
  EXPECT_EQ(t.stats().queued, 1u);
  EXPECT_EQ(t.stats().queue_cycles, 920u - 204);
  EXPECT_EQ(t.stats().gap_fills, 0u);
  // A one-read walk fits before it: [300, 404) ends before 504.
  EXPECT_EQ(t.complete(296, request(0x400000), walk(1)), 300u + 104);
  EXPECT_EQ(t.stats().gap_fills, 1u);
}

TEST(CausalTiming, TakesTheWalkerWithTheEarliestGap) {
  TimingModel t{walkers(2)};
  t.complete(1000, request(0x1000), walk(4));   // walker 0: [1004, 1420)
  t.complete(100, request(0x200000), walk(4));  // walker 1: [104, 520)
  // Ready at 204: walker 1 is busy until 520, walker 0 is free on [204, 620).
  EXPECT_EQ(t.complete(200, request(0x400000), walk(4)), 204 + kWalk);
  EXPECT_EQ(t.stats().queued, 0u);
}

// The rule before causal booking, one "free at" cycle per walker (reference for time order).
struct FreeAtWalkers {
  std::vector<std::uint64_t> free;
  std::uint64_t book(std::uint64_t ready, std::uint64_t length) {
    auto w = std::min_element(free.begin(), free.end());
    const std::uint64_t start = std::max(ready, *w);
    *w = start + length;
    return start;
  }
};

TEST(CausalTiming, InTimeOrderEqualsTheEarliestFreeWalkerRule) {
  for (std::uint32_t n : {1u, 2u, 3u, 6u}) {
    config::TimingConfig c = walkers(n);
    c.merge_pending_walks = false;  // walks only: every request books
    TimingModel t{c};
    FreeAtWalkers ref{std::vector<std::uint64_t>(n, 0)};
    std::uint64_t issue = 0, x = 12345;
    std::uint64_t queued = 0;
    for (int i = 0; i < 3000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      issue += (x >> 33) % 300;  // non-decreasing, often equal (pieces of one DMA)
      const unsigned levels = 1 + static_cast<unsigned>((x >> 20) % 4);
      const bool context_hit = ((x >> 40) & 3) != 0;
      const TranslationResult r = walk(levels, context_hit);
      const std::uint64_t ready = issue + t.lookup_cycles(r);
      const std::uint64_t start = ref.book(ready, r.walk.count * t.read_cycles());
      queued += start > ready;
      ASSERT_EQ(t.complete(issue, request(0x1000ull * i), r), start + r.walk.count * t.read_cycles())
          << n << " walkers, request " << i;
    }
    EXPECT_EQ(t.stats().queued, queued);
    EXPECT_GT(queued, 0u) << n;  // the sequence contends
    EXPECT_EQ(t.stats().gap_fills + t.stats().late_walks + t.stats().behind_horizon, 0u);
  }
}

TEST(CausalTiming, InvalidationWaitDrainsOnlyWalksIssuedBeforeIt) {
  TimingModel t{walkers(1)};
  const std::uint64_t later = t.complete(1000, request(0x1000), walk(4));
  // A wait at 10: descriptors 20 + wait 40; the walk issued at 1000 is not in progress yet.
  EXPECT_EQ(t.complete_invalidation(10, 1, 1), 70u);
  const std::uint64_t earlier = t.complete(5, request(0x200000), walk(4));  // [9, 425)
  EXPECT_EQ(earlier, 9 + kWalk);
  EXPECT_EQ(t.complete_invalidation(10, 1, 1), earlier);
  EXPECT_EQ(t.complete_invalidation(2000, 1, 1), 2060u);
  EXPECT_EQ(t.complete_invalidation(1000, 1, 1), later);
}

TEST(CausalTiming, MergeOnlyIntoAWalkAlreadyIssued) {
  TimingModel t{walkers(1)};
  const std::uint64_t done = t.complete(1000, request(0x1000), walk(4));  // [1004, 1420)
  EXPECT_EQ(t.complete(1100, request(0x1008), iotlb_hit()), done);        // in flight at 1100: joins
  EXPECT_EQ(t.stats().merged, 1u);
  // Issued at 0, the IOTLB entry from the walk at 1000 (call order) did not exist yet in
  // simulated time: the request is timed as that walk, on the walker's free [4, 420).
  EXPECT_EQ(t.complete(0, request(0x1010), iotlb_hit()), 4 + kWalk);
  EXPECT_EQ(t.stats().early_hits, 1u);
  EXPECT_EQ(t.stats().walks, 2u);
  // ... and its own fill is in flight at 100: a hit then joins it.
  EXPECT_EQ(t.complete(100, request(0x1018), iotlb_hit()), 4 + kWalk);
  EXPECT_EQ(t.stats().merged, 2u);
}

TEST(WalkerPoolHorizon, ForgottenGapIsBusyAndCounted) {
  WalkerPool p(1);
  // kBookings + 1 walks of 100 cycles, 1000 apart, in time order: the first, [1000, 1100), is
  // forgotten with the idle [0, 1000) before it.
  for (std::uint64_t i = 0; i <= WalkerPool::kBookings; ++i) EXPECT_EQ(p.book(0, 1000 * (i + 1), 100), 1000 * (i + 1));
  EXPECT_EQ(p.stats().folded, 1u);
  // Ready at 0: the whole history would give [0, 100); the forgotten part counts as busy until
  // 1100, so it starts there (later, never on top of a walk) and is counted.
  EXPECT_EQ(p.book(0, 0, 100), 1100u);
  EXPECT_EQ(p.stats().behind_horizon, 1u);
  // Ready at 1050, inside the forgotten walk: waiting until 1100 is exact, not counted.
  EXPECT_EQ(p.book(0, 1050, 100), 1200u);
  EXPECT_EQ(p.stats().behind_horizon, 1u);
}

// Two streams of misses as two LT initiators under temporal decoupling call in: stream A's
// whole quantum first, then stream B's. More walkers never queue more, and 2 queue less than 1.
std::uint64_t decoupled_queue_cycles(std::uint32_t n) {
  TimingModel t{walkers(n)};
  std::uint64_t ta = 0, tb = 50, x = 99;
  std::uint64_t page = 0;
  for (std::uint64_t quantum_end = 2000; quantum_end <= 400000; quantum_end += 2000) {
    for (std::uint64_t* dev : {&ta, &tb}) {
      while (*dev < quantum_end) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const std::uint64_t done = t.complete(*dev, request(0x1000 * ++page), walk(4));
        *dev = done + 100 + (x >> 33) % 400;  // think time 100..499 cycles
      }
    }
  }
  return t.stats().queue_cycles;
}

TEST(CausalTiming, MoreWalkersNeverQueueMore) {
  const std::uint64_t q1 = decoupled_queue_cycles(1), q2 = decoupled_queue_cycles(2), q4 = decoupled_queue_cycles(4);
  std::printf("queue cycles with 1 / 2 / 4 walkers: %llu / %llu / %llu\n", static_cast<unsigned long long>(q1),
              static_cast<unsigned long long>(q2), static_cast<unsigned long long>(q4));
  EXPECT_GT(q1, 0u);
  EXPECT_LT(q2, q1);
  EXPECT_LE(q4, q2);
}

}  // namespace
