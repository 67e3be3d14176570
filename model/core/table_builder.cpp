#include "vtdsim/core/table_builder.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

#include "vtdsim/spec/context_entry.hpp"
#include "vtdsim/spec/fs_paging_entry.hpp"
#include "vtdsim/spec/pasid_entry.hpp"
#include "vtdsim/spec/root_entry.hpp"
#include "vtdsim/spec/scalable_context_entry.hpp"
#include "vtdsim/spec/sl_paging_entry.hpp"

namespace vtdsim::core {

namespace {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("TableBuilder: " + what); }

bool aligned(std::uint64_t v, std::uint64_t alignment) { return (v & (alignment - 1)) == 0; }

unsigned leaf_level_for(std::uint64_t page_size) {
  if (page_size == kPageSize4K) return 1;
  if (page_size == kPageSize2M) return 2;
  if (page_size == kPageSize1G) return 3;
  return 0;
}

// RTADDR.TTM (spec 11.4.5, bits 11:10): 00b legacy, 01b scalable.
constexpr unsigned kRtaddrTtmShift = 10;

}  // namespace

TableBuilder::TableBuilder(mem::SparseMemory& memory, std::uint64_t region_base, std::uint64_t region_size,
                           TableFormat format, unsigned haw)
    : memory_(memory),
      format_(format),
      haw_(haw),
      region_base_(region_base),
      region_end_(region_base + region_size),
      next_(region_base) {
  if (haw < 32 || haw > 52) bad("host address width " + std::to_string(haw) + " is outside 32..52");
  if (!aligned(region_base, kPageSize4K) || !aligned(region_size, kPageSize4K) || region_size == 0) {
    bad("table region base " + hex(region_base) + " and size " + hex(region_size) +
        " must be non-zero multiples of 4 KiB");
  }
  if (region_end_ < region_base || !memory.contains(region_base, region_size)) {
    bad("table region [" + hex(region_base) + ", " + hex(region_base + region_size) +
        ") is not inside host memory (limit " + hex(memory.limit()) + ")");
  }
  if ((region_end_ - 1) >> haw != 0) {
    bad("table region ends above the host address width (2^" + std::to_string(haw) + ")");
  }
  root_table_ = allocate_page();
}

std::uint64_t TableBuilder::rtaddr() const {
  return root_table_ | (static_cast<std::uint64_t>(format_ == TableFormat::kScalable ? 1 : 0) << kRtaddrTtmShift);
}

void TableBuilder::restart_root(TableFormat format) {
  format_ = format;
  context_tables_.clear();
  pasid_dirs_.clear();
  root_table_ = allocate_page();
}

std::uint64_t TableBuilder::allocate_pages(std::uint64_t count) {
  if (count == 0 || count > (region_end_ - next_) / kPageSize4K) {
    throw std::runtime_error("TableBuilder: table region [" + hex(region_base_) + ", " + hex(region_end_) +
                             ") exhausted (" + std::to_string(pages_allocated()) + " pages in use, " +
                             std::to_string(count) + " more requested)");
  }
  const std::uint64_t addr = next_;
  next_ += count * kPageSize4K;
  static const std::uint8_t zeros[kPageSize4K] = {};
  for (std::uint64_t i = 0; i < count; ++i) memory_.write(addr + i * kPageSize4K, zeros, sizeof zeros);
  return addr;
}

std::uint64_t TableBuilder::read64(std::uint64_t addr) const {
  std::uint64_t v = 0;
  if (!memory_.read64(addr, v)) bad("cannot read table memory at " + hex(addr));
  return v;
}

void TableBuilder::write64(std::uint64_t addr, std::uint64_t value) {
  if (!memory_.write64(addr, value)) bad("cannot write table memory at " + hex(addr));
}

void TableBuilder::write_words(std::uint64_t addr, const std::uint64_t* words, unsigned count) {
  for (unsigned i = 0; i < count; ++i) write64(addr + 8 * i, words[i]);
}

void TableBuilder::require_format(TableFormat format, const char* what) const {
  if (format_ != format) {
    bad(std::string(what) + " needs a " + (format == TableFormat::kLegacy ? "legacy" : "scalable") +
        "-format builder, this one builds " + (format_ == TableFormat::kLegacy ? "legacy" : "scalable") +
        "-mode tables");
  }
}

