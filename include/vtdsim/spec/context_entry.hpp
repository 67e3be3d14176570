// Legacy-mode context entry (VT-d spec 9.3 "Context Entry"). A context table is one 4 KiB page of
// 256 128-bit entries indexed by devfn (spec 3.4.2).
#pragma once
#include <cstdint>

#include "vtdsim/spec/bits.hpp"

namespace vtdsim::spec {

// TT, translation type (spec 9.3):
//   00b untranslated requests translated via second-level tables; translation requests blocked
//   01b untranslated, translation and translated requests processed (device-TLB, needs ECAP.DT)
//   10b untranslated requests pass through (needs ECAP.PT); SLPTPTR ignored; others blocked
//   11b reserved
enum class ContextTranslationType : std::uint8_t { kUntranslated = 0, kDeviceTlb = 1, kPassThrough = 2, kReserved = 3 };

// AW, adjusted guest address width (spec 9.3, same encoding as CAP.SAGAW bit positions):
//   001b 39-bit (3-level), 010b 48-bit (4-level), 011b 57-bit (5-level); others reserved
//   (000b, 30-bit 2-level, was removed from the spec).
constexpr unsigned paging_levels_from_aw(unsigned aw) { return (aw >= 1 && aw <= 3) ? aw + 2 : 0; }
constexpr unsigned aw_from_paging_levels(unsigned levels) { return (levels >= 3 && levels <= 5) ? levels - 2 : 0; }
// Input-address width covered by `levels` second-level paging levels (9 bits per level + 12).
constexpr unsigned agaw_bits(unsigned levels) { return 12 + 9 * levels; }
// CAP.SAGAW (spec 11.4.2) has bit n set when AW value n is supported.
constexpr bool sagaw_supports(unsigned sagaw, unsigned aw) { return aw < 5 && ((sagaw >> aw) & 1) != 0; }

// Layout (spec 9.3):
//   bit 0        P        present
//   bit 1        FPD      fault processing disable
//   bits 3:2     TT       translation type
//   bits 11:4    reserved
//   bits 63:12   SLPTPTR  second-level page-table pointer (bits 63:HAW reserved)
//   bits 66:64   AW       address width
//   bits 70:67   ignored
//   bit 71       reserved
//   bits 87:72   DID      domain identifier
//   bits 127:88  reserved
struct ContextEntry {
  static constexpr std::uint64_t kSize = 16;
  static constexpr unsigned kEntries = 256;

  std::uint64_t lo = 0;
  std::uint64_t hi = 0;

  static constexpr std::uint64_t offset(unsigned devfn) { return (devfn & 0xff) * kSize; }

  constexpr bool present() const { return (lo & bit(0)) != 0; }
  constexpr bool fault_processing_disabled() const { return (lo & bit(1)) != 0; }
  constexpr ContextTranslationType translation_type() const {
    return static_cast<ContextTranslationType>(field(lo, 3, 2));
  }
  constexpr std::uint64_t slptptr() const { return lo & bits_mask(63, 12); }
  constexpr unsigned address_width() const { return static_cast<unsigned>(field(hi, 2, 0)); }
  constexpr std::uint16_t domain_id() const { return static_cast<std::uint16_t>(field(hi, 23, 8)); }

  // Reserved fields of a present entry. SLPTPTR bits 63:HAW only count when the pointer is used
  // (TT != pass-through).
  constexpr bool has_reserved_bits(unsigned haw) const {
    std::uint64_t lo_reserved = bits_mask(11, 4);
    if (translation_type() != ContextTranslationType::kPassThrough) lo_reserved |= above_haw_mask(haw);
    return (lo & lo_reserved) != 0 || (hi & (bit(7) | bits_mask(63, 24))) != 0;
  }

  static constexpr ContextEntry make(ContextTranslationType tt, std::uint64_t slptptr, unsigned aw,
                                     std::uint16_t domain, bool fpd, bool present = true) {
    ContextEntry e;
    e.lo = (present ? bit(0) : 0) | (fpd ? bit(1) : 0);
    e.lo = with_field(e.lo, 3, 2, static_cast<std::uint64_t>(tt));
    e.lo |= slptptr & bits_mask(63, 12);
    e.hi = with_field(0, 2, 0, aw);
    e.hi = with_field(e.hi, 23, 8, domain);
    return e;
  }
};

}  // namespace vtdsim::spec
