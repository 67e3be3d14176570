// Plain integer counters of the translation caches (hot path), gathered into JSON when dumped.
#pragma once
#include <array>
#include <cstdint>

namespace vtdsim::cache {

struct CacheCounters {
  std::uint64_t lookups = 0, hits = 0, misses = 0, fills = 0, evictions = 0, invalidated = 0;
};

// The IOTLB's counters, whatever its organization. total.hits = the sum over page sizes; a miss
// of the whole lookup counts once in total.misses, each probe in by_size (lookups = hits + misses).
struct IotlbStats {
  CacheCounters total;
  std::array<CacheCounters, 3> by_size{};  // 0 = 4K, 1 = 2M, 2 = 1G
  std::uint64_t qemu_flushes = 0;          // QEMU organization: whole-table resets
};

struct CacheStats {
  CacheCounters context;
  CacheCounters pasid;
  CacheCounters iotlb;
  std::array<CacheCounters, 3> iotlb_by_size{};  // 0 = 4K, 1 = 2M, 2 = 1G (hits/fills by page size)
  std::array<CacheCounters, 4> psc{};            // index = level - 2
  std::uint64_t qemu_flushes = 0;                // kQemu organization: whole-table resets
};

}  // namespace vtdsim::cache
