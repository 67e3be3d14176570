// Test helper for first-stage and nested translation (VT-d spec 3.6, 3.8): a scalable-mode rig
// whose unit supports first-stage (ECAP.FLTS), nested (ECAP.NEST), 1 GiB first-stage pages
// (CAP.FS1GP) and 5-level first-stage tables (CAP.FS5LP), with one device in it.
#pragma once
#include "translation_rig.hpp"

namespace vtdsim::fsrig {

inline const SourceId kDev = SourceId::from_bdf(0, 3, 0);

inline config::UnitConfig fs_config() {
  config::UnitConfig c;
  c.cap.flts = true;
  c.cap.nest = true;
  c.cap.slts = true;
  c.cap.fl1gp = 1;
  c.cap.fl5lp = true;
  return c;
}

// The first-stage attributes of a request (spec 3.6.1).
struct Req {
  Access access = Access::kRead;
  bool privileged = false;
  bool execute = false;
};

struct FsRig : txrig::Rig {
  explicit FsRig(const config::UnitConfig& c = fs_config(), core::ScalableContextOptions ctx = {})
      : Rig(core::TableFormat::kScalable, c) {
    tables->set_scalable_context(kDev, ctx);
  }

  core::TranslationResult tx(std::uint64_t iova, Pasid pasid, Req r = {}) {
    core::TranslationRequest request;
    request.source = kDev;
    request.pasid = pasid;
    request.iova = Iova(iova);
    request.access = r.access;
    request.privileged = r.privileged;
    request.execute = r.execute;
    return unit->translate(request);
  }

  std::uint64_t read(std::uint64_t addr) const {
    std::uint64_t v = 0;
    memory.read64(addr, v);
    return v;
  }
  void patch(std::uint64_t addr, std::uint64_t set_bits, std::uint64_t clear_bits = 0) {
    memory.write64(addr, (read(addr) & ~clear_bits) | set_bits);
  }
  // The context's reads (scalable root, context entry halves, PASID directory and table entries).
  std::vector<core::WalkRead> context_reads(Pasid pasid) const {
    using core::WalkReadKind;
    const std::uint64_t ctx = tables->context_entry_address(kDev);
    return {{tables->root_entry_address(kDev.bus()), WalkReadKind::kRootEntry, 0, false},
            {ctx, WalkReadKind::kContextEntry, 0, false},
            {ctx + 16, WalkReadKind::kContextEntry, 0, false},
            {tables->pasid_dir_entry_address(kDev, pasid), WalkReadKind::kPasidDirectory, 0, false},
            {tables->pasid_entry_address(kDev, pasid), WalkReadKind::kPasidTable, 0, false}};
  }
};

inline core::WalkRead fs_read(std::uint64_t addr, unsigned level) {
  return core::WalkRead{addr, core::WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level), true};
}
inline core::WalkRead ss_read(std::uint64_t addr, unsigned level) {
  return core::WalkRead{addr, core::WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level), false};
}

}  // namespace vtdsim::fsrig
