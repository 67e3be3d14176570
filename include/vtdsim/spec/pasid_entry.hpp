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
  constexpr bool has_reserved_bits(unsigned haw) const { return (raw & (bits_mask(11, 2) | above_haw_mask(haw))) != 0; }

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

// First-stage paging mode, FSPM (spec 9.6, bits 131:130): 00b 4-level, 01b 5-level (needs
// CAP.FS5LP); 10b and 11b are reserved.
constexpr unsigned fs_levels_from_fspm(unsigned fspm) { return fspm == 0 ? 4 : fspm == 1 ? 5 : 0; }
constexpr unsigned fspm_from_fs_levels(unsigned levels) { return levels == 5 ? 1 : 0; }

// PASID table entry, 512 bits (spec 9.6). Fields used here:
//   bit 0        P        present
//   bit 1        FPD      fault processing disable
//   bits 4:2     AW       second-stage address width (same encoding as the context entry AW)
//   bit 5        SSEE     second-stage execute enable
//   bits 8:6     PGTT     PASID-granular translation type
//   bit 9        SSADE    second-stage accessed/dirty enable
//   bits 11:10   reserved
//   bits 63:12   SSPTPTR  second-stage page-table pointer (bits 63:HAW reserved when used)
//   bits 79:64   DID      domain identifier (tags first- and second-stage cache entries)
//   bits 86:80   reserved
//   bits 87..127 PWSNP, PGSNP, CD, EMTE, EMT, PWT, PCD, PAT (memory type; not modelled)
//   bit 128      SRE      supervisor request enable (first-stage: privileged requests allowed)
//   bit 129      ERE      execute request enable (first-stage: execute requests allowed)
//   bits 131:130 FSPM     first-stage paging mode (fs_levels_from_fspm)
//   bit 132      WPE      write protect enable: supervisor writes honour R/W (spec 3.6.1)
//   bits 134:133 (not checked)
//   bit 135      EAFE     extended-accessed flag enable: the walk also sets EA (bit 10)
//   bits 139:136 reserved
//   bits 191:140 FSPTPTR  first-stage page-table pointer: host address (PGTT 001b), guest-
//                         physical address translated by the second stage (PGTT 011b, spec 3.8)
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
  constexpr unsigned fspm() const { return static_cast<unsigned>(field(q[2], 3, 2)); }
  constexpr bool write_protect_enabled() const { return (q[2] & bit(4)) != 0; }
  constexpr bool extended_accessed_enabled() const { return (q[2] & bit(7)) != 0; }
  constexpr std::uint64_t fsptptr() const { return q[2] & bits_mask(63, 12); }
  constexpr bool uses_first_stage() const {
    return translation_type() == PasidTranslationType::kFirstLevel ||
           translation_type() == PasidTranslationType::kNested;
  }
  constexpr bool uses_second_stage() const {
    return translation_type() == PasidTranslationType::kSecondLevel ||
           translation_type() == PasidTranslationType::kNested;
  }

  // Reserved fields of a present entry (the ones listed above). SSPTPTR bits 63:HAW count only
  // when the second-stage table is used (PGTT second-stage or nested), FSPTPTR bits 191:128+HAW
  // only when FSPTPTR is a host address (PGTT first-stage only; nested: a guest-physical
  // address, bounded by the second stage instead, SFS.5).
  constexpr bool has_reserved_bits(unsigned haw) const {
    std::uint64_t q0 = bits_mask(11, 10);
    std::uint64_t q2 = bits_mask(11, 8);
    if (uses_second_stage()) q0 |= above_haw_mask(haw);
    if (translation_type() == PasidTranslationType::kFirstLevel) q2 |= above_haw_mask(haw);
    return (q[0] & q0) != 0 || (q[1] & bits_mask(22, 16)) != 0 || (q[2] & q2) != 0;
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

  // The first-stage fields (PGTT 001b, or 011b together with make()'s second-stage fields).
  struct FirstStage {
    std::uint64_t fsptptr = 0;
    unsigned levels = 4;  // FSPM: 4 or 5
    bool sre = false, ere = false, wpe = false, eafe = false;
  };
  constexpr PasidTableEntry& with_first_stage(const FirstStage& f) {
    q[2] = (f.sre ? bit(0) : 0) | (f.ere ? bit(1) : 0) | (f.wpe ? bit(4) : 0) | (f.eafe ? bit(7) : 0);
    q[2] = with_field(q[2], 3, 2, fspm_from_fs_levels(f.levels));
    q[2] |= f.fsptptr & bits_mask(63, 12);
    return *this;
  }
  static constexpr PasidTableEntry make_first_stage(const FirstStage& f, std::uint16_t domain, bool fpd = false) {
    PasidTableEntry e = make(PasidTranslationType::kFirstLevel, 0, 0, domain, fpd);
    e.with_first_stage(f);
    return e;
  }
  static constexpr PasidTableEntry make_nested(const FirstStage& f, std::uint64_t slptptr, unsigned aw,
                                               std::uint16_t domain, bool fpd = false) {
    PasidTableEntry e = make(PasidTranslationType::kNested, slptptr, aw, domain, fpd);
    e.with_first_stage(f);
    return e;
  }
};

}  // namespace vtdsim::spec
