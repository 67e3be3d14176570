// The translation path on random table contents (fixed seeds): it never crashes or loops, never
// makes more reads than root + 2 context + PASID dir + PASID table + 5 levels, and its answers
// are self-consistent. Run under ASan/UBSan by tools/test.sh.
#include <gtest/gtest.h>

#include <random>

#include "translation_rig.hpp"

using namespace vtdsim;

namespace {

constexpr std::uint64_t kPages = 32;  // tables and pointers in the first 128 KiB: dense enough to walk deep

// Random entries that look plausible often enough to get deep into the walk: low bits set at
// random (present, PS, reserved...), pointers mostly inside the first 2 MiB, sometimes beyond
// host memory or above HAW.
std::uint64_t random_entry(std::mt19937_64& rng) {
  const std::uint64_t kind = rng() % 16;
  std::uint64_t pointer = (rng() % kPages) << 12;
  if (kind == 12) return 0;
  if (kind == 13) return pointer | (rng() & 0xfff);                      // any low bits
  if (kind == 14) pointer = txrig::kMemoryLimit + ((rng() % 16) << 12);  // unbacked
  if (kind == 15) pointer = rng() & ~0xfffull;                           // anywhere, maybe above HAW
  // Clean entries: present / R / W bits, PS now and then.
  return pointer | (rng() & 3) | ((rng() % 8 == 0) ? 0x80 : 0) | 1;
}

}  // namespace

TEST(TranslateRobustness, RandomTablesNeverCrashLoopOrExceedTheReadBound) {
  std::mt19937_64 rng(20261126);
  unsigned translated_by_walk = 0, faulted = 0, deepest = 0;
  for (int round = 0; round < 60; ++round) {
    config::UnitConfig c;
    c.cap.caching_mode = rng() % 2;
    c.cap.sllps = rng() % 4;
    c.cap.sagaw = static_cast<std::uint8_t>((rng() % 8) << 1);
    const bool scalable = rng() % 2;
    txrig::Rig rig(scalable ? core::TableFormat::kScalable : core::TableFormat::kLegacy, c);
    for (int i = 0; i < 8192; ++i) {
      const std::uint64_t addr = ((rng() % kPages) << 12) + 16 * (rng() % 256);
      rig.memory.write64(addr, random_entry(rng));
      rig.memory.write64(addr + 8, rng() % 2 ? random_entry(rng) : (rng() % 4) << 8 | (rng() % 4));
    }
    // Root entries of buses 0-3 are well formed most of the time, so walks get past the root.
    const std::uint64_t root = (rng() % kPages) << 12;
    for (unsigned bus = 0; bus < 4; ++bus) {
      if (rng() % 4 == 0) continue;
      rig.memory.write64(root + 16 * bus, ((rng() % kPages) << 12) | 1);
      rig.memory.write64(root + 16 * bus + 8, scalable ? (((rng() % kPages) << 12) | 1) : 0);
    }
    rig.enable_with_rtaddr(root | (scalable ? (1ull << 10) : 0));
    for (int i = 0; i < 300; ++i) {
      const SourceId source(static_cast<std::uint16_t>(rng() % 8 == 0 ? rng() : rng() % 0x400));
      const std::uint64_t iova = rng() % 3 == 0 ? rng() : (rng() % (1ull << 32));
      const Access access = rng() % 2 ? Access::kRead : Access::kWrite;
      const Pasid pasid = rng() % 3 == 0 ? Pasid(static_cast<std::uint32_t>(rng() % 0x200)) : Pasid{};
      const auto at = static_cast<AddressType>(rng() % 3);
      const core::TranslationResult r = rig.translate(source, iova, access, pasid, at);
      ASSERT_LE(r.walk.count, 10);
      if (r.walk.count > deepest) deepest = r.walk.count;
      if (r.ok()) {
        ASSERT_TRUE(r.page_size == kPageSize4K || r.page_size == kPageSize2M || r.page_size == kPageSize1G);
        ASSERT_EQ(r.host.value & (r.page_size - 1), iova & (r.page_size - 1));
        ASSERT_TRUE(r.perms.allows(access));
        if (r.outcome.translated && r.walk.count > 0) ++translated_by_walk;
      } else {
        ASSERT_EQ(r.page_size, 0u);
        ++faulted;
      }
    }
  }
  // The random tables do get deep: some requests were translated by a walk, many faulted, and
  // some walks went through most levels.
  EXPECT_GT(translated_by_walk, 0u);
  EXPECT_GT(faulted, 0u);
  EXPECT_GE(deepest, 6u);
}
