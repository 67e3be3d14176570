// Queued-invalidation descriptors (Intel VT-d spec rev 4.x, 6.5.2 "Queued Invalidation"). A
// descriptor is 128 bits (IQA_REG.DW = 0) or 256 bits (DW = 1; the upper 128 bits are reserved for
// every type defined here). lo = bits 63:0, hi = bits 127:64. Field layouts and reserved bits per
// the subsections cited below; valid types per mode per Table 23 (6.5.2.10).
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/spec/registers.hpp"

namespace vtdsim::spec::qi {

using reg::bit;
using reg::field;
using reg::mask;

struct Descriptor {
  std::array<std::uint64_t, 4> qw{};  // qw[0] = lo, qw[1] = hi, qw[2..3] = upper half (256-bit)
  std::uint64_t lo() const { return qw[0]; }
  std::uint64_t hi() const { return qw[1]; }
};

// Type = bits 11:9 (Type[6:4]) concatenated with bits 3:0 (Type[3:0]) (6.5.2).
constexpr unsigned type(std::uint64_t lo) { return static_cast<unsigned>((lo & 0xf) | (((lo >> 9) & 7) << 4)); }
enum class Type : std::uint8_t {
  kContextCache = 0x1,      // cc_inv_dsc        6.5.2.1
  kIotlb = 0x2,             // iotlb_inv_dsc     6.5.2.3
  kDeviceTlb = 0x3,         // dev_tlb_inv_dsc   6.5.2.5
  kInterruptEntry = 0x4,    // iec_inv_dsc       6.5.2.7
  kWait = 0x5,              // inv_wait_dsc      6.5.2.8
  kPasidIotlb = 0x6,        // p_iotlb_inv_dsc   6.5.2.4
  kPasidCache = 0x7,        // pc_inv_dsc        6.5.2.2
  kPasidDeviceTlb = 0x8,    // p_dev_tlb_inv_dsc 6.5.2.6
  kPageGroupResponse = 0x9  // page_grp_resp_dsc 7.6.1 (needs ECAP.PRS)
};
// Table 23: types 1..5 are valid in legacy mode; 1..9 in scalable mode.
constexpr unsigned kLastLegacyType = 0x5;
constexpr unsigned kLastScalableType = 0x9;

// Granularity field G at [5:4] of cc, iotlb, p_iotlb and pc descriptors.
constexpr unsigned granularity(std::uint64_t lo) { return static_cast<unsigned>(field(lo, 5, 4)); }

// cc_inv_dsc (6.5.2.1): G [5:4] (01 global, 10 domain, 11 device), DID [31:16], SID [47:32],
// FM [49:48]; hi reserved.
namespace cc {
constexpr unsigned kGlobal = 1, kDomain = 2, kDevice = 3;
constexpr std::uint16_t did(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 31, 16)); }
constexpr std::uint16_t sid(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 47, 32)); }
constexpr std::uint8_t fm(std::uint64_t lo) { return static_cast<std::uint8_t>(field(lo, 49, 48)); }
constexpr std::uint64_t kReservedLo = mask(8, 6) | mask(15, 12) | mask(63, 50);
constexpr std::uint64_t kReservedHi = ~0ull;
}  // namespace cc

// iotlb_inv_dsc (6.5.2.3): G [5:4] (01 global, 10 domain, 11 page), DW [6], DR [7], DID [31:16];
// hi: AM [5:0], IH [6], ADDR [63:12].
namespace iotlb {
constexpr unsigned kGlobal = 1, kDomain = 2, kPage = 3;
constexpr bool dw(std::uint64_t lo) { return lo & bit(6); }
constexpr bool dr(std::uint64_t lo) { return lo & bit(7); }
constexpr std::uint16_t did(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 31, 16)); }
constexpr std::uint8_t am(std::uint64_t hi) { return static_cast<std::uint8_t>(field(hi, 5, 0)); }
constexpr bool ih(std::uint64_t hi) { return hi & bit(6); }
constexpr std::uint64_t addr(std::uint64_t hi) { return hi & mask(63, 12); }
constexpr std::uint64_t kReservedLo = bit(8) | mask(15, 12) | mask(63, 32);
constexpr std::uint64_t kReservedHi = mask(11, 7);
}  // namespace iotlb

