// Replacement by age stamps: every way carries the value of its set's access counter (one tick per
// insert, and per hit when kRefreshOnHit) and the victim is the way with the smallest stamp. Ages
// come from the counter, never from wall time, so runs are deterministic. The counter is per set:
// victims are chosen within a set, so only the order of accesses inside a set matters, and a hit
// in one set does not wait for the counter update of a hit in another (bench/translate_bench).
//   LruPolicy  (kRefreshOnHit = true):  least recently used.
//   FifoPolicy (kRefreshOnHit = false): first in, first out; hits do not refresh.
#pragma once
#include <cstdint>
#include <vector>

namespace vtdsim::cache {

template <bool kRefreshOnHit>
class StampPolicy {
 public:
  StampPolicy(std::uint32_t sets, std::uint32_t ways)
      : ways_(ways), clock_(sets, 0), stamp_(std::size_t{sets} * ways, 0) {}
  void on_insert(std::uint32_t set, std::uint32_t way) { stamp_[slot(set, way)] = ++clock_[set]; }
  // slot = set * ways + way, which the caller has at hand.
  void on_hit(std::uint32_t set, std::uint32_t /*way*/, std::size_t slot) {
    if constexpr (kRefreshOnHit) stamp_[slot] = ++clock_[set];
  }
  void on_invalidate(std::uint32_t set, std::uint32_t way) { stamp_[slot(set, way)] = 0; }
  // Called only when every way of the set holds a valid entry.
  std::uint32_t victim(std::uint32_t set) const {
    const std::size_t base = slot(set, 0);
    std::uint32_t best = 0;
    for (std::uint32_t w = 1; w < ways_; ++w) {
      if (stamp_[base + w] < stamp_[base + best]) best = w;
    }
    return best;
  }

 private:
  std::size_t slot(std::uint32_t set, std::uint32_t way) const { return std::size_t{set} * ways_ + way; }
  std::uint32_t ways_;
  std::vector<std::uint64_t> clock_;  // per set
  std::vector<std::uint64_t> stamp_;
};

using LruPolicy = StampPolicy<true>;
using FifoPolicy = StampPolicy<false>;

}  // namespace vtdsim::cache
