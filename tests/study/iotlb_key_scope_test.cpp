// Which IOTLB tags one invalidation drops in the one-pass profilers (study::reaches over
// cache::IotlbInvalidationScope), as the shared and per-size IOTLB drops them (spec 6.5.1.2,
// 6.5.2.3, 6.5.2.4).
#include <gtest/gtest.h>

#include "vtdsim/study/lru_stack_profiler.hpp"

namespace vtdsim::study {
namespace {

using G = core::InvalidationGranularity;
using T = core::InvalidationTarget;

core::InvalidationRequest request(T target, G g, std::uint16_t domain, std::uint32_t pasid = 0, std::uint64_t addr = 0,
                                  std::uint8_t am = 0) {
  core::InvalidationRequest r;
  r.target = target;
  r.granularity = g;
  r.domain = DomainId(domain);
  r.pasid = Pasid(pasid);
  r.addr = Iova(addr);
  r.address_mask = am;
  return r;
}

// The scope of one request, asked per profiler key.
struct KeyScope {
  cache::IotlbInvalidationScope scope;
  explicit KeyScope(const core::InvalidationRequest& r) : scope(cache::IotlbInvalidationScope::of(r)) {}
  bool matches(const IotlbPageKey& k) const { return reaches(scope, k); }
};

IotlbPageKey key(std::uint64_t base, std::uint16_t domain, std::uint32_t pasid = Pasid::kNone,
                 std::uint8_t shift = 12) {
  return IotlbPageKey{base, pasid, domain, shift};
}

TEST(StudyIotlbKeyScope, GlobalDomainAndOtherTargets) {
  EXPECT_TRUE(KeyScope(request(T::kIotlb, G::kGlobal, 0)).matches(key(0x1000, 9)));
  const KeyScope domain(request(T::kIotlb, G::kDomain, 3));
  EXPECT_TRUE(domain.matches(key(0x1000, 3, 7)));  // every PASID of the domain
  EXPECT_FALSE(domain.matches(key(0x1000, 4)));
  // Device granularity is not defined for the IOTLB: taken as the domain.
  EXPECT_TRUE(KeyScope(request(T::kIotlb, G::kDevice, 3)).matches(key(0x5000, 3)));
  for (T t : {T::kContextCache, T::kPasidCache, T::kDeviceTlb, T::kInterruptEntry}) {
    const KeyScope s(request(t, G::kGlobal, 0));
    EXPECT_FALSE(s.scope.reaches_anything());
    EXPECT_FALSE(s.matches(key(0x1000, 0)));
  }
}

TEST(StudyIotlbKeyScope, PageRangeAlignedAndSuperpageOverlap) {
  // AM = 2: 4 pages, the address aligned down to 16 KiB: [0x10000, 0x14000).
  const KeyScope s(request(T::kIotlb, G::kPage, 1, 0, 0x12345, 2));
  EXPECT_EQ(s.scope.range_base(), 0x10000u);
  EXPECT_EQ(s.scope.range_length(), 0x4000u);
  EXPECT_TRUE(s.matches(key(0x10000, 1)));
  EXPECT_TRUE(s.matches(key(0x13000, 1)));
  EXPECT_FALSE(s.matches(key(0x14000, 1)));
  EXPECT_FALSE(s.matches(key(0x0f000, 1)));
  EXPECT_FALSE(s.matches(key(0x10000, 2)));
  EXPECT_TRUE(s.matches(key(0, 1, Pasid::kNone, 21)));  // the 2 MiB page [0, 2M) covers the range
  EXPECT_FALSE(s.matches(key(0x200000, 1, Pasid::kNone, 21)));
}

TEST(StudyIotlbKeyScope, PasidBasedComparesThePasid) {
  const KeyScope pasid(request(T::kPasidIotlb, G::kPasid, 1, 5));
  EXPECT_TRUE(pasid.matches(key(0x1000, 1, 5)));
  EXPECT_FALSE(pasid.matches(key(0x1000, 1, 6)));
  const KeyScope page(request(T::kPasidIotlb, G::kPage, 1, 5, 0x3000));
  EXPECT_TRUE(page.matches(key(0x3000, 1, 5)));
  EXPECT_FALSE(page.matches(key(0x3000, 1, 6)));
  // A legacy IOTLB invalidation with PASID granularity is taken as domain-selective.
  EXPECT_TRUE(KeyScope(request(T::kIotlb, G::kPasid, 1, 5)).matches(key(0x1000, 1, 6)));
  // PASID-based domain-selective: every PASID of the domain.
  EXPECT_TRUE(KeyScope(request(T::kPasidIotlb, G::kDomain, 1, 5)).matches(key(0x1000, 1, 6)));
}

}  // namespace
}  // namespace vtdsim::study
