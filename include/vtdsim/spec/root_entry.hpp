// Root-table entries (VT-d spec 9.1 "Root Entry", 9.2 "Scalable-Mode Root Entry").
// The root table is one 4 KiB page of 256 128-bit entries indexed by the requester's bus number
// (spec 3.4.2 legacy mode, 3.4.3 scalable mode).
#pragma once
#include <cstdint>

#include "vtdsim/spec/bits.hpp"

namespace vtdsim::spec {

// Legacy-mode root entry (RTADDR.TTM = 00b), spec 9.1:
//   bit 0      P    present
//   bits 11:1  reserved
//   bits 63:12 CTP  context-table pointer (bits 63:HAW reserved)
//   bits 127:64 reserved
struct RootEntry {
  static constexpr std::uint64_t kSize = 16;
  static constexpr unsigned kEntries = 256;

  std::uint64_t lo = 0;
  std::uint64_t hi = 0;

  static constexpr std::uint64_t offset(unsigned bus) { return (bus & 0xff) * kSize; }

  constexpr bool present() const { return (lo & bit(0)) != 0; }
  constexpr std::uint64_t context_table() const { return lo & bits_mask(63, 12); }
  constexpr bool has_reserved_bits(unsigned haw) const {
    return (lo & (bits_mask(11, 1) | above_haw_mask(haw))) != 0 || hi != 0;
  }

  static constexpr RootEntry make(std::uint64_t context_table) {
    return RootEntry{(context_table & bits_mask(63, 12)) | bit(0), 0};
  }
};

// Scalable-mode root entry (RTADDR.TTM = 01b), spec 9.2. Each half points to a scalable-mode
// context table of 128 256-bit entries: the lower half for devfn 0-127, the upper for 128-255.
//   bit 0       LP    lower present          bit 64       UP    upper present
//   bits 11:1   reserved                     bits 75:65   reserved
//   bits 63:12  LCTP  lower ctx-table ptr    bits 127:76  UCTP  upper ctx-table ptr
// (pointer bits at or above HAW are reserved)
struct ScalableRootEntry {
  static constexpr std::uint64_t kSize = 16;
  static constexpr unsigned kDevfnsPerTable = 128;

  std::uint64_t lo = 0;
  std::uint64_t hi = 0;

  static constexpr std::uint64_t offset(unsigned bus) { return (bus & 0xff) * kSize; }
  static constexpr bool upper_half(unsigned devfn) { return (devfn & 0xff) >= kDevfnsPerTable; }

  constexpr bool lower_present() const { return (lo & bit(0)) != 0; }
  constexpr std::uint64_t lower_context_table() const { return lo & bits_mask(63, 12); }
  constexpr bool upper_present() const { return (hi & bit(0)) != 0; }
  constexpr std::uint64_t upper_context_table() const { return hi & bits_mask(63, 12); }

  // The half that serves `devfn`.
  constexpr bool present_for(unsigned devfn) const { return upper_half(devfn) ? upper_present() : lower_present(); }
  constexpr std::uint64_t context_table_for(unsigned devfn) const {
    return upper_half(devfn) ? upper_context_table() : lower_context_table();
  }
  // Reserved bits of the half that serves `devfn` (the other half is not looked at).
  constexpr bool has_reserved_bits_for(unsigned devfn, unsigned haw) const {
    const std::uint64_t half = upper_half(devfn) ? hi : lo;
    return (half & (bits_mask(11, 1) | above_haw_mask(haw))) != 0;
  }

  static constexpr ScalableRootEntry make(std::uint64_t lower_table, bool lower_present, std::uint64_t upper_table,
                                          bool upper_present) {
    return ScalableRootEntry{(lower_table & bits_mask(63, 12)) | (lower_present ? bit(0) : 0),
                             (upper_table & bits_mask(63, 12)) | (upper_present ? bit(0) : 0)};
  }
};

}  // namespace vtdsim::spec
