// One-pass per-set LRU stack-distance profiler: for a cache of `sets` sets with modulo indexing,
// the hits an LRU cache of every associativity 1..max_ways (sets x ways entries) would have, from
// one stream of accesses and invalidations.
//
// The set of a key is the IOTLB's own: SetAssocCache<IotlbEntry, IotlbKey>::set_of, i.e.
// IotlbKey::index() (the page number at the entry's page size, iova >> shift) mod sets, so a key
// lands in the same set at every associativity. Each set is then an independent fully
// associative LRU cache of `ways` entries, for which the inclusion property holds (Mattson et al.,
// 1970): one LRU stack per set gives every associativity at once, an access at stack position p
// hitting for ways >= p. Invalidations leave holes in the stack exactly as in LruStackProfiler
// (lru_stack_profiler.hpp, same rules: a miss consumes the topmost hole of the set, a hit below
// the topmost hole moves the hole to its old position) and match keys by the IOTLB's invalidation scopes
// (cache/invalidation_scope.hpp).
//
// Each set's stack is kept only max_ways deep (a key deeper than that misses at every
// associativity of interest, like a cold key), in a flat array: an access costs O(max_ways),
// memory is O(sets x max_ways), independent of the stream.
#pragma once
#include <cstdint>
#include <vector>

#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/cache/invalidation_scope.hpp"
#include "vtdsim/study/lru_stack_profiler.hpp"

namespace vtdsim::study {

class SetAssocStackProfiler {
 public:
  // Throws std::invalid_argument when sets or max_ways is 0, or sets x max_ways exceeds 2^26.
  SetAssocStackProfiler(std::uint32_t sets, std::uint32_t max_ways);

  // One lookup of key. Returns its stack position in its set (1 = most recently used) or 0 for a
  // miss at every associativity (cold, invalidated, or deeper than max_ways). A miss inserts the
  // key only if fill_on_miss (a lookup whose translation faulted fills nothing).
  std::uint64_t access(const IotlbPageKey& key, bool fill_on_miss = true);
  // Turns every tracked key the IOTLB invalidation drops into a hole; returns how many.
  std::uint64_t invalidate(const core::InvalidationRequest& request);
  void invalidate_all();

  std::uint32_t sets() const { return sets_; }
  std::uint32_t max_ways() const { return max_ways_; }
  std::uint32_t set_of(const IotlbPageKey& key) const;
  std::uint64_t accesses() const { return accesses_; }
  // Hits of an LRU cache of sets x ways entries (ways 1..max_ways).
  std::uint64_t hits_at(std::uint32_t ways) const;
  // hits_at(1..max_ways) (index 0 = 1 way).
  std::vector<std::uint64_t> hit_curve() const;
  // Keys held at max_ways (the tracked part of the stacks).
  std::size_t live_keys() const;

 private:
  // A stack slot: a key packed in two words as cache::IotlbKey packs it (one compare per way), or
  // a hole (tag 0: every key has a page shift of 12, 21 or 30 in its tag).
  struct Slot {
    std::uint64_t vpn = 0, tag = 0;
    friend bool operator==(const Slot& a, const Slot& b) { return ((a.vpn ^ b.vpn) | (a.tag ^ b.tag)) == 0; }
  };
  static bool is_hole(const Slot& s) { return s.tag == 0; }
  static Slot pack(const IotlbPageKey& key);
  static IotlbPageKey unpack(const Slot& slot);
  void visit_set(std::uint32_t set, const cache::IotlbInvalidationScope& scope, std::uint64_t& dropped);
  void trim(std::uint32_t set);  // drops holes at the bottom (they act as empty slots)

  std::uint32_t sets_, max_ways_;
  std::uint64_t accesses_ = 0;
  std::vector<Slot> slots_;               // set s: slots_[s * max_ways_ + i], i = 0 most recent
  std::vector<std::uint32_t> depth_;      // used slots per set
  std::vector<std::uint64_t> histogram_;  // histogram_[p] = hits at stack position p (1..max_ways)
};

}  // namespace vtdsim::study