// ---------------------------------------------------------------- domains and page tables

void TableBuilder::create_domain(DomainId domain, unsigned levels) {
  if (levels < 3 || levels > 5) bad("domain " + std::to_string(domain.value) + ": levels must be 3, 4 or 5");
  if (has_domain(domain)) bad("domain " + std::to_string(domain.value) + " already exists");
  domains_[domain.value] = Domain{allocate_page(), levels};
}

const TableBuilder::Domain& TableBuilder::domain_or_throw(DomainId domain, const char* what) const {
  auto it = domains_.find(domain.value);
  if (it == domains_.end()) {
    bad(std::string(what) + ": unknown domain " + std::to_string(domain.value) + " (call create_domain first)");
  }
  return it->second;
}

std::uint64_t TableBuilder::domain_table(DomainId domain) const {
  return domain_or_throw(domain, "domain_table").table;
}
unsigned TableBuilder::domain_levels(DomainId domain) const { return domain_or_throw(domain, "domain_levels").levels; }

void TableBuilder::map(DomainId domain, Iova iova, HostAddr host, std::uint64_t size, Perms perms,
                       std::uint64_t page_size) {
  const Domain& d = domain_or_throw(domain, "map");
  const unsigned leaf_level = leaf_level_for(page_size);
  if (leaf_level == 0) bad("map: page size " + hex(page_size) + " is not 4 KiB, 2 MiB or 1 GiB");
  if (size == 0 || !aligned(size, page_size))
    bad("map: size " + hex(size) + " is not a non-zero multiple of the page size " + hex(page_size));
  if (!aligned(iova.value, page_size))
    bad("map: iova " + hex(iova.value) + " is not aligned to the page size " + hex(page_size));
  if (!aligned(host.value, page_size))
    bad("map: host address " + hex(host.value) + " is not aligned to the page size " + hex(page_size));
  if (!perms.read && !perms.write) bad("map: a mapping needs read or write permission (R=W=0 is not present)");
  const unsigned width = spec::agaw_bits(d.levels);
  if (iova.value + size < iova.value || ((iova.value + size - 1) >> width) != 0) {
    bad("map: iova range [" + hex(iova.value) + ", +" + hex(size) + ") exceeds the domain's " + std::to_string(width) +
        "-bit address width");
  }
  if (host.value + size < host.value || ((host.value + size - 1) >> haw_) != 0) {
    bad("map: host range [" + hex(host.value) + ", +" + hex(size) + ") exceeds the host address width");
  }
  // First pass: refuse the whole call before writing anything if any page is already mapped.
  for (std::uint64_t off = 0; off < size; off += page_size) {
    const std::uint64_t va = iova.value + off;
    std::uint64_t table = d.table;
    for (unsigned level = d.levels; level >= leaf_level; --level) {
      const spec::SlPagingEntry e{read64(table + spec::SlPagingEntry::offset(va, level))};
      if (!e.present()) break;
      if (level == leaf_level) {
        bad("map: iova " + hex(va) + " is already mapped at level " + std::to_string(level) + " (unmap first)");
      }
      if (level <= 3 && e.page_size()) {
        bad("map: iova " + hex(va) + " is already mapped by a " + hex(spec::SlPagingEntry::coverage(level)) +
            "-byte page");
      }
      table = e.address();
    }
  }
  for (std::uint64_t off = 0; off < size; off += page_size) {
    const std::uint64_t va = iova.value + off;
    std::uint64_t table = d.table;
    for (unsigned level = d.levels; level > leaf_level; --level) {
      const std::uint64_t addr = table + spec::SlPagingEntry::offset(va, level);
      spec::SlPagingEntry e{read64(addr)};
      if (!e.present()) {
        const std::uint64_t next = allocate_page();
        write64(addr, spec::SlPagingEntry::make_table(next).raw);
        table = next;
      } else if (level <= 3 && e.page_size()) {
        bad("map: iova " + hex(va) + " is already mapped by a " + hex(spec::SlPagingEntry::coverage(level)) +
            "-byte page");
      } else {
        table = e.address();
      }
    }
    const std::uint64_t addr = table + spec::SlPagingEntry::offset(va, leaf_level);
    if (spec::SlPagingEntry{read64(addr)}.present()) {
      bad("map: iova " + hex(va) + " is already mapped at level " + std::to_string(leaf_level) + " (unmap first)");
    }
    write64(addr, spec::SlPagingEntry::make_page(host.value + off, leaf_level, perms.read, perms.write).raw);
  }
}

