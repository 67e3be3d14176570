// One generic set-associative container for every translation cache (DESIGN.md "Shapes that work
// well"): the IOTLB, context cache, PASID cache and paging-structure caches only define their entry,
// key and invalidation predicates.
//
// Geometry: `entries` slots in `entries / ways` sets of `ways` ways; ways == 0 or ways == entries
// means fully associative (one set), ways == 1 direct-mapped. All storage (a flat array of
// entries * slots and the policy state) is allocated at construction; lookup, insert and
// invalidate never allocate.
//
// Key requirements: `bool operator==(const Key&, const Key&)` (cheap: a lookup compares up to
// every way of the set) and `std::uint64_t index() const`,
// the set selector. The set is index() mod sets (a mask when sets is a power of two, which is the
// usual hardware choice and the fast path). The key decides which bits select the set.
//
// Replacement: an invalid way of the set is used first (lowest way number); only a full set asks
// the policy for a victim.
//
// Layout: keys, valid flags and entries in three flat arrays (structure of arrays), so a lookup
// scans only the set's keys (for the IOTLB, 4 ways x 16 bytes = one cache line) and touches the
// entry only on a hit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "vtdsim/cache/replacement_policy.hpp"
#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::cache {

template <class Entry, class Key>
class SetAssocCache {
 public:
  struct InsertResult {
    Entry* entry = nullptr;  // the slot now holding the inserted entry
    bool updated = false;    // the key was present: its entry was overwritten in place
    bool evicted = false;    // a valid entry with another key was displaced
    Key evicted_key{};
    Entry evicted_entry{};
  };

  SetAssocCache(std::uint32_t entries, std::uint32_t ways,
                config::ReplacementPolicy policy = config::ReplacementPolicy::kLru, std::uint64_t seed = 1)
      : ways_(validated_ways(entries, ways)),
        sets_(entries / ways_),
        set_mask_((sets_ & (sets_ - 1)) == 0 ? sets_ - 1 : 0),
        pow2_sets_((sets_ & (sets_ - 1)) == 0),
        keys_(entries),
        valid_(entries, 0),
        entries_(entries),
        policy_(policy, sets_, ways_, seed) {}

  explicit SetAssocCache(const config::CacheGeometry& g) : SetAssocCache(g.entries, g.ways, g.policy, g.seed) {}

  std::uint32_t sets() const { return sets_; }
  std::uint32_t ways() const { return ways_; }
  std::uint32_t capacity() const { return sets_ * ways_; }
  std::size_t size() const { return valid_count_; }
  std::uint32_t set_of(const Key& key) const {
    const std::uint64_t i = key.index();
    if (__builtin_expect(pow2_sets_, 1)) return static_cast<std::uint32_t>(i & set_mask_);
    return static_cast<std::uint32_t>(i % sets_);
  }

  // Finds key; on a hit updates the replacement state and returns the entry (valid until the next
  // insert or invalidation), else nullptr.
  // Always inlined: it is the body of every cache probe on the translation hot path.
  [[gnu::always_inline]] inline Entry* lookup(const Key& key) {
    // The usual hardware way counts get a scan unrolled at compile time (measured about 2x
    // faster than the runtime-bounded loop in bench/translate_bench); others take the loop.
    // A chain of compares rather than a switch, which GCC turns into an indirect jump.
    if (ways_ == 4) return lookup_in<4>(key);
    if (ways_ == 16) return lookup_in<16>(key);
    if (ways_ == 8) return lookup_in<8>(key);
    if (ways_ == 1) return lookup_in<1>(key);
    if (ways_ == 2) return lookup_in<2>(key);
    return lookup_in<0>(key);
  }

  // Finds key without touching the replacement state.
  const Entry* peek(const Key& key) const {
    const std::size_t base = std::size_t{set_of(key)} * ways_;
    for (std::uint32_t w = 0; w < ways_; ++w) {
      if (valid_[base + w] && keys_[base + w] == key) return &entries_[base + w];
    }
    return nullptr;
  }

