// Test helper for the translation path: a remapping unit over a sparse memory, a TableBuilder for
// its tables, and register programming as a driver does it (VT-d spec 11.4.4 GCMD, 11.4.5 RTADDR).
#pragma once
#include <memory>
#include <ostream>
#include <vector>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/mem/sparse_memory.hpp"

namespace vtdsim::txrig {

constexpr std::uint32_t kGcmd = 0x18;
constexpr std::uint32_t kGsts = 0x1c;
constexpr std::uint32_t kRtaddr = 0x20;
constexpr std::uint32_t kFsts = 0x34;
constexpr std::uint32_t kGcmdTe = 1u << 31;
constexpr std::uint32_t kGcmdSrtp = 1u << 30;

constexpr std::uint64_t kTableRegion = 0x100000;      // tables live at 1 MiB..
constexpr std::uint64_t kTableRegionSize = 0x400000;  // ..5 MiB
constexpr std::uint64_t kMemoryLimit = 1ull << 32;    // 4 GiB of host memory; above is unbacked

struct Rig {
  config::UnitConfig config;
  mem::SparseMemory memory;
  std::unique_ptr<core::RemappingUnit> unit;
  std::unique_ptr<core::TableBuilder> tables;

  explicit Rig(core::TableFormat format = core::TableFormat::kLegacy,
               const config::UnitConfig& cfg = config::UnitConfig{})
      : config(cfg), memory(kMemoryLimit) {
    unit = std::make_unique<core::RemappingUnit>(config, memory);
    tables = std::make_unique<core::TableBuilder>(memory, kTableRegion, kTableRegionSize, format, config.cap.haw);
  }

  // SRTP with the builder's root table, then TE.
  void enable() { enable_with_rtaddr(tables->rtaddr()); }
  void enable_with_rtaddr(std::uint64_t rtaddr) {
    unit->write_register(kRtaddr, 8, rtaddr);
    unit->write_register(kGcmd, 4, kGcmdSrtp);
    unit->write_register(kGcmd, 4, kGcmdTe);
  }

  core::TranslationResult translate(SourceId source, std::uint64_t iova, Access access = Access::kRead,
                                    Pasid pasid = Pasid{}, AddressType at = AddressType::kUntranslated) {
    core::TranslationRequest request;
    request.source = source;
    request.pasid = pasid;
    request.iova = Iova(iova);
    request.access = access;
    request.address_type = at;
    return unit->translate(request);
  }

  // Fault recording registers with F set (spec 11.4.7.6; FRCD at CAP.FRO, 16 bytes each).
  struct Recorded {
    std::uint8_t reason;
    std::uint16_t source;
    std::uint64_t address;
    std::uint8_t address_type;  // FRCD.AT, bits 125:124
    bool pasid_present;         // FRCD.PP, bit 95
    std::uint32_t pasid;        // FRCD.PV, bits 123:104
  };
  std::vector<Recorded> recorded_faults() {
    std::vector<Recorded> out;
    for (unsigned i = 0; i < config.cap.nfr; ++i) {
      const std::uint32_t base = config.cap.fro + 16 * i;
      const std::uint64_t hi = unit->read_register(base + 8, 8);
      if ((hi >> 63) & 1) {
        out.push_back(Recorded{static_cast<std::uint8_t>((hi >> 32) & 0xff), static_cast<std::uint16_t>(hi & 0xffff),
                               unit->read_register(base, 8) & ~0xfffull, static_cast<std::uint8_t>((hi >> 60) & 3),
                               ((hi >> 31) & 1) != 0, static_cast<std::uint32_t>((hi >> 40) & 0xfffff)});
      }
    }
    return out;
  }
};

inline std::vector<core::WalkRead> reads_of(const core::TranslationResult& r) {
  return std::vector<core::WalkRead>(r.walk.begin(), r.walk.end());
}

}  // namespace vtdsim::txrig

namespace vtdsim::core {
inline bool operator==(const WalkRead& a, const WalkRead& b) {
  return a.addr == b.addr && a.kind == b.kind && a.level == b.level && a.first_stage == b.first_stage;
}
inline std::ostream& operator<<(std::ostream& os, const WalkRead& r) {
  return os << "{addr=0x" << std::hex << r.addr << std::dec << " kind=" << static_cast<int>(r.kind)
            << " level=" << static_cast<int>(r.level) << (r.first_stage ? " fs" : "") << "}";
}
}  // namespace vtdsim::core

namespace vtdsim::spec {
inline std::ostream& operator<<(std::ostream& os, FaultReason r) {
  return os << fault_reason_name(r) << "(0x" << std::hex << static_cast<int>(r) << std::dec << ")";
}
}  // namespace vtdsim::spec