std::uint64_t TableBuilder::unmap(DomainId domain, Iova iova, std::uint64_t size) {
  const Domain& d = domain_or_throw(domain, "unmap");
  if (size == 0 || !aligned(size, kPageSize4K) || !aligned(iova.value, kPageSize4K)) {
    bad("unmap: iova " + hex(iova.value) + " and size " + hex(size) + " must be 4 KiB aligned and non-zero");
  }
  const unsigned width = spec::agaw_bits(d.levels);
  if (iova.value + size < iova.value || ((iova.value + size - 1) >> width) != 0) {
    bad("unmap: range exceeds the domain's " + std::to_string(width) + "-bit address width");
  }
  const std::uint64_t end = iova.value + size;
  std::uint64_t cleared = 0;
  std::uint64_t va = iova.value;
  while (va < end) {
    std::uint64_t table = d.table;
    std::uint64_t step = kPageSize4K;
    for (unsigned level = d.levels; level >= 1; --level) {
      const std::uint64_t addr = table + spec::SlPagingEntry::offset(va, level);
      spec::SlPagingEntry e{read64(addr)};
      const std::uint64_t cover = spec::SlPagingEntry::coverage(level);
      if (!e.present()) {  // nothing mapped below: skip to the end of this entry's range
        step = cover - (va & (cover - 1));
        break;
      }
      if (level == 1 || (level <= 3 && e.page_size())) {
        if (!aligned(va, cover) || end - va < cover) {
          bad("unmap: range [" + hex(iova.value) + ", " + hex(end) + ") would split the " + hex(cover) +
              "-byte page at " + hex(va & ~(cover - 1)));
        }
        write64(addr, 0);
        ++cleared;
        step = cover;
        break;
      }
      table = e.address();
    }
    if (end - va <= step) break;
    va += step;
  }
  return cleared;
}

// ---------------------------------------------------------------- legacy contexts

std::uint64_t TableBuilder::legacy_context_table(unsigned bus) {
  auto it = context_tables_.find(bus);
  if (it != context_tables_.end()) return it->second;
  const std::uint64_t table = allocate_page();
  context_tables_[bus] = table;
  const spec::RootEntry root = spec::RootEntry::make(table);
  const std::uint64_t words[2] = {root.lo, root.hi};
  write_words(root_entry_address(bus), words, 2);
  return table;
}

void TableBuilder::set_context(SourceId source, DomainId domain, ContextOptions options) {
  require_format(TableFormat::kLegacy, "set_context");
  const Domain& d = domain_or_throw(domain, "set_context");
  const std::uint64_t table = legacy_context_table(source.bus());
  const auto tt =
      options.device_tlb ? spec::ContextTranslationType::kDeviceTlb : spec::ContextTranslationType::kUntranslated;
  const spec::ContextEntry e = spec::ContextEntry::make(tt, d.table, spec::aw_from_paging_levels(d.levels),
                                                        domain.value, options.fault_processing_disabled);
  const std::uint64_t words[2] = {e.lo, e.hi};
  write_words(table + spec::ContextEntry::offset(source.devfn()), words, 2);
}

void TableBuilder::set_pass_through(SourceId source, DomainId domain, bool fault_processing_disabled, unsigned levels) {
  require_format(TableFormat::kLegacy, "set_pass_through");
  if (levels < 3 || levels > 5) bad("set_pass_through: levels must be 3, 4 or 5");
  const std::uint64_t table = legacy_context_table(source.bus());
  const spec::ContextEntry e =
      spec::ContextEntry::make(spec::ContextTranslationType::kPassThrough, 0, spec::aw_from_paging_levels(levels),
                               domain.value, fault_processing_disabled);
  const std::uint64_t words[2] = {e.lo, e.hi};
  write_words(table + spec::ContextEntry::offset(source.devfn()), words, 2);
}