// p_iotlb_inv_dsc (6.5.2.4): G [5:4] (10 PASID-selective, 11 page-selective within PASID;
// 00/01 reserved), DID [31:16], PASID [51:32]; hi: AM [5:0], IH [6], ADDR [63:12].
namespace piotlb {
constexpr unsigned kPasid = 2, kPage = 3;
constexpr std::uint16_t did(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 31, 16)); }
constexpr std::uint32_t pasid(std::uint64_t lo) { return static_cast<std::uint32_t>(field(lo, 51, 32)); }
constexpr std::uint64_t kReservedLo = mask(8, 6) | mask(15, 12) | mask(63, 52);
constexpr std::uint64_t kReservedHi = mask(11, 7);
}  // namespace piotlb

// pc_inv_dsc (6.5.2.2): G [5:4] (00 domain-selective, 01 PASID-selective within domain,
// 10 reserved, 11 global), DID [31:16], PASID [51:32]; hi reserved.
namespace pc {
constexpr unsigned kDomain = 0, kPasid = 1, kGlobal = 3;
constexpr std::uint16_t did(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 31, 16)); }
constexpr std::uint32_t pasid(std::uint64_t lo) { return static_cast<std::uint32_t>(field(lo, 51, 32)); }
constexpr std::uint64_t kReservedLo = mask(8, 6) | mask(15, 12) | mask(63, 52);
constexpr std::uint64_t kReservedHi = ~0ull;
}  // namespace pc

// dev_tlb_inv_dsc (6.5.2.5): PFSID[3:0] [15:12], MIP [20:16], SID [47:32], PFSID[15:4] [63:52];
// hi: S [0], ADDR [63:12]. With S = 1 the run of 1s in ADDR from bit 12 up encodes the size:
// n trailing ones -> 2^(n+1) pages (6.5.2.5, Table "Size encoding").
namespace devtlb {
constexpr std::uint16_t sid(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 47, 32)); }
constexpr unsigned mip(std::uint64_t lo) { return static_cast<unsigned>(field(lo, 20, 16)); }
constexpr bool s(std::uint64_t hi) { return hi & bit(0); }
constexpr std::uint64_t addr(std::uint64_t hi) { return hi & mask(63, 12); }
constexpr std::uint64_t kReservedLo = mask(8, 4) | mask(31, 21) | mask(51, 48);
constexpr std::uint64_t kReservedHi = mask(11, 1);
}  // namespace devtlb

// p_dev_tlb_inv_dsc (6.5.2.6): MIP [8:4], PFSID[3:0] [15:12], SID [31:16], PASID [51:32],
// PFSID[15:4] [63:52]; hi: G [0] (all PASIDs' global mappings), S [11], ADDR [63:12].
namespace pdevtlb {
constexpr std::uint16_t sid(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 31, 16)); }
constexpr std::uint32_t pasid(std::uint64_t lo) { return static_cast<std::uint32_t>(field(lo, 51, 32)); }
constexpr bool g(std::uint64_t hi) { return hi & bit(0); }
constexpr bool s(std::uint64_t hi) { return hi & bit(11); }
constexpr std::uint64_t addr(std::uint64_t hi) { return hi & mask(63, 12); }
constexpr std::uint64_t kReservedLo = 0;
constexpr std::uint64_t kReservedHi = mask(10, 1);
}  // namespace pdevtlb

// iec_inv_dsc (6.5.2.7): G [4] (0 global, 1 index-selective), IM [31:27], IIDX [47:32].
namespace iec {
constexpr bool index_selective(std::uint64_t lo) { return lo & bit(4); }
constexpr unsigned im(std::uint64_t lo) { return static_cast<unsigned>(field(lo, 31, 27)); }
constexpr std::uint16_t iidx(std::uint64_t lo) { return static_cast<std::uint16_t>(field(lo, 47, 32)); }
constexpr std::uint64_t kReservedLo = mask(8, 5) | mask(26, 12) | mask(63, 48);
constexpr std::uint64_t kReservedHi = ~0ull;
}  // namespace iec