  // Inserts (or overwrites) key's entry. An existing key is updated in place and counts as a use.
  InsertResult insert(const Key& key, const Entry& entry) {
    InsertResult r;
    const std::uint32_t set = set_of(key);
    const std::size_t base = std::size_t{set} * ways_;
    std::uint32_t free_way = ways_;
    for (std::uint32_t w = 0; w < ways_; ++w) {
      if (!valid_[base + w]) {
        if (free_way == ways_) free_way = w;
      } else if (keys_[base + w] == key) {
        entries_[base + w] = entry;
        policy_.on_hit(set, w, base + w);
        r.entry = &entries_[base + w];
        r.updated = true;
        return r;
      }
    }
    std::uint32_t way = free_way;
    if (way == ways_) {
      way = policy_.victim(set);
      r.evicted = true;
      r.evicted_key = keys_[base + way];
      r.evicted_entry = entries_[base + way];
      policy_.on_invalidate(set, way);
    } else {
      ++valid_count_;
    }
    keys_[base + way] = key;
    entries_[base + way] = entry;
    valid_[base + way] = 1;
    policy_.on_insert(set, way);
    r.entry = &entries_[base + way];
    return r;
  }

  // Drops the entry of key; true when one was held.
  bool invalidate(const Key& key) {
    const std::uint32_t set = set_of(key);
    const std::size_t base = std::size_t{set} * ways_;
    for (std::uint32_t w = 0; w < ways_; ++w) {
      if (valid_[base + w] && keys_[base + w] == key) {
        drop(set, w);
        return true;
      }
    }
    return false;
  }

  // Drops every entry for which pred(key, entry) is true; returns how many were dropped.
  template <class Pred>
  std::size_t invalidate_if(Pred&& pred) {
    if (valid_count_ == 0) return 0;
    std::size_t dropped = 0;
    for (std::uint32_t set = 0; set < sets_; ++set) {
      const std::size_t base = std::size_t{set} * ways_;
      for (std::uint32_t w = 0; w < ways_; ++w) {
        if (valid_[base + w] &&
            pred(static_cast<const Key&>(keys_[base + w]), static_cast<const Entry&>(entries_[base + w]))) {
          drop(set, w);
          ++dropped;
        }
      }
    }
    return dropped;
  }

  std::size_t clear() {
    return invalidate_if([](const Key&, const Entry&) { return true; });
  }

  // Calls f(key, entry) for each valid entry, set by set, way by way.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (valid_[i]) f(keys_[i], entries_[i]);
    }
  }

 private:
  // Lookup for a set of kWays ways (0: ways_ at run time). Early exit on the first match: the
  // key is compared first, the valid flag only on a match (a stale key of an invalid way fails
  // there).
  template <std::uint32_t kWays>
  [[gnu::always_inline]] inline Entry* lookup_in(const Key& key) {
    const std::uint32_t ways = kWays != 0 ? kWays : ways_;
    const std::uint32_t set = set_of(key);
    const std::size_t base = std::size_t{set} * ways;
    const Key* k = keys_.data() + base;
    for (std::uint32_t w = 0; w < ways; ++w) {
      if (k[w] == key && valid_[base + w]) {
        policy_.on_hit(set, w, base + w);
        return &entries_[base + w];
      }
    }
    return nullptr;
  }

  static std::uint32_t validated_ways(std::uint32_t entries, std::uint32_t ways) {
    if (entries == 0) throw std::invalid_argument("cache geometry: entries must be > 0");
    if (entries > config::kMaxCacheEntries) {
      throw std::invalid_argument("cache geometry: entries (" + std::to_string(entries) + ") exceed the maximum of " +
                                  std::to_string(config::kMaxCacheEntries));
    }
    if (ways == 0) ways = entries;  // fully associative
    if (ways > entries) {
      throw std::invalid_argument("cache geometry: ways (" + std::to_string(ways) + ") exceed entries (" +
                                  std::to_string(entries) + ")");
    }
    if (entries % ways != 0) {
      throw std::invalid_argument("cache geometry: ways (" + std::to_string(ways) + ") must divide entries (" +
                                  std::to_string(entries) + ")");
    }
    return ways;
  }

  void drop(std::uint32_t set, std::uint32_t way) {
    valid_[std::size_t{set} * ways_ + way] = 0;
    policy_.on_invalidate(set, way);
    --valid_count_;
  }

  std::uint32_t ways_;
  std::uint32_t sets_;
  std::uint64_t set_mask_;
  bool pow2_sets_;
  std::vector<Key> keys_;
  std::vector<std::uint8_t> valid_;
  std::vector<Entry> entries_;
  ReplacementPolicy policy_;
  std::size_t valid_count_ = 0;
};

}  // namespace vtdsim::cache
