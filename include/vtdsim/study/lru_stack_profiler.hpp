// One-pass LRU stack-distance profiler (Mattson et al., 1970): for a stream of accesses to keys,
// with invalidations, gives the number of hits a fully associative LRU cache of every size
// 1..max_entries would have, in O(log n) per access. n is the number of distinct live keys: the
// time stamps of the last accesses are renumbered when the Fenwick tree fills up, so memory grows
// with the distinct keys only, never with the length of the stream.
//
// Why one pass is exact: without invalidations an LRU cache of size n holds exactly the top n keys
// of the LRU stack (inclusion property), so an access hits at size n iff its stack position p <= n.
// An invalidation removes the key from every size at once (its next access is a cold miss
// everywhere) but leaves a free slot, which a cache fills on its next miss without evicting. The
// stack models that with a hole at the key's position (positions count holes too):
//   - a miss (cold, or p greater than any size of interest) consumes the topmost hole, if any:
//     caches large enough to contain the hole fill it, smaller ones evict as usual;
//   - a hit at position p with the topmost hole at h < p moves the hole to p: caches of size in
//     [h, p) miss and fill the hole; caches of size >= p hit and keep their free slot;
//   - holes deeper than max_entries never come back up and are dropped.
// Memory is therefore O(distinct live keys + max_entries).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "vtdsim/cache/invalidation_scope.hpp"
#include "vtdsim/core/invalidation.hpp"

namespace vtdsim::study {

// Tag of one IOTLB entry as TranslationCaches keys it in the shared/per-size organizations
// (VT-d spec 6.2.3: domain, PASID, page number at the page's own size).
struct IotlbPageKey {
  std::uint64_t iova_base = 0;  // page-aligned IOVA
  std::uint32_t pasid = 0xffffffffu;
  std::uint16_t domain = 0;
  std::uint8_t shift = 12;  // 12, 21 or 30
  friend bool operator==(const IotlbPageKey& a, const IotlbPageKey& b) {
    return a.iova_base == b.iova_base && a.pasid == b.pasid && a.domain == b.domain && a.shift == b.shift;
  }
  friend bool operator<(const IotlbPageKey& a, const IotlbPageKey& b) {
    if (a.domain != b.domain) return a.domain < b.domain;
    if (a.iova_base != b.iova_base) return a.iova_base < b.iova_base;
    if (a.shift != b.shift) return a.shift < b.shift;
    return a.pasid < b.pasid;
  }
};

// Whether an IOTLB invalidation reaches the entry of this tag (the IOTLB's own scopes).
inline bool reaches(const cache::IotlbInvalidationScope& scope, const IotlbPageKey& key) {
  return scope.covers_page(key.domain, key.pasid, key.iova_base, 1ull << key.shift);
}

struct IotlbPageKeyHash {
  std::size_t operator()(const IotlbPageKey& k) const noexcept {
    std::uint64_t h = (k.iova_base >> 12) * 0x9e3779b97f4a7c15ull;
    h ^= (std::uint64_t{k.domain} << 48) ^ (std::uint64_t{k.pasid} << 8) ^ k.shift;
    h *= 0xbf58476d1ce4e5b9ull;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

class LruStackProfiler {
 public:
  explicit LruStackProfiler(std::uint32_t max_entries);

  // One lookup of key. Returns its stack distance (1 = most recently used) or 0 for a cold miss
  // (never seen, or invalidated since). A miss inserts the key only if fill_on_miss (a lookup
  // whose translation faulted fills nothing).
  std::uint64_t access(const IotlbPageKey& key, bool fill_on_miss = true);

  // Removes every live key that the IOTLB invalidation reaches (cache/invalidation_scope.hpp, the
  // scopes of the shared and per-size organizations, spec 6.5.1.2 / 6.5.2.3 / 6.5.2.4). Returns
  // the number of keys removed.
  std::uint64_t invalidate(const core::InvalidationRequest& request);
  // Removes every live key for which pred(key) is true.
  std::uint64_t invalidate_if(const std::function<bool(const IotlbPageKey&)>& pred);
  void invalidate_all();

  std::uint32_t max_entries() const { return max_entries_; }
  std::uint64_t accesses() const { return accesses_; }
  // Hits of a fully associative LRU cache with `entries` entries (1..max_entries).
  std::uint64_t hits_at(std::uint32_t entries) const;
  // hits_at(1..max_entries) in one vector (index 0 = 1 entry).
  std::vector<std::uint64_t> hit_curve() const;
  std::uint64_t cold_misses() const { return cold_; }
  std::size_t live_keys() const { return index_.size(); }
  // Capacity of the time-stamp tree now (tests: bounded by the live keys, not the accesses).
  std::size_t stamp_capacity() const { return owner_.size(); }
  std::size_t holes() const { return holes_.size(); }

 private:
  void remove(std::map<IotlbPageKey, std::uint64_t>::iterator it);  // leaves a hole
  void consume_top_hole();
  void fenwick_add(std::uint64_t pos, int delta);
  std::uint64_t fenwick_prefix(std::uint64_t pos) const;  // marks in [1, pos]
  void compact();

  std::uint32_t max_entries_;
  std::uint64_t accesses_ = 0;
  std::uint64_t cold_ = 0;
  std::vector<std::uint64_t> histogram_;  // histogram_[d] = accesses at distance d (1..max)
  // live key -> time stamp of its last access; ordered for range invalidations.
  std::map<IotlbPageKey, std::uint64_t> index_;
  std::unordered_map<IotlbPageKey, std::map<IotlbPageKey, std::uint64_t>::iterator, IotlbPageKeyHash> lookup_;
  std::set<std::uint64_t> holes_;   // stamps of holes (invalidated slots)
  std::vector<std::int32_t> tree_;  // Fenwick tree over occupied stamps (keys and holes)
  // owner_[ts] = the live key stamped ts (end(): a hole or unused); index 0 unused.
  std::vector<std::map<IotlbPageKey, std::uint64_t>::iterator> owner_;
  std::uint64_t now_ = 0;  // last stamp handed out
};

}  // namespace vtdsim::study
