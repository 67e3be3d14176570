#include "vtdsim/mem/sparse_memory.hpp"

#include <gtest/gtest.h>

#include <cstring>

using vtdsim::mem::SparseMemory;

TEST(SparseMemory, UnwrittenMemoryReadsZero) {
  SparseMemory mem;
  std::uint64_t v = 123;
  ASSERT_TRUE(mem.read64(0x1000, v));
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(mem.pages_touched(), 0u);
}

TEST(SparseMemory, WriteThenReadAcrossPageBoundary) {
  SparseMemory mem;
  const char text[] = "crosses a page boundary";
  ASSERT_TRUE(mem.write(0x1ff8, text, sizeof text));
  char back[sizeof text] = {};
  ASSERT_TRUE(mem.read(0x1ff8, back, sizeof back));
  EXPECT_STREQ(back, text);
  EXPECT_EQ(mem.pages_touched(), 2u);
  std::uint64_t v = 0;
  ASSERT_TRUE(mem.read64(0x1ff8, v));
  std::uint64_t expect = 0;
  std::memcpy(&expect, text, 8);
  EXPECT_EQ(v, expect);
}

TEST(SparseMemory, AccessBeyondLimitFails) {
  SparseMemory mem(1ull << 20);
  std::uint64_t v = 0;
  EXPECT_FALSE(mem.read64(1ull << 20, v));
  EXPECT_FALSE(mem.write64((1ull << 20) - 4, 1));  // misaligned and straddling
  EXPECT_FALSE(mem.write((1ull << 20) - 4, &v, 8));
  EXPECT_TRUE(mem.write((1ull << 20) - 8, &v, 8));
  EXPECT_FALSE(mem.read64(0x1004, v));  // misaligned 64-bit read
}
