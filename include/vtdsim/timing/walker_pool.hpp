// The page walkers of the timing model as busy intervals in simulated time (issue 15, causal
// contention): occupancy follows the walks' own cycles, not the order in which callers arrive.
//
// Each walker keeps its last kBookings bookings [start, end), sorted and non-overlapping, in a
// fixed ring (no allocation after construction). A walk ready at cycle r that needs `length`
// cycles takes, over all walkers, the earliest start s >= r such that [s, s + length) overlaps
// no booking of that walker (a gap between bookings made earlier, or after the last one); ties
// go to the walker whose last booking ends first, then to the lowest index. A walk occupies one
// walker from start to end (a walk's reads depend on each other: it is never split).
//
// In time order this is exactly the "earliest free walker" rule (start = max(r, min free)):
// every gap then ends at the ready cycle of an earlier walk, so no later walk fits in one, and
// the tie rule picks the walker with the smallest free cycle, the first of them, as before. It
// differs only when a walk arrives after walks that are later in simulated time (an LT initiator
// whose local time is ahead under temporal decoupling called first): then it uses the walker time
// that is really free at its own cycle instead of queueing behind the future.
//
// Horizon: a walker forgets its oldest booking when a new one does not fit in the ring. Its
// `floor` (the end of everything forgotten) is then treated as busy before it: a walk can only be
// placed later than it would be with the whole history, never on top of another walk. A walk
// whose ready cycle lies before the end of a forgotten gap (bookings folded with idle time before
// them) on some walker and that had to wait is counted in `Stats::behind_horizon`: its queueing is
// an upper bound. With kBookings = 64 per walker the horizon is the span of a walker's last 64
// walks (at the default 4 reads x 104 cycles, at least 13 us at 2 GHz), beyond any quantum used.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace vtdsim::timing {

class WalkerPool {
 public:
  static constexpr std::uint32_t kBookings = 64;  // per walker; a power of two

  struct Stats {
    std::uint64_t gap_fills = 0;       // walks placed before a walker's last booking (out of time order)
    std::uint64_t folded = 0;          // bookings forgotten because a ring was full
    std::uint64_t behind_horizon = 0;  // walks that waited and were ready before a forgotten gap
  };

  explicit WalkerPool(std::uint32_t walkers);

  // Books [start, start + length) for a walk issued at `issue`, ready at `ready`; returns start.
  std::uint64_t book(std::uint64_t issue, std::uint64_t ready, std::uint64_t length);
  // The latest end of the walks issued at or before `cycle` (0 when none): what an invalidation
  // wait at `cycle` drains. Forgotten bookings count when any of them was issued by then.
  std::uint64_t drain_end(std::uint64_t cycle) const;
  std::uint32_t size() const { return static_cast<std::uint32_t>(walkers_.size()); }
  const Stats& stats() const { return stats_; }
  void reset();

 private:
  struct Booking {
    std::uint64_t start, end, issue;
  };
  struct Walker {
    std::array<Booking, kBookings> ring;
    std::uint32_t head = 0, count = 0;  // oldest booking at ring[head]
    std::uint64_t floor = 0;            // busy before this (forgotten bookings)
    std::uint64_t lost_gap_end = 0;     // the latest start of a forgotten booking with idle time before it
    std::uint64_t floor_first_issue = ~std::uint64_t{0};  // earliest issue among the forgotten
    Booking& at(std::uint32_t i) { return ring[(head + i) & (kBookings - 1)]; }
    const Booking& at(std::uint32_t i) const { return ring[(head + i) & (kBookings - 1)]; }
    std::uint64_t last_end() const { return count ? at(count - 1).end : floor; }
  };
  // Earliest start >= ready on walker w of a free interval of `length`; *pos = insertion index.
  static std::uint64_t fit(const Walker& w, std::uint64_t ready, std::uint64_t length, std::uint32_t* pos);
  static void insert(Walker& w, std::uint32_t pos, const Booking& b, Stats& stats);

  std::vector<Walker> walkers_;
  Stats stats_;
};

}  // namespace vtdsim::timing
