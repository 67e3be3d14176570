// SetAssocCache and the replacement policies: exact hit/miss sequences and eviction order.
#include "vtdsim/cache/set_assoc_cache.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace {

using vtdsim::cache::SetAssocCache;
using vtdsim::config::ReplacementPolicy;

struct Key {
  std::uint64_t k = 0;
  std::uint64_t index() const { return k; }
  friend bool operator==(const Key& a, const Key& b) { return a.k == b.k; }
};
using Cache = SetAssocCache<int, Key>;

// Inserts key (value = key) and returns the evicted key, or -1 if nothing was evicted.
long fill(Cache& c, std::uint64_t k) {
  auto r = c.insert(Key{k}, static_cast<int>(k));
  return r.evicted ? static_cast<long>(r.evicted_key.k) : -1;
}
bool hit(Cache& c, std::uint64_t k) { return c.lookup(Key{k}) != nullptr; }

TEST(CacheSetAssoc, LruEvictsLeastRecentlyUsed) {
  Cache c(4, 4, ReplacementPolicy::kLru);
  for (std::uint64_t k : {10, 11, 12, 13}) EXPECT_EQ(fill(c, k), -1);
  EXPECT_EQ(c.size(), 4u);
  EXPECT_TRUE(hit(c, 10));
  EXPECT_EQ(fill(c, 14), 11);  // 10 was refreshed
  EXPECT_TRUE(hit(c, 12));
  EXPECT_EQ(fill(c, 15), 13);
  EXPECT_EQ(fill(c, 16), 10);
  EXPECT_FALSE(hit(c, 11));
  EXPECT_FALSE(hit(c, 13));
  EXPECT_TRUE(hit(c, 12));
  EXPECT_TRUE(hit(c, 14));
}

TEST(CacheSetAssoc, FifoIgnoresHits) {
  Cache c(4, 0, ReplacementPolicy::kFifo);  // ways 0 = fully associative
  EXPECT_EQ(c.sets(), 1u);
  for (std::uint64_t k : {10, 11, 12, 13}) fill(c, k);
  EXPECT_TRUE(hit(c, 10));
  EXPECT_EQ(fill(c, 14), 10);
  EXPECT_EQ(fill(c, 15), 11);
  EXPECT_TRUE(hit(c, 12));
  EXPECT_EQ(fill(c, 16), 12);
}

TEST(CacheSetAssoc, TreePlruFollowsTreeBits) {
  Cache c(4, 4, ReplacementPolicy::kPlru);
  for (std::uint64_t k : {10, 11, 12, 13}) fill(c, k);  // ways 0..3 in order
  // Tree after touching 0,1,2,3: root points left, left node points at way 0.
  EXPECT_TRUE(hit(c, 10));     // root now points right, right node points at way 2
  EXPECT_EQ(fill(c, 14), 12);  // LRU would evict 11 here
  EXPECT_EQ(fill(c, 15), 11);  // root back to left, left node points at way 1
  EXPECT_EQ(fill(c, 16), 13);
  EXPECT_TRUE(hit(c, 10));
  EXPECT_TRUE(hit(c, 14));
  EXPECT_TRUE(hit(c, 15));
  EXPECT_TRUE(hit(c, 16));
}

TEST(CacheSetAssoc, TreePlruTwoWaysIsLru) {
  Cache c(2, 2, ReplacementPolicy::kPlru);
  fill(c, 1);
  fill(c, 2);
  EXPECT_TRUE(hit(c, 1));
  EXPECT_EQ(fill(c, 3), 2);
  EXPECT_EQ(fill(c, 4), 1);
}

std::vector<long> random_evictions(std::uint64_t seed) {
  Cache c(8, 8, ReplacementPolicy::kRandom, seed);
  std::vector<long> out;
  for (std::uint64_t k = 0; k < 200; ++k) {
    const long v = fill(c, k);
    if (v >= 0) out.push_back(v);
  }
  return out;
}

TEST(CacheSetAssoc, RandomIsReproducibleWithSeed) {
  const auto a = random_evictions(7), b = random_evictions(7), d = random_evictions(8);
  EXPECT_EQ(a.size(), 192u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, d);
}

TEST(CacheSetAssoc, DirectMappedConflicts) {
  Cache c(4, 1);
  EXPECT_EQ(c.sets(), 4u);
  fill(c, 0);
  fill(c, 1);
  EXPECT_EQ(fill(c, 4), 0);  // same set as 0
  EXPECT_TRUE(hit(c, 1));
  EXPECT_FALSE(hit(c, 0));
  EXPECT_TRUE(hit(c, 4));
}

TEST(CacheSetAssoc, TwoWaySetsAreIndependent) {
  Cache c(8, 2);
  EXPECT_EQ(c.sets(), 4u);
  fill(c, 0);
  fill(c, 4);
  fill(c, 1);  // set 1
  EXPECT_TRUE(hit(c, 0));
  EXPECT_EQ(fill(c, 8), 4);  // set 0 is full; 4 is its LRU way
  EXPECT_TRUE(hit(c, 1));
  EXPECT_EQ(c.size(), 3u);
}

TEST(CacheSetAssoc, NonPowerOfTwoSetsUseModulo) {
  Cache c(12, 4);
  EXPECT_EQ(c.sets(), 3u);
  EXPECT_EQ(c.set_of(Key{3}), 0u);
  EXPECT_EQ(c.set_of(Key{5}), 2u);
}

TEST(CacheSetAssoc, UpdateInPlaceAndInvalidate) {
  Cache c(4, 4);
  fill(c, 1);
  auto r = c.insert(Key{1}, 99);
  EXPECT_TRUE(r.updated);
  EXPECT_FALSE(r.evicted);
  EXPECT_EQ(*c.lookup(Key{1}), 99);
  for (std::uint64_t k : {2, 3, 4}) fill(c, k);
  EXPECT_EQ(c.invalidate_if([](const Key& k, const int&) { return k.k % 2 == 0; }), 2u);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_TRUE(c.invalidate(Key{3}));
  EXPECT_FALSE(c.invalidate(Key{3}));
  // Invalid ways are reused before any eviction.
  EXPECT_EQ(fill(c, 5), -1);
  EXPECT_EQ(fill(c, 6), -1);
  EXPECT_EQ(fill(c, 7), -1);
  EXPECT_EQ(c.size(), 4u);
  EXPECT_EQ(c.clear(), 4u);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.peek(Key{1}), nullptr);
}

TEST(CacheSetAssoc, GeometryIsValidated) {
  EXPECT_THROW(Cache(0, 1), std::invalid_argument);
  EXPECT_THROW(Cache(8, 3), std::invalid_argument);
  EXPECT_THROW(Cache(4, 8), std::invalid_argument);
  EXPECT_THROW(Cache(vtdsim::config::kMaxCacheEntries + 1, 1), std::invalid_argument);  // allocated up front
  EXPECT_THROW(Cache(6, 3, ReplacementPolicy::kPlru), std::invalid_argument);
  EXPECT_NO_THROW(Cache(6, 3, ReplacementPolicy::kLru));
  try {
    Cache(8, 3);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("must divide entries"), std::string::npos);
  }
}

}  // namespace
