// A SystemC run recorded with the event log (what `vtdsim run --trace-out` writes) and replayed
// by trace::Replayer gives the same IOTLB decision for every translated DMA, in the same order,
// and (both shells drive one iommu::Iommu) the same timing: latency histogram, walks, queueing.
#include <gtest/gtest.h>

#include <vector>

#include "sysc/record_and_replay.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

// 1 = IOTLB hit, 0 = miss, 2 = fault.
int decision(bool ok, const core::CacheOutcome& o) { return !ok ? 2 : (o.iotlb_hit ? 1 : 0); }

// The timing of the run and of its replay, field by field.
void expect_same_timing(const test::RecordedAndReplayed& r) {
  const stats::TranslationStats& replayed = r.replayer->recorder().stats();
  const timing::TimingStats& rt = r.replayer->timing().stats();
  EXPECT_EQ(r.late_dmas, 0u) << "DMAs written later than they happened: timing cannot agree";
  EXPECT_EQ(replayed.translations, r.recorded_stats.translations);
  EXPECT_EQ(replayed.walks, r.recorded_stats.walks);
  EXPECT_EQ(replayed.walk_reads, r.recorded_stats.walk_reads);
  EXPECT_EQ(replayed.latency.count(), r.recorded_stats.latency.count());
  EXPECT_EQ(replayed.latency.sum(), r.recorded_stats.latency.sum())
      << "mean latency " << replayed.latency.mean() << " replayed, " << r.recorded_stats.latency.mean()
      << " in the run";
  EXPECT_EQ(replayed.latency.max(), r.recorded_stats.latency.max());
  std::size_t differing_buckets = 0;
  for (std::size_t i = 0; i < timing::LatencyHistogram::kBuckets; ++i)
    differing_buckets += replayed.latency.bucket_count(i) != r.recorded_stats.latency.bucket_count(i);
  EXPECT_EQ(differing_buckets, 0u);
  EXPECT_EQ(rt.walks, r.recorded_timing.walks);
  EXPECT_EQ(rt.walk_reads, r.recorded_timing.walk_reads);
  EXPECT_EQ(rt.merged, r.recorded_timing.merged);
  EXPECT_EQ(rt.queued, r.recorded_timing.queued);
  EXPECT_EQ(rt.queue_cycles, r.recorded_timing.queue_cycles);
  EXPECT_EQ(rt.walker_busy_cycles, r.recorded_timing.walker_busy_cycles);
  EXPECT_GT(rt.walks, 0u);
}

void record_and_replay(const std::vector<std::string>& sets) {
  const auto cfg = platform::resolve_platform_config(
      config::load_config_tree(std::string(VTDSIM_SOURCE_DIR) + "/configs/platform-default.yaml", sets));
  const test::RecordedAndReplayed r = test::record_and_replay(
      cfg, sc_core::sc_time(300, sc_core::SC_US), [](const sysc::DmaRecord& d) { return decision(d.ok, d.outcome); },
      [](const trace::TranslationObservation& o) { return decision(o.result.ok(), o.result.outcome); });
  ASSERT_GT(r.recorded.size(), 100u);
  ASSERT_EQ(r.replayed.size(), r.recorded.size());
  EXPECT_EQ(r.first_difference(), r.replayed.size()) << "first differing translation";
  std::size_t hits = 0;
  for (int d : r.replayed) hits += d == 1;
  EXPECT_GT(hits, 0u);
  EXPECT_LT(hits, r.replayed.size());  // misses too: the comparison is not trivial
  expect_same_timing(r);
}

TEST_F(SyscTest, RecordedTraceReplaysWithTheSameIotlbDecisionsStrict) {
  run_isolated([] { record_and_replay({"guest.dma_policy=strict", "platform.quantum_ns=1"}); });
}

TEST_F(SyscTest, RecordedTraceReplaysWithTheSameIotlbDecisionsLazy) {
  run_isolated([] { record_and_replay({"guest.dma_policy=lazy", "guest.lazy_batch=16", "platform.quantum_ns=1"}); });
}

}  // namespace
}  // namespace vtdsim
