// IOVA allocator of one DMA domain, as Linux 6.1's drivers/iommu/iova.c (the iova_domain of a
// dma-iommu cookie), in page frames:
//  - a range tree searched top-down from a cached position (__alloc_and_insert_iova_range with
//    __get_cached_rbnode, __cached_rbnode_insert_update, __cached_rbnode_delete_update): one
//    cached node for ranges below 4 GiB (dma_32bit_pfn), one for ranges above; max32_alloc_size
//    remembers the smallest size that failed below 4 GiB until a range there is freed; every
//    range is aligned to its size rounded up to a power of two (size_aligned);
//  - alloc_iova_fast: sizes under 32 pages are rounded up to a power of two; the range caches
//    ("rcache", one per size class, order 0..5, IOVA_RANGE_CACHE_MAX_SIZE = 6) are asked first:
//    per CPU a loaded and a previous magazine of 127 pfns (IOVA_MAG_SIZE), behind them a depot of
//    up to 32 full magazines (MAX_GLOBAL_MAGS) (__iova_rcache_get, __iova_rcache_insert,
//    iova_magazine_pop). When the tree has no room, the caches are drained into the tree once and
//    the search retried (free_cpu_cached_iovas, free_global_cached_iovas);
//  - free_iova_fast: a cacheable size goes into the freeing CPU's loaded magazine (a full loaded
//    magazine goes to the depot, or is emptied into the tree when the depot is full), else the
//    range is removed from the tree.
// A range in a magazine stays allocated in the tree, as in Linux. Magazines come from a pool sized
// up front (2 per CPU + the depot + 1 per size class): the alloc/free path allocates no magazine
// memory; the tree itself is a std::map (one node per tree allocation, as Linux's kmem_cache).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace vtdsim::guest {

struct IovaCounters {
  std::uint64_t allocations = 0, frees = 0, failures = 0;
  std::uint64_t cache_hits = 0;       // alloc served by a magazine
  std::uint64_t tree_searches = 0;    // __alloc_and_insert_iova_range calls
  std::uint64_t tree_frees = 0;       // ranges removed from the tree
  std::uint64_t depot_pushes = 0;     // a full loaded magazine went to the depot
  std::uint64_t depot_pops = 0;       // an empty CPU cache took a full magazine from the depot
  std::uint64_t magazine_drains = 0;  // a full magazine emptied into the tree (depot full)
  std::uint64_t cache_flushes = 0;    // all caches drained after a failed tree search
};

class IovaAllocator {
 public:
  static constexpr unsigned kRangeCacheOrders = 6;        // IOVA_RANGE_CACHE_MAX_SIZE
  static constexpr std::size_t kMagazineSize = 127;       // IOVA_MAG_SIZE (6.1)
  static constexpr std::size_t kDepotMagazines = 32;      // MAX_GLOBAL_MAGS (6.1)
  static constexpr std::uint64_t kDma32Pfn = 1ull << 20;  // dma_32bit_pfn with 4 KiB pages

  // Page frames [start_pfn, limit_pfn] may be handed out (limit inclusive), magazines for `cpus`
  // CPUs. Throws std::invalid_argument on start > limit or cpus == 0.
  IovaAllocator(std::uint64_t start_pfn, std::uint64_t limit_pfn, unsigned cpus = 1);

  // reserve_iova: [lo_pfn, hi_pfn] is never handed out (e.g. the MSI window).
  void reserve(std::uint64_t lo_pfn, std::uint64_t hi_pfn);

  // alloc_iova_fast: the first page frame of `pages` pages (rounded as round_pages) whose range
  // ends at or below limit_pfn (inclusive, capped at the constructor's limit), from CPU `cpu`'s
  // caches or the tree; 0 when there is no room (pfn 0 is never handed out). flush_caches: on a
  // tree failure drain every cache into the tree and search once more.
  std::uint64_t alloc(std::uint64_t pages, std::uint64_t limit_pfn, unsigned cpu, bool flush_caches = true);
  std::uint64_t alloc(std::uint64_t pages) { return alloc(pages, limit_pfn_, 0); }
  // free_iova_fast from CPU `cpu`: a range from alloc() (same `pages`, rounded or not). A pfn the
  // tree does not hold is ignored and counted (Linux would WARN).
  void free(std::uint64_t pfn, std::uint64_t pages, unsigned cpu = 0);

  // Sizes under 32 pages rounded up to a power of two (alloc_iova_fast); larger sizes unchanged.
  static std::uint64_t round_pages(std::uint64_t pages);
  // The size class (order_base_2) of a range; >= kRangeCacheOrders is not cached.
  static unsigned order_of(std::uint64_t pages);

  std::uint64_t allocated_ranges() const { return tree_.size() - 1 - reserved_; }  // without the anchor
  std::uint64_t cached_ranges() const;  // pfns held in magazines (all CPUs and the depot)
  std::size_t depot_size(unsigned order) const { return caches_[order].depot_size; }
  std::size_t loaded_size(unsigned order, unsigned cpu) const { return mags_[caches_[order].cpus[cpu].loaded].size; }
  std::size_t prev_size(unsigned order, unsigned cpu) const { return mags_[caches_[order].cpus[cpu].prev].size; }
  unsigned cpus() const { return cpus_; }
  const IovaCounters& counters() const { return counters_; }
  std::uint64_t unknown_frees() const { return unknown_frees_; }

 private:
  struct Magazine {
    std::uint32_t size = 0;
    std::array<std::uint64_t, kMagazineSize> pfns{};
  };
  struct CpuCache {
    std::uint32_t loaded = 0, prev = 0;  // indices into mags_
  };
  struct RangeCache {
    std::vector<CpuCache> cpus;
    std::array<std::uint32_t, kDepotMagazines> depot{};
    std::size_t depot_size = 0;
  };
  using Tree = std::map<std::uint64_t, std::uint64_t>;  // pfn_lo -> pfn_hi (inclusive)

  std::uint64_t tree_alloc(std::uint64_t pages, std::uint64_t limit_pfn);
  void tree_free(Tree::iterator it);
  std::uint64_t cache_get(unsigned order, std::uint64_t max_pfn, unsigned cpu);
  bool cache_insert(unsigned order, std::uint64_t pfn, unsigned cpu);
  void drain(std::uint32_t mag);  // iova_magazine_free_pfns
  void flush_caches();            // every CPU's magazines and the depot into the tree
  std::uint32_t take_magazine();
  void give_magazine(std::uint32_t mag) { spare_.push_back(mag); }

  std::uint64_t start_pfn_, limit_pfn_;
  unsigned cpus_;
  Tree tree_;                        // with the anchor node [~0, ~0] above everything
  std::uint64_t cached32_, cached_;  // pfn_lo of the cached nodes (anchor at first)
  std::uint64_t max32_alloc_size_ = kDma32Pfn;
  std::uint64_t reserved_ = 0;
  std::vector<Magazine> mags_;
  std::vector<std::uint32_t> spare_;
  std::array<RangeCache, kRangeCacheOrders> caches_;
  IovaCounters counters_;
  std::uint64_t unknown_frees_ = 0;
};

}  // namespace vtdsim::guest
