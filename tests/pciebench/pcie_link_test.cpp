// The PCIe link model's byte counting against hand-computed TLP arithmetic (pcie-bench's model,
// pcie-model/model/pcie.py; PCIe Base spec 4.2.2 for 128b/130b).
#include <gtest/gtest.h>

#include "vtdsim/pciebench/pcie_link.hpp"

namespace vtdsim::pciebench {
namespace {

TEST(PcieLink, Gen3x8Bandwidths) {
  PcieLink link(LinkConfig{});  // Gen3 x8, MPS 256
  // raw = 8 GT/s x 8 lanes x 128/130 = 63.0154 Gbit/s per direction.
  EXPECT_NEAR(link.raw_gbit_per_s(), 63.0154, 1e-4);
  // ACK and UpdateFC DLLPs of 8 B each every 203 B (Gen3 x8, MPS 256) and SKIPs 4 B per 1538 B:
  // 63.0154 x (1 - 16/203 - 4/1538) = 63.0154 x 0.918581 = 57.8847 Gbit/s of TLPs.
  EXPECT_NEAR(link.tlp_gbit_per_s(), 57.8847, 1e-3);
}

TEST(PcieLink, TlpSizes) {
  PcieLink link(LinkConfig{});
  // 2 B framing + 6 B DLL (sequence number + LCRC) + 4 B header + 12 B (64-bit address).
  EXPECT_EQ(link.mrd_bytes(), 24u);
  EXPECT_EQ(link.mwr_bytes(64), 88u);
  // CplD: 2 + 6 + 4 + 8 B completion fields + data.
  EXPECT_EQ(link.cpld_bytes(64), 84u);
  LinkConfig c32;
  c32.addr64 = false;
  c32.ecrc = true;
  PcieLink l32(c32);
  EXPECT_EQ(l32.mrd_bytes(), 2u + 6u + 4u + 8u + 4u);  // 3-DW header, 4 B digest
}

TEST(PcieLink, Splitting) {
  PcieLink link(LinkConfig{});  // MRRS 512, MPS 256, RCB 64
  // A 2 KiB read from 0x...f00: 256 B up to the 4 KiB boundary, then 512 B requests.
  const auto reqs = link.read_requests(0x10000f00, 2048);
  EXPECT_EQ(reqs.payloads, (std::vector<std::uint32_t>{256, 512, 512, 512, 256}));
  // Completions of 512 B from 0x1020: at most MPS, ending on an RCB boundary: 0x1020 + 256 =
  // 0x1120 is not 64 B aligned, so the first ends at 0x1100 (224 B); then 256 B, then 32 B.
  const auto cpl = link.completions(0x1020, 512);
  EXPECT_EQ(cpl.payloads, (std::vector<std::uint32_t>{224, 256, 32}));
  EXPECT_EQ(link.writes(0x0, 1024).payloads, (std::vector<std::uint32_t>{256, 256, 256, 256}));
}

TEST(PcieLink, FifoPerDirection) {
  PcieLink link(LinkConfig{});
  const double one = link.wire_ns(84);  // 84 B x 8 / 57.8847 = 11.609 ns
  EXPECT_NEAR(one, 11.609, 1e-3);
  EXPECT_NEAR(link.send_downstream(0, 84), one, 1e-9);
  EXPECT_NEAR(link.send_downstream(0, 84), 2 * one, 1e-9);         // waits for the first
  EXPECT_NEAR(link.send_upstream(0, 24), link.wire_ns(24), 1e-9);  // the other direction is free
  EXPECT_NEAR(link.send_downstream(100, 84), 100 + one, 1e-9);
}

TEST(PcieLink, RejectsWhatPcieDoesNotDefine) {
  LinkConfig c;
  c.lanes = 3;
  EXPECT_THROW(PcieLink{c}, std::invalid_argument);
  c = LinkConfig{};
  c.mps = 192;
  EXPECT_THROW(PcieLink{c}, std::invalid_argument);
  c = LinkConfig{};
  c.gen = 6;
  EXPECT_THROW(PcieLink{c}, std::invalid_argument);
}

}  // namespace
}  // namespace vtdsim::pciebench