// inv_wait_dsc (6.5.2.8): IF [4], SW [5], FN [6], PD [7] (page-request drain, needs ECAP.PDS),
// status data [63:32]; hi: status address [63:2].
namespace wait {
constexpr bool if_(std::uint64_t lo) { return lo & bit(4); }
constexpr bool sw(std::uint64_t lo) { return lo & bit(5); }
constexpr bool fn(std::uint64_t lo) { return lo & bit(6); }
constexpr bool pd(std::uint64_t lo) { return lo & bit(7); }
constexpr std::uint32_t status_data(std::uint64_t lo) { return static_cast<std::uint32_t>(lo >> 32); }
constexpr std::uint64_t status_address(std::uint64_t hi) { return hi & mask(63, 2); }
constexpr std::uint64_t kReservedLo = bit(8) | mask(31, 12);  // PD too unless ECAP.PDS
constexpr std::uint64_t kReservedHi = mask(1, 0);
}  // namespace wait

// ---- Encoders (for tests, the guest driver and trace tools) -------------------------------------
constexpr std::uint64_t type_bits(Type t) {
  const auto v = static_cast<unsigned>(t);
  return (v & 0xf) | (static_cast<std::uint64_t>((v >> 4) & 7) << 9);
}
constexpr Descriptor make_cc(unsigned g, std::uint16_t did = 0, std::uint16_t sid = 0, std::uint8_t fm = 0) {
  return Descriptor{{type_bits(Type::kContextCache) | reg::put(g, 5, 4) | reg::put(did, 31, 16) |
                         reg::put(sid, 47, 32) | reg::put(fm, 49, 48),
                     0, 0, 0}};
}
constexpr Descriptor make_iotlb(unsigned g, std::uint16_t did = 0, std::uint64_t addr = 0, std::uint8_t am = 0,
                                bool ih = false, bool dr = false, bool dw = false) {
  return Descriptor{
      {type_bits(Type::kIotlb) | reg::put(g, 5, 4) | (dw ? bit(6) : 0) | (dr ? bit(7) : 0) | reg::put(did, 31, 16),
       (addr & mask(63, 12)) | (ih ? bit(6) : 0) | reg::put(am, 5, 0), 0, 0}};
}
constexpr Descriptor make_piotlb(unsigned g, std::uint16_t did, std::uint32_t pasid, std::uint64_t addr = 0,
                                 std::uint8_t am = 0, bool ih = false) {
  return Descriptor{{type_bits(Type::kPasidIotlb) | reg::put(g, 5, 4) | reg::put(did, 31, 16) | reg::put(pasid, 51, 32),
                     (addr & mask(63, 12)) | (ih ? bit(6) : 0) | reg::put(am, 5, 0), 0, 0}};
}
constexpr Descriptor make_pc(unsigned g, std::uint16_t did = 0, std::uint32_t pasid = 0) {
  return Descriptor{
      {type_bits(Type::kPasidCache) | reg::put(g, 5, 4) | reg::put(did, 31, 16) | reg::put(pasid, 51, 32), 0, 0, 0}};
}
constexpr Descriptor make_dev_tlb(std::uint16_t sid, std::uint64_t addr, bool size_bit, unsigned mip = 0) {
  return Descriptor{{type_bits(Type::kDeviceTlb) | reg::put(mip, 20, 16) | reg::put(sid, 47, 32),
                     (addr & mask(63, 12)) | (size_bit ? 1u : 0u), 0, 0}};
}
constexpr Descriptor make_pdev_tlb(std::uint16_t sid, std::uint32_t pasid, std::uint64_t addr, bool size_bit,
                                   bool global = false) {
  return Descriptor{{type_bits(Type::kPasidDeviceTlb) | reg::put(sid, 31, 16) | reg::put(pasid, 51, 32),
                     (addr & mask(63, 12)) | (size_bit ? bit(11) : 0) | (global ? 1u : 0u), 0, 0}};
}
constexpr Descriptor make_iec(bool index_selective = false, unsigned im = 0, std::uint16_t iidx = 0) {
  return Descriptor{{type_bits(Type::kInterruptEntry) | (index_selective ? bit(4) : 0) | reg::put(im, 31, 27) |
                         reg::put(iidx, 47, 32),
                     0, 0, 0}};
}
constexpr Descriptor make_wait(bool sw, std::uint64_t status_addr = 0, std::uint32_t data = 0, bool interrupt = false,
                               bool fence = false) {
  return Descriptor{{type_bits(Type::kWait) | (interrupt ? bit(4) : 0) | (sw ? bit(5) : 0) | (fence ? bit(6) : 0) |
                         (static_cast<std::uint64_t>(data) << 32),
                     status_addr & mask(63, 2), 0, 0}};
}

}  // namespace vtdsim::spec::qi
