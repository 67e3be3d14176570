// LruStackProfiler against known answers and against a naive list-based LRU cache per size.
#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <random>

#include "vtdsim/study/lru_stack_profiler.hpp"

namespace vtdsim::study {
namespace {

IotlbPageKey page(std::uint64_t n, std::uint16_t domain = 1, std::uint8_t shift = 12) {
  return IotlbPageKey{n << shift, Pasid::kNone, domain, shift};
}

TEST(LruStackProfiler, KnownDistances) {
  LruStackProfiler p(8);
  // A B C A B D A : distances 0 0 0 3 3 0 3
  EXPECT_EQ(p.access(page(1)), 0u);
  EXPECT_EQ(p.access(page(2)), 0u);
  EXPECT_EQ(p.access(page(3)), 0u);
  EXPECT_EQ(p.access(page(1)), 3u);
  EXPECT_EQ(p.access(page(2)), 3u);
  EXPECT_EQ(p.access(page(4)), 0u);
  EXPECT_EQ(p.access(page(1)), 3u);
  EXPECT_EQ(p.access(page(1)), 1u);
  EXPECT_EQ(p.hits_at(1), 1u);
  EXPECT_EQ(p.hits_at(2), 1u);
  EXPECT_EQ(p.hits_at(3), 4u);
  EXPECT_EQ(p.hits_at(8), 4u);
  EXPECT_EQ(p.cold_misses(), 4u);
  EXPECT_EQ(p.accesses(), 8u);
}

TEST(LruStackProfiler, InvalidationMakesNextAccessCold) {
  LruStackProfiler p(8);
  p.access(page(1, 1));
  p.access(page(2, 1));
  p.access(page(3, 2));
  core::InvalidationRequest r;
  r.target = core::InvalidationTarget::kIotlb;
  r.granularity = core::InvalidationGranularity::kPage;
  r.domain = DomainId(1);
  r.addr = Iova(2ull << 12);
  EXPECT_EQ(p.invalidate(r), 1u);  // only page 2 of domain 1
  EXPECT_EQ(p.access(page(2, 1)), 0u);
  EXPECT_EQ(p.access(page(1, 1)), 3u);  // 3 (domain 2) and 2 used since
  r.granularity = core::InvalidationGranularity::kDomain;
  EXPECT_EQ(p.invalidate(r), 2u);
  EXPECT_EQ(p.access(page(3, 2)), 3u);  // 1 and 2 were used since: their slots are free, not refilled
  EXPECT_EQ(p.live_keys(), 1u);
}

TEST(LruStackProfiler, PageInvalidationCoversSuperpages) {
  LruStackProfiler p(8);
  p.access(page(1, 1, 21));  // 2 MiB page at 2 MiB
  p.access(page(1, 1, 30));  // 1 GiB page at 1 GiB
  core::InvalidationRequest r;
  r.granularity = core::InvalidationGranularity::kPage;
  r.domain = DomainId(1);
  r.addr = Iova((2ull << 20) + (5ull << 12));  // a 4K page inside the 2 MiB page
  EXPECT_EQ(p.invalidate(r), 1u);
  r.addr = Iova((1ull << 30) + (7ull << 21));  // inside the 1 GiB page
  EXPECT_EQ(p.invalidate(r), 1u);
  EXPECT_EQ(p.live_keys(), 0u);
}

// Reference: a list-based fully associative LRU cache of one size.
struct NaiveLru {
  std::size_t size;
  std::list<IotlbPageKey> keys;  // front = MRU
  std::uint64_t hits = 0;
  void access(const IotlbPageKey& k, bool fill = true) {
    auto it = std::find(keys.begin(), keys.end(), k);
    if (it != keys.end()) {
      ++hits;
      keys.erase(it);
    } else if (!fill) {
      return;
    } else if (keys.size() == size) {
      keys.pop_back();
    }
    keys.push_front(k);
  }
  void invalidate_domain(std::uint16_t d) {
    keys.remove_if([d](const IotlbPageKey& k) { return k.domain == d; });
  }
  void invalidate_key(const IotlbPageKey& key) {
    keys.remove_if([&](const IotlbPageKey& k) { return k == key; });
  }
};

TEST(LruStackProfiler, MatchesNaiveLruAtEverySizeWithCompaction) {
  constexpr std::uint32_t kMax = 40;
  LruStackProfiler p(kMax);
  std::vector<NaiveLru> caches;
  for (std::uint32_t n = 1; n <= kMax; ++n) caches.push_back(NaiveLru{n, {}, 0});
  std::mt19937 rng(7);
  // 200k accesses over ~60 keys: the stamp tree is compacted many times.
  for (int i = 0; i < 200000; ++i) {
    if (rng() % 500 == 0) {
      const auto d = static_cast<std::uint16_t>(rng() % 3);
      core::InvalidationRequest r;
      r.granularity = core::InvalidationGranularity::kDomain;
      r.domain = DomainId(d);
      p.invalidate(r);
      for (auto& c : caches) c.invalidate_domain(d);
      continue;
    }
    // Skewed: small hot set plus a wider cold set.
    const std::uint64_t n = (rng() % 4 == 0) ? rng() % 60 : rng() % 12;
    const auto k = page(n, static_cast<std::uint16_t>(n % 3));
    p.access(k);
    for (auto& c : caches) c.access(k);
  }
  const auto curve = p.hit_curve();
  for (std::uint32_t n = 1; n <= kMax; ++n) {
    EXPECT_EQ(p.hits_at(n), caches[n - 1].hits) << "size " << n;
    EXPECT_EQ(curve[n - 1], caches[n - 1].hits) << "size " << n;
  }
  EXPECT_LE(p.stamp_capacity(), 1025u);  // bounded by live keys, not by 200k accesses
}

// Page invalidations of single keys, and keys whose lookups never fill (faulting translations).
TEST(LruStackProfiler, MatchesNaiveLruWithPageInvalidationsAndFaults) {
  constexpr std::uint32_t kMax = 24;
  LruStackProfiler p(kMax);
  std::vector<NaiveLru> caches;
  for (std::uint32_t n = 1; n <= kMax; ++n) caches.push_back(NaiveLru{n, {}, 0});
  std::mt19937 rng(11);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t n = (rng() % 3 == 0) ? rng() % 80 : rng() % 16;
    const auto k = page(n, 1);
    if (rng() % 10 == 0) {  // strict-mode unmap: invalidate the page
      core::InvalidationRequest r;
      r.granularity = core::InvalidationGranularity::kPage;
      r.domain = DomainId(1);
      r.addr = Iova(k.iova_base);
      p.invalidate(r);
      for (auto& c : caches) c.invalidate_key(k);
      continue;
    }
    const bool fill = n % 13 != 5;  // these pages always fault
    p.access(k, fill);
    for (auto& c : caches) c.access(k, fill);
  }
  for (std::uint32_t n = 1; n <= kMax; ++n) EXPECT_EQ(p.hits_at(n), caches[n - 1].hits) << "size " << n;
  EXPECT_LE(p.holes(), kMax + 1024u);
}

}  // namespace
}  // namespace vtdsim::study
