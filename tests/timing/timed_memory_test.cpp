// The timing model with the tables in a memory that times its own accesses (set_memory_timed:
// a platform's memory over TLM): a walk costs reads x per_read + the memory's measured time in
// cycles (rounded up), its walker is busy for that long, and a queue run adds the measured time of
// its fetches and status writes. Untimed (the default), memory_ps is ignored: replay numbers stay.
#include <gtest/gtest.h>

#include "vtdsim/timing/timing_model.hpp"

using namespace vtdsim;

namespace {

core::TranslationResult cold_walk(unsigned reads) {
  core::TranslationResult r;
  r.outcome.walk_start_level = 4;
  r.outcome.translated = true;
  for (unsigned i = 0; i < reads; ++i) r.walk.push(0x1000 * i, core::WalkReadKind::kPagingEntry, 1);
  r.page_size = kPageSize4K;
  return r;
}

core::TranslationRequest request(std::uint64_t iova) {
  core::TranslationRequest q;
  q.iova = Iova(iova);
  return q;
}

TEST(TimedMemory, WalkCostsPerReadPlusTheMeasuredTime) {
  config::TimingConfig c;  // 2 GHz, per_read 4, memory_read 100, iotlb_hit 2
  timing::TimingModel t(c);
  t.set_memory_timed(true);
  // 4 reads measured at 4 x 40 ns = 160 ns = 320 cycles: 2 + 4 x 4 + 320.
  EXPECT_EQ(t.complete(0, request(0x1000), cold_walk(4), 160000), 2u + 16 + 320);
  EXPECT_EQ(t.stats().walker_busy_cycles, 16u + 320);
  // 1 ps rounds up to a whole cycle.
  EXPECT_EQ(t.memory_cycles(1), 1u);
  EXPECT_EQ(t.memory_cycles(40000), 80u);
  EXPECT_EQ(t.memory_cycles(0), 0u);
}

TEST(TimedMemory, UntimedModelIgnoresMemoryPs) {
  timing::TimingModel t(config::TimingConfig{});
  EXPECT_EQ(t.complete(0, request(0x1000), cold_walk(4), 160000), 2u + 4 * 104);
}

TEST(TimedMemory, QueueRunAddsTheMeasuredTime) {
  timing::TimingModel t(config::TimingConfig{});
  // One wait descriptor: 20 + 40 cycles, + 2 x 40 ns at 2 GHz.
  EXPECT_EQ(t.complete_invalidation(100, 1, 1, 80000), 100u + 20 + 40 + 160);
}

}  // namespace
