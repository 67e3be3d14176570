// The translation path of the remapping unit (VT-d spec chapter 3 "DMA Remapping", chapter 6
// caching, 7.1 fault conditions): TE check, context resolution (context cache or table reads),
// pass-through, IOTLB, paging-structure caches and the second-level walk, fault recording.
// No allocation and no exceptions on this path.

#include "vtdsim/core/context_resolver.hpp"
#include "vtdsim/core/first_stage_walker.hpp"
#include "vtdsim/core/page_walker.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/spec/context_entry.hpp"

namespace vtdsim::core {

namespace {

using spec::FaultReason;

constexpr std::uint64_t kPageOffsetMask = kPageSize4K - 1;

// Result for requests that are not remapped (TE=0, pass-through, translated requests).
void pass_through(const TranslationRequest& request, TranslationResult& result) {
  result.host = HostAddr(request.iova.value);
  result.page_size = kPageSize4K;
  result.perms = Perms{true, true};
  result.outcome.translated = false;
}

FaultReason permission_fault(bool scalable, Access access) {
  if (access == Access::kWrite) return scalable ? FaultReason::kSmWriteDenied : FaultReason::kWriteDenied;
  return scalable ? FaultReason::kSmReadDenied : FaultReason::kReadDenied;
}

// Spec table 7.1.3. Legacy mode has no "paging entry not present" code: an entry with R=W=0
// grants neither permission, so the request is reported as lacking the permission it needed
// (5h write / 6h read). Scalable mode reports it as SSL.2.
FaultReason walk_fault_reason(WalkFault fault, bool scalable, Access access) {
  switch (fault) {
    case WalkFault::kPointerAccessError:
      // Legacy: "access to the second-level paging entry referenced through SLPTPTR in the
      // context entry resulted in an error" is a case of 3h.
      return scalable ? FaultReason::kSmSlPointerInvalid : FaultReason::kInvalidContext;
    case WalkFault::kAccessError:
      return scalable ? FaultReason::kSmSlAccessError : FaultReason::kPagingEntryAccessError;
    case WalkFault::kNotPresent: return scalable ? FaultReason::kSmSlNotPresent : permission_fault(false, access);
    case WalkFault::kReserved: return scalable ? FaultReason::kSmSlReserved : FaultReason::kPagingEntryReserved;
    case WalkFault::kNone: break;
  }
  return FaultReason::kNone;
}

// A negative IOTLB entry (CAP.CM=1) of a legacy non-present page stores the reason seen by the
// request that cached it; a later request reports the permission it lacks.
FaultReason cached_fault_reason(FaultReason stored, Access access) {
  if (stored == FaultReason::kReadDenied || stored == FaultReason::kWriteDenied) {
    return permission_fault(false, access);
  }
  return stored;
}

}  // namespace

// Fills a faulted result and records the fault unless fault processing is disabled (FPD).
void RemappingUnit::fail_translation(const TranslationRequest& request, TranslationResult& result, FaultReason reason,
                                     bool fpd) {
  result.fault = reason;
  result.host = HostAddr{};
  result.page_size = 0;
  result.perms = Perms{};
  if (!fpd) {
    FaultRecord record;
    record.source = request.source;
    record.pasid = request.pasid;
    record.address = request.iova.value & ~kPageOffsetMask;
    record.access = request.access;
    record.reason = reason;
    record.address_type = request.address_type;
    faults_.record(record);
  }
}

// The translation of a leaf (an IOTLB entry or a walk's result): permission check, host address.
inline void RemappingUnit::finish_translation(const TranslationRequest& request, TranslationResult& result,
                                              const cache::IotlbEntry& leaf, bool scalable, bool fpd) {
  const std::uint64_t page_size = 1ull << leaf.page_shift;
  if (!leaf.perms.allows(request.access)) {
    fail_translation(request, result, permission_fault(scalable, request.access), fpd);
    result.fault_stage = TranslationStage::kSecond;
    return;
  }
  result.host = HostAddr(leaf.host_base + (request.iova.value & (page_size - 1)));
  result.page_size = page_size;
  result.perms = leaf.perms;
  result.outcome.translated = true;
}

// Every path fills `result` in place and returns the named `result`, so it is constructed in the
// caller's slot (NRVO): returning a copy would copy the whole result (WalkReads included). The
// common case (context-cache hit, IOTLB hit) stays in this function; context resolution from the
// tables and the page walk are out of line (resolve_context, walk_and_fill).
TranslationResult RemappingUnit::translate(const TranslationRequest& request) {
  TranslationResult result;

  // Remapping disabled (GSTS.TES = 0): DMA goes to the address the device issued.
  if (!registers_.translation_enabled()) {
    pass_through(request, result);
    return result;
  }
  const bool scalable = registers_.scalable_mode();
  if (!scalable && request.pasid.present()) {
    fail_translation(request, result, FaultReason::kSmLegacyRequestWithPasid, false);
    return result;
  }

  // Context: context cache, else the tables. On a hit the cached entry is used in place (the
  // context arrays are not written again before this translation ends).
  const cache::ContextCacheEntry* ctx = caches_.find_context(request.source, request.pasid);
  if (ctx != nullptr) {
    // Requests with a PASID are looked up in the PASID cache, others in the context cache (the
    // caches' counters split the same way).
    result.outcome.context_cache_hit = !request.pasid.present();
    result.outcome.pasid_cache_hit = request.pasid.present();
  } else {
    ctx = &resolve_context(request, scalable, result);
  }
  const cache::ContextCacheEntry& context = *ctx;
  const bool fpd = context.fault_processing_disabled;
  if (context.fault != FaultReason::kNone) {
    fail_translation(request, result, context.fault, fpd);
    return result;
  }
  result.domain = context.domain;
  result.stage = context.stage;

  // Request address type against the context (legacy TT, spec 9.3; scalable DTE, spec 9.4).
  if (request.address_type != AddressType::kUntranslated && !context.device_tlb_enabled) {
    fail_translation(request, result, scalable ? FaultReason::kSmDeviceTlbDisabled : FaultReason::kTranslationBlocked,
                     fpd);
    return result;
  }
  if (request.address_type == AddressType::kTranslated) {
    // Already translated by the device's TLB: not remapped again.
    pass_through(request, result);
    return result;
  }
  if (context.type == TranslationType::kPassThrough) {
    pass_through(request, result);
    return result;
  }
  if (__builtin_expect(context.fs_levels != 0, 0)) {
    translate_first_stage(request, context, result);
    return result;
  }

  // Input-address width: above 2^X - 1, X = min(MGAW, AGAW of the table), faults (4h / SGN.5).
  unsigned width = spec::agaw_bits(context.levels);
  if (config_.cap.mgaw < width) width = config_.cap.mgaw;
  if (width < 64 && (request.iova.value >> width) != 0) {
    fail_translation(request, result, scalable ? FaultReason::kSmAddressBeyondAgaw : FaultReason::kAddressBeyondAgaw,
                     fpd);
    return result;
  }

  if (const cache::IotlbEntry* hit =
          caches_.find_iotlb(request.source, context.domain, context.tag_pasid, request.iova)) {
    result.outcome.iotlb_hit = true;
    if (hit->fault != FaultReason::kNone) {
      fail_translation(request, result, cached_fault_reason(hit->fault, request.access), fpd);
      result.fault_stage = TranslationStage::kSecond;
      return result;
    }
    finish_translation(request, result, *hit, scalable, fpd);
    return result;
  }
  walk_and_fill(request, context, scalable, result);
  return result;
}

const cache::ContextCacheEntry& RemappingUnit::resolve_context(const TranslationRequest& request, bool scalable,
                                                               TranslationResult& result) {
  const ContextResolver resolver(config_.cap, memory_);
  const ContextResolution resolved =
      resolver.resolve(registers_.root_table_address(), scalable, request.source, request.pasid, result.walk);
  const cache::ContextCacheEntry& entry = resolved_context_ = resolved.entry;
  if (resolved.ok() || (config_.cap.caching_mode && resolved.fault_from_entry)) caches_.fill_context(entry);
  return entry;
}

// IOTLB miss: page walk, from the deepest paging-structure-cache entry if one covers the address;
// fills the paging-structure caches and the IOTLB.
void RemappingUnit::walk_and_fill(const TranslationRequest& request, const cache::ContextCacheEntry& context,
                                  bool scalable, TranslationResult& result) {
  const config::CapabilityConfig& cap = config_.cap;
  const unsigned levels = context.levels;
  const DomainId domain = context.domain;
  const Pasid tag = context.tag_pasid;
  const bool fpd = context.fault_processing_disabled;
  WalkStart start{context.table_root, static_cast<std::uint8_t>(levels), Perms{true, true}};
  cache::PscEntry cached;
  if (caches_.find_walk_start(domain, tag, request.iova, levels, cached) && cached.level >= 2 &&
      cached.level <= levels) {
    start = WalkStart{cached.next_table, static_cast<std::uint8_t>(cached.level - 1), cached.perms};
    result.outcome.psc_hit_level = cached.level;
  }
  result.outcome.walk_start_level = start.level;
  const PageWalker walker(cap, memory_);
  const WalkOutcome walked = walker.walk(start, levels, request.iova, scalable, result.walk);

  // Non-leaf entries fetched are valid whatever happened below them. The top-level entry is
  // cached too (spec 6.2.4: a 4-level table's PML4E goes in the PML4E cache), so a hit there
  // skips the top-level read.
  for (std::uint8_t i = 0; i < walked.psc_count; ++i) {
    cache::PscEntry psc = walked.psc[i];
    if (psc.level > levels) continue;
    psc.domain = domain;
    psc.pasid = tag;
    caches_.fill_psc(psc);
  }

  cache::IotlbEntry leaf;
  leaf.source = request.source;
  leaf.domain = domain;
  leaf.pasid = tag;
  if (walked.fault != WalkFault::kNone) {
    const FaultReason reason = walk_fault_reason(walked.fault, scalable, request.access);
    // CAP.CM=1: not-present and erroneous translations may be cached (as a 4 KiB negative entry).
    if (cap.caching_mode && (walked.fault == WalkFault::kNotPresent || walked.fault == WalkFault::kReserved)) {
      leaf.iova_base = request.iova.value & ~kPageOffsetMask;
      leaf.page_shift = 12;
      leaf.level = 1;
      leaf.fault = reason;
      caches_.fill_iotlb(leaf);
    }
    fail_translation(request, result, reason, fpd);
    result.fault_stage = TranslationStage::kSecond;
    return;
  }
  leaf.page_shift = walked.page_shift;
  leaf.level = walked.leaf_level;
  leaf.iova_base = request.iova.value & ~((1ull << walked.page_shift) - 1);
  leaf.host_base = walked.page_base;
  leaf.perms = walked.perms;
  caches_.fill_iotlb(leaf);
  finish_translation(request, result, leaf, scalable, fpd);
}

namespace {

// The spec 3.6.1 access rights of a cached first-stage translation for one request, in the walk's
// order (user, execute, first-stage write, then the second stage of a nested translation). A write
// to a page whose cached leaf had D = 0 is a miss: only a walk sets D (spec 3.6.2).
enum class FsHit : std::uint8_t { kOk, kFault, kWalk };
struct FsHitCheck {
  FsHit outcome = FsHit::kOk;
  FaultReason fault = FaultReason::kNone;
  TranslationStage stage = TranslationStage::kNone;
  Perms perms;
};
FsHitCheck check_fs_hit(const cache::IotlbEntry& e, bool supervisor, bool execute, Access access, bool wpe) {
  namespace f = cache::fs_leaf;
  FsHitCheck c;
  const auto deny = [&c](FaultReason reason, TranslationStage stage) {
    c.outcome = FsHit::kFault;
    c.fault = reason;
    c.stage = stage;
    return c;
  };
  if (!supervisor && (e.fs_flags & f::kUser) == 0) return deny(FaultReason::kSmFsUserDenied, TranslationStage::kFirst);
  if (execute && (e.fs_flags & f::kExecuteDisable) != 0)
    return deny(FaultReason::kSmFsExecuteDenied, TranslationStage::kFirst);
  const bool fs_writable = (e.fs_flags & f::kWritable) != 0;
  const bool may_write = supervisor ? (!wpe || fs_writable) : fs_writable;
  const bool write = access == Access::kWrite;
  if (write && !may_write) return deny(FaultReason::kSmWriteDenied, TranslationStage::kFirst);
  if (write && (e.fs_flags & f::kDirty) == 0) {
    c.outcome = FsHit::kWalk;
    return c;
  }
  if (!e.perms.allows(access)) {
    return deny(write ? FaultReason::kSmWriteDenied : FaultReason::kSmReadDenied, TranslationStage::kSecond);
  }
  c.perms = Perms{e.perms.read, e.perms.write && may_write};
  return c;
}

}  // namespace

// PGTT 001b / 011b (spec 3.6, 3.8): the privilege and execute checks of the PASID entry, the IOTLB
// (first-stage leaves tagged by DID and PASID, spec 6.2.3, with their path's access rights), then
// the first-stage (nested) walk, from the deepest first-stage paging-structure-cache entry covering
// the address (spec 6.2.4; nested: its next table already translated through the second stage) or
// from FSPTPTR; the walk's non-leaf entries fill the paging-structure caches and its leaf the IOTLB.
// Requests without PASID take their privilege from RID_PRIV (spec 9.4) and are never execute
// requests.
void RemappingUnit::translate_first_stage(const TranslationRequest& request, const cache::ContextCacheEntry& context,
                                          TranslationResult& result) {
  const bool fpd = context.fault_processing_disabled;
  const bool with_pasid = request.pasid.present();
  const bool supervisor = with_pasid ? request.privileged : context.rid_priv;
  const bool execute = with_pasid && request.execute;
  // SPT.6 / SPT.5 (spec 9.6 SRE, ERE).
  if (supervisor && !context.sre) {
    fail_translation(request, result, FaultReason::kSmSupervisorRequestDisabled, fpd);
    return;
  }
  if (execute && !context.ere) {
    fail_translation(request, result, FaultReason::kSmExecuteRequestDisabled, fpd);
    return;
  }
  if (const cache::IotlbEntry* hit =
          caches_.find_iotlb(request.source, context.domain, context.tag_pasid, request.iova)) {
    // A second-stage entry of the same (DID, PASID) is stale (PGTT changed without invalidation):
    // walk as on a miss.
    if ((hit->fs_flags & cache::fs_leaf::kFirstStage) != 0 && hit->fault == FaultReason::kNone) {
      const FsHitCheck c = check_fs_hit(*hit, supervisor, execute, request.access, context.wpe);
      if (c.outcome != FsHit::kWalk) {
        result.outcome.iotlb_hit = true;
        if (c.outcome == FsHit::kFault) {
          fail_translation(request, result, c.fault, fpd);
          result.fault_stage = c.stage;
          return;
        }
        const std::uint64_t page_size = 1ull << hit->page_shift;
        result.host = HostAddr(hit->host_base + (request.iova.value & (page_size - 1)));
        result.page_size = page_size;
        result.perms = c.perms;
        result.outcome.translated = true;
        return;
      }
    }
  }
  FsWalkContext walk_context;
  walk_context.fs_table = context.fs_table_root;
  walk_context.fs_levels = context.fs_levels;
  walk_context.wpe = context.wpe;
  walk_context.eafe = context.eafe;
  walk_context.nested = context.stage == TranslationStage::kNested;
  walk_context.ss_table = context.table_root;
  walk_context.ss_levels = context.levels;
  const FsWalkRequest walk_request{request.iova, request.access, supervisor, execute};
  FsWalkStart start;
  result.outcome.walk_start_level = context.fs_levels;
  cache::PscEntry cached;
  if (caches_.find_walk_start(context.domain, context.tag_pasid, request.iova, context.fs_levels, cached, true) &&
      cached.first_stage() && cached.level >= 2 && cached.level <= context.fs_levels) {
    start = FsWalkStart{cached.next_table, static_cast<std::uint8_t>(cached.level - 1), cached.fs_flags,
                        cached.next_table_gpa};
    result.outcome.psc_hit_level = cached.level;
    result.outcome.walk_start_level = start.level;
  }
  const FirstStageWalker walker(config_.cap, memory_);
  const FsWalkOutcome walked = walker.walk(walk_context, walk_request, result.walk, start);
  for (std::uint8_t i = 0; i < walked.psc_count; ++i) {
    cache::PscEntry psc = walked.psc[i];
    psc.domain = context.domain;
    psc.pasid = context.tag_pasid;
    caches_.fill_psc(psc);
  }
  result.walk_writes = walked.writes;
  if (!walked.ok()) {
    fail_translation(request, result, walked.fault, fpd);
    result.fault_stage = walked.fault_stage;
    return;
  }
  const std::uint64_t page_size = 1ull << walked.page_shift;
  cache::IotlbEntry leaf;
  leaf.source = request.source;
  leaf.domain = context.domain;
  leaf.pasid = context.tag_pasid;
  leaf.iova_base = request.iova.value & ~(page_size - 1);
  leaf.page_shift = walked.page_shift;
  leaf.level = static_cast<std::uint8_t>((walked.page_shift - 12) / 9 + 1);
  leaf.host_base = walked.host_base;
  leaf.perms = walked.ss_perms;
  leaf.fs_flags = walked.fs_flags;
  caches_.fill_iotlb(leaf);
  result.host = HostAddr(walked.host_base + (request.iova.value & (page_size - 1)));
  result.page_size = page_size;
  result.perms = walked.perms;
  result.outcome.translated = true;
}

// The checks of translate() and translate_first_stage() in the same order, on a context resolved
// from the tables and a walk from its top (no cache is consulted, so a stale cache entry that a
// DMA would still use is not seen), with nothing recorded: a debugger's view through the tables.
TranslationResult RemappingUnit::translate_debug(const TranslationRequest& request) const {
  TranslationResult result;
  const mem::PhysicalMemory& memory = memory_;  // read-only: no A/D bit can be written
  const auto fail = [&result](FaultReason reason, TranslationStage stage = TranslationStage::kNone) {
    result.fault = reason;
    result.fault_stage = stage;
    result.host = HostAddr{};
    result.page_size = 0;
    result.perms = Perms{};
  };
  if (!registers_.translation_enabled()) {
    pass_through(request, result);
    return result;
  }
  const bool scalable = registers_.scalable_mode();
  if (!scalable && request.pasid.present()) {
    fail(FaultReason::kSmLegacyRequestWithPasid);
    return result;
  }
  const ContextResolver resolver(config_.cap, memory);
  const ContextResolution resolved =
      resolver.resolve(registers_.root_table_address(), scalable, request.source, request.pasid, result.walk);
  const cache::ContextCacheEntry& context = resolved.entry;
  if (context.fault != FaultReason::kNone) {
    fail(context.fault);
    return result;
  }
  result.domain = context.domain;
  result.stage = context.stage;
  if (request.address_type != AddressType::kUntranslated && !context.device_tlb_enabled) {
    fail(scalable ? FaultReason::kSmDeviceTlbDisabled : FaultReason::kTranslationBlocked);
    return result;
  }
  if (request.address_type == AddressType::kTranslated || context.type == TranslationType::kPassThrough) {
    pass_through(request, result);
    return result;
  }
  if (context.fs_levels != 0) {
    const bool with_pasid = request.pasid.present();
    const bool supervisor = with_pasid ? request.privileged : context.rid_priv;
    const bool execute = with_pasid && request.execute;
    if (supervisor && !context.sre) {
      fail(FaultReason::kSmSupervisorRequestDisabled);
      return result;
    }
    if (execute && !context.ere) {
      fail(FaultReason::kSmExecuteRequestDisabled);
      return result;
    }
    FsWalkContext walk_context;
    walk_context.fs_table = context.fs_table_root;
    walk_context.fs_levels = context.fs_levels;
    walk_context.wpe = context.wpe;
    walk_context.eafe = context.eafe;
    walk_context.nested = context.stage == TranslationStage::kNested;
    walk_context.ss_table = context.table_root;
    walk_context.ss_levels = context.levels;
    result.outcome.walk_start_level = context.fs_levels;
    const FirstStageWalker walker(config_.cap, memory);
    const FsWalkOutcome walked =
        walker.walk(walk_context, FsWalkRequest{request.iova, request.access, supervisor, execute}, result.walk);
    if (!walked.ok()) {
      fail(walked.fault, walked.fault_stage);
      return result;
    }
    const std::uint64_t page_size = 1ull << walked.page_shift;
    result.host = HostAddr(walked.host_base + (request.iova.value & (page_size - 1)));
    result.page_size = page_size;
    result.perms = walked.perms;
    result.outcome.translated = true;
    return result;
  }
  unsigned width = spec::agaw_bits(context.levels);
  if (config_.cap.mgaw < width) width = config_.cap.mgaw;
  if (width < 64 && (request.iova.value >> width) != 0) {
    fail(scalable ? FaultReason::kSmAddressBeyondAgaw : FaultReason::kAddressBeyondAgaw);
    return result;
  }
  result.outcome.walk_start_level = context.levels;
  const PageWalker walker(config_.cap, memory);
  const WalkOutcome walked = walker.walk(WalkStart{context.table_root, context.levels, Perms{true, true}},
                                         context.levels, request.iova, scalable, result.walk);
  if (walked.fault != WalkFault::kNone) {
    fail(walk_fault_reason(walked.fault, scalable, request.access), TranslationStage::kSecond);
    return result;
  }
  if (!walked.perms.allows(request.access)) {
    fail(permission_fault(scalable, request.access), TranslationStage::kSecond);
    return result;
  }
  const std::uint64_t page_size = 1ull << walked.page_shift;
  result.host = HostAddr(walked.page_base + (request.iova.value & (page_size - 1)));
  result.page_size = page_size;
  result.perms = walked.perms;
  result.outcome.translated = true;
  return result;
}

}  // namespace vtdsim::core
