#include "vtdsim/core/page_walker.hpp"

#include "vtdsim/spec/sl_paging_entry.hpp"

namespace vtdsim::core {

WalkOutcome PageWalker::walk(const WalkStart& start, unsigned top_level, Iova iova, bool scalable,
                             WalkReads& reads) const {
  WalkOutcome out;
  const spec::SlReservedOptions reserved{cap_.haw, scalable || cap_.sc, cap_.dt};
  std::uint64_t table = start.table;
  Perms perms = start.perms;
  // One read per level, from start.level down to 1: a table that points into itself (or into any
  // earlier table) cannot make the walk longer than the level count.
  for (unsigned level = start.level; level >= 1; --level) {
    const std::uint64_t addr = table + spec::SlPagingEntry::offset(iova.value, level);
    reads.push(addr, WalkReadKind::kPagingEntry, static_cast<std::uint8_t>(level));
    spec::SlPagingEntry entry;
    if (!memory_.read64(addr, entry.raw)) {
      out.fault = level == top_level ? WalkFault::kPointerAccessError : WalkFault::kAccessError;
      out.fault_level = static_cast<std::uint8_t>(level);
      return out;
    }
    if (!entry.present()) {
      out.fault = WalkFault::kNotPresent;
      out.fault_level = static_cast<std::uint8_t>(level);
      return out;
    }
    // PS=1 makes a PDE / PDPE a leaf only where CAP.SLLPS supports that page size; elsewhere
    // (and always in PML4E / PML5E) PS is a reserved bit (spec 9.8).
    const bool superpage = level >= 2 && entry.page_size();
    if (superpage && (level > 3 || !spec::sllps_allows(cap_.sllps, level))) {
      out.fault = WalkFault::kReserved;
      out.fault_level = static_cast<std::uint8_t>(level);
      return out;
    }
    const bool leaf = level == 1 || superpage;
    if (entry.has_reserved_bits(level, leaf, reserved)) {
      out.fault = WalkFault::kReserved;
      out.fault_level = static_cast<std::uint8_t>(level);
      return out;
    }
    perms.read = perms.read && entry.readable();
    perms.write = perms.write && entry.writable();
    if (leaf) {
      out.page_base = entry.address(level);
      out.page_shift = static_cast<std::uint8_t>(spec::SlPagingEntry::level_shift(level));
      out.leaf_level = static_cast<std::uint8_t>(level);
      out.perms = perms;
      return out;
    }
    table = entry.address();
    if (out.psc_count < out.psc.size()) {
      cache::PscEntry& psc = out.psc[out.psc_count++];
      psc.level = static_cast<std::uint8_t>(level);
      psc.iova_prefix = iova.value >> spec::SlPagingEntry::level_shift(level);
      psc.next_table = table;
      psc.perms = perms;
    }
  }
  // Only reached when start.level is 0 (a caller error): report as a reserved-entry fault.
  out.fault = WalkFault::kReserved;
  return out;
}

}  // namespace vtdsim::core
