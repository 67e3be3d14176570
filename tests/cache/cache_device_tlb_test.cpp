// DeviceTlb: lookups of every page size and ATS invalidation ranges (S bit encoding).
#include "vtdsim/cache/device_tlb.hpp"

#include <gtest/gtest.h>

namespace {

using namespace vtdsim;
using cache::DeviceTlb;
using cache::DeviceTlbEntry;

config::CacheGeometry geometry() { return {32, 32, config::ReplacementPolicy::kLru, true, 1, 1}; }

DeviceTlbEntry entry(std::uint64_t iova, unsigned shift, Pasid pasid = Pasid{}) {
  DeviceTlbEntry e;
  e.pasid = pasid;
  e.iova_base = iova;
  e.page_shift = static_cast<std::uint8_t>(shift);
  e.host_base = 0x100000000ull + iova;
  e.perms = Perms{true, false};
  return e;
}

TEST(CacheDeviceTlb, DecodeRange) {
  EXPECT_EQ(DeviceTlb::decode_range(0x5000, false).base, 0x5000u);
  EXPECT_EQ(DeviceTlb::decode_range(0x5000, false).size, 0x1000u);
  // S = 1, bit 12 clear: 8 KiB.
  EXPECT_EQ(DeviceTlb::decode_range(0x4000, true).size, 0x2000u);
  EXPECT_EQ(DeviceTlb::decode_range(0x4000, true).base, 0x4000u);
  // Bits 12..19 set, bit 20 clear: 2^(13+8) = 2 MiB at 0x200000.
  EXPECT_EQ(DeviceTlb::decode_range(0x2ff000, true).size, 0x200000u);
  EXPECT_EQ(DeviceTlb::decode_range(0x2ff000, true).base, 0x200000u);
  // ADDR[62:12] all ones: everything.
  EXPECT_EQ(DeviceTlb::decode_range(0x7ffffffffffff000ull, true).size, 0u);
}

TEST(CacheDeviceTlb, LookupFillAndInvalidate) {
  DeviceTlb tlb(geometry());
  ASSERT_TRUE(tlb.enabled());
  tlb.fill(entry(0x4000, 12));
  tlb.fill(entry(0x5000, 12));
  tlb.fill(entry(0x6000, 12));
  tlb.fill(entry(0x200000, 21));
  tlb.fill(entry(0x4000, 12, Pasid(3)));
  const DeviceTlbEntry* e = tlb.lookup(Pasid{}, Iova(0x3fffff));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->page_shift, 21);
  EXPECT_NE(tlb.lookup(Pasid{}, Iova(0x5123)), nullptr);
  EXPECT_EQ(tlb.lookup(Pasid{}, Iova(0x7000)), nullptr);
  EXPECT_EQ(tlb.stats().lookups, 3u);
  EXPECT_EQ(tlb.stats().hits, 2u);
  // 8 KiB at 0x4000: both PASIDs' 0x4000 and 0x5000.
  EXPECT_EQ(tlb.invalidate(0x4000, true), 3u);
  EXPECT_NE(tlb.lookup(Pasid{}, Iova(0x6000)), nullptr);
  // One 4K page inside the 2M entry drops the 2M entry.
  EXPECT_EQ(tlb.invalidate(0x3ff000, false), 1u);
  EXPECT_EQ(tlb.lookup(Pasid{}, Iova(0x200000)), nullptr);
  tlb.fill(entry(0x9000, 12, Pasid(3)));
  EXPECT_EQ(tlb.invalidate_pasid(Pasid(4), 0x7ffffffffffff000ull, true), 0u);
  EXPECT_EQ(tlb.invalidate_pasid(Pasid(3), 0x7ffffffffffff000ull, true), 1u);
  EXPECT_EQ(tlb.size(), 1u);
  EXPECT_EQ(tlb.invalidate_all(), 1u);
}

TEST(CacheDeviceTlb, DisabledHoldsNothing) {
  config::CacheGeometry g = geometry();
  g.enabled = false;
  DeviceTlb tlb(g);
  tlb.fill(entry(0x4000, 12));
  EXPECT_EQ(tlb.lookup(Pasid{}, Iova(0x4000)), nullptr);
  EXPECT_EQ(tlb.stats().lookups, 0u);
}

}  // namespace