void TableBuilder::set_blocked(SourceId source, bool fault_processing_disabled) {
  if (format_ == TableFormat::kLegacy) {
    const std::uint64_t table = legacy_context_table(source.bus());
    const spec::ContextEntry e = spec::ContextEntry::make(spec::ContextTranslationType::kUntranslated, 0, 0, 0,
                                                          fault_processing_disabled, false);
    const std::uint64_t words[2] = {e.lo, e.hi};
    write_words(table + spec::ContextEntry::offset(source.devfn()), words, 2);
    return;
  }
  const unsigned devfn = source.devfn();
  const std::uint64_t table = scalable_context_table(source.bus(), spec::ScalableRootEntry::upper_half(devfn));
  spec::ScalableContextEntry::Fields f;
  f.present = false;
  f.fpd = fault_processing_disabled;
  const spec::ScalableContextEntry e = spec::ScalableContextEntry::make(f);
  write_words(table + spec::ScalableContextEntry::offset(devfn), e.q.data(), 4);
  pasid_dirs_.erase(source.value);
}

// ---------------------------------------------------------------- scalable contexts

std::uint64_t TableBuilder::scalable_context_table(unsigned bus, bool upper) {
  const unsigned key = bus * 2 + (upper ? 1 : 0);
  auto it = context_tables_.find(key);
  if (it != context_tables_.end()) return it->second;
  const std::uint64_t table = allocate_page();
  context_tables_[key] = table;
  auto other = context_tables_.find(bus * 2 + (upper ? 0 : 1));
  const std::uint64_t other_table = other == context_tables_.end() ? 0 : other->second;
  const std::uint64_t lower = upper ? other_table : table;
  const std::uint64_t upper_table = upper ? table : other_table;
  const spec::ScalableRootEntry root = spec::ScalableRootEntry::make(lower, lower != 0, upper_table, upper_table != 0);
  const std::uint64_t words[2] = {root.lo, root.hi};
  write_words(root_entry_address(bus), words, 2);
  return table;
}

void TableBuilder::set_scalable_context(SourceId source, ScalableContextOptions options) {
  require_format(TableFormat::kScalable, "set_scalable_context");
  if (options.pdts > 7) bad("set_scalable_context: PDTS " + std::to_string(options.pdts) + " is outside 0..7");
  if (options.rid_pasid >= (1u << 20))
    bad("set_scalable_context: RID_PASID " + hex(options.rid_pasid) + " is not a 20-bit PASID");
  const std::uint64_t entries = 1ull << (options.pdts + 7);
  if (spec::pasid_dir_index(options.rid_pasid) >= entries) {
    bad("set_scalable_context: RID_PASID " + hex(options.rid_pasid) + " is beyond the PASID directory (PDTS " +
        std::to_string(options.pdts) + ")");
  }
  const unsigned devfn = source.devfn();
  const std::uint64_t table = scalable_context_table(source.bus(), spec::ScalableRootEntry::upper_half(devfn));
  const std::uint64_t dir_bytes = entries * spec::PasidDirEntry::kSize;
  const std::uint64_t dir = allocate_pages((dir_bytes + kPageSize4K - 1) / kPageSize4K);
  pasid_dirs_[source.value] = PasidDirectory{dir, entries};
  spec::ScalableContextEntry::Fields f;
  f.pasid_dir = dir;
  f.pdts = options.pdts;
  f.rid_pasid = options.rid_pasid;
  f.fpd = options.fault_processing_disabled;
  f.dte = options.device_tlb;
  f.paside = options.pasid_enable;
  f.rid_priv = options.rid_priv;
  const spec::ScalableContextEntry e = spec::ScalableContextEntry::make(f);
  write_words(table + spec::ScalableContextEntry::offset(devfn), e.q.data(), 4);
}

std::uint64_t TableBuilder::pasid_dir_entry_address(SourceId source, Pasid pasid) const {
  require_format(TableFormat::kScalable, "pasid_dir_entry_address");
  auto it = pasid_dirs_.find(source.value);
  if (it == pasid_dirs_.end())
    bad("device " + source.to_string() + " has no scalable context (call set_scalable_context)");
  if (!pasid.present() || pasid.value >= (1u << 20) || spec::pasid_dir_index(pasid.value) >= it->second.entries) {
    bad("PASID " + hex(pasid.value) + " is beyond the PASID directory of device " + source.to_string());
  }
  return it->second.address + spec::PasidDirEntry::offset(pasid.value);
}

