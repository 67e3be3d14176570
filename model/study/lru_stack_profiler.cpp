#include "vtdsim/study/lru_stack_profiler.hpp"

#include <algorithm>
#include <stdexcept>

#include "vtdsim/study/iotlb_invalidation_scope.hpp"

namespace vtdsim::study {

namespace {
constexpr std::size_t kMinCapacity = 1024;
}

LruStackProfiler::LruStackProfiler(std::uint32_t max_entries)
    : max_entries_(max_entries), histogram_(std::size_t{max_entries} + 1, 0) {
  if (max_entries == 0) throw std::invalid_argument("LruStackProfiler: max_entries must be > 0");
  tree_.assign(kMinCapacity + 1, 0);
  owner_.assign(kMinCapacity + 1, index_.end());
}

void LruStackProfiler::fenwick_add(std::uint64_t pos, int delta) {
  const std::uint64_t n = tree_.size() - 1;
  for (; pos <= n; pos += pos & (~pos + 1)) tree_[pos] += delta;
}

std::uint64_t LruStackProfiler::fenwick_prefix(std::uint64_t pos) const {
  std::int64_t sum = 0;
  for (; pos > 0; pos -= pos & (~pos + 1)) sum += tree_[pos];
  return static_cast<std::uint64_t>(sum);
}

// Renumbers the occupied stamps 1..L in the same order (dropping holes deeper than max_entries,
// and holes below every live key) and sizes the tree to 2L (at least the minimum): memory stays
// proportional to the live keys plus max_entries.
void LruStackProfiler::compact() {
  struct Slot {
    std::map<IotlbPageKey, std::uint64_t>::iterator key;  // end(): hole
  };
  std::vector<Slot> kept;  // most recent first
  kept.reserve(index_.size() + holes_.size());
  std::uint64_t position = 0;
  std::size_t live_seen = 0;
  for (std::uint64_t ts = now_; ts >= 1; --ts) {
    if (owner_[ts] != index_.end()) {
      ++position;
      ++live_seen;
      kept.push_back(Slot{owner_[ts]});
    } else if (holes_.count(ts)) {
      ++position;
      if (position <= max_entries_ && live_seen < index_.size()) kept.push_back(Slot{index_.end()});
    }
  }
  const std::size_t capacity = std::max(kMinCapacity, 2 * kept.size());
  owner_.assign(capacity + 1, index_.end());
  tree_.assign(capacity + 1, 0);
  holes_.clear();
  std::uint64_t ts = 0;
  for (auto slot = kept.rbegin(); slot != kept.rend(); ++slot) {
    ++ts;
    if (slot->key != index_.end()) {
      slot->key->second = ts;
      owner_[ts] = slot->key;
    } else {
      holes_.insert(holes_.end(), ts);
    }
    tree_[ts] = 1;
  }
  // Linear-time Fenwick build from the 0/1 marks.
  for (std::size_t i = 1; i <= capacity; ++i) {
    const std::size_t parent = i + (i & (~i + 1));
    if (parent <= capacity) tree_[parent] += tree_[i];
  }
  now_ = ts;
}

void LruStackProfiler::consume_top_hole() {
  if (holes_.empty()) return;
  auto top = std::prev(holes_.end());
  fenwick_add(*top, -1);
  holes_.erase(top);
}

std::uint64_t LruStackProfiler::access(const IotlbPageKey& key, bool fill_on_miss) {
  ++accesses_;
  if (now_ + 1 >= owner_.size()) compact();
  auto found = lookup_.find(key);
  if (found == lookup_.end()) {
    ++cold_;
    if (!fill_on_miss) return 0;  // nothing cached at any size: no slot is used
    consume_top_hole();
    auto it = index_.emplace(key, 0).first;
    lookup_.emplace(key, it);
    it->second = ++now_;
    owner_[now_] = it;
    fenwick_add(now_, 1);
    return 0;
  }
  auto it = found->second;
  const std::uint64_t ts = it->second;
  // Position = occupied stamps (keys and holes) after ts, + 1.
  const std::uint64_t occupied = holes_.size() + index_.size();
  const std::uint64_t position = occupied - fenwick_prefix(ts) + 1;
  if (position <= max_entries_) ++histogram_[position];
  owner_[ts] = index_.end();
  if (!holes_.empty() && *holes_.rbegin() > ts) {
    // The topmost hole moves down to the key's old slot (its stamp stays occupied).
    auto top = std::prev(holes_.end());
    fenwick_add(*top, -1);
    holes_.erase(top);
    holes_.insert(ts);
  } else {
    fenwick_add(ts, -1);
  }
  it->second = ++now_;
  owner_[now_] = it;
  fenwick_add(now_, 1);
  return position;
}

void LruStackProfiler::remove(std::map<IotlbPageKey, std::uint64_t>::iterator it) {
  const std::uint64_t ts = it->second;
  owner_[ts] = index_.end();
  holes_.insert(ts);  // the slot stays occupied (free in the caches that held the key)
  lookup_.erase(it->first);
  index_.erase(it);
}

std::uint64_t LruStackProfiler::invalidate_if(const std::function<bool(const IotlbPageKey&)>& pred) {
  std::uint64_t n = 0;
  for (auto it = index_.begin(); it != index_.end();) {
    auto cur = it++;
    if (pred(cur->first)) {
      remove(cur);
      ++n;
    }
  }
  return n;
}

void LruStackProfiler::invalidate_all() {
  // Every cache is empty: an empty stack behaves the same (no live key below any hole).
  index_.clear();
  lookup_.clear();
  holes_.clear();
  now_ = 0;
  tree_.assign(kMinCapacity + 1, 0);
  owner_.assign(kMinCapacity + 1, index_.end());
}

// The keys IotlbInvalidationScope names; the ordered index limits a page- or domain-selective
// invalidation to the domain's keys near the range.
std::uint64_t LruStackProfiler::invalidate(const core::InvalidationRequest& r) {
  const IotlbInvalidationScope scope(r);
  if (!scope.applies) return 0;
  if (scope.global) {
    const std::uint64_t n = index_.size();
    invalidate_all();
    return n;
  }
  std::uint64_t lo = 0, hi = ~0ull;  // iova_base range of candidate keys (inclusive)
  if (scope.page) {
    // A page of up to 1 GiB starting before base may still cover it.
    lo = scope.base >= (1ull << 30) ? scope.base - (1ull << 30) + 1 : 0;
    hi = scope.base + (scope.len - 1);
  }
  std::uint64_t n = 0;
  auto it = index_.lower_bound(IotlbPageKey{lo, 0, scope.domain, 0});
  while (it != index_.end() && it->first.domain == scope.domain && it->first.iova_base <= hi) {
    auto cur = it++;
    if (!scope.matches(cur->first)) continue;
    remove(cur);
    ++n;
  }
  return n;
}

std::uint64_t LruStackProfiler::hits_at(std::uint32_t entries) const {
  const std::uint32_t n = std::min(entries, max_entries_);
  std::uint64_t sum = 0;
  for (std::uint32_t d = 1; d <= n; ++d) sum += histogram_[d];
  return sum;
}

std::vector<std::uint64_t> LruStackProfiler::hit_curve() const {
  std::vector<std::uint64_t> curve(max_entries_);
  std::uint64_t sum = 0;
  for (std::uint32_t d = 1; d <= max_entries_; ++d) {
    sum += histogram_[d];
    curve[d - 1] = sum;
  }
  return curve;
}

}  // namespace vtdsim::study
