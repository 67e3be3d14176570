// GCMD / GSTS / RTADDR and VER / CAP / ECAP (VT-d spec 11.4.1-11.4.5).
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
  std::uint32_t gsts() { return static_cast<std::uint32_t>(unit.read_register(r::kGsts, 4)); }
};

TEST(RegistersGcmd, ResetState) {
  Unit u;
  EXPECT_EQ(u.unit.read_register(r::kVer, 4), 0x10u);
  EXPECT_EQ(u.gsts(), 0u);
  EXPECT_FALSE(u.unit.registers().translation_enabled());
  EXPECT_EQ(u.unit.registers().root_table_address(), 0u);
  EXPECT_FALSE(u.unit.registers().scalable_mode());
  // FECTL.IM and IECTL.IM reset to 1.
  EXPECT_EQ(u.unit.read_register(r::kFectl, 4), r::ectl::kIm);
  EXPECT_EQ(u.unit.read_register(r::kIectl, 4), r::ectl::kIm);
}

TEST(RegistersGcmd, SrtpLatchesLegacyRootTable) {
  Unit u;
  u.unit.write_register(r::kRtaddr, 8, 0x12345000ull);
  // Writing RTADDR alone changes nothing the translation path sees.
  EXPECT_EQ(u.unit.registers().root_table_address(), 0u);
  EXPECT_EQ(u.gsts() & r::gcmd::kSrtp, 0u);
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  EXPECT_EQ(u.unit.registers().root_table_address(), 0x12345000ull);
  EXPECT_FALSE(u.unit.registers().scalable_mode());
  EXPECT_EQ(u.gsts(), r::gcmd::kSrtp);  // RTPS
  // A later RTADDR write is not seen until the next SRTP.
  u.unit.write_register(r::kRtaddr, 8, 0x777000ull);
  EXPECT_EQ(u.unit.registers().root_table_address(), 0x12345000ull);
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  EXPECT_EQ(u.unit.registers().root_table_address(), 0x777000ull);
}

TEST(RegistersGcmd, SrtpLatchesScalableModeFromTtm) {
  Unit u;
  u.unit.write_register(r::kRtaddr, 8, 0xabc000ull | (1ull << 10));  // TTM = 01b
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  EXPECT_TRUE(u.unit.registers().scalable_mode());
  EXPECT_EQ(u.unit.registers().root_table_address(), 0xabc000ull);
  EXPECT_EQ(u.unit.read_register(r::kRtaddr, 8), 0xabc000ull | (1ull << 10));
}

TEST(RegistersGcmd, TtmIsReservedWithoutScalableModeSupport) {
  config::UnitConfig c;
  c.cap.smts = false;
  Unit u(c);
  u.unit.write_register(r::kRtaddr, 8, 0xabc000ull | (1ull << 10));
  EXPECT_EQ(u.unit.read_register(r::kRtaddr, 8), 0xabc000ull);  // TTM bits reserved: read 0
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  EXPECT_FALSE(u.unit.registers().scalable_mode());
}

TEST(RegistersGcmd, ReservedTtmValueKeepsLegacyAndCountsError) {
  Unit u;
  u.unit.write_register(r::kRtaddr, 8, 0x5000ull | (2ull << 10));  // TTM = 10b reserved
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  EXPECT_FALSE(u.unit.registers().scalable_mode());
  EXPECT_EQ(u.unit.registers().root_table_mode(), 2u);
  EXPECT_EQ(u.unit.registers().programming_errors(), 1u);
}

TEST(RegistersGcmd, RtaddrBitsBeyondHawAreReserved) {
  Unit u;  // haw = 46
  u.unit.write_register(r::kRtaddr, 8, (1ull << 50) | 0x3000ull | 0x3ffull);
  EXPECT_EQ(u.unit.read_register(r::kRtaddr, 8), 0x3000ull);
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  EXPECT_EQ(u.unit.registers().root_table_address(), 0x3000ull);
}

TEST(RegistersGcmd, TranslationEnableReflectedInGsts) {
  Unit u;
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kTe);
  EXPECT_TRUE(u.unit.registers().translation_enabled());
  EXPECT_EQ(u.gsts(), r::gcmd::kTe);
  // GCMD is write-only: reads return 0.
  EXPECT_EQ(u.unit.read_register(r::kGcmd, 4), 0u);
  // Linux-style one-shot command with the enables preserved: TE stays, RTPS set.
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kTe | r::gcmd::kSrtp);
  EXPECT_EQ(u.gsts(), r::gcmd::kTe | r::gcmd::kSrtp);
  u.unit.write_register(r::kGcmd, 4, 0);
  EXPECT_FALSE(u.unit.registers().translation_enabled());
  EXPECT_EQ(u.gsts(), r::gcmd::kSrtp);
}

