#include "vtdsim/timing/latency_histogram.hpp"

#include <gtest/gtest.h>

namespace {

using vtdsim::timing::LatencyHistogram;

TEST(TimingLatencyHistogram, BucketBounds) {
  EXPECT_EQ(LatencyHistogram::bucket_of(0), 0u);
  EXPECT_EQ(LatencyHistogram::bucket_of(31), 31u);
  EXPECT_EQ(LatencyHistogram::bucket_of(32), 32u);
  EXPECT_EQ(LatencyHistogram::bucket_of(33), 32u);  // 32..33 share a bucket (width 2)
  EXPECT_EQ(LatencyHistogram::bucket_of(34), 33u);
  EXPECT_EQ(LatencyHistogram::bucket_of(~0ull), LatencyHistogram::kBuckets - 1);
  for (std::uint64_t v : {0ull, 7ull, 31ull, 32ull, 100ull, 404ull, 1000ull, 123456789ull, 1ull << 63}) {
    const auto b = LatencyHistogram::bucket_of(v);
    EXPECT_LE(LatencyHistogram::bucket_low(b), v);
    EXPECT_GE(LatencyHistogram::bucket_high(b), v);
    // Relative width at most 1/16.
    EXPECT_LE(LatencyHistogram::bucket_high(b) - LatencyHistogram::bucket_low(b), v / 16);
  }
}

TEST(TimingLatencyHistogram, ExactStatsAndPercentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.5), 0u);
  for (std::uint64_t v = 1; v <= 20; ++v) h.record(v);
  EXPECT_EQ(h.count(), 20u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 20u);
  EXPECT_DOUBLE_EQ(h.mean(), 10.5);
  EXPECT_EQ(h.percentile(0.5), 10u);
  EXPECT_EQ(h.percentile(0.9), 18u);
  EXPECT_EQ(h.percentile(0.99), 20u);
  EXPECT_EQ(h.percentile(1.0), 20u);
}

TEST(TimingLatencyHistogram, LargeValuesWithinBucketError) {
  LatencyHistogram h;
  for (int i = 0; i < 90; ++i) h.record(420);
  for (int i = 0; i < 10; ++i) h.record(5000);
  EXPECT_EQ(h.percentile(0.5), 420u);  // one distinct value per bucket: exact
  EXPECT_EQ(h.percentile(0.9), 420u);
  EXPECT_EQ(h.percentile(0.95), 5000u);
  // Two values sharing a bucket (416..431): the bucket mean, within the bucket.
  LatencyHistogram g;
  g.record(420);
  g.record(425);
  EXPECT_EQ(g.percentile(0.5), 422u);
  EXPECT_EQ(g.min(), 420u);
  EXPECT_EQ(g.max(), 425u);
}

TEST(TimingLatencyHistogram, SubtractRemovesWarmup) {
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) h.record(1000);
  const LatencyHistogram warm = h;
  for (int i = 0; i < 5; ++i) h.record(4);
  h.subtract(warm);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.sum(), 20u);
  EXPECT_EQ(h.min(), 4u);
  EXPECT_EQ(h.max(), 4u);
  EXPECT_EQ(h.percentile(0.99), 4u);
}

// Exact values (< 32) keep only a count; the summaries must still be exact when mixed with wide
// buckets, after merge and after subtract.
TEST(TimingLatencyHistogram, MixedExactAndWideValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.sum(), 0u);
  for (int i = 0; i < 6; ++i) h.record(4);
  h.record(0);
  h.record(31);
  EXPECT_EQ(h.count(), 8u);
  EXPECT_EQ(h.sum(), 55u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 31u);
  h.record(420);
  h.record(1000);
  EXPECT_EQ(h.count(), 10u);
  EXPECT_EQ(h.sum(), 1475u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 147.5);
  EXPECT_EQ(h.percentile(0.5), 4u);
  EXPECT_EQ(h.percentile(0.9), 420u);
  EXPECT_EQ(h.percentile(1.0), 1000u);

  LatencyHistogram only_wide;
  only_wide.record(50);
  only_wide.record(70);
  EXPECT_EQ(only_wide.min(), 50u);
  EXPECT_EQ(only_wide.max(), 70u);

  LatencyHistogram m = h;
  m.merge(only_wide);
  EXPECT_EQ(m.count(), 12u);
  EXPECT_EQ(m.sum(), 1595u);
  EXPECT_EQ(m.min(), 0u);
  EXPECT_EQ(m.max(), 1000u);

  LatencyHistogram later = m;
  later.record(3);
  later.record(2000);
  later.subtract(m);
  EXPECT_EQ(later.count(), 2u);
  EXPECT_EQ(later.sum(), 2003u);
  EXPECT_EQ(later.min(), 3u);
  EXPECT_EQ(later.max(), 2000u);  // one sample in its bucket: the bucket mean is exact
}

}  // namespace
