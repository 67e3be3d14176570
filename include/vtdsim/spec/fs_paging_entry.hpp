// First-stage paging entries (VT-d spec 9.7 "First-Stage Paging Entries"; walk in 3.6). They use
// the IA-32e (4-level) / 5-level paging format of the CPU. Levels: 5 = PML5E, 4 = PML4E,
// 3 = PDPE, 2 = PDE, 1 = PTE; each table is one 4 KiB page of 512 entries indexed like the
// second-stage tables (sl_paging_entry.hpp).
#pragma once
#include <cstdint>

#include "vtdsim/spec/bits.hpp"
#include "vtdsim/spec/sl_paging_entry.hpp"

namespace vtdsim::spec {

// Attributes a builder puts in an entry (FsPagingEntry::make_table / make_page).
struct FsEntryFlags {
  bool write = true, user = true, execute_disable = false;
  bool accessed = false, dirty = false;
};

// Layout (spec 9.7):
//   bit 0      P     present (the other bits of a non-present entry are not checked)
//   bit 1      R/W   0: writes not allowed (supervisor writes only with WPE = 1, spec 3.6.1)
//   bit 2      U/S   0: user requests not allowed
//   bit 3, 4   PWT, PCD (memory type; not modelled)
//   bit 5      A     accessed: set by the walk in every entry it uses (spec 3.6.2)
//   bit 6      D     dirty: set by the walk in the leaf on a write (ignored in non-leaf entries)
//   bit 7      PS    page size: PDPE (1 GiB, needs CAP.FS1GP) / PDE (2 MiB) maps a page.
//                    Reserved in PML5E / PML4E; PAT in a PTE.
//   bits 9:8   G, ignored
//   bit 10     EA    extended accessed: set with A when the PASID entry's EAFE = 1
//   bit 11     ignored
//   bits HAW-1:12  next table or page (2 MiB page: bit 12 PAT, bits 20:13 reserved; 1 GiB page:
//                  bit 12 PAT, bits 29:13 reserved)
//   bits 51:HAW    reserved
//   bits 62:52 ignored
//   bit 63     XD    execute disable (execute requests, spec 3.6.1)
struct FsPagingEntry {
  static constexpr std::uint64_t kSize = 8;
  static constexpr std::uint64_t kPresent = bit(0);
  static constexpr std::uint64_t kWritable = bit(1);
  static constexpr std::uint64_t kUser = bit(2);
  static constexpr std::uint64_t kAccessed = bit(5);
  static constexpr std::uint64_t kDirty = bit(6);
  static constexpr std::uint64_t kPageSize = bit(7);
  static constexpr std::uint64_t kExtendedAccessed = bit(10);
  static constexpr std::uint64_t kExecuteDisable = bit(63);

  std::uint64_t raw = 0;

  static constexpr unsigned level_shift(unsigned level) { return SlPagingEntry::level_shift(level); }
  static constexpr std::uint64_t offset(std::uint64_t iova, unsigned level) {
    return SlPagingEntry::offset(iova, level);
  }
  static constexpr std::uint64_t coverage(unsigned level) { return SlPagingEntry::coverage(level); }

  constexpr bool present() const { return (raw & kPresent) != 0; }
  constexpr bool writable() const { return (raw & kWritable) != 0; }
  constexpr bool user() const { return (raw & kUser) != 0; }
  constexpr bool accessed() const { return (raw & kAccessed) != 0; }
  constexpr bool dirty() const { return (raw & kDirty) != 0; }
  constexpr bool page_size() const { return (raw & kPageSize) != 0; }
  constexpr bool execute_disabled() const { return (raw & kExecuteDisable) != 0; }
  // Next-table address (non-leaf) or page base (leaf at `level`); PAT (bit 12) of a superpage
  // is not part of the address.
  constexpr std::uint64_t address(unsigned level = 1) const { return raw & bits_mask(51, 12) & ~(coverage(level) - 1); }

  // True if a present entry at `level` has a reserved bit set. `leaf` says whether the entry maps
  // a page (level 1, or PS = 1 at level 2 / 3). PS = 1 where no such page size is supported is
  // the walker's check (CAP.FS1GP).
  constexpr bool has_reserved_bits(unsigned level, bool leaf, unsigned haw) const {
    std::uint64_t reserved = haw >= 52 ? 0 : bits_mask(51, haw);
    if (!leaf && level >= 4) reserved |= kPageSize;
    if (leaf && level >= 2) reserved |= bits_mask(level_shift(level) - 1, 13);
    return (raw & reserved) != 0;
  }

  static constexpr std::uint64_t flag_bits(const FsEntryFlags& f) {
    return kPresent | (f.write ? kWritable : 0) | (f.user ? kUser : 0) | (f.accessed ? kAccessed : 0) |
           (f.execute_disable ? kExecuteDisable : 0);
  }
  static constexpr FsPagingEntry make_table(std::uint64_t next_table, const FsEntryFlags& f = FsEntryFlags{}) {
    return FsPagingEntry{(next_table & bits_mask(51, 12)) | flag_bits(f)};
  }
  static constexpr FsPagingEntry make_page(std::uint64_t page, unsigned level, const FsEntryFlags& f = FsEntryFlags{}) {
    return FsPagingEntry{(page & bits_mask(51, 12) & ~(coverage(level) - 1)) | flag_bits(f) | (f.dirty ? kDirty : 0) |
                         (level >= 2 ? kPageSize : 0)};
  }
};

// First-stage input addresses must be canonical (spec 3.6): bits 63:47 (4-level) or 63:56
// (5-level) all equal to bit 47 / 56.
constexpr bool fs_canonical(std::uint64_t iova, unsigned levels) {
  const unsigned top = levels == 5 ? 56 : 47;
  const std::uint64_t upper = iova >> top;  // bits 63:top
  return upper == 0 || upper == (~0ull >> top);
}

}  // namespace vtdsim::spec