TEST(RegistersGcmd, QueuedInvalidationEnableAndIrOnlyWhenSupported) {
  config::UnitConfig c;
  c.cap.ir = false;
  Unit u(c);
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kQie | r::gcmd::kIre | r::gcmd::kCfi);
  EXPECT_EQ(u.gsts(), r::gcmd::kQie);  // IRE/CFI ignored without ECAP.IR
  c.cap.ir = true;
  c.cap.qi = false;
  Unit v(c);
  v.unit.write_register(r::kGcmd, 4, r::gcmd::kQie | r::gcmd::kIre);
  EXPECT_EQ(v.gsts(), r::gcmd::kIre);
  v.unit.write_register(r::kIrta, 8, 0x99000ull | 0xf);
  v.unit.write_register(r::kGcmd, 4, r::gcmd::kIre | r::gcmd::kSirtp);
  EXPECT_EQ(v.gsts(), r::gcmd::kIre | r::gcmd::kSirtp);
  EXPECT_EQ(v.unit.registers().interrupt_table_address(), 0x99000ull | 0xf);
}

TEST(RegistersGcmd, WriteBufferFlushCompletesImmediately) {
  config::UnitConfig c;
  c.cap.rwbf = true;
  Unit u(c);
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kWbf);
  EXPECT_EQ(u.gsts() & r::gcmd::kWbf, 0u);  // WBFS clear: flush done
}

TEST(RegistersCap, CapFieldsFromConfig) {
  config::CapabilityConfig c;
  c.nd = 2;
  c.rwbf = true;
  c.caching_mode = true;
  c.sagaw = 0b0100;
  c.mgaw = 48;
  c.zlr = true;
  c.fro = 0x220;
  c.sllps = 0b11;
  c.psi = true;
  c.nfr = 8;
  c.mamv = 9;
  c.dwd = true;
  c.drd = false;
  config::UnitConfig uc;
  uc.cap = c;
  Unit u(uc);
  const std::uint64_t cap = u.unit.read_register(r::kCap, 8);
  // Known-value encoding: ND=2 [2:0], RWBF [4], CM [7], SAGAW=0100b [12:8], MGAW=47 [21:16],
  // ZLR [22], FRO=0x22 [33:24], SLLPS=11b [37:34], PSI [39], NFR=7 [47:40], MAMV=9 [53:48], DWD [54].
  const std::uint64_t expect = 2ull | (1ull << 4) | (1ull << 7) | (0b0100ull << 8) | (47ull << 16) | (1ull << 22) |
                               (0x22ull << 24) | (3ull << 34) | (1ull << 39) | (7ull << 40) | (9ull << 48) |
                               (1ull << 54);
  EXPECT_EQ(cap, expect);
  EXPECT_EQ(r::cap::fro(cap), 0x220u);
  EXPECT_EQ(r::cap::nfr(cap), 8u);
  EXPECT_EQ(r::cap::mgaw(cap), 48u);
  // Dword reads of the two halves agree with the quadword read.
  EXPECT_EQ(u.unit.read_register(r::kCap, 4), cap & 0xffffffffull);
  EXPECT_EQ(u.unit.read_register(r::kCap + 4, 4), cap >> 32);
  // RO: writes are ignored.
  u.unit.write_register(r::kCap, 8, ~0ull);
  EXPECT_EQ(u.unit.read_register(r::kCap, 8), cap);
}

TEST(RegistersCap, EcapFieldsFromConfig) {
  config::UnitConfig uc;
  auto& c = uc.cap;
  c.qi = true;
  c.dt = true;
  c.ir = true;
  c.eim = false;
  c.pt = true;
  c.sc = false;
  c.iro = 0x100;
  c.nest = false;
  c.pss = 19;
  c.pasid = true;
  c.smts = true;
  c.slts = true;
  c.flts = false;
  Unit u(uc);
  const std::uint64_t e = u.unit.read_register(r::kEcap, 8);
  // QI [1], DT [2], IR [3], PT [6], IRO=0x10 [17:8], MHMV=15 [23:20], PSS=19 [39:35], PASID [40],
  // SMTS [43], SLTS [46].
  const std::uint64_t expect = (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 6) | (0x10ull << 8) | (0xfull << 20) |
                               (19ull << 35) | (1ull << 40) | (1ull << 43) | (1ull << 46);
  EXPECT_EQ(e, expect);
  EXPECT_EQ(r::ecap::iro(e), 0x100u);
  EXPECT_TRUE(r::ecap::smts(e));
  EXPECT_FALSE(r::ecap::flts(e));
}

TEST(RegistersCap, InvalidCapabilityConfigThrows) {
  config::UnitConfig c;
  c.cap.nfr = 0;
  mem::SparseMemory m;
  EXPECT_THROW(core::RemappingUnit(c, m), std::invalid_argument);
  c.cap.nfr = 8;
  c.cap.iro = 0x200;  // overlaps the fault records at 0x200
  EXPECT_THROW(core::RemappingUnit(c, m), std::invalid_argument);
  c.cap.iro = 0x108;  // not 16-byte aligned
  EXPECT_THROW(core::RemappingUnit(c, m), std::invalid_argument);
}

}  // namespace