void TableBuilder::write_pasid_entry(SourceId source, Pasid pasid, const std::uint64_t* words) {
  const std::uint64_t dir_addr = pasid_dir_entry_address(source, pasid);
  spec::PasidDirEntry dir{read64(dir_addr)};
  if (!dir.present()) {
    dir = spec::PasidDirEntry::make(allocate_page());
    write64(dir_addr, dir.raw);
  }
  write_words(dir.pasid_table() + spec::PasidTableEntry::offset(pasid.value), words, 8);
}

void TableBuilder::set_pasid_entry(SourceId source, Pasid pasid, PasidMode mode, DomainId domain,
                                   bool fault_processing_disabled) {
  pasid_dir_entry_address(source, pasid);  // checks the PASID before the domain
  spec::PasidTableEntry e;
  if (mode == PasidMode::kSecondLevel) {
    const Domain& d = domain_or_throw(domain, "set_pasid_entry");
    e = spec::PasidTableEntry::make(spec::PasidTranslationType::kSecondLevel, d.table,
                                    spec::aw_from_paging_levels(d.levels), domain.value, fault_processing_disabled);
  } else {
    e = spec::PasidTableEntry::make(spec::PasidTranslationType::kPassThrough, 0, spec::aw_from_paging_levels(4),
                                    domain.value, fault_processing_disabled);
  }
  write_pasid_entry(source, pasid, e.q.data());
}

void TableBuilder::clear_pasid_entry(SourceId source, Pasid pasid) {
  const spec::PasidDirEntry dir{read64(pasid_dir_entry_address(source, pasid))};
  if (!dir.present()) return;
  const std::uint64_t zeros[8] = {};
  write_words(dir.pasid_table() + spec::PasidTableEntry::offset(pasid.value), zeros, 8);
}

std::uint64_t TableBuilder::pasid_entry_address(SourceId source, Pasid pasid) const {
  const spec::PasidDirEntry dir{read64(pasid_dir_entry_address(source, pasid))};
  if (!dir.present()) bad("PASID " + hex(pasid.value) + " of device " + source.to_string() + " has no PASID table");
  return dir.pasid_table() + spec::PasidTableEntry::offset(pasid.value);
}

// ---------------------------------------------------------------- first-stage tables

void TableBuilder::create_fs_space(FsSpaceId space, unsigned levels) {
  if (levels != 4 && levels != 5) bad("first-stage space " + std::to_string(space.value) + ": levels must be 4 or 5");
  if (has_fs_space(space)) bad("first-stage space " + std::to_string(space.value) + " already exists");
  FsSpace& s = fs_spaces_[space.value];
  s.levels = levels;
  s.table = allocate_fs_table(s);
}

void TableBuilder::create_nested_fs_space(FsSpaceId space, unsigned levels, DomainId second_stage,
                                          std::uint64_t guest_table_base) {
  if (!aligned(guest_table_base, kPageSize4K))
    bad("create_nested_fs_space: guest table base " + hex(guest_table_base) + " is not 4 KiB aligned");
  add_nested_fs_space(space, levels, second_stage, false, guest_table_base);
}

void TableBuilder::create_identity_nested_fs_space(FsSpaceId space, unsigned levels, DomainId second_stage) {
  add_nested_fs_space(space, levels, second_stage, true, 0);
}

void TableBuilder::add_nested_fs_space(FsSpaceId space, unsigned levels, DomainId second_stage, bool identity,
                                       std::uint64_t guest_table_base) {
  if (levels != 4 && levels != 5) bad("first-stage space " + std::to_string(space.value) + ": levels must be 4 or 5");
  if (has_fs_space(space)) bad("first-stage space " + std::to_string(space.value) + " already exists");
  domain_or_throw(second_stage, identity ? "create_identity_nested_fs_space" : "create_nested_fs_space");
  FsSpace s;
  s.levels = levels;
  s.nested = true;
  s.identity = identity;
  s.second_stage = second_stage;
  s.next_guest_page = guest_table_base;
  s.table = allocate_fs_table(s);
  fs_spaces_[space.value] = std::move(s);
}

