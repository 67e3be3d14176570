#include "vtdsim/guest/iova_allocator.hpp"

#include <algorithm>
#include <stdexcept>

namespace vtdsim::guest {

namespace {
constexpr std::uint64_t kAnchor = ~0ull;  // IOVA_ANCHOR: the node above the usable space
}

unsigned IovaAllocator::order_of(std::uint64_t pages) {
  unsigned order = 0;
  while (order < 64 && (1ull << order) < pages) ++order;
  return order;
}

std::uint64_t IovaAllocator::round_pages(std::uint64_t pages) {
  if (pages == 0) return 1;
  // alloc_iova_fast (iova.c): round up if size < 1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1).
  if (pages < (1ull << (kRangeCacheOrders - 1))) return 1ull << order_of(pages);
  return pages;
}

IovaAllocator::IovaAllocator(std::uint64_t start_pfn, std::uint64_t limit_pfn, unsigned cpus)
    : start_pfn_(start_pfn == 0 ? 1 : start_pfn),
      limit_pfn_(limit_pfn),
      cpus_(cpus),
      cached32_(kAnchor),
      cached_(kAnchor) {
  if (start_pfn_ > limit_pfn_) throw std::invalid_argument("IOVA allocator: start above limit");
  if (cpus_ == 0) throw std::invalid_argument("IOVA allocator: at least one CPU");
  tree_.emplace(kAnchor, kAnchor);
  // Per size class: loaded + prev per CPU, the depot, and one new magazine in flight.
  const std::size_t per_order = 2 * std::size_t{cpus_} + kDepotMagazines + 1;
  mags_.resize(per_order * kRangeCacheOrders);
  spare_.reserve(mags_.size());
  for (std::size_t i = mags_.size(); i-- > 0;) spare_.push_back(static_cast<std::uint32_t>(i));
  for (RangeCache& rc : caches_) {
    rc.cpus.resize(cpus_);
    for (CpuCache& c : rc.cpus) {
      c.loaded = take_magazine();
      c.prev = take_magazine();
    }
  }
}

std::uint32_t IovaAllocator::take_magazine() {
  const std::uint32_t m = spare_.back();  // the pool is sized so it never runs dry
  spare_.pop_back();
  mags_[m].size = 0;
  return m;
}

void IovaAllocator::reserve(std::uint64_t lo_pfn, std::uint64_t hi_pfn) {
  if (lo_pfn > hi_pfn) throw std::invalid_argument("IOVA allocator: reserve lo above hi");
  // reserve_iova inserts without touching the cached nodes. Overlaps with existing reservations
  // are not merged (callers reserve disjoint windows).
  tree_.emplace(lo_pfn, hi_pfn);
  ++reserved_;
}

std::uint64_t IovaAllocator::tree_alloc(std::uint64_t size, std::uint64_t limit_pfn) {
  // __alloc_and_insert_iova_range(iovad, size, limit_pfn + 1, new, size_aligned = true).
  ++counters_.tree_searches;
  const std::uint64_t limit = limit_pfn + 1;  // exclusive
  const std::uint64_t align_mask = ~0ull << order_of(size);
  std::uint64_t high = limit, low = start_pfn_;
  if (limit <= kDma32Pfn && size >= max32_alloc_size_) return 0;  // iova32_full
  auto curr = tree_.find(limit <= kDma32Pfn ? cached32_ : cached_);
  const std::uint64_t retry_pfn = curr->second;
  Tree::iterator prev;
  std::uint64_t new_pfn = 0;
  while (true) {
    // Walk the tree backwards from curr while the candidate overlaps the node below.
    do {
      high = std::min(high, curr->first);
      new_pfn = (high - size) & align_mask;
      prev = curr;
      if (curr == tree_.begin()) break;  // rb_prev is NULL
      --curr;
    } while (new_pfn <= curr->second && new_pfn >= low);
    if (high < size || new_pfn < low) {
      if (low == start_pfn_ && retry_pfn < limit) {
        // Second pass above the cached node's range (iova_find_limit: the lowest node at or
        // above the limit).
        high = limit;
        low = retry_pfn + 1;
        curr = tree_.lower_bound(limit);
        continue;
      }
      max32_alloc_size_ = size;
      return 0;
    }
    break;
  }
  tree_.emplace_hint(prev, new_pfn, new_pfn + size - 1);
  if (new_pfn + size - 1 < kDma32Pfn)
    cached32_ = new_pfn;  // __cached_rbnode_insert_update
  else
    cached_ = new_pfn;
  return new_pfn;
}

void IovaAllocator::tree_free(Tree::iterator it) {
  // __cached_rbnode_delete_update, then the node is erased.
  const std::uint64_t lo = it->first, hi = it->second;
  const std::uint64_t next = std::next(it)->first;  // rb_next: the anchor is always above
  if (lo == cached32_ || (hi < kDma32Pfn && lo >= cached32_)) cached32_ = next;
  if (lo < kDma32Pfn) max32_alloc_size_ = kDma32Pfn;
  if (lo >= cached_) cached_ = next;
  tree_.erase(it);
  ++counters_.tree_frees;
}

std::uint64_t IovaAllocator::cache_get(unsigned order, std::uint64_t max_pfn, unsigned cpu) {
  // __iova_rcache_get: loaded, else swap in prev, else a full magazine from the depot.
  RangeCache& rc = caches_[order];
  CpuCache& c = rc.cpus[cpu];
  if (mags_[c.loaded].size == 0) {
    if (mags_[c.prev].size != 0) {
      std::swap(c.loaded, c.prev);
    } else if (rc.depot_size > 0) {
      give_magazine(c.loaded);
      c.loaded = rc.depot[--rc.depot_size];
      ++counters_.depot_pops;
    } else {
      return 0;
    }
  }
  // iova_magazine_pop: the newest pfn that fits under the limit, swapped out with the last one.
  Magazine& m = mags_[c.loaded];
  std::size_t i = m.size - 1;
  while (m.pfns[i] > max_pfn) {
    if (i == 0) return 0;
    --i;
  }
  const std::uint64_t pfn = m.pfns[i];
  m.pfns[i] = m.pfns[--m.size];
  return pfn;
}

bool IovaAllocator::cache_insert(unsigned order, std::uint64_t pfn, unsigned cpu) {
  // __iova_rcache_insert: loaded, else swap in prev, else the full loaded magazine goes to the
  // depot (or is emptied into the tree when the depot is full) and a new one is loaded.
  RangeCache& rc = caches_[order];
  CpuCache& c = rc.cpus[cpu];
  std::uint32_t to_drain = 0;
  bool drain_one = false;
  if (mags_[c.loaded].size == kMagazineSize) {
    if (mags_[c.prev].size != kMagazineSize) {
      std::swap(c.loaded, c.prev);
    } else {
      const std::uint32_t fresh = take_magazine();
      if (rc.depot_size < kDepotMagazines) {
        rc.depot[rc.depot_size++] = c.loaded;
        ++counters_.depot_pushes;
      } else {
        to_drain = c.loaded;
        drain_one = true;
      }
      c.loaded = fresh;
    }
  }
  Magazine& m = mags_[c.loaded];
  m.pfns[m.size++] = pfn;
  if (drain_one) {
    drain(to_drain);
    give_magazine(to_drain);
    ++counters_.magazine_drains;
  }
  return true;
}

void IovaAllocator::drain(std::uint32_t mag) {
  Magazine& m = mags_[mag];
  for (std::uint32_t i = 0; i < m.size; ++i) {
    auto it = tree_.find(m.pfns[i]);
    if (it != tree_.end()) tree_free(it);
  }
  m.size = 0;
}

void IovaAllocator::flush_caches() {
  ++counters_.cache_flushes;
  for (RangeCache& rc : caches_) {
    for (CpuCache& c : rc.cpus) {
      drain(c.loaded);
      drain(c.prev);
    }
    while (rc.depot_size > 0) {
      const std::uint32_t m = rc.depot[--rc.depot_size];
      drain(m);
      give_magazine(m);
    }
  }
}

std::uint64_t IovaAllocator::alloc(std::uint64_t pages, std::uint64_t limit_pfn, unsigned cpu, bool flush) {
  const std::uint64_t size = round_pages(pages);
  limit_pfn = std::min(limit_pfn, limit_pfn_);
  if (cpu >= cpus_) cpu %= cpus_;
  const unsigned order = order_of(size);
  if (order < kRangeCacheOrders && limit_pfn + 1 >= size) {
    // iova_rcache_get(iovad, size, limit_pfn + 1) pops a pfn <= limit_pfn + 1 - size.
    const std::uint64_t pfn = cache_get(order, limit_pfn + 1 - size, cpu);
    if (pfn != 0) {
      ++counters_.cache_hits;
      ++counters_.allocations;
      return pfn;
    }
  }
  std::uint64_t pfn = tree_alloc(size, limit_pfn);
  if (pfn == 0 && flush) {
    flush_caches();
    pfn = tree_alloc(size, limit_pfn);
  }
  if (pfn == 0) {
    ++counters_.failures;
    return 0;
  }
  ++counters_.allocations;
  return pfn;
}

void IovaAllocator::free(std::uint64_t pfn, std::uint64_t pages, unsigned cpu) {
  const std::uint64_t size = round_pages(pages);
  auto it = tree_.find(pfn);
  if (it == tree_.end() || pfn == kAnchor || it->second - it->first + 1 != size) {
    ++unknown_frees_;
    return;
  }
  if (cpu >= cpus_) cpu %= cpus_;
  ++counters_.frees;
  const unsigned order = order_of(size);
  if (order < kRangeCacheOrders && cache_insert(order, pfn, cpu)) return;
  tree_free(it);
}

std::uint64_t IovaAllocator::cached_ranges() const {
  std::uint64_t n = 0;
  for (const RangeCache& rc : caches_) {
    for (const CpuCache& c : rc.cpus) n += mags_[c.loaded].size + mags_[c.prev].size;
    for (std::size_t i = 0; i < rc.depot_size; ++i) n += mags_[rc.depot[i]].size;
  }
  return n;
}

}  // namespace vtdsim::guest
