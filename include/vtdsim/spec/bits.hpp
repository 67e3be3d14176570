// Small bit-field helpers for the spec decoders (entry formats in VT-d spec chapter 9).
// Only the spec/ headers use these directly; everything else goes through named accessors.
#pragma once
#include <cstdint>

namespace vtdsim::spec {

constexpr std::uint64_t bit(unsigned n) { return 1ull << n; }

// Bits hi..lo (inclusive) set.
constexpr std::uint64_t bits_mask(unsigned hi, unsigned lo) {
  const std::uint64_t upper = hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1);
  return upper & ~((1ull << lo) - 1);
}

// Value of bits hi..lo, shifted down.
constexpr std::uint64_t field(std::uint64_t value, unsigned hi, unsigned lo) {
  return (value & bits_mask(hi, lo)) >> lo;
}

// value with bits hi..lo replaced by x (x is truncated to the field width).
constexpr std::uint64_t with_field(std::uint64_t value, unsigned hi, unsigned lo, std::uint64_t x) {
  return (value & ~bits_mask(hi, lo)) | ((x << lo) & bits_mask(hi, lo));
}

// Table pointers hold a 4 KiB-aligned host address in bits HAW-1:12; bits 63:HAW are reserved
// (VT-d spec 9.1-9.6, "HAW" = host address width, CAP.MGAW does not bound these).
constexpr std::uint64_t pointer_mask(unsigned haw) { return bits_mask(haw - 1, 12); }
constexpr std::uint64_t above_haw_mask(unsigned haw) { return haw >= 64 ? 0 : bits_mask(63, haw); }

}  // namespace vtdsim::spec