// The second stage's leaf for `address` (a software walk of the domain's table, spec 9.8) maps it
// to itself with R and W.
bool TableBuilder::maps_to_itself_read_write(const Domain& domain, std::uint64_t address) const {
  std::uint64_t table = domain.table;
  for (unsigned level = domain.levels; level >= 1; --level) {
    const spec::SlPagingEntry e{read64(table + spec::SlPagingEntry::offset(address, level))};
    if (!e.present()) return false;
    if (level == 1 || (level <= 3 && e.page_size())) {
      const std::uint64_t offset = address & (spec::SlPagingEntry::coverage(level) - 1);
      return e.readable() && e.writable() && e.address(level) + offset == address;
    }
    table = e.address();
  }
  return false;
}

std::uint64_t TableBuilder::allocate_fs_table(FsSpace& space) {
  const std::uint64_t host = allocate_page();
  if (!space.nested) return host;
  if (space.identity) {
    if (!maps_to_itself_read_write(domain_or_throw(space.second_stage, "allocate_fs_table"), host))
      bad("first-stage table page " + hex(host) + " is not mapped to itself (R/W) by second-stage domain " +
          std::to_string(space.second_stage.value) + ": map the table region one to one first");
    space.guest_to_host[host] = host;
    return host;
  }
  const std::uint64_t guest = space.next_guest_page;
  map(space.second_stage, Iova(guest), HostAddr(host), kPageSize4K, Perms{true, true});
  space.next_guest_page += kPageSize4K;
  space.guest_to_host[guest] = host;
  return guest;
}

std::uint64_t TableBuilder::fs_host(const FsSpace& space, std::uint64_t table_address) const {
  if (!space.nested) return table_address;
  auto it = space.guest_to_host.find(table_address);
  if (it == space.guest_to_host.end())
    bad("first-stage table at guest address " + hex(table_address) + " was not built here");
  return it->second;
}

const TableBuilder::FsSpace& TableBuilder::fs_space_or_throw(FsSpaceId space, const char* what) const {
  auto it = fs_spaces_.find(space.value);
  if (it == fs_spaces_.end()) {
    bad(std::string(what) + ": unknown first-stage space " + std::to_string(space.value) +
        " (call create_fs_space first)");
  }
  return it->second;
}

std::uint64_t TableBuilder::fs_table(FsSpaceId space) const { return fs_space_or_throw(space, "fs_table").table; }

unsigned TableBuilder::fs_levels(FsSpaceId space) const { return fs_space_or_throw(space, "fs_levels").levels; }

void TableBuilder::map_fs(FsSpaceId space, Iova iova, std::uint64_t out, std::uint64_t size, FsPerms perms,
                          std::uint64_t page_size) {
  fs_space_or_throw(space, "map_fs");
  FsSpace& s = fs_spaces_[space.value];
  const unsigned leaf_level = leaf_level_for(page_size);
  if (leaf_level == 0) bad("map_fs: page size " + hex(page_size) + " is not 4 KiB, 2 MiB or 1 GiB");
  if (size == 0 || !aligned(size, page_size))
    bad("map_fs: size " + hex(size) + " is not a non-zero multiple of the page size " + hex(page_size));
  if (!aligned(iova.value, page_size) || !aligned(out, page_size)) {
    bad("map_fs: iova " + hex(iova.value) + " and output " + hex(out) + " must be aligned to the page size " +
        hex(page_size));
  }
  const std::uint64_t last = iova.value + size - 1;
  if (last < iova.value || !spec::fs_canonical(iova.value, s.levels) || !spec::fs_canonical(last, s.levels) ||
      (iova.value >> 63) != (last >> 63)) {
    bad("map_fs: iova range [" + hex(iova.value) + ", +" + hex(size) + ") is not canonical for " +
        std::to_string(s.levels) + "-level paging");
  }
  if (out + size < out || ((out + size - 1) >> (s.nested ? 57 : haw_)) != 0) {
    bad("map_fs: output range [" + hex(out) + ", +" + hex(size) + ") exceeds the address width");
  }
  using spec::FsPagingEntry;
  // Refuse the whole call before writing anything if any page is already mapped.
  for (std::uint64_t off = 0; off < size; off += page_size) {
    const std::uint64_t va = iova.value + off;
    std::uint64_t table = s.table;
    for (unsigned level = s.levels; level >= leaf_level; --level) {
      const FsPagingEntry e{read64(fs_host(s, table) + FsPagingEntry::offset(va, level))};
      if (!e.present()) break;
      if (level == leaf_level || (level <= 3 && e.page_size())) {
        bad("map_fs: iova " + hex(va) + " is already mapped at level " + std::to_string(level) + " (unmap first)");
      }
      table = e.address();
    }
  }
  spec::FsEntryFlags leaf_flags;
  leaf_flags.write = perms.write;
  leaf_flags.user = perms.user;
  leaf_flags.execute_disable = !perms.execute;
  leaf_flags.accessed = perms.accessed;
  leaf_flags.dirty = perms.dirty;
  spec::FsEntryFlags table_flags;
  table_flags.accessed = perms.tables_accessed;
  for (std::uint64_t off = 0; off < size; off += page_size) {
    const std::uint64_t va = iova.value + off;
    std::uint64_t table = s.table;
    for (unsigned level = s.levels; level > leaf_level; --level) {
      const std::uint64_t addr = fs_host(s, table) + FsPagingEntry::offset(va, level);
      const FsPagingEntry e{read64(addr)};
      if (!e.present()) {
        const std::uint64_t next = allocate_fs_table(s);
        write64(addr, FsPagingEntry::make_table(next, table_flags).raw);
        table = next;
      } else {
        table = e.address();
      }
    }
    write64(fs_host(s, table) + FsPagingEntry::offset(va, leaf_level),
            FsPagingEntry::make_page(out + off, leaf_level, leaf_flags).raw);
  }
}

