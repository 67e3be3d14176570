// IOVA allocator of one DMA domain, shaped like Linux's (drivers/iommu/iova.c + dma-iommu.c):
// page-frame ranges handed out top-down below a limit (the device's DMA mask; PCI devices first
// try below 4 GiB), sizes rounded up to a power of two and aligned to it, and a per-size cache of
// freed ranges (Linux's "rcache") that is consulted first, so recently freed IOVAs are reused.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace vtdsim::guest {

struct IovaCounters {
  std::uint64_t allocations = 0, frees = 0, cache_hits = 0, tree_searches = 0, failures = 0;
};

class IovaAllocator {
 public:
  static constexpr unsigned kCachedOrders = 6;      // sizes up to 32 pages are cached (Linux: 2^5)
  static constexpr std::size_t kCacheDepth = 256;   // freed ranges kept per order

  // Page frames [start_pfn, limit_pfn] may be handed out (limit inclusive). Throws on start > limit.
  IovaAllocator(std::uint64_t start_pfn, std::uint64_t limit_pfn);

  // First page frame of `pages` pages (rounded up to a power of two, aligned to it), or 0 when
  // the space is exhausted (pfn 0 is never handed out).
  std::uint64_t alloc(std::uint64_t pages);
  // Returns a range from alloc() (same `pages`). Unknown ranges are ignored and counted.
  void free(std::uint64_t pfn, std::uint64_t pages);

  std::uint64_t allocated_ranges() const { return ranges_.size(); }
  const IovaCounters& counters() const { return counters_; }
  std::uint64_t unknown_frees() const { return unknown_frees_; }

  static std::uint64_t round_pages(std::uint64_t pages);

 private:
  std::uint64_t search(std::uint64_t pages);

  std::uint64_t start_pfn_, limit_pfn_;
  std::map<std::uint64_t, std::uint64_t> ranges_;  // allocated: start pfn -> pages (rounded)
  std::array<std::vector<std::uint64_t>, kCachedOrders> cache_;
  IovaCounters counters_;
  std::uint64_t unknown_frees_ = 0;
};

}  // namespace vtdsim::guest
