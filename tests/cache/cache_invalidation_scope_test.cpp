// The spec 6.5 invalidation scopes on their own (cache/invalidation_scope.hpp): which tags and
// ranges each granularity reaches, with hand-computed ranges.
#include "vtdsim/cache/invalidation_scope.hpp"

#include <gtest/gtest.h>

namespace {

using namespace vtdsim;
using cache::ContextCacheEntry;
using cache::ContextInvalidationScope;
using cache::IotlbInvalidationScope;
using core::InvalidationGranularity;
using core::InvalidationRequest;
using core::InvalidationTarget;

InvalidationRequest request(InvalidationTarget t, InvalidationGranularity g, std::uint16_t domain = 5) {
  InvalidationRequest r;
  r.target = t;
  r.granularity = g;
  r.domain = DomainId(domain);
  return r;
}

TEST(CacheInvalidationScope, PageRangeIsAlignedDownToItsSize) {
  // AM = 2: four 4K pages; 0x1234_5678 aligned down to 16 KiB is 0x1234_4000.
  InvalidationRequest r = request(InvalidationTarget::kIotlb, InvalidationGranularity::kPage);
  r.addr = Iova(0x12345678);
  r.address_mask = 2;
  const auto s = IotlbInvalidationScope::of(r);
  ASSERT_TRUE(s.is_page_range());
  EXPECT_EQ(s.range_base(), 0x12344000u);
  EXPECT_EQ(s.range_length(), 0x4000u);
  EXPECT_TRUE(s.covers_page(5, Pasid::kNone, 0x12344000, 0x1000));
  EXPECT_TRUE(s.covers_page(5, Pasid::kNone, 0x12347000, 0x1000));
  EXPECT_FALSE(s.covers_page(5, Pasid::kNone, 0x12348000, 0x1000));   // just past the range
  EXPECT_FALSE(s.covers_page(5, Pasid::kNone, 0x12343000, 0x1000));   // just before it
  EXPECT_TRUE(s.covers_page(5, Pasid::kNone, 0x12200000, 0x200000));  // the 2M page holding it
  EXPECT_FALSE(s.covers_page(6, Pasid::kNone, 0x12344000, 0x1000));   // another domain
  // A legacy invalidation does not compare the PASID.
  EXPECT_TRUE(s.covers_page(5, 7, 0x12344000, 0x1000));
}

TEST(CacheInvalidationScope, HintKeepsPagingStructuresOfPageRangesOnly) {
  InvalidationRequest r = request(InvalidationTarget::kIotlb, InvalidationGranularity::kPage);
  r.addr = Iova(0x200000);
  r.invalidation_hint = true;
  const auto page = IotlbInvalidationScope::of(r);
  EXPECT_TRUE(page.covers_page(5, 0, 0x200000, 0x1000));
  EXPECT_FALSE(page.covers_paging_structure(5, 0, 0x200000, 0x200000));
  r.invalidation_hint = false;
  EXPECT_TRUE(IotlbInvalidationScope::of(r).covers_paging_structure(5, 0, 0x200000, 0x200000));
  // IH means nothing for a domain-selective invalidation: the paging structures go too.
  InvalidationRequest d = request(InvalidationTarget::kIotlb, InvalidationGranularity::kDomain);
  d.invalidation_hint = true;
  EXPECT_TRUE(IotlbInvalidationScope::of(d).covers_paging_structure(5, 0, 0x200000, 0x200000));
}

TEST(CacheInvalidationScope, PasidBasedComparesThePasidExceptDomainWide) {
  InvalidationRequest r = request(InvalidationTarget::kPasidIotlb, InvalidationGranularity::kPasid);
  r.pasid = Pasid(9);
  const auto s = IotlbInvalidationScope::of(r);
  EXPECT_TRUE(s.compares_pasid());
  EXPECT_TRUE(s.covers_page(5, 9, 0, 0x1000));
  EXPECT_FALSE(s.covers_page(5, 8, 0, 0x1000));
  // A PASID-selective granularity in a legacy IOTLB invalidation is domain-selective.
  InvalidationRequest legacy = request(InvalidationTarget::kIotlb, InvalidationGranularity::kPasid);
  legacy.pasid = Pasid(9);
  EXPECT_TRUE(IotlbInvalidationScope::of(legacy).covers_page(5, 8, 0, 0x1000));
  // The device-selective granularity does not exist for the IOTLB: domain-selective.
  EXPECT_TRUE(IotlbInvalidationScope::of(request(InvalidationTarget::kIotlb, InvalidationGranularity::kDevice))
                  .covers_page(5, 1, 0x7000, 0x1000));
}

TEST(CacheInvalidationScope, OtherTargetsReachNoIotlbEntry) {
  for (auto t : {InvalidationTarget::kContextCache, InvalidationTarget::kPasidCache, InvalidationTarget::kDeviceTlb,
                 InvalidationTarget::kInterruptEntry}) {
    const auto s = IotlbInvalidationScope::of(request(t, InvalidationGranularity::kGlobal));
    EXPECT_FALSE(s.reaches_anything());
    EXPECT_FALSE(s.covers_page(5, 0, 0, 0x1000));
  }
  EXPECT_FALSE(ContextInvalidationScope::of(request(InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal))
                   .reaches_anything());
}

TEST(CacheInvalidationScope, ContextDeviceSelectiveMasksFunctionBits) {
  // FM = 2 masks function bits 2:1: 00:03.0 reaches 00:03.0, .2, .4 and .6 (bit 0 still compared),
  // not 00:03.1 or 00:04.0.
  InvalidationRequest r = request(InvalidationTarget::kContextCache, InvalidationGranularity::kDevice);
  r.source = SourceId::from_bdf(0, 3, 0);
  r.function_mask = 2;
  const auto s = ContextInvalidationScope::of(r);
  ContextCacheEntry e;
  for (unsigned f : {0u, 2u, 4u, 6u}) {
    e.source = SourceId::from_bdf(0, 3, f);
    EXPECT_TRUE(s.covers(e)) << f;
  }
  e.source = SourceId::from_bdf(0, 3, 1);
  EXPECT_FALSE(s.covers(e));
  e.source = SourceId::from_bdf(0, 4, 0);
  EXPECT_FALSE(s.covers(e));
}

TEST(CacheInvalidationScope, PasidCacheSelectiveMatchesEntryOrTagPasid) {
  InvalidationRequest r = request(InvalidationTarget::kPasidCache, InvalidationGranularity::kPasid);
  r.pasid = Pasid(0);
  const auto s = ContextInvalidationScope::of(r);
  ContextCacheEntry rid_pasid;  // a request without PASID, resolved through RID_PASID 0
  rid_pasid.domain = DomainId(5);
  rid_pasid.tag_pasid = Pasid(0);
  EXPECT_TRUE(s.covers(rid_pasid));
  rid_pasid.domain = DomainId(6);
  EXPECT_FALSE(s.covers(rid_pasid));
  ContextCacheEntry other;
  other.domain = DomainId(5);
  other.pasid = Pasid(3);
  other.tag_pasid = Pasid(3);
  EXPECT_FALSE(s.covers(other));
}

}  // namespace
