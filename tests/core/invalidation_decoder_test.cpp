// Descriptor -> InvalidationRequest decoding (VT-d spec 6.5.2.1-6.5.2.8, Table 23).
#include <gtest/gtest.h>

#include "vtdsim/cache/device_tlb.hpp"
#include "vtdsim/core/invalidation_decoder.hpp"
#include "vtdsim/spec/registers.hpp"

namespace {

using namespace vtdsim;
namespace q = vtdsim::spec::qi;
namespace r = vtdsim::spec::reg;
using core::DescriptorKind;
using core::InvalidationGranularity;
using core::InvalidationTarget;

core::DecodedDescriptor decode(const q::Descriptor& d, bool scalable = true, bool wide = true) {
  config::CapabilityConfig cap;
  cap.nd = 6;
  return core::decode_descriptor(d, cap, scalable, wide);
}

TEST(InvalidationDecoder, TypeField) {
  EXPECT_EQ(q::type(0x5), 5u);
  EXPECT_EQ(q::type(0x1 | (0x3ull << 9)), 0x31u);
  EXPECT_EQ(q::type(q::type_bits(q::Type::kPageGroupResponse)), 9u);
}

TEST(InvalidationDecoder, ContextCache) {
  auto d = decode(q::make_cc(q::cc::kDevice, 0x42, 0x0a10, 3), false, false);
  ASSERT_EQ(d.kind, DescriptorKind::kInvalidate);
  EXPECT_EQ(d.request.target, InvalidationTarget::kContextCache);
  EXPECT_EQ(d.request.granularity, InvalidationGranularity::kDevice);
  EXPECT_EQ(d.request.domain, DomainId(0x42));
  EXPECT_EQ(d.request.source, SourceId(0x0a10));
  EXPECT_EQ(d.request.function_mask, 3u);
}

TEST(InvalidationDecoder, Iotlb) {
  auto d = decode(q::make_iotlb(q::iotlb::kPage, 0x1234, 0xdead'b000, 3, true, true, false), false, false);
  ASSERT_EQ(d.kind, DescriptorKind::kInvalidate);
  EXPECT_EQ(d.request.target, InvalidationTarget::kIotlb);
  EXPECT_EQ(d.request.granularity, InvalidationGranularity::kPage);
  EXPECT_EQ(d.request.domain, DomainId(0x1234));
  EXPECT_EQ(d.request.addr, Iova(0xdead'8000));  // aligned to 8 pages
  EXPECT_EQ(d.request.address_mask, 3u);
  EXPECT_TRUE(d.request.invalidation_hint);
  EXPECT_TRUE(d.request.drain_reads);
  EXPECT_FALSE(d.request.drain_writes);
  auto g = decode(q::make_iotlb(q::iotlb::kGlobal, 7), false, false);
  EXPECT_EQ(g.request.granularity, InvalidationGranularity::kGlobal);
  EXPECT_EQ(g.request.domain, DomainId(0));
}

TEST(InvalidationDecoder, PasidIotlb) {
  auto d = decode(q::make_piotlb(q::piotlb::kPage, 9, 0xabcde, 0x7000'0000, 1));
  ASSERT_EQ(d.kind, DescriptorKind::kInvalidate);
  EXPECT_EQ(d.request.target, InvalidationTarget::kPasidIotlb);
  EXPECT_EQ(d.request.granularity, InvalidationGranularity::kPage);
  EXPECT_EQ(d.request.domain, DomainId(9));
  EXPECT_EQ(d.request.pasid, Pasid(0xabcde));
  EXPECT_EQ(d.request.address_mask, 1u);
  auto p = decode(q::make_piotlb(q::piotlb::kPasid, 9, 4));
  EXPECT_EQ(p.request.granularity, InvalidationGranularity::kPasid);
  EXPECT_EQ(decode(q::make_piotlb(1, 9, 4)).kind, DescriptorKind::kError);  // G = 01 reserved
}

TEST(InvalidationDecoder, PasidCache) {
  auto dom = decode(q::make_pc(q::pc::kDomain, 3));
  EXPECT_EQ(dom.request.target, InvalidationTarget::kPasidCache);
  EXPECT_EQ(dom.request.granularity, InvalidationGranularity::kDomain);
  EXPECT_EQ(dom.request.domain, DomainId(3));
  auto pas = decode(q::make_pc(q::pc::kPasid, 3, 77));
  EXPECT_EQ(pas.request.granularity, InvalidationGranularity::kPasid);
  EXPECT_EQ(pas.request.pasid, Pasid(77));
  EXPECT_EQ(decode(q::make_pc(q::pc::kGlobal)).request.granularity, InvalidationGranularity::kGlobal);
  auto bad = decode(q::make_pc(2));
  EXPECT_EQ(bad.kind, DescriptorKind::kError);
  EXPECT_EQ(bad.error_info, r::iqercd::kReservedField);
}

TEST(InvalidationDecoder, DeviceTlbSizeEncoding) {
  // S = 0: one page.
  auto one = decode(q::make_dev_tlb(0x0300, 0x1234'5000, false), false, false);
  ASSERT_EQ(one.kind, DescriptorKind::kInvalidate);
  EXPECT_EQ(one.request.target, InvalidationTarget::kDeviceTlb);
  EXPECT_EQ(one.request.source, SourceId(0x0300));
  EXPECT_EQ(one.request.granularity, InvalidationGranularity::kPage);
  EXPECT_EQ(one.request.addr, Iova(0x1234'5000));
  EXPECT_EQ(one.request.address_mask, 0u);
  // S = 1, bit 12 clear: 8 KiB (2 pages).
  auto two = decode(q::make_dev_tlb(0x0300, 0x1234'4000, true), false, false);
  EXPECT_EQ(two.request.address_mask, 1u);
  EXPECT_EQ(two.request.addr, Iova(0x1234'4000));
  // S = 1, bits 12..19 set, bit 20 clear: 2^9 pages = 2 MiB at 0x1220'0000.
  auto big = decode(q::make_dev_tlb(0x0300, 0x1220'0000 | 0xff000, true), false, false);
  EXPECT_EQ(big.request.address_mask, 9u);
  EXPECT_EQ(big.request.addr, Iova(0x1220'0000));
  // All of ADDR[62:12] set: the whole address space.
  auto all = decode(q::make_dev_tlb(0x0300, 0x7fff'ffff'ffff'f000ull, true), false, false);
  EXPECT_EQ(all.request.granularity, InvalidationGranularity::kDevice);
  // PASID-based variant.
  auto p = decode(q::make_pdev_tlb(0x0300, 12, 0x9000, false));
  EXPECT_EQ(p.request.target, InvalidationTarget::kDeviceTlb);
  EXPECT_EQ(p.request.pasid, Pasid(12));
  EXPECT_EQ(p.request.addr, Iova(0x9000));
}

TEST(InvalidationDecoder, AtsRangeRoundTripsThroughTheDeviceTlbDecoder) {
  // Decoding a dev_tlb_inv_dsc and re-encoding it names the same range as the device TLB's own
  // ATS decoder.
  const std::uint64_t addrs[] = {
      0x1234'5000, 0x1234'4000, 0x1220'0000 | 0xff000, 0x7fff'ffff'ffff'f000ull, 0x8000'0000'0000'1000ull, 0x3000};
  for (std::uint64_t a : addrs) {
    for (bool s : {false, true}) {
      auto d = decode(q::make_dev_tlb(1, a, s), false, false);
      ASSERT_EQ(d.kind, DescriptorKind::kInvalidate);
      const core::AtsRange back = core::ats_range(d.request);
      const auto want = cache::DeviceTlb::decode_range(a, s);
      const auto got = cache::DeviceTlb::decode_range(back.addr, back.size_bit);
      EXPECT_EQ(got.base, want.base) << std::hex << a << " " << s;
      EXPECT_EQ(got.size, want.size) << std::hex << a << " " << s;
      // The decoded request covers that range too.
      if (want.size != 0) {
        EXPECT_EQ(d.request.addr.value, want.base);
        EXPECT_EQ(kPageSize4K << d.request.address_mask, want.size);
      } else {
        EXPECT_EQ(d.request.granularity, InvalidationGranularity::kDevice);
      }
    }
  }
}

TEST(InvalidationDecoder, DeviceTlbNeedsDt) {
  config::CapabilityConfig cap;
  cap.dt = false;
  auto d = core::decode_descriptor(q::make_dev_tlb(1, 0, false), cap, false, false);
  EXPECT_EQ(d.kind, DescriptorKind::kError);
  EXPECT_EQ(d.error_info, r::iqercd::kInvalidType);
}

TEST(InvalidationDecoder, Wait) {
  auto w = decode(q::make_wait(true, 0x1234'5678'9abc, 0xfeed, true, true), false, false);
  ASSERT_EQ(w.kind, DescriptorKind::kWait);
  EXPECT_TRUE(w.status_write);
  EXPECT_TRUE(w.interrupt);
  EXPECT_TRUE(w.fence);
  EXPECT_EQ(w.status_data, 0xfeedu);
  EXPECT_EQ(w.status_address, 0x1234'5678'9abcull);
}

TEST(InvalidationDecoder, WidthAndModeRules) {
  // 128-bit descriptors are invalid in scalable mode.
  EXPECT_EQ(decode(q::make_wait(false), true, false).error_info, r::iqercd::kInvalidWidth);
  // Types 6..9 only in scalable mode (Table 23).
  EXPECT_EQ(decode(q::make_pc(q::pc::kGlobal), false, true).error_info, r::iqercd::kInvalidType);
  EXPECT_EQ(decode(q::make_pc(q::pc::kGlobal), true, true).kind, DescriptorKind::kInvalidate);
  // Page group response: PRS not reported.
  EXPECT_EQ(decode(q::Descriptor{{9, 0, 0, 0}}).error_info, r::iqercd::kInvalidType);
  // Type 0 and types above 9.
  EXPECT_EQ(decode(q::Descriptor{{0, 0, 0, 0}}).error_info, r::iqercd::kInvalidType);
  EXPECT_EQ(decode(q::Descriptor{{0xa, 0, 0, 0}}).error_info, r::iqercd::kInvalidType);
  // 256-bit width without ECAP.SMTS.
  config::CapabilityConfig cap;
  cap.smts = false;
  EXPECT_EQ(core::decode_descriptor(q::make_wait(false), cap, false, true).error_info, r::iqercd::kInvalidWidth);
}

TEST(InvalidationDecoder, DomainIdWidthFollowsNd) {
  config::CapabilityConfig cap;
  cap.nd = 0;  // 4-bit domain ids
  EXPECT_EQ(core::implemented_domain(0x1234, cap), 0x4);
  cap.nd = 6;
  EXPECT_EQ(core::implemented_domain(0x1234, cap), 0x1234);
}

}  // namespace
