#include "vtdsim/timing/walker_pool.hpp"

#include <algorithm>

namespace vtdsim::timing {

static_assert((WalkerPool::kBookings & (WalkerPool::kBookings - 1)) == 0, "ring size must be a power of two");

WalkerPool::WalkerPool(std::uint32_t walkers) : walkers_(walkers) {}

void WalkerPool::reset() {
  for (Walker& w : walkers_) w = Walker{};
  stats_ = {};
}

std::uint64_t WalkerPool::fit(const Walker& w, std::uint64_t ready, std::uint64_t length, std::uint32_t* pos) {
  const std::uint64_t s0 = std::max(ready, w.floor);
  // Bookings are sorted and disjoint, so their ends ascend: skip back over those ending after s0
  // (in time order none or the last few; this is the common case's whole cost).
  std::uint32_t i = w.count;
  while (i > 0 && w.at(i - 1).end > s0) --i;
  std::uint64_t s = s0;
  for (std::uint32_t j = i; j < w.count; ++j) {
    const Booking& b = w.at(j);
    if (b.start >= s + length) {
      *pos = j;
      return s;
    }
    s = std::max(s, b.end);
  }
  *pos = w.count;
  return s;
}

void WalkerPool::insert(Walker& w, std::uint32_t pos, const Booking& b, Stats& stats) {
  auto forget = [&w, &stats](const Booking& old) {
    if (old.start > w.floor) w.lost_gap_end = old.start;  // idle time before it is forgotten
    w.floor = std::max(w.floor, old.end);
    w.floor_first_issue = std::min(w.floor_first_issue, old.issue);
    ++stats.folded;
  };
  if (w.count == kBookings) {
    if (pos == 0) {  // the new booking is the oldest: it is the one forgotten
      forget(b);
      return;
    }
    forget(w.at(0));
    w.head = (w.head + 1) & (kBookings - 1);
    --w.count;
    --pos;
  }
  for (std::uint32_t j = w.count; j > pos; --j) w.at(j) = w.at(j - 1);
  w.at(pos) = b;
  ++w.count;
}

std::uint64_t WalkerPool::book(std::uint64_t issue, std::uint64_t ready, std::uint64_t length) {
  std::uint32_t best = 0, best_pos = 0;
  std::uint64_t best_start = ~std::uint64_t{0}, best_last = 0;
  bool lost = false;  // ready before a forgotten gap on some walker
  for (std::uint32_t k = 0; k < walkers_.size(); ++k) {
    const Walker& w = walkers_[k];
    std::uint32_t pos = 0;
    const std::uint64_t s = fit(w, ready, length, &pos);
    const std::uint64_t last = w.last_end();
    if (s < best_start || (s == best_start && last < best_last)) {
      best = k;
      best_pos = pos;
      best_start = s;
      best_last = last;
    }
    lost |= ready < w.lost_gap_end;
  }
  Walker& w = walkers_[best];
  if (best_pos < w.count) ++stats_.gap_fills;
  if (lost && best_start > ready) ++stats_.behind_horizon;
  insert(w, best_pos, Booking{best_start, best_start + length, issue}, stats_);
  return best_start;
}

std::uint64_t WalkerPool::drain_end(std::uint64_t cycle) const {
  std::uint64_t end = 0;
  for (const Walker& w : walkers_) {
    if (w.floor_first_issue <= cycle) end = std::max(end, w.floor);
    for (std::uint32_t j = 0; j < w.count; ++j) {
      const Booking& b = w.at(j);
      if (b.issue <= cycle) end = std::max(end, b.end);
    }
  }
  return end;
}

}  // namespace vtdsim::timing
