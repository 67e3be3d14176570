// Register access rules (VT-d spec 11.1 attributes, 11.2 access sizes): RO, reserved bits read 0,
// RW1C, 32-bit halves of 64-bit registers, write-only GCMD, unimplemented offsets.
#include <gtest/gtest.h>

#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/registers.hpp"

namespace {

using namespace vtdsim;
namespace r = vtdsim::spec::reg;

struct Unit {
  explicit Unit(config::UnitConfig c = {}) : config(c), memory(1ull << 32), unit(config, memory) {}
  config::UnitConfig config;
  mem::SparseMemory memory;
  core::RemappingUnit unit;
  std::uint64_t rd(std::uint32_t off, unsigned size = 8) { return unit.read_register(off, size); }
  void wr(std::uint32_t off, std::uint64_t v, unsigned size = 8) { unit.write_register(off, size, v); }
};

TEST(RegistersAccess, UpperHalfOfQuadwordRegisterByDword) {
  Unit u;
  u.wr(r::kRtaddr + 4, 0x12, 4);  // RTA bits 39:32
  u.wr(r::kRtaddr, 0x3400, 4);    // RTA bits 31:12 (0x3000) plus TTM bit 10
  EXPECT_EQ(u.rd(r::kRtaddr), 0x12'0000'3400ull);
  EXPECT_EQ(u.rd(r::kRtaddr + 4, 4), 0x12u);
  EXPECT_EQ(u.rd(r::kRtaddr, 4), 0x3400u);
  // Writing only the upper dword keeps the lower one.
  u.wr(r::kRtaddr + 4, 0x1, 4);
  EXPECT_EQ(u.rd(r::kRtaddr), 0x1'0000'3400ull);
}

TEST(RegistersAccess, MisalignedAndOddSizedAccessesAreIgnored) {
  Unit u;
  u.wr(r::kRtaddr, 0x5000);
  EXPECT_EQ(u.rd(r::kRtaddr + 2, 4), 0u);
  EXPECT_EQ(u.rd(r::kRtaddr + 4, 8), 0u);  // quadword access must be 8-aligned
  EXPECT_EQ(u.rd(r::kRtaddr, 2), 0u);
  u.wr(r::kRtaddr + 1, ~0ull, 4);
  u.wr(r::kRtaddr, ~0ull, 2);
  u.wr(r::kRtaddr + 4, ~0ull, 8);
  EXPECT_EQ(u.rd(r::kRtaddr), 0x5000u);
}

TEST(RegistersAccess, QuadwordAccessOverTwoDwordRegisters) {
  Unit u;
  u.wr(r::kGcmd, r::gcmd::kTe, 4);
  // 0x18: GCMD (write-only, reads 0) | GSTS << 32.
  EXPECT_EQ(u.rd(r::kGcmd, 8), static_cast<std::uint64_t>(r::gcmd::kTe) << 32);
}

TEST(RegistersAccess, ReadOnlyRegistersIgnoreWrites) {
  Unit u;
  const auto ver = u.rd(r::kVer, 4);
  const auto ecap = u.rd(r::kEcap);
  u.wr(r::kVer, 0xff, 4);
  u.wr(r::kEcap, 0);
  u.wr(r::kGsts, ~0u, 4);
  u.wr(r::kIqh, 0x50);
  u.wr(r::kIqercd, ~0ull);
  EXPECT_EQ(u.rd(r::kVer, 4), ver);
  EXPECT_EQ(u.rd(r::kEcap), ecap);
  EXPECT_EQ(u.rd(r::kGsts, 4), 0u);
  EXPECT_EQ(u.rd(r::kIqh), 0u);
  EXPECT_EQ(u.rd(r::kIqercd), 0u);
}

TEST(RegistersAccess, ReservedBitsReadZero) {
  Unit u;
  u.wr(r::kIqt, ~0ull);
  EXPECT_EQ(u.rd(r::kIqt), r::iq::kIndexMask);  // only QT [18:4]
  u.wr(r::kIqa, ~0ull);
  // IQA [45:12] (HAW 46), DW [11] (SMTS), QS [2:0].
  EXPECT_EQ(u.rd(r::kIqa), r::mask(45, 12) | r::bit(11) | 0x7);
  u.wr(r::kCcmd, 0x7fff'ffff'ffff'ffffull);  // everything but ICC
  // CIRG [62:61], FM [33:32], SID, DID writable; CAIG [60:59] RO; [58:34] reserved.
  EXPECT_EQ(u.rd(r::kCcmd), r::mask(62, 61) | r::mask(33, 0));
  u.wr(0x100, ~0ull);  // IVA_REG at the default IRO = 0x100
  EXPECT_EQ(u.rd(0x100), r::mask(63, 12) | r::mask(6, 0));
  u.wr(r::kIedata, ~0ull, 4);
  EXPECT_EQ(u.rd(r::kIedata, 4), 0xffffu);
  u.wr(r::kIeaddr, ~0ull, 4);
  EXPECT_EQ(u.rd(r::kIeaddr, 4), 0xfffffffcu);
  u.wr(r::kFedata, ~0ull, 4);
  EXPECT_EQ(u.rd(r::kFedata, 4), 0xffffu);
  u.wr(r::kFeaddr, ~0ull, 4);
  EXPECT_EQ(u.rd(r::kFeaddr, 4), 0xfffffffcu);
  u.wr(r::kFeuaddr, 0x1234, 4);
  EXPECT_EQ(u.rd(r::kFeuaddr, 4), 0x1234u);
}

TEST(RegistersAccess, WithoutScalableModeDwIsReserved) {
  config::UnitConfig c;
  c.cap.smts = false;
  Unit u(c);
  u.wr(r::kIqa, ~0ull);
  EXPECT_EQ(u.rd(r::kIqa), r::mask(45, 12) | 0x7);
}

TEST(RegistersAccess, UnimplementedOffsetsReadZero) {
  Unit u;
  for (std::uint32_t off : {0x04u, 0x30u, 0x48u, 0x58u, 0x64u, 0x68u, 0x70u, 0xc0u, 0xe0u, 0xfcu, 0x300u, 0xffcu}) {
    u.wr(off, ~0ull, 4);
    EXPECT_EQ(u.rd(off, 4), 0u) << std::hex << off;
  }
}

TEST(RegistersAccess, ProtectedMemoryRegistersWhenReported) {
  config::UnitConfig c;
  c.cap.plmr = true;
  Unit u(c);
  u.wr(r::kPmen, r::pmen::kEpm, 4);
  EXPECT_EQ(u.rd(r::kPmen, 4), r::pmen::kEpm | r::pmen::kPrs);
  u.wr(r::kPmen, 0, 4);
  EXPECT_EQ(u.rd(r::kPmen, 4), 0u);
  u.wr(r::kPlmbase, ~0ull, 4);
  EXPECT_EQ(u.rd(r::kPlmbase, 4), 0xffe00000u);
}

TEST(RegistersAccess, InvalidationEventControl) {
  Unit u;
  // IP is RO; IM RW.
  u.wr(r::kIectl, r::ectl::kIp, 4);
  EXPECT_EQ(u.rd(r::kIectl, 4), 0u);
  u.wr(r::kIectl, r::ectl::kIm | r::ectl::kIp, 4);
  EXPECT_EQ(u.rd(r::kIectl, 4), r::ectl::kIm);
  // ICS.IWC is RW1C and is not settable by software.
  u.wr(r::kIcs, 1, 4);
  EXPECT_EQ(u.rd(r::kIcs, 4), 0u);
  u.unit.registers().signal_wait_completion();
  EXPECT_EQ(u.rd(r::kIcs, 4), 1u);
  EXPECT_EQ(u.rd(r::kIectl, 4), r::ectl::kIm | r::ectl::kIp);  // held: masked
  EXPECT_FALSE(u.unit.registers().invalidation_interrupt_pending());
  u.wr(r::kIcs, 0, 4);  // writing 0 leaves it
  EXPECT_EQ(u.rd(r::kIcs, 4), 1u);
  u.wr(r::kIectl, 0, 4);  // unmask: the held message goes out
  EXPECT_EQ(u.unit.registers().invalidation_messages(), 1u);
  EXPECT_EQ(u.rd(r::kIectl, 4), 0u);
  EXPECT_TRUE(u.unit.registers().invalidation_interrupt_pending());
  u.wr(r::kIcs, 1, 4);
  EXPECT_EQ(u.rd(r::kIcs, 4), 0u);
  // Unmasked: the next completion sends at once; a second one while IWC is set sends nothing.
  u.unit.registers().signal_wait_completion();
  u.unit.registers().signal_wait_completion();
  EXPECT_EQ(u.unit.registers().invalidation_messages(), 2u);
}

TEST(RegistersAccess, ServicingIwcDropsHeldInvalidationEvent) {
  Unit u;
  u.unit.registers().signal_wait_completion();
  EXPECT_EQ(u.rd(r::kIectl, 4), r::ectl::kIm | r::ectl::kIp);
  u.wr(r::kIcs, 1, 4);
  EXPECT_EQ(u.rd(r::kIectl, 4), r::ectl::kIm);
  u.wr(r::kIectl, 0, 4);
  EXPECT_EQ(u.unit.registers().invalidation_messages(), 0u);
}

}  // namespace
