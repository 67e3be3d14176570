#include "vtdsim/core/first_stage_walker.hpp"

#include "vtdsim/core/page_walker.hpp"
#include "vtdsim/spec/context_entry.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"

namespace vtdsim::core {

namespace {

using spec::FaultReason;
using spec::FsPagingEntry;

// Second-stage walk faults inside a nested walk: the SSL.n codes of spec 7.1.3 (as a
// second-stage-only walk reports them).
FaultReason second_stage_fault(WalkFault f) {
  switch (f) {
    case WalkFault::kPointerAccessError: return FaultReason::kSmSlPointerInvalid;
    case WalkFault::kAccessError: return FaultReason::kSmSlAccessError;
    case WalkFault::kNotPresent: return FaultReason::kSmSlNotPresent;
    case WalkFault::kReserved: return FaultReason::kSmSlReserved;
    case WalkFault::kNone: break;
  }
  return FaultReason::kNone;
}

// A guest-physical address translated by the second stage of a nested context (spec 3.8).
struct GpaTranslation {
  FaultReason fault = FaultReason::kNone;
  std::uint64_t host = 0;
  std::uint8_t page_shift = 12;
  Perms perms;
};

}  // namespace

FsWalkOutcome FirstStageWalker::walk(const FsWalkContext& ctx, const FsWalkRequest& request, WalkReads& reads,
                                     const FsWalkStart& start) const {
  FsWalkOutcome out;
  walk_into(ctx, request, reads, start, out);
  return out;
}

// Fills `out` in place (the caller's slot, by NRVO in walk): the non-leaf entries go straight into
// out.psc, never through a local copy.
void FirstStageWalker::walk_into(const FsWalkContext& ctx, const FsWalkRequest& request, WalkReads& reads,
                                 const FsWalkStart& start, FsWalkOutcome& out) const {
  // Faults after an A/D update still report the writes made (the entries stay marked), and the
  // non-leaf entries used above the fault.
  auto fail = [&out](FaultReason reason, TranslationStage stage) {
    out.fault = reason;
    out.fault_stage = stage;
  };
  const std::uint64_t iova = request.iova.value;
  const unsigned levels = ctx.fs_levels;
  // Spec 3.6: the input address must be canonical for the paging mode (SGN.1).
  if (!spec::fs_canonical(iova, levels)) return fail(FaultReason::kSmFsNonCanonical, TranslationStage::kFirst);

  const PageWalker second_stage(cap_, memory_);
  // Input-address width of the second stage: min(MGAW, AGAW of SSPTPTR's table) (spec 3.7).
  unsigned ss_width = spec::agaw_bits(ctx.ss_levels);
  if (cap_.mgaw < ss_width) ss_width = cap_.mgaw;
  auto translate_gpa = [&](std::uint64_t gpa, GpaTranslation& t) -> bool {
    if (ss_width < 64 && (gpa >> ss_width) != 0) return false;
    const WalkOutcome w = second_stage.walk(WalkStart{ctx.ss_table, ctx.ss_levels, Perms{true, true}}, ctx.ss_levels,
                                            Iova(gpa), true, reads);
    t.fault = second_stage_fault(w.fault);
    if (w.fault == WalkFault::kNone) {
      t.host = w.page_base + (gpa & ((1ull << w.page_shift) - 1));
      t.page_shift = w.page_shift;
      t.perms = w.perms;
    }
    return true;
  };

  const std::uint64_t flags_used = FsPagingEntry::kAccessed | (ctx.eafe ? FsPagingEntry::kExtendedAccessed : 0);
  const bool user = !request.supervisor;
  const bool write = request.access == Access::kWrite;
  namespace f = cache::fs_leaf;
  const bool resumed = start.level != 0 && start.level < levels;
  bool user_ok = !resumed || (start.fs_flags & f::kUser) != 0;      // U/S = 1 in every entry so far
  bool rw_ok = !resumed || (start.fs_flags & f::kWritable) != 0;    // R/W = 1 in every entry so far
  bool xd = resumed && (start.fs_flags & f::kExecuteDisable) != 0;  // XD = 1 in some entry
  // Non-leaf entries used so far (out.psc); the last one waits for its next table's host address
  // (nested: known once that table is translated, so an entry whose next table faults is not
  // reported).
  bool psc_pending = false;
  // A resumed nested walk knows its first table's host address but not the second stage's W there.
  std::uint64_t table = resumed ? (ctx.nested ? start.table_gpa : start.table) : ctx.fs_table;
  bool table_is_host = resumed;
  // One entry per level, from the top down: a table that points into itself cannot make the walk
  // longer than the level count.
  for (unsigned level = resumed ? start.level : levels; level >= 1; --level) {
    const bool top = level == levels;
    const std::uint64_t entry_gpa = table + FsPagingEntry::offset(iova, level);
    std::uint64_t entry_addr = entry_gpa;
    Perms ss_perms{true, true};
    bool ss_perms_known = true;
    if (table_is_host) {
      entry_addr = start.table + FsPagingEntry::offset(iova, level);
      ss_perms_known = !ctx.nested;
      table_is_host = false;
    } else if (ctx.nested) {
      // SFS.5: a first-stage table beyond the second stage's input width; SFS.6 / SFS.7: its
      // page not readable through the second stage (FSPTPTR / a first-stage entry's address).
      GpaTranslation t;
      if (!translate_gpa(entry_gpa, t)) return fail(FaultReason::kSmFsNestedBeyondAgaw, TranslationStage::kSecond);
      if (t.fault != FaultReason::kNone) return fail(t.fault, TranslationStage::kSecond);
      if (!t.perms.read) {
        return fail(top ? FaultReason::kSmFsNestedPointerReadDenied : FaultReason::kSmFsNestedEntryReadDenied,
                    TranslationStage::kSecond);
      }
      entry_addr = t.host;
      ss_perms = t.perms;
    }
    if (psc_pending && out.psc_count < out.psc.size()) {
      cache::PscEntry& e = out.psc[out.psc_count++];
      e.next_table = entry_addr - FsPagingEntry::offset(iova, level);
      e.next_table_gpa = ctx.nested ? table : 0;
    }
    psc_pending = false;
    reads.push(entry_addr, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level), true);
    FsPagingEntry entry;
    // SFS.4 through FSPTPTR, SFS.1 below it.
    if (!memory_.read64(entry_addr, entry.raw)) {
      return fail(top ? FaultReason::kSmFsPointerInvalid : FaultReason::kSmFsAccessError, TranslationStage::kFirst);
    }
    if (!entry.present()) return fail(FaultReason::kSmFsNotPresent, TranslationStage::kFirst);
    // PS = 1 maps a 2 MiB page in a PDE and, with CAP.FS1GP, a 1 GiB page in a PDPE; in a PDPE
    // without FS1GP (and in PML4E / PML5E, has_reserved_bits) it is reserved (spec 9.7).
    const bool superpage = (level == 2 || level == 3) && entry.page_size();
    if (superpage && level == 3 && cap_.fl1gp == 0) return fail(FaultReason::kSmFsReserved, TranslationStage::kFirst);
    const bool leaf = level == 1 || superpage;
    if (entry.has_reserved_bits(level, leaf, cap_.haw))
      return fail(FaultReason::kSmFsReserved, TranslationStage::kFirst);
    user_ok = user_ok && entry.user();
    rw_ok = rw_ok && entry.writable();
    xd = xd || entry.execute_disabled();

    // Flags this use of the entry sets (spec 3.6.2): A (and EA) in every entry; D in the leaf of a
    // write, once the access is allowed. The leaf is only marked when the request passes 3.6.1.
    std::uint64_t set = flags_used;
    if (leaf) {
      // Spec 3.6.1 access rights: user requests need U/S = 1 on the whole path (SGN.2); writes
      // need R/W = 1 on the whole path, except supervisor writes with WPE = 0 (SGN.6); execute
      // requests need XD = 0 on the whole path (SGN.3).
      if (user && !user_ok) return fail(FaultReason::kSmFsUserDenied, TranslationStage::kFirst);
      if (request.execute && xd) return fail(FaultReason::kSmFsExecuteDenied, TranslationStage::kFirst);
      const bool may_write = user ? rw_ok : (!ctx.wpe || rw_ok);
      if (write && !may_write) return fail(FaultReason::kSmWriteDenied, TranslationStage::kFirst);
      if (write) set |= FsPagingEntry::kDirty;
    }
    if ((entry.raw & set) != set) {
      if (!ss_perms_known) {
        // Resumed nested walk: the second stage's permissions of the cached table, as a full walk
        // would have found them (SFS.5-SFS.7 if they no longer allow reading it).
        GpaTranslation t;
        if (!translate_gpa(entry_gpa, t)) return fail(FaultReason::kSmFsNestedBeyondAgaw, TranslationStage::kSecond);
        if (t.fault != FaultReason::kNone) return fail(t.fault, TranslationStage::kSecond);
        if (!t.perms.read) return fail(FaultReason::kSmFsNestedEntryReadDenied, TranslationStage::kSecond);
        ss_perms = t.perms;
      }
      // SFS.8: nested, the table's page is not writable through the second stage.
      if (!ss_perms.write) return fail(FaultReason::kSmFsNestedAdWriteDenied, TranslationStage::kSecond);
      entry.raw |= set;
      if (writable_ != nullptr) {
        if (!writable_->write64(entry_addr, entry.raw))
          return fail(FaultReason::kSmFsAdUpdateFailed, TranslationStage::kFirst);
        ++out.writes;
      }
    }
    if (!leaf) {
      // Spec 6.2.4: a non-leaf entry may be cached once its A bit is set (it is, by now).
      if (out.psc_count < out.psc.size()) {
        cache::PscEntry& e = out.psc[out.psc_count];
        e.level = static_cast<std::uint8_t>(level);
        e.iova_prefix = iova >> FsPagingEntry::level_shift(level);  // the bits selecting this entry
        e.fs_flags =
            static_cast<std::uint8_t>(f::kFirstStage | (ctx.nested ? f::kNested : 0) | (user_ok ? f::kUser : 0) |
                                      (rw_ok ? f::kWritable : 0) | (xd ? f::kExecuteDisable : 0));
        psc_pending = true;
      }
      table = entry.address();
      continue;
    }

    out.leaf_level = static_cast<std::uint8_t>(level);
    out.fs_flags =
        static_cast<std::uint8_t>(cache::fs_leaf::kFirstStage | (ctx.nested ? cache::fs_leaf::kNested : 0) |
                                  (user_ok ? cache::fs_leaf::kUser : 0) | (rw_ok ? cache::fs_leaf::kWritable : 0) |
                                  (xd ? cache::fs_leaf::kExecuteDisable : 0) |
                                  ((entry.raw & FsPagingEntry::kDirty) != 0 ? cache::fs_leaf::kDirty : 0));
    const unsigned fs_shift = FsPagingEntry::level_shift(level);
    out.perms = Perms{true, user ? rw_ok : (!ctx.wpe || rw_ok)};
    if (!ctx.nested) {
      out.host_base = entry.address(level);
      out.page_shift = static_cast<std::uint8_t>(fs_shift);
      return;
    }
    // Nested: the output is guest-physical; the second stage translates it with its permission
    // checks (SGN.5 beyond its width, SSL.n walk faults, SGN.6 / SGN.7 permissions).
    const std::uint64_t gpa = entry.address(level) | (iova & ((1ull << fs_shift) - 1));
    GpaTranslation t;
    if (!translate_gpa(gpa, t)) return fail(FaultReason::kSmAddressBeyondAgaw, TranslationStage::kSecond);
    if (t.fault != FaultReason::kNone) return fail(t.fault, TranslationStage::kSecond);
    if (write ? !t.perms.write : !t.perms.read) {
      return fail(write ? FaultReason::kSmWriteDenied : FaultReason::kSmReadDenied, TranslationStage::kSecond);
    }
    out.page_shift = static_cast<std::uint8_t>(t.page_shift < fs_shift ? t.page_shift : fs_shift);
    out.host_base = t.host & ~((1ull << out.page_shift) - 1);
    out.perms = Perms{out.perms.read && t.perms.read, out.perms.write && t.perms.write};
    out.ss_perms = t.perms;
    return;
  }
  return fail(FaultReason::kSmFsReserved, TranslationStage::kFirst);  // fs_levels 0: a caller error
}

}  // namespace vtdsim::core
