#include "vtdsim/guest/iova_allocator.hpp"

#include <stdexcept>

namespace vtdsim::guest {

namespace {
unsigned order_of(std::uint64_t pages) {
  unsigned order = 0;
  while ((1ull << order) < pages) ++order;
  return order;
}
}  // namespace

IovaAllocator::IovaAllocator(std::uint64_t start_pfn, std::uint64_t limit_pfn)
    : start_pfn_(start_pfn == 0 ? 1 : start_pfn), limit_pfn_(limit_pfn) {
  if (start_pfn_ > limit_pfn_) throw std::invalid_argument("IOVA allocator: start above limit");
  for (auto& c : cache_) c.reserve(kCacheDepth);
}

std::uint64_t IovaAllocator::round_pages(std::uint64_t pages) {
  return pages == 0 ? 1 : (1ull << order_of(pages));
}

std::uint64_t IovaAllocator::search(std::uint64_t pages) {
  // Top-down first fit: the highest aligned slot below the limit that does not overlap an
  // allocated range (Linux __alloc_and_insert_iova_range walks the rbtree downwards the same way).
  ++counters_.tree_searches;
  std::uint64_t ceiling = limit_pfn_ + 1;  // exclusive upper bound of the current gap
  auto it = ranges_.end();
  while (true) {
    std::uint64_t floor = start_pfn_;
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      floor = std::max(floor, prev->first + prev->second);
    }
    if (ceiling >= pages + floor) {
      const std::uint64_t candidate = (ceiling - pages) & ~(pages - 1);  // size-aligned
      if (candidate >= floor && candidate != 0) return candidate;
    }
    if (it == ranges_.begin()) return 0;
    --it;
    ceiling = it->first;
  }
}

std::uint64_t IovaAllocator::alloc(std::uint64_t pages) {
  pages = round_pages(pages);
  const unsigned order = order_of(pages);
  std::uint64_t pfn = 0;
  if (order < kCachedOrders && !cache_[order].empty()) {
    pfn = cache_[order].back();
    cache_[order].pop_back();
    ++counters_.cache_hits;
  } else {
    pfn = search(pages);
    if (pfn == 0) {
      ++counters_.failures;
      return 0;
    }
  }
  ranges_.emplace(pfn, pages);
  ++counters_.allocations;
  return pfn;
}

void IovaAllocator::free(std::uint64_t pfn, std::uint64_t pages) {
  pages = round_pages(pages);
  auto it = ranges_.find(pfn);
  if (it == ranges_.end() || it->second != pages) {
    ++unknown_frees_;
    return;
  }
  ++counters_.frees;
  const unsigned order = order_of(pages);
  if (order < kCachedOrders && cache_[order].size() < kCacheDepth) {
    cache_[order].push_back(pfn);  // stays reserved in ranges_ while cached (as Linux's rcache)
    return;
  }
  ranges_.erase(it);
}

}  // namespace vtdsim::guest
