#include "vtdsim/timing/latency_histogram.hpp"

#include <cmath>

namespace vtdsim::timing {
namespace {
unsigned log2_floor(std::uint64_t v) { return 63u - static_cast<unsigned>(__builtin_clzll(v)); }
}  // namespace

std::size_t LatencyHistogram::bucket_of(std::uint64_t v) {
  if (v < kExact) return static_cast<std::size_t>(v);
  const unsigned e = log2_floor(v);  // >= 5
  const std::uint64_t sub = (v >> (e - 4)) & (kSubBuckets - 1);
  return kExact + (e - 5) * kSubBuckets + static_cast<std::size_t>(sub);
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t i) {
  if (i < kExact) return i;
  const unsigned e = static_cast<unsigned>((i - kExact) / kSubBuckets) + 5;
  const std::uint64_t sub = (i - kExact) % kSubBuckets;
  return (kSubBuckets + sub) << (e - 4);
}

std::uint64_t LatencyHistogram::bucket_high(std::size_t i) {
  if (i < kExact) return i;
  const unsigned e = static_cast<unsigned>((i - kExact) / kSubBuckets) + 5;
  return bucket_low(i) + ((1ull << (e - 4)) - 1);
}

std::uint64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p < 0) p = 0;
  if (p > 1) p = 1;
  std::uint64_t rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      std::uint64_t v = bucket_mean(i);
      if (v > max_) v = max_;
      if (v < min()) v = min();
      return v;
    }
  }
  return max_;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (std::size_t i = 0; i < kBuckets; ++i) {
    counts_[i] += o.counts_[i];
    sums_[i] += o.sums_[i];
  }
  count_ += o.count_;
  sum_ += o.sum_;
  if (o.count_ && o.min_ < min_) min_ = o.min_;
  if (o.max_ > max_) max_ = o.max_;
}

void LatencyHistogram::subtract(const LatencyHistogram& earlier) {
  count_ = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    counts_[i] = counts_[i] >= earlier.counts_[i] ? counts_[i] - earlier.counts_[i] : 0;
    sums_[i] = sums_[i] >= earlier.sums_[i] && counts_[i] ? sums_[i] - earlier.sums_[i] : 0;
    count_ += counts_[i];
  }
  sum_ = sum_ >= earlier.sum_ ? sum_ - earlier.sum_ : 0;
  min_ = ~0ull;
  max_ = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i]) {
      if (min_ == ~0ull) min_ = bucket_mean(i);
      max_ = bucket_mean(i);
    }
  }
}

}  // namespace vtdsim::timing
