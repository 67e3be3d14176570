// Scalable-mode context entry (VT-d spec 9.4 "Scalable-Mode Context-Entry"). Each
// scalable-mode context table (lower or upper, see root_entry.hpp) is one 4 KiB page of 128
// 256-bit entries indexed by devfn[6:0].
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/spec/bits.hpp"

namespace vtdsim::spec {

// Layout (spec 9.4):
//   bit 0        P            present
//   bit 1        FPD          fault processing disable
//   bit 2        DTE          device-TLB enable (translation / translated requests allowed)
//   bit 3        PASIDE       PASID enable (requests-with-PASID allowed)
//   bit 4        PRE          page request enable
//   bits 8:5     reserved
//   bits 11:9    PDTS         PASID directory size: 2^(PDTS+7) directory entries
//   bits 63:12   PASIDDIRPTR  PASID directory pointer (bits 63:HAW reserved)
//   bits 83:64   RID_PASID    PASID used for requests-without-PASID
//   bit 84       RID_PRIV     privilege for requests-without-PASID
//   bits 127:85  reserved
//   bits 255:128 reserved
struct ScalableContextEntry {
  static constexpr std::uint64_t kSize = 32;
  static constexpr unsigned kEntries = 128;

  std::array<std::uint64_t, 4> q{};

  static constexpr std::uint64_t offset(unsigned devfn) { return (devfn & 0x7f) * kSize; }

  constexpr bool present() const { return (q[0] & bit(0)) != 0; }
  constexpr bool fault_processing_disabled() const { return (q[0] & bit(1)) != 0; }
  constexpr bool device_tlb_enabled() const { return (q[0] & bit(2)) != 0; }
  constexpr bool pasid_enabled() const { return (q[0] & bit(3)) != 0; }
  constexpr bool page_request_enabled() const { return (q[0] & bit(4)) != 0; }
  constexpr unsigned pasid_dir_size() const { return static_cast<unsigned>(field(q[0], 11, 9)); }
  // Number of PASID-directory entries (each covers 64 PASIDs).
  constexpr std::uint64_t pasid_dir_entries() const { return 1ull << (pasid_dir_size() + 7); }
  constexpr std::uint64_t pasid_dir_pointer() const { return q[0] & bits_mask(63, 12); }
  constexpr std::uint32_t rid_pasid() const { return static_cast<std::uint32_t>(field(q[1], 19, 0)); }
  constexpr bool rid_priv() const { return (q[1] & bit(20)) != 0; }

  constexpr bool has_reserved_bits(unsigned haw) const {
    return (q[0] & (bits_mask(8, 5) | above_haw_mask(haw))) != 0 || (q[1] & bits_mask(63, 21)) != 0 || q[2] != 0 ||
           q[3] != 0;
  }

  struct Fields {
    std::uint64_t pasid_dir = 0;
    unsigned pdts = 0;
    std::uint32_t rid_pasid = 0;
    bool fpd = false, dte = false, paside = false, pre = false, present = true;
    bool rid_priv = false;
  };
  static constexpr ScalableContextEntry make(const Fields& f) {
    ScalableContextEntry e;
    e.q[0] = (f.present ? bit(0) : 0) | (f.fpd ? bit(1) : 0) | (f.dte ? bit(2) : 0) | (f.paside ? bit(3) : 0) |
             (f.pre ? bit(4) : 0);
    e.q[0] = with_field(e.q[0], 11, 9, f.pdts);
    e.q[0] |= f.pasid_dir & bits_mask(63, 12);
    e.q[1] = with_field(0, 19, 0, f.rid_pasid) | (f.rid_priv ? bit(20) : 0);
    return e;
  }
};

}  // namespace vtdsim::spec
