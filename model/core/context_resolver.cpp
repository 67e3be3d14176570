#include "vtdsim/core/context_resolver.hpp"

#include "vtdsim/spec/context_entry.hpp"
#include "vtdsim/spec/pasid_entry.hpp"
#include "vtdsim/spec/root_entry.hpp"
#include "vtdsim/spec/scalable_context_entry.hpp"

namespace vtdsim::core {

namespace {

using spec::FaultReason;

ContextResolution fault(FaultReason reason, bool from_entry, bool fpd, SourceId source, Pasid pasid) {
  ContextResolution r;
  r.entry.source = source;
  r.entry.pasid = pasid;
  r.entry.type = TranslationType::kBlocked;
  r.entry.fault = reason;
  r.entry.fault_processing_disabled = fpd;
  r.fault_from_entry = from_entry;
  return r;
}

// Reads `count` consecutive 64-bit words; false when any byte is outside host memory.
bool read_words(const mem::PhysicalMemory& memory, std::uint64_t addr, std::uint64_t* out, unsigned count) {
  return memory.read(addr, out, count * sizeof(std::uint64_t));
}

}  // namespace

ContextResolution ContextResolver::resolve(std::uint64_t root_table, bool scalable, SourceId source, Pasid pasid,
                                           WalkReads& walk) const {
  return scalable ? resolve_scalable(root_table, source, pasid, walk) : resolve_legacy(root_table, source, walk);
}

// Legacy mode: spec 3.4.2 (root table indexed by bus, context table by devfn); faults per the
// legacy rows of table 7.1.3 (1h-3h, 8h-Bh).
ContextResolution ContextResolver::resolve_legacy(std::uint64_t root_table, SourceId source, WalkReads& walk) const {
  const Pasid no_pasid;
  std::uint64_t w[2];
  const std::uint64_t root_addr = root_table + spec::RootEntry::offset(source.bus());
  walk.push(root_addr, WalkReadKind::kRootEntry);
  if (!read_words(memory_, root_addr, w, 2)) {
    return fault(FaultReason::kRootTableAccessError, false, false, source, no_pasid);
  }
  const spec::RootEntry root{w[0], w[1]};
  if (!root.present()) return fault(FaultReason::kRootNotPresent, true, false, source, no_pasid);
  if (root.has_reserved_bits(cap_.haw)) return fault(FaultReason::kRootReserved, true, false, source, no_pasid);

  const std::uint64_t ctx_addr = root.context_table() + spec::ContextEntry::offset(source.devfn());
  walk.push(ctx_addr, WalkReadKind::kContextEntry);
  if (!read_words(memory_, ctx_addr, w, 2)) {
    return fault(FaultReason::kContextTableAccessError, false, false, source, no_pasid);
  }
  const spec::ContextEntry ctx{w[0], w[1]};
  // FPD is honoured from here on, also for a non-present entry (software blocks a device
  // silently with P=0, FPD=1).
  const bool fpd = ctx.fault_processing_disabled();
  if (!ctx.present()) return fault(FaultReason::kContextNotPresent, true, fpd, source, no_pasid);
  if (ctx.has_reserved_bits(cap_.haw)) return fault(FaultReason::kContextReserved, true, fpd, source, no_pasid);

  ContextResolution r;
  cache::ContextCacheEntry& e = r.entry;
  e.source = source;
  e.pasid = no_pasid;
  e.tag_pasid = no_pasid;
  e.domain = DomainId(ctx.domain_id());
  e.fault_processing_disabled = fpd;
  // Invalid programming (3h): TT reserved or not supported (01b needs ECAP.DT, 10b ECAP.PT), or
  // AW not in CAP.SAGAW for a context that uses the second-level table.
  switch (ctx.translation_type()) {
    case spec::ContextTranslationType::kUntranslated: e.type = TranslationType::kUntranslated; break;
    case spec::ContextTranslationType::kDeviceTlb:
      if (!cap_.dt) return fault(FaultReason::kInvalidContext, true, fpd, source, no_pasid);
      e.type = TranslationType::kDeviceTlb;
      e.device_tlb_enabled = true;
      break;
    case spec::ContextTranslationType::kPassThrough:
      if (!cap_.pt) return fault(FaultReason::kInvalidContext, true, fpd, source, no_pasid);
      e.type = TranslationType::kPassThrough;
      e.stage = TranslationStage::kPassThrough;
      break;
    default: return fault(FaultReason::kInvalidContext, true, fpd, source, no_pasid);
  }
  if (e.type != TranslationType::kPassThrough) {
    if (!spec::sagaw_supports(cap_.sagaw, ctx.address_width()) ||
        spec::paging_levels_from_aw(ctx.address_width()) == 0) {
      return fault(FaultReason::kInvalidContext, true, fpd, source, no_pasid);
    }
    e.levels = static_cast<std::uint8_t>(spec::paging_levels_from_aw(ctx.address_width()));
    e.table_root = ctx.slptptr();
  } else {
    e.levels = 0;
    e.table_root = 0;
  }
  return r;
}

// Scalable mode: spec 3.4.3 (root entry halves, 256-bit context entries, PASID directory indexed
// by PASID[19:6], PASID table by PASID[5:0]); faults per the SM rows of table 7.1.3.
ContextResolution ContextResolver::resolve_scalable(std::uint64_t root_table, SourceId source, Pasid pasid,
                                                    WalkReads& walk) const {
  std::uint64_t w[2];
  const std::uint64_t root_addr = root_table + spec::ScalableRootEntry::offset(source.bus());
  walk.push(root_addr, WalkReadKind::kRootEntry);
  if (!read_words(memory_, root_addr, w, 2)) {
    return fault(FaultReason::kSmRootAccessError, false, false, source, pasid);
  }
  const spec::ScalableRootEntry root{w[0], w[1]};
  const unsigned devfn = source.devfn();
  if (!root.present_for(devfn)) return fault(FaultReason::kSmRootNotPresent, true, false, source, pasid);
  if (root.has_reserved_bits_for(devfn, cap_.haw)) {
    return fault(FaultReason::kSmRootReserved, true, false, source, pasid);
  }

  // The 256-bit context entry is fetched as two 128-bit reads.
  spec::ScalableContextEntry ctx;
  const std::uint64_t ctx_addr = root.context_table_for(devfn) + spec::ScalableContextEntry::offset(devfn);
  walk.push(ctx_addr, WalkReadKind::kContextEntry);
  const bool low_ok = read_words(memory_, ctx_addr, &ctx.q[0], 2);
  walk.push(ctx_addr + 16, WalkReadKind::kContextEntry);
  if (!low_ok || !read_words(memory_, ctx_addr + 16, &ctx.q[2], 2)) {
    return fault(FaultReason::kSmContextAccessError, false, false, source, pasid);
  }
  bool fpd = ctx.fault_processing_disabled();
  if (!ctx.present()) return fault(FaultReason::kSmContextNotPresent, true, fpd, source, pasid);
  if (ctx.has_reserved_bits(cap_.haw)) return fault(FaultReason::kSmContextReserved, true, fpd, source, pasid);

  // Which PASID: the request's (needs PASIDE and a directory large enough), else RID_PASID.
  std::uint32_t effective = 0;
  const std::uint64_t pasid_limit = 1ull << (cap_.pss + 1u > 20u ? 20u : cap_.pss + 1u);
  if (pasid.present()) {
    if (!ctx.pasid_enabled()) return fault(FaultReason::kSmPasidDisabled, false, fpd, source, pasid);
    if (pasid.value >= pasid_limit || spec::pasid_dir_index(pasid.value) >= ctx.pasid_dir_entries()) {
      return fault(FaultReason::kSmPasidBeyondDirectory, false, fpd, source, pasid);
    }
    effective = pasid.value;
  } else {
    effective = ctx.rid_pasid();
    if (effective >= pasid_limit || spec::pasid_dir_index(effective) >= ctx.pasid_dir_entries()) {
      return fault(FaultReason::kSmRidPasidError, true, fpd, source, pasid);
    }
  }

  spec::PasidDirEntry dir;
  const std::uint64_t dir_addr = ctx.pasid_dir_pointer() + spec::PasidDirEntry::offset(effective);
  walk.push(dir_addr, WalkReadKind::kPasidDirectory);
  if (!read_words(memory_, dir_addr, &dir.raw, 1)) {
    return fault(FaultReason::kSmPasidDirAccessError, false, fpd, source, pasid);
  }
  fpd = fpd || dir.fault_processing_disabled();
  if (!dir.present()) return fault(FaultReason::kSmPasidDirNotPresent, true, fpd, source, pasid);
  if (dir.has_reserved_bits(cap_.haw)) return fault(FaultReason::kSmPasidDirReserved, true, fpd, source, pasid);

  // The 512-bit PASID-table entry is recorded as one read (one 64-byte line).
  spec::PasidTableEntry pte;
  const std::uint64_t pte_addr = dir.pasid_table() + spec::PasidTableEntry::offset(effective);
  walk.push(pte_addr, WalkReadKind::kPasidTable);
  if (!read_words(memory_, pte_addr, pte.q.data(), 8)) {
    return fault(FaultReason::kSmPasidEntryAccessError, false, fpd, source, pasid);
  }
  fpd = fpd || pte.fault_processing_disabled();
  if (!pte.present()) return fault(FaultReason::kSmPasidEntryNotPresent, true, fpd, source, pasid);
  if (pte.has_reserved_bits(cap_.haw)) {
    return fault(FaultReason::kSmPasidEntryReserved, true, fpd, source, pasid);
  }

  ContextResolution r;
  cache::ContextCacheEntry& e = r.entry;
  e.source = source;
  e.pasid = pasid;
  e.tag_pasid = Pasid(effective);
  e.domain = DomainId(pte.domain_id());
  e.fault_processing_disabled = fpd;
  e.device_tlb_enabled = ctx.device_tlb_enabled();
  e.rid_priv = ctx.rid_priv();
  // SPT.4 (5Bh): PGTT reserved or not supported (001b needs ECAP.FLTS, 011b ECAP.NEST, which is
  // valid only with FLTS and SLTS), AW not in SAGAW where the second stage is used, or FSPM
  // reserved (10b, 11b) or 5-level without CAP.FS5LP where the first stage is used.
  const auto pgtt = pte.translation_type();
  if (pgtt == spec::PasidTranslationType::kSecondLevel || pgtt == spec::PasidTranslationType::kNested) {
    const unsigned levels = spec::paging_levels_from_aw(pte.address_width());
    if (!cap_.slts || levels == 0 || !spec::sagaw_supports(cap_.sagaw, pte.address_width())) {
      return fault(FaultReason::kSmPasidEntryInvalid, true, fpd, source, pasid);
    }
    e.levels = static_cast<std::uint8_t>(levels);
    e.table_root = pte.slptptr();
  }
  if (pte.uses_first_stage()) {
    const unsigned fs_levels = spec::fs_levels_from_fspm(pte.fspm());
    const bool supported =
        pgtt == spec::PasidTranslationType::kFirstLevel ? cap_.flts : cap_.nest && cap_.flts && cap_.slts;
    if (!supported || fs_levels == 0 || (fs_levels == 5 && !cap_.fl5lp)) {
      return fault(FaultReason::kSmPasidEntryInvalid, true, fpd, source, pasid);
    }
    e.fs_levels = static_cast<std::uint8_t>(fs_levels);
    e.fs_table_root = pte.fsptptr();
    e.sre = pte.supervisor_requests_enabled();
    e.ere = pte.execute_requests_enabled();
    e.wpe = pte.write_protect_enabled();
    e.eafe = pte.extended_accessed_enabled();
  }
  switch (pgtt) {
    case spec::PasidTranslationType::kSecondLevel:
    case spec::PasidTranslationType::kFirstLevel:
    case spec::PasidTranslationType::kNested:
      e.type = e.device_tlb_enabled ? TranslationType::kDeviceTlb : TranslationType::kUntranslated;
      e.stage = pgtt == spec::PasidTranslationType::kSecondLevel  ? TranslationStage::kSecond
                : pgtt == spec::PasidTranslationType::kFirstLevel ? TranslationStage::kFirst
                                                                  : TranslationStage::kNested;
      if (pgtt == spec::PasidTranslationType::kFirstLevel) {
        e.levels = 0;
        e.table_root = 0;
      }
      break;
    case spec::PasidTranslationType::kPassThrough:
      if (!cap_.pt) return fault(FaultReason::kSmPasidEntryInvalid, true, fpd, source, pasid);
      e.type = TranslationType::kPassThrough;
      e.stage = TranslationStage::kPassThrough;
      e.levels = 0;
      e.table_root = 0;
      break;
    default: return fault(FaultReason::kSmPasidEntryInvalid, true, fpd, source, pasid);
  }
  return r;
}

}  // namespace vtdsim::core