std::uint64_t TableBuilder::unmap_fs(FsSpaceId space, Iova iova, std::uint64_t size) {
  const FsSpace& s = fs_space_or_throw(space, "unmap_fs");
  if (size == 0 || !aligned(size, kPageSize4K) || !aligned(iova.value, kPageSize4K)) {
    bad("unmap_fs: iova " + hex(iova.value) + " and size " + hex(size) + " must be 4 KiB aligned and non-zero");
  }
  const std::uint64_t end = iova.value + size;
  if (end < iova.value || !spec::fs_canonical(iova.value, s.levels) || !spec::fs_canonical(end - 1, s.levels))
    bad("unmap_fs: iova range [" + hex(iova.value) + ", " + hex(end) + ") is not canonical");
  using spec::FsPagingEntry;
  std::uint64_t cleared = 0;
  std::uint64_t va = iova.value;
  while (va < end) {
    std::uint64_t table = s.table;
    std::uint64_t step = kPageSize4K;
    for (unsigned level = s.levels; level >= 1; --level) {
      const std::uint64_t addr = fs_host(s, table) + FsPagingEntry::offset(va, level);
      const FsPagingEntry e{read64(addr)};
      const std::uint64_t cover = FsPagingEntry::coverage(level);
      if (!e.present()) {  // nothing mapped below: skip to the end of this entry's range
        step = cover - (va & (cover - 1));
        break;
      }
      if (level == 1 || (level <= 3 && e.page_size())) {
        if (!aligned(va, cover) || end - va < cover) {
          bad("unmap_fs: range [" + hex(iova.value) + ", " + hex(end) + ") would split the " + hex(cover) +
              "-byte page at " + hex(va & ~(cover - 1)));
        }
        write64(addr, 0);
        ++cleared;
        step = cover;
        break;
      }
      table = e.address();
    }
    if (end - va <= step) break;
    va += step;
  }
  return cleared;
}

std::uint64_t TableBuilder::fs_entry_table_address(FsSpaceId space, Iova iova, unsigned level) const {
  const FsSpace& s = fs_space_or_throw(space, "fs_entry_address");
  if (level < 1 || level > s.levels)
    bad("fs_entry_address: level " + std::to_string(level) + " is outside the space's levels");
  std::uint64_t table = s.table;
  for (unsigned l = s.levels; l > level; --l) {
    const spec::FsPagingEntry e{read64(fs_host(s, table) + spec::FsPagingEntry::offset(iova.value, l))};
    if (!e.present() || (l <= 3 && e.page_size())) {
      bad("fs_entry_address: no level-" + std::to_string(level) + " table for iova " + hex(iova.value));
    }
    table = e.address();
  }
  return table + spec::FsPagingEntry::offset(iova.value, level);
}

