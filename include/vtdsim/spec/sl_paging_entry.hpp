// Second-level paging entries (VT-d spec 9.8 "Second-Level Paging Entries"; walk in 3.7 / 3.6).
// Levels: 5 = PML5E, 4 = PML4E, 3 = PDPE, 2 = PDE, 1 = PTE. Each table is one 4 KiB page of 512
// 64-bit entries; the entry at level L is indexed by input-address bits (20+9(L-1)):(12+9(L-1)).
#pragma once
#include <cstdint>

#include "vtdsim/spec/bits.hpp"

namespace vtdsim::spec {

// Options that change which bits are reserved (spec 9.8 footnotes).
struct SlReservedOptions {
  unsigned haw = 46;               // host address width: address bits 51:HAW are reserved
  bool snoop_allowed = false;      // leaf bit 11 (SNP): scalable mode, or ECAP.SC in legacy mode
  bool transient_allowed = false;  // leaf bit 62 (TM): ECAP.DT
};

// Layout (spec 9.8):
//   bit 0      R     read
//   bit 1      W     write
//   bit 2      X     execute (ignored here: no execute requests are modelled)
//   bits 6:3   ignored (non-leaf) / EMT, IPAT (leaf)
//   bit 7      PS    page size: 1 = this PDE (2 MiB) or PDPE (1 GiB) maps a page.
//                    Reserved in PML5E / PML4E; ignored in a PTE.
//   bits 10:8  A, D, ignored (not modelled)
//   bit 11     reserved (non-leaf) / SNP (leaf)
//   bits HAW-1:12  address of the next table or of the page (2 MiB page: bits 20:12
//                  reserved; 1 GiB page: bits 29:12 reserved)
//   bits 51:HAW    reserved
//   bits 61:52     ignored
//   bit 62     reserved (non-leaf) / TM (leaf)
//   bit 63     ignored
// An entry with R = W = 0 is not present (its other bits are not checked).
struct SlPagingEntry {
  static constexpr std::uint64_t kSize = 8;
  static constexpr unsigned kEntries = 512;

  std::uint64_t raw = 0;

  static constexpr unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }
  static constexpr unsigned index(std::uint64_t iova, unsigned level) {
    return static_cast<unsigned>((iova >> level_shift(level)) & 0x1ff);
  }
  static constexpr std::uint64_t offset(std::uint64_t iova, unsigned level) { return index(iova, level) * kSize; }
  // Bytes of input address one entry at `level` covers (4K, 2M, 1G, 512G, 256T).
  static constexpr std::uint64_t coverage(unsigned level) { return 1ull << level_shift(level); }

  constexpr bool readable() const { return (raw & bit(0)) != 0; }
  constexpr bool writable() const { return (raw & bit(1)) != 0; }
  constexpr bool present() const { return (raw & (bit(0) | bit(1))) != 0; }
  constexpr bool page_size() const { return (raw & bit(7)) != 0; }
  // Next-table address (non-leaf) or page base (leaf at `level`).
  constexpr std::uint64_t address(unsigned level = 1) const { return raw & bits_mask(51, 12) & ~(coverage(level) - 1); }

  // True if a present entry at `level` has a reserved bit set. `leaf` says whether the entry
  // maps a page (level 1, or PS=1 at level 2/3); PS=1 where no superpage is allowed is not
  // checked here (the walker reports it as reserved after consulting CAP.SLLPS).
  constexpr bool has_reserved_bits(unsigned level, bool leaf, const SlReservedOptions& o) const {
    std::uint64_t reserved = o.haw >= 52 ? 0 : bits_mask(51, o.haw);
    if (!leaf) {
      reserved |= bit(11) | bit(62);
      if (level >= 4) reserved |= bit(7);
    } else {
      if (!o.snoop_allowed) reserved |= bit(11);
      if (!o.transient_allowed) reserved |= bit(62);
      if (level >= 2) reserved |= bits_mask(level_shift(level) - 1, 12);
    }
    return (raw & reserved) != 0;
  }

  static constexpr SlPagingEntry make_table(std::uint64_t next_table, bool read = true, bool write = true) {
    return SlPagingEntry{(next_table & bits_mask(51, 12)) | (read ? bit(0) : 0) | (write ? bit(1) : 0)};
  }
  static constexpr SlPagingEntry make_page(std::uint64_t page, unsigned level, bool read, bool write) {
    return SlPagingEntry{(page & bits_mask(51, 12) & ~(coverage(level) - 1)) | (read ? bit(0) : 0) |
                         (write ? bit(1) : 0) | (level >= 2 ? bit(7) : 0)};
  }
};

// CAP.SLLPS (spec 11.4.2): bit 0 = 2 MiB pages (PS at level 2), bit 1 = 1 GiB pages (level 3).
constexpr bool sllps_allows(unsigned sllps, unsigned level) {
  return (level == 2 && (sllps & 1) != 0) || (level == 3 && (sllps & 2) != 0);
}

}  // namespace vtdsim::spec
