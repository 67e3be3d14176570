// SetAssocStackProfiler against hand-computed answers and against a naive list-based LRU cache of
// S sets per associativity (set = page number at the entry's size mod S).
#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <random>

#include "vtdsim/study/set_assoc_stack_profiler.hpp"

namespace vtdsim::study {
namespace {

IotlbPageKey page(std::uint64_t n, std::uint16_t domain = 1, std::uint8_t shift = 12) {
  return IotlbPageKey{n << shift, Pasid::kNone, domain, shift};
}

core::InvalidationRequest page_invalidation(std::uint16_t domain, std::uint64_t addr, std::uint8_t am = 0) {
  core::InvalidationRequest r;
  r.target = core::InvalidationTarget::kIotlb;
  r.granularity = core::InvalidationGranularity::kPage;
  r.domain = DomainId(domain);
  r.addr = Iova(addr);
  r.address_mask = am;
  return r;
}

TEST(SetAssocStackProfiler, KnownPositionsPerSet) {
  SetAssocStackProfiler p(2, 4);
  // Pages 0 2 4 0 1 3 0 2 with 2 sets: set 0 sees 0 2 4 0 0 2, set 1 sees 1 3.
  EXPECT_EQ(p.access(page(0)), 0u);
  EXPECT_EQ(p.access(page(2)), 0u);
  EXPECT_EQ(p.access(page(4)), 0u);
  EXPECT_EQ(p.access(page(0)), 3u);  // set 0 stack 4 2 0
  EXPECT_EQ(p.access(page(1)), 0u);
  EXPECT_EQ(p.access(page(3)), 0u);
  EXPECT_EQ(p.access(page(0)), 1u);  // set 1's pages do not push it down
  EXPECT_EQ(p.access(page(2)), 3u);  // set 0 stack 0 4 2
  // 1 way: only the repeated 0 hits; 2 ways: the same (2 sets x 2 ways still evicts 0 and 2);
  // 3 ways: 0, 0 and 2 hit.
  EXPECT_EQ(p.hits_at(1), 1u);
  EXPECT_EQ(p.hits_at(2), 1u);
  EXPECT_EQ(p.hits_at(3), 3u);
  EXPECT_EQ(p.hits_at(4), 3u);
  EXPECT_EQ(p.hit_curve(), (std::vector<std::uint64_t>{1, 1, 3, 3}));
  EXPECT_EQ(p.live_keys(), 5u);
}

TEST(SetAssocStackProfiler, SuperpagesIndexByTheirOwnPageNumber) {
  SetAssocStackProfiler p(4, 2);
  // 2 MiB page number 1 and 4 KiB page number 1 share set 1; 4 KiB page 512 (inside the 2 MiB
  // page's range) is in set 0.
  EXPECT_EQ(p.set_of(page(1, 1, 21)), 1u);
  EXPECT_EQ(p.set_of(page(1, 1, 12)), 1u);
  EXPECT_EQ(p.set_of(page(512, 1, 12)), 0u);
  EXPECT_EQ(p.set_of(page(5, 1, 30)), 1u);
  SetAssocStackProfiler q(3, 2);  // not a power of two: modulo
  EXPECT_EQ(q.set_of(page(7, 1, 12)), 1u);
}

TEST(SetAssocStackProfiler, InvalidationLeavesAHoleInItsSet) {
  SetAssocStackProfiler p(2, 4);
  p.access(page(4));
  p.access(page(0));
  p.access(page(2));                                     // set 0 stack 2 0 4
  EXPECT_EQ(p.invalidate(page_invalidation(1, 0)), 1u);  // page 0: stack 2 _ 4
  EXPECT_EQ(p.live_keys(), 2u);
  // 4 at position 3: 3 ways hit; 2 ways held only 2 and a free way: miss, fill the free way;
  // 1 way held 2: miss, evict. Stack 4 2 (the hole moved to 4's old slot, the bottom).
  EXPECT_EQ(p.access(page(4)), 3u);
  EXPECT_EQ(p.access(page(2)), 2u);
  EXPECT_EQ(p.access(page(0)), 0u);  // invalidated: cold at every associativity
  EXPECT_EQ(p.hits_at(1), 0u);
  EXPECT_EQ(p.hits_at(2), 1u);
  EXPECT_EQ(p.hits_at(3), 2u);
  // Other domains, other targets and the other set are left alone.
  EXPECT_EQ(p.invalidate(page_invalidation(2, 2ull << 12)), 0u);
  core::InvalidationRequest cc;
  cc.target = core::InvalidationTarget::kContextCache;
  EXPECT_EQ(p.invalidate(cc), 0u);
  core::InvalidationRequest global;
  EXPECT_EQ(p.invalidate(global), 3u);
  EXPECT_EQ(p.live_keys(), 0u);
}

TEST(SetAssocStackProfiler, DeeperThanMaxWaysIsAMiss) {
  SetAssocStackProfiler p(1, 2);
  p.access(page(1));
  p.access(page(2));
  p.access(page(3));                 // 1 falls out of 2 ways
  EXPECT_EQ(p.access(page(1)), 0u);  // miss at 1 and 2 ways
  EXPECT_EQ(p.access(page(3)), 2u);
  EXPECT_EQ(p.live_keys(), 2u);
}

TEST(SetAssocStackProfiler, RejectsEmptyGeometry) {
  EXPECT_THROW(SetAssocStackProfiler(0, 4), std::invalid_argument);
  EXPECT_THROW(SetAssocStackProfiler(4, 0), std::invalid_argument);
  EXPECT_THROW(SetAssocStackProfiler(1u << 20, 1u << 10), std::invalid_argument);
}

// Reference: S list-based LRU sets of one associativity.
struct NaiveSetLru {
  std::uint32_t sets, ways;
  std::vector<std::list<IotlbPageKey>> set;  // front = MRU
  std::uint64_t hits = 0;
  NaiveSetLru(std::uint32_t s, std::uint32_t w) : sets(s), ways(w), set(s) {}
  std::list<IotlbPageKey>& of(const IotlbPageKey& k) { return set[(k.iova_base >> k.shift) % sets]; }
  void access(const IotlbPageKey& k, bool fill) {
    auto& keys = of(k);
    auto it = std::find(keys.begin(), keys.end(), k);
    if (it != keys.end()) {
      ++hits;
      keys.erase(it);
    } else if (!fill) {
      return;
    } else if (keys.size() == ways) {
      keys.pop_back();
    }
    keys.push_front(k);
  }
  template <class Pred>
  void drop_if(Pred pred) {
    for (auto& keys : set) keys.remove_if(pred);
  }
};

void check_against_naive(std::uint32_t sets, std::uint32_t max_ways, std::uint32_t seed) {
  SetAssocStackProfiler p(sets, max_ways);
  std::vector<NaiveSetLru> caches;
  for (std::uint32_t w = 1; w <= max_ways; ++w) caches.emplace_back(sets, w);
  std::mt19937 rng(seed);
  for (int i = 0; i < 60000; ++i) {
    const unsigned r = rng() % 1000;
    if (r < 40) {  // page-selective, sometimes with a mask (2^am pages), sometimes superpage-sized
      const std::uint16_t d = static_cast<std::uint16_t>(1 + rng() % 2);
      const std::uint8_t am = static_cast<std::uint8_t>((rng() % 4 == 0) ? rng() % 10 : 0);
      const std::uint64_t addr = (rng() % 200) << 12;
      const auto req = page_invalidation(d, addr, am);
      const std::uint64_t len = 1ull << (12 + am), base = addr & ~(len - 1);
      p.invalidate(req);
      for (auto& c : caches)
        c.drop_if([&](const IotlbPageKey& k) {
          const std::uint64_t size = 1ull << k.shift;
          return k.domain == d && k.iova_base <= base + len - 1 && base <= k.iova_base + size - 1;
        });
      continue;
    }
    if (r < 43) {  // domain-selective
      core::InvalidationRequest req;
      req.granularity = core::InvalidationGranularity::kDomain;
      req.domain = DomainId(static_cast<std::uint16_t>(1 + rng() % 2));
      p.invalidate(req);
      for (auto& c : caches) c.drop_if([&](const IotlbPageKey& k) { return k.domain == req.domain.value; });
      continue;
    }
    // Domain 1: 4 KiB pages, skewed; domain 2: 2 MiB pages over the same addresses.
    IotlbPageKey k;
    if (rng() % 5 == 0) {
      k = page(rng() % 6, 2, 21);
    } else {
      const std::uint64_t n = (rng() % 4 == 0) ? rng() % 200 : rng() % (4 * sets);
      k = page(n, 1, 12);
    }
    const bool fill = (k.iova_base >> 12) % 17 != 3;  // these pages always fault
    p.access(k, fill);
    for (auto& c : caches) c.access(k, fill);
  }
  for (std::uint32_t w = 1; w <= max_ways; ++w)
    EXPECT_EQ(p.hits_at(w), caches[w - 1].hits) << sets << " sets, " << w << " ways";
}

TEST(SetAssocStackProfiler, MatchesNaiveSetLruAtEveryAssociativity) {
  check_against_naive(1, 24, 3);
  check_against_naive(8, 12, 5);
  check_against_naive(6, 8, 9);  // modulo, not a mask
  check_against_naive(64, 4, 13);
}

}  // namespace
}  // namespace vtdsim::study
