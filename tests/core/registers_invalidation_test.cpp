// Register-based invalidation (VT-d spec 6.5.1): CCMD_REG (11.4), IOTLB_REG / IVA_REG (11.4).
#include <gtest/gtest.h>

#include "vtdsim/core/invalidation_decoder.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/registers.hpp"

namespace {

using namespace vtdsim;
namespace r = vtdsim::spec::reg;
using core::InvalidationGranularity;
using core::InvalidationTarget;

struct Unit {
  explicit Unit(config::UnitConfig c = {}) : config(c), memory(1ull << 32), unit(config, memory) {}
  config::UnitConfig config;
  mem::SparseMemory memory;
  core::RemappingUnit unit;
  std::uint32_t iva() const { return config.cap.iro; }
  std::uint32_t iotlb() const { return config.cap.iro + 8; }
  void fill_page(std::uint16_t did, std::uint64_t iova) {
    cache::IotlbEntry e;
    e.domain = DomainId(did);
    e.iova_base = iova;
    e.host_base = 0x4000'0000 + iova;
    e.perms = Perms{true, true};
    unit.caches().fill_iotlb(e);
  }
  bool has_page(std::uint16_t did, std::uint64_t iova) {
    return unit.caches().find_iotlb(SourceId(), DomainId(did), Pasid(), Iova(iova)) != nullptr;
  }
  void fill_context(std::uint16_t sid, std::uint16_t did) {
    cache::ContextCacheEntry e;
    e.source = SourceId(sid);
    e.domain = DomainId(did);
    unit.caches().fill_context(e);
  }
  bool has_context(std::uint16_t sid) { return unit.caches().find_context(SourceId(sid), Pasid()) != nullptr; }
};

constexpr std::uint64_t ccmd(std::uint64_t cirg, std::uint16_t did = 0, std::uint16_t sid = 0, std::uint8_t fm = 0) {
  return r::ccmd::kIcc | (cirg << 61) | (static_cast<std::uint64_t>(fm) << 32) |
         (static_cast<std::uint64_t>(sid) << 16) | did;
}
constexpr std::uint64_t iotlb_cmd(std::uint64_t iirg, std::uint16_t did = 0) {
  return r::iotlb::kIvt | (iirg << 60) | (static_cast<std::uint64_t>(did) << 32);
}

TEST(RegistersInvalidation, DecodeContextCommand) {
  config::CapabilityConfig cap;  // ND = 2: 8-bit domain ids
  auto g = core::decode_context_command(ccmd(r::ccmd::kGlobal, 5), cap);
  EXPECT_TRUE(g.performed);
  EXPECT_EQ(g.request.target, InvalidationTarget::kContextCache);
  EXPECT_EQ(g.request.granularity, InvalidationGranularity::kGlobal);
  EXPECT_EQ(g.actual_granularity, r::ccmd::kGlobal);
  auto d = core::decode_context_command(ccmd(r::ccmd::kDomain, 0x1207), cap);
  EXPECT_EQ(d.request.granularity, InvalidationGranularity::kDomain);
  EXPECT_EQ(d.request.domain, DomainId(0x07));  // DID bits above 4+2*ND ignored
  auto v = core::decode_context_command(ccmd(r::ccmd::kDevice, 3, 0x0310, 2), cap);
  EXPECT_EQ(v.request.granularity, InvalidationGranularity::kDevice);
  EXPECT_EQ(v.request.source, SourceId(0x0310));
  EXPECT_EQ(v.request.function_mask, 2u);
  EXPECT_EQ(v.request.domain, DomainId(3));
  EXPECT_EQ(v.actual_granularity, r::ccmd::kDevice);
  auto bad = core::decode_context_command(ccmd(0), cap);
  EXPECT_FALSE(bad.performed);
  EXPECT_EQ(bad.actual_granularity, 0u);
}

TEST(RegistersInvalidation, DecodeIotlbCommand) {
  config::CapabilityConfig cap;  // PSI, MAMV = 9
  cap.nd = 6;                    // 16-bit domain ids
  auto p = core::decode_iotlb_command(iotlb_cmd(r::iotlb::kPage, 0x1234) | r::bit(49) | r::bit(48),
                                      0x12345000ull | r::bit(6) | 2, cap);
  EXPECT_TRUE(p.performed);
  EXPECT_EQ(p.request.target, InvalidationTarget::kIotlb);
  EXPECT_EQ(p.request.granularity, InvalidationGranularity::kPage);
  EXPECT_EQ(p.request.domain, DomainId(0x1234));
  EXPECT_EQ(p.request.addr, Iova(0x12344000ull));  // aligned down to 2^2 pages
  EXPECT_EQ(p.request.address_mask, 2u);
  EXPECT_TRUE(p.request.invalidation_hint);
  EXPECT_TRUE(p.request.drain_reads);
  EXPECT_TRUE(p.request.drain_writes);
  EXPECT_EQ(p.actual_granularity, r::iotlb::kPage);
  // AM above MAMV: performed domain-selectively, reported in IAIG.
  auto big = core::decode_iotlb_command(iotlb_cmd(r::iotlb::kPage, 7), 10, cap);
  EXPECT_EQ(big.request.granularity, InvalidationGranularity::kDomain);
  EXPECT_EQ(big.actual_granularity, r::iotlb::kDomain);
  cap.psi = false;
  auto nopsi = core::decode_iotlb_command(iotlb_cmd(r::iotlb::kPage, 7), 0x5000, cap);
  EXPECT_EQ(nopsi.request.granularity, InvalidationGranularity::kDomain);
  EXPECT_EQ(nopsi.actual_granularity, r::iotlb::kDomain);
  auto bad = core::decode_iotlb_command(iotlb_cmd(0), 0, cap);
  EXPECT_FALSE(bad.performed);
}

TEST(RegistersInvalidation, ContextCommandDomainSelective) {
  Unit u;
  u.fill_context(0x0100, 1);
  u.fill_context(0x0108, 2);
  u.fill_context(0x0110, 1);
  u.unit.write_register(r::kCcmd, 8, ccmd(r::ccmd::kDomain, 1));
  const std::uint64_t v = u.unit.read_register(r::kCcmd, 8);
  EXPECT_EQ(v & r::ccmd::kIcc, 0u);               // ICC clears when done
  EXPECT_EQ(r::ccmd::caig(v), r::ccmd::kDomain);  // actual granularity
  EXPECT_FALSE(u.has_context(0x0100));
  EXPECT_TRUE(u.has_context(0x0108));
  EXPECT_FALSE(u.has_context(0x0110));
  EXPECT_EQ(u.unit.commands().register_commands, 1u);
  EXPECT_EQ(u.unit.commands().invalidations, 1u);
  EXPECT_EQ(u.unit.commands().entries_dropped, 2u);
}

TEST(RegistersInvalidation, ContextCommandDeviceSelectiveWithFunctionMask) {
  Unit u;
  u.fill_context(SourceId::from_bdf(1, 2, 0).value, 1);
  u.fill_context(SourceId::from_bdf(1, 2, 3).value, 1);
  u.fill_context(SourceId::from_bdf(1, 2, 4).value, 1);
  u.fill_context(SourceId::from_bdf(1, 3, 0).value, 1);
  // FM = 10b: the two most significant function bits [2:1] are masked (11.4), so functions
  // 0, 2, 4, 6 of 01:02 match SID 01:02.0; function 3 does not.
  u.unit.write_register(r::kCcmd, 8, ccmd(r::ccmd::kDevice, 1, SourceId::from_bdf(1, 2, 0).value, 2));
  EXPECT_FALSE(u.has_context(SourceId::from_bdf(1, 2, 0).value));
  EXPECT_TRUE(u.has_context(SourceId::from_bdf(1, 2, 3).value));
  EXPECT_FALSE(u.has_context(SourceId::from_bdf(1, 2, 4).value));
  EXPECT_TRUE(u.has_context(SourceId::from_bdf(1, 3, 0).value));
  EXPECT_EQ(r::ccmd::caig(u.unit.read_register(r::kCcmd, 8)), r::ccmd::kDevice);
}

TEST(RegistersInvalidation, CommandTriggersOnUpperDwordWrite) {
  Unit u;
  u.fill_context(0x0100, 1);
  const std::uint64_t cmd = ccmd(r::ccmd::kGlobal);
  u.unit.write_register(r::kCcmd, 4, static_cast<std::uint32_t>(cmd));
  EXPECT_TRUE(u.has_context(0x0100));  // nothing yet
  u.unit.write_register(r::kCcmd + 4, 4, static_cast<std::uint32_t>(cmd >> 32));
  EXPECT_FALSE(u.has_context(0x0100));
  EXPECT_EQ(r::ccmd::caig(u.unit.read_register(r::kCcmd, 8)), r::ccmd::kGlobal);
}

TEST(RegistersInvalidation, IotlbPageSelective) {
  Unit u;
  u.fill_page(1, 0x10000);
  u.fill_page(1, 0x11000);
  u.fill_page(1, 0x12000);
  u.fill_page(2, 0x10000);
  // Pages 0x10000..0x11fff of domain 1 (AM = 1).
  u.unit.write_register(u.iva(), 8, 0x10000 | 1);
  u.unit.write_register(u.iotlb(), 8, iotlb_cmd(r::iotlb::kPage, 1));
  const std::uint64_t v = u.unit.read_register(u.iotlb(), 8);
  EXPECT_EQ(v & r::iotlb::kIvt, 0u);
  EXPECT_EQ(r::iotlb::iaig(v), r::iotlb::kPage);
  EXPECT_FALSE(u.has_page(1, 0x10000));
  EXPECT_FALSE(u.has_page(1, 0x11000));
  EXPECT_TRUE(u.has_page(1, 0x12000));
  EXPECT_TRUE(u.has_page(2, 0x10000));
}

TEST(RegistersInvalidation, IotlbPageSelectiveWithoutPsiFallsBackToDomain) {
  config::UnitConfig c;
  c.cap.psi = false;
  Unit u(c);
  u.fill_page(1, 0x10000);
  u.fill_page(1, 0x80000);
  u.fill_page(2, 0x10000);
  u.unit.write_register(u.iva(), 8, 0x10000);
  u.unit.write_register(u.iotlb(), 8, iotlb_cmd(r::iotlb::kPage, 1));
  EXPECT_EQ(r::iotlb::iaig(u.unit.read_register(u.iotlb(), 8)), r::iotlb::kDomain);
  EXPECT_FALSE(u.has_page(1, 0x80000));
  EXPECT_TRUE(u.has_page(2, 0x10000));
}

TEST(RegistersInvalidation, IotlbGlobalAndReservedGranularity) {
  Unit u;
  u.fill_page(1, 0x10000);
  u.unit.write_register(u.iotlb(), 8, iotlb_cmd(0, 1));  // IIRG = 00: reserved
  EXPECT_EQ(r::iotlb::iaig(u.unit.read_register(u.iotlb(), 8)), 0u);
  EXPECT_EQ(u.unit.read_register(u.iotlb(), 8) & r::iotlb::kIvt, 0u);
  EXPECT_TRUE(u.has_page(1, 0x10000));
  EXPECT_EQ(u.unit.commands().rejected_commands, 1u);
  u.unit.write_register(u.iotlb(), 8, iotlb_cmd(r::iotlb::kGlobal));
  EXPECT_EQ(r::iotlb::iaig(u.unit.read_register(u.iotlb(), 8)), r::iotlb::kGlobal);
  EXPECT_FALSE(u.has_page(1, 0x10000));
}

TEST(RegistersInvalidation, RegisterInvalidationRejectedWhileQueuedInvalidationEnabled) {
  Unit u;
  u.fill_page(1, 0x10000);
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kQie);
  u.unit.write_register(u.iotlb(), 8, iotlb_cmd(r::iotlb::kGlobal));
  EXPECT_EQ(r::iotlb::iaig(u.unit.read_register(u.iotlb(), 8)), 0u);
  EXPECT_TRUE(u.has_page(1, 0x10000));
  u.unit.write_register(r::kCcmd, 8, ccmd(r::ccmd::kGlobal));
  EXPECT_EQ(r::ccmd::caig(u.unit.read_register(r::kCcmd, 8)), 0u);
  EXPECT_EQ(u.unit.commands().rejected_commands, 2u);
}

}  // namespace