std::uint64_t TableBuilder::fs_entry_address(FsSpaceId space, Iova iova, unsigned level) const {
  const FsSpace& s = fs_space_or_throw(space, "fs_entry_address");
  const std::uint64_t a = fs_entry_table_address(space, iova, level);
  return fs_host(s, a & ~(kPageSize4K - 1)) + (a & (kPageSize4K - 1));
}

namespace {
spec::PasidTableEntry::FirstStage fs_fields(std::uint64_t table, unsigned levels, const FsPasidOptions& o) {
  spec::PasidTableEntry::FirstStage f;
  f.fsptptr = table;
  f.levels = levels;
  f.sre = o.supervisor_requests;
  f.ere = o.execute_requests;
  f.wpe = o.write_protect;
  f.eafe = o.extended_accessed;
  return f;
}
}  // namespace

void TableBuilder::set_pasid_entry_first_stage(SourceId source, Pasid pasid, FsSpaceId space, DomainId domain,
                                               FsPasidOptions options) {
  const FsSpace& s = fs_space_or_throw(space, "set_pasid_entry_first_stage");
  if (s.nested)
    bad("set_pasid_entry_first_stage: space " + std::to_string(space.value) +
        " is nested (use set_pasid_entry_nested)");
  const spec::PasidTableEntry e = spec::PasidTableEntry::make_first_stage(
      fs_fields(s.table, s.levels, options), domain.value, options.fault_processing_disabled);
  write_pasid_entry(source, pasid, e.q.data());
}

void TableBuilder::set_pasid_entry_nested(SourceId source, Pasid pasid, FsSpaceId space, FsPasidOptions options,
                                          std::optional<DomainId> did) {
  const FsSpace& s = fs_space_or_throw(space, "set_pasid_entry_nested");
  if (!s.nested) bad("set_pasid_entry_nested: space " + std::to_string(space.value) + " has host-physical tables");
  const Domain& d = domain_or_throw(s.second_stage, "set_pasid_entry_nested");
  const spec::PasidTableEntry e = spec::PasidTableEntry::make_nested(
      fs_fields(s.table, s.levels, options), d.table, spec::aw_from_paging_levels(d.levels),
      did.value_or(s.second_stage).value, options.fault_processing_disabled);
  write_pasid_entry(source, pasid, e.q.data());
}

// ---------------------------------------------------------------- addresses

std::uint64_t TableBuilder::root_entry_address(unsigned bus) const {
  if (bus > 0xff) bad("bus " + std::to_string(bus) + " is outside 0..255");
  return root_table_ + spec::RootEntry::offset(bus);
}

std::uint64_t TableBuilder::context_entry_address(SourceId source) const {
  if (format_ == TableFormat::kLegacy) {
    auto it = context_tables_.find(source.bus());
    if (it == context_tables_.end()) bad("bus " + std::to_string(source.bus()) + " has no context table yet");
    return it->second + spec::ContextEntry::offset(source.devfn());
  }
  const unsigned devfn = source.devfn();
  auto it = context_tables_.find(source.bus() * 2 + (spec::ScalableRootEntry::upper_half(devfn) ? 1 : 0));
  if (it == context_tables_.end())
    bad("bus " + std::to_string(source.bus()) + " has no context table for " + source.to_string());
  return it->second + spec::ScalableContextEntry::offset(devfn);
}

std::uint64_t TableBuilder::paging_entry_address(DomainId domain, Iova iova, unsigned level) const {
  const Domain& d = domain_or_throw(domain, "paging_entry_address");
  if (level < 1 || level > d.levels)
    bad("paging_entry_address: level " + std::to_string(level) + " is outside the domain's levels");
  std::uint64_t table = d.table;
  for (unsigned l = d.levels; l > level; --l) {
    const spec::SlPagingEntry e{read64(table + spec::SlPagingEntry::offset(iova.value, l))};
    if (!e.present() || (l <= 3 && e.page_size())) {
      bad("paging_entry_address: no level-" + std::to_string(level) + " table for iova " + hex(iova.value));
    }
    table = e.address();
  }
  return table + spec::SlPagingEntry::offset(iova.value, level);
}

}  // namespace vtdsim::core
