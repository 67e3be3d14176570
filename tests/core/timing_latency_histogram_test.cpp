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

}  // namespace
