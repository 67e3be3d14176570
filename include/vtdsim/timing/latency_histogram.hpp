// Latency histogram in cycles with bounded relative error and allocation-free record().
//
// Buckets: values 0..31 have one bucket each (exact); above, each power of two [2^e, 2^(e+1)) is
// split into 16 equal sub-buckets, so a bucket is at most 1/16 (6.25 %) of its value wide.
// 976 buckets cover the whole uint64 range; each keeps its sample count, the wide ones also their
// sum (an exact bucket's sum is its count times its value). min, max, count and sum are exact; a percentile returns the
// mean of the samples in the bucket holding the nearest-rank sample (exact whenever that bucket holds one distinct
// value, as is usual for a cycle model with few distinct latencies; otherwise within the bucket's 1/16 relative width).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace vtdsim::timing {

class LatencyHistogram {
 public:
  static constexpr std::size_t kExact = 32;
  static constexpr std::size_t kSubBuckets = 16;
  static constexpr std::size_t kBuckets = kExact + (64 - 5) * kSubBuckets;  // 976

  // A value below kExact only increments its bucket: that bucket's sum, and the exact values'
  // share of the count, sum, min and max, follow from the counts when they are read (one
  // increment per translation on the usual IOTLB-hit latency). Larger values also keep their
  // bucket sum and the exact count, sum, min and max of the large values.
  void record(std::uint64_t value) {
    if (__builtin_expect(value < kExact, 1)) {
      ++counts_[value];
      return;
    }
    record_large(value);
  }

  std::uint64_t count() const;
  std::uint64_t sum() const;
  std::uint64_t min() const;  // 0 when empty
  std::uint64_t max() const;  // 0 when empty
  double mean() const {
    const std::uint64_t n = count();
    return n ? static_cast<double>(sum()) / static_cast<double>(n) : 0.0;
  }
  // p in [0, 1]; nearest rank. 0 when empty.
  std::uint64_t percentile(double p) const;
  std::uint64_t bucket_count(std::size_t i) const { return counts_[i]; }

  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t index);
  static std::uint64_t bucket_high(std::size_t index);

  void merge(const LatencyHistogram& other);
  // Removes an earlier snapshot of this histogram (warm-up removal). min and max become the means
  // of the lowest and highest non-empty buckets (the exact extremes are not recoverable; exact
  // when those buckets hold one distinct value).
  void subtract(const LatencyHistogram& earlier);
  void clear() { *this = LatencyHistogram(); }

 private:
  void record_large(std::uint64_t value);
  // Mean of the samples in bucket i (its value for an exact bucket); 0 when empty.
  std::uint64_t bucket_mean(std::size_t i) const {
    if (i < kExact) return counts_[i] ? i : 0;
    return counts_[i] ? sums_[i] / counts_[i] : 0;
  }
  std::array<std::uint64_t, kBuckets> counts_{};
  std::array<std::uint64_t, kBuckets> sums_{};  // buckets >= kExact only
  // Of the values >= kExact:
  std::uint64_t large_count_ = 0;
  std::uint64_t large_sum_ = 0;
  std::uint64_t large_min_ = ~0ull;
  std::uint64_t large_max_ = 0;
};

}  // namespace vtdsim::timing
