// Scalable-mode PASID directory and PASID table entries (VT-d spec 9.5 "Scalable-Mode PASID
// Directory Entry", 9.6 "Scalable-Mode PASID Table Entry"). A 20-bit PASID indexes the
// directory with bits 19:6 and the PASID table with bits 5:0 (spec 3.4.3).
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/spec/bits.hpp"

namespace vtdsim::spec {

constexpr std::uint32_t pasid_dir_index(std::uint32_t pasid) { return (pasid >> 6) & 0x3fff; }
constexpr std::uint32_t pasid_table_index(std::uint32_t pasid) { return pasid & 0x3f; }

// PASID directory entry, 64 bits (spec 9.5):
//   bit 0        P          present
//   bit 1        FPD        fault processing disable
//   bits 11:2    reserved
//   bits 63:12   SMPTBLPTR  scalable-mode PASID table pointer (bits 63:HAW reserved)
struct PasidDirEntry {
  static constexpr std::uint64_t kSize = 8;

  std::uint64_t raw = 0;

  static constexpr std::uint64_t offset(std::uint32_t pasid) { return pasid_dir_index(pasid) * kSize; }

  constexpr bool present() const { return (raw & bit(0)) != 0; }
  constexpr bool fault_processing_disabled() const { return (raw & bit(1)) != 0; }
  constexpr std::uint64_t pasid_table() const { return raw & bits_mask(63, 12); }
  constexpr bool has_reserved_bits(unsigned haw) const {
    return (raw & (bits_mask(11, 2) | above_haw_mask(haw))) != 0;
  }

  static constexpr PasidDirEntry make(std::uint64_t pasid_table, bool fpd = false, bool present = true) {
    return PasidDirEntry{(pasid_table & bits_mask(63, 12)) | (fpd ? bit(1) : 0) | (present ? bit(0) : 0)};
  }
};

// PGTT, PASID-granular translation type (spec 9.6).
enum class PasidTranslationType : std::uint8_t {
  kReserved0 = 0,
  kFirstLevel = 1,   // 001b first-level only
  kSecondLevel = 2,  // 010b second-level only
  kNested = 3,       // 011b first-level nested on second-level
  kPassThrough = 4,  // 100b pass-through
};

// PASID table entry, 512 bits (spec 9.6). Fields used here:
//   bit 0        P        present
//   bit 1        FPD      fault processing disable
//   bits 4:2     AW       second-level address width (same encoding as the context entry AW)
//   bit 5        SLEE     second-level execute enable
//   bits 8:6     PGTT     PASID-granular translation type
//   bit 9        SLADE    second-level accessed/dirty enable
//   bits 11:10   reserved
//   bits 63:12   SLPTPTR  second-level page-table pointer (bits 63:HAW reserved when used)
//   bits 79:64   DID      domain identifier
//   bits 86:80   reserved
//   bits 87..127 PWSNP, PGSNP, CD, EMTE, EMT, PWT, PCD, PAT (memory type; not modelled)
//   bit 128      SRE      supervisor request enable
//   bit 129      ERE      execute request enable
//   bits 131:130 FLPM     first-level paging mode
//   bits 139:136 reserved
//   bits 191:140 FLPTPTR  first-level page-table pointer
//   bits 511:192 (further fields and reserved bits; not checked here)
struct PasidTableEntry {
  static constexpr std::uint64_t kSize = 64;
  static constexpr unsigned kEntries = 64;

  std::array<std::uint64_t, 8> q{};

  static constexpr std::uint64_t offset(std::uint32_t pasid) { return pasid_table_index(pasid) * kSize; }

  constexpr bool present() const { return (q[0] & bit(0)) != 0; }
  constexpr bool fault_processing_disabled() const { return (q[0] & bit(1)) != 0; }
  constexpr unsigned address_width() const { return static_cast<unsigned>(field(q[0], 4, 2)); }
  constexpr PasidTranslationType translation_type() const {
    return static_cast<PasidTranslationType>(field(q[0], 8, 6));
  }
  constexpr std::uint64_t slptptr() const { return q[0] & bits_mask(63, 12); }
  constexpr std::uint16_t domain_id() const { return static_cast<std::uint16_t>(field(q[1], 15, 0)); }
  constexpr bool supervisor_requests_enabled() const { return (q[2] & bit(0)) != 0; }
  constexpr bool execute_requests_enabled() const { return (q[2] & bit(1)) != 0; }

  // Reserved fields of a present entry (the ones listed above). SLPTPTR bits 63:HAW count only
  // when the second-level table is used (PGTT second-level or nested).
  constexpr bool has_reserved_bits(unsigned haw) const {
    std::uint64_t q0 = bits_mask(11, 10);
    const auto pgtt = translation_type();
    if (pgtt == PasidTranslationType::kSecondLevel || pgtt == PasidTranslationType::kNested) {
      q0 |= above_haw_mask(haw);
    }
    return (q[0] & q0) != 0 || (q[1] & bits_mask(22, 16)) != 0 || (q[2] & bits_mask(11, 8)) != 0;
  }

  static constexpr PasidTableEntry make(PasidTranslationType pgtt, std::uint64_t slptptr, unsigned aw,
                                        std::uint16_t domain, bool fpd = false, bool present = true) {
    PasidTableEntry e;
    e.q[0] = (present ? bit(0) : 0) | (fpd ? bit(1) : 0);
    e.q[0] = with_field(e.q[0], 4, 2, aw);
    e.q[0] = with_field(e.q[0], 8, 6, static_cast<std::uint64_t>(pgtt));
    e.q[0] |= slptptr & bits_mask(63, 12);
    e.q[1] = with_field(0, 15, 0, domain);
    return e;
  }
};

}  // namespace vtdsim::spec
