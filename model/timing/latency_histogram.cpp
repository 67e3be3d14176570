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

void LatencyHistogram::record_large(std::uint64_t value) {
  const std::size_t b = bucket_of(value);
  ++counts_[b];
  sums_[b] += value;
  ++large_count_;
  large_sum_ += value;
  if (value < large_min_) large_min_ = value;
  if (value > large_max_) large_max_ = value;
}

std::uint64_t LatencyHistogram::count() const {
  std::uint64_t n = large_count_;
  for (std::size_t i = 0; i < kExact; ++i) n += counts_[i];
  return n;
}

std::uint64_t LatencyHistogram::sum() const {
  std::uint64_t total = large_sum_;
  for (std::size_t i = 0; i < kExact; ++i) total += counts_[i] * i;
  return total;
}

std::uint64_t LatencyHistogram::min() const {
  for (std::size_t i = 0; i < kExact; ++i) {
    if (counts_[i]) return i;
  }
  return large_count_ ? large_min_ : 0;
}

std::uint64_t LatencyHistogram::max() const {
  if (large_count_) return large_max_;
  for (std::size_t i = kExact; i-- > 0;) {
    if (counts_[i]) return i;
  }
  return 0;
}

std::uint64_t LatencyHistogram::percentile(double p) const {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  if (p < 0) p = 0;
  if (p > 1) p = 1;
  std::uint64_t rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n)));
  if (rank == 0) rank = 1;
  const std::uint64_t lo = min(), hi = max();
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      std::uint64_t v = bucket_mean(i);
      if (v > hi) v = hi;
      if (v < lo) v = lo;
      return v;
    }
  }
  return hi;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (std::size_t i = 0; i < kBuckets; ++i) {
    counts_[i] += o.counts_[i];
    sums_[i] += o.sums_[i];
  }
  large_count_ += o.large_count_;
  large_sum_ += o.large_sum_;
  if (o.large_count_ && o.large_min_ < large_min_) large_min_ = o.large_min_;
  if (o.large_max_ > large_max_) large_max_ = o.large_max_;
}

void LatencyHistogram::subtract(const LatencyHistogram& earlier) {
  large_count_ = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    counts_[i] = counts_[i] >= earlier.counts_[i] ? counts_[i] - earlier.counts_[i] : 0;
    sums_[i] = sums_[i] >= earlier.sums_[i] && counts_[i] ? sums_[i] - earlier.sums_[i] : 0;
    if (i >= kExact) large_count_ += counts_[i];
  }
  large_sum_ = large_sum_ >= earlier.large_sum_ && large_count_ ? large_sum_ - earlier.large_sum_ : 0;
  // The exact extremes of the large values are not recoverable: the means of the lowest and
  // highest non-empty wide buckets.
  large_min_ = ~0ull;
  large_max_ = 0;
  for (std::size_t i = kExact; i < kBuckets; ++i) {
    if (counts_[i]) {
      if (large_min_ == ~0ull) large_min_ = bucket_mean(i);
      large_max_ = bucket_mean(i);
    }
  }
}

}  // namespace vtdsim::timing
