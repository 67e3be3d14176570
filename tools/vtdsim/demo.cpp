// `vtdsim demo`: builds a small legacy-mode table set by hand with the TableBuilder, programs the
// remapping unit through its registers (VT-d spec 11.4.5 RTADDR, 11.4.4 GCMD SRTP then TE) and
// translates a handful of DMA requests, printing what happened to each and the cache counters.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "subcommands.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/mem/sparse_memory.hpp"

namespace vtdsim::tools {

namespace {

constexpr std::uint32_t kGcmd = 0x18, kGsts = 0x1c, kRtaddr = 0x20, kFsts = 0x34;
constexpr std::uint32_t kGcmdTe = 1u << 31, kGcmdSrtp = 1u << 30;

const char* kind_name(core::WalkReadKind kind) {
  switch (kind) {
    case core::WalkReadKind::kRootEntry: return "root";
    case core::WalkReadKind::kContextEntry: return "ctx";
    case core::WalkReadKind::kPasidDirectory: return "pdir";
    case core::WalkReadKind::kPasidTable: return "ptab";
    case core::WalkReadKind::kPagingEntry: return "L";
  }
  return "?";
}

std::string page_size_name(std::uint64_t size) {
  if (size == kPageSize1G) return "1G";
  if (size == kPageSize2M) return "2M";
  if (size == kPageSize4K) return "4K";
  return "-";
}

std::string perms_name(Perms p) { return std::string(p.read ? "R" : "-") + (p.write ? "W" : "-"); }

std::string cache_summary(const core::TranslationResult& r) {
  std::string s;
  if (!r.outcome.translated && r.ok() && r.walk.count == 0 && !r.outcome.context_cache_hit) return "no lookup";
  if (r.outcome.pasid_cache_hit)
    s += "pasid cache hit";  // requests with a PASID
  else
    s += r.outcome.context_cache_hit ? "ctx hit" : "ctx miss";
  if (r.outcome.iotlb_hit) s += ", iotlb hit";
  if (r.outcome.psc_hit_level != 0) s += ", psc L" + std::to_string(r.outcome.psc_hit_level) + " hit";
  if (r.outcome.walk_start_level != 0) s += ", walk from L" + std::to_string(r.outcome.walk_start_level);
  return s;
}

struct Request {
  const char* what;
  SourceId source;
  Access access;
  std::uint64_t iova;
  AddressType at = AddressType::kUntranslated;
};

void print_counters(const char* name, const cache::CacheCounters& c) {
  std::printf("  %-14s lookups %4llu  hits %4llu  misses %4llu  fills %4llu\n", name,
              static_cast<unsigned long long>(c.lookups), static_cast<unsigned long long>(c.hits),
              static_cast<unsigned long long>(c.misses), static_cast<unsigned long long>(c.fills));
}

void run_demo() {
  config::UnitConfig config;  // defaults: 48-bit MGAW, SAGAW 3/4-level, 2 MiB superpages, CM=0
  mem::SparseMemory memory(1ull << 36);
  core::RemappingUnit unit(config, memory);
  core::TableBuilder tables(memory, 0x100000, 0x100000, core::TableFormat::kLegacy, config.cap.haw);

  const SourceId nic = SourceId::from_bdf(0, 3, 0);
  const SourceId disk = SourceId::from_bdf(0, 4, 0);
  const SourceId gpu = SourceId::from_bdf(0, 5, 0);
  const SourceId rogue = SourceId::from_bdf(0, 6, 0);
  const DomainId d1(1), d2(2), d3(3);

  tables.create_domain(d1, 4);
  tables.map(d1, Iova(0x10000000), HostAddr(0x80000000), 0x4000, Perms{true, true});
  tables.map(d1, Iova(0x10004000), HostAddr(0x80010000), 0x1000, Perms{true, false});
  tables.create_domain(d2, 4);
  tables.map(d2, Iova(0x40000000), HostAddr(0xc0000000), kPageSize2M, Perms{true, true}, kPageSize2M);
  tables.set_context(nic, d1);
  tables.set_context(disk, d2);
  tables.set_pass_through(gpu, d3);
  tables.set_blocked(rogue);

  unit.write_register(kRtaddr, 8, tables.rtaddr());
  unit.write_register(kGcmd, 4, kGcmdSrtp);
  unit.write_register(kGcmd, 4, kGcmdTe);

  std::printf("vtdsim demo: legacy-mode tables built by hand, unit programmed through its registers\n\n");
  std::printf("Tables (%llu pages at 0x%llx)\n", static_cast<unsigned long long>(tables.pages_allocated()),
              0x100000ull);
  std::printf("  root table      0x%llx  RTADDR=0x%llx  GSTS=0x%08llx\n",
              static_cast<unsigned long long>(tables.root_table()), static_cast<unsigned long long>(tables.rtaddr()),
              static_cast<unsigned long long>(unit.read_register(kGsts, 4)));
  std::printf("  %s  domain 1  4-level table 0x%llx: 0x10000000-0x10003fff -> 0x80000000 (4K, RW)\n",
              nic.to_string().c_str(), static_cast<unsigned long long>(tables.domain_table(d1)));
  std::printf("                             0x10004000-0x10004fff -> 0x80010000 (4K, R-)\n");
  std::printf("  %s  domain 2  4-level table 0x%llx: 0x40000000-0x401fffff -> 0xc0000000 (2M, RW)\n",
              disk.to_string().c_str(), static_cast<unsigned long long>(tables.domain_table(d2)));
  std::printf("  %s  domain 3  pass-through (TT=10b)\n", gpu.to_string().c_str());
  std::printf("  %s            blocked (context entry not present)\n\n", rogue.to_string().c_str());

  const Request requests[] = {
      {"first touch, full walk", nic, Access::kRead, 0x10000010},
      {"same page again", nic, Access::kRead, 0x10000ff0},
      {"next page, PDE cached", nic, Access::kWrite, 0x10001008},
      {"write to read-only page", nic, Access::kWrite, 0x10004000},
      {"unmapped address", nic, Access::kRead, 0x20000000},
      {"2M superpage", disk, Access::kWrite, 0x40123456},
      {"same 2M page", disk, Access::kRead, 0x401ff000},
      {"pass-through device", gpu, Access::kWrite, 0x12345678},
      {"blocked device", rogue, Access::kRead, 0x1000},
      {"ATS request, TT=00b", nic, Access::kRead, 0x10000000, AddressType::kTranslationRequest},
  };

  std::printf("Requests\n");
  unsigned n = 0;
  for (const Request& q : requests) {
    core::TranslationRequest request;
    request.source = q.source;
    request.iova = Iova(q.iova);
    request.access = q.access;
    request.address_type = q.at;
    const core::TranslationResult r = unit.translate(request);
    std::printf("  %2u. %-24s %s %-5s iova 0x%-10llx ", ++n, q.what, q.source.to_string().c_str(),
                q.access == Access::kRead ? "read" : "write", static_cast<unsigned long long>(q.iova));
    if (r.ok()) {
      std::printf("-> host 0x%-10llx %s %s%s\n", static_cast<unsigned long long>(r.host.value),
                  page_size_name(r.page_size).c_str(), perms_name(r.perms).c_str(),
                  r.outcome.translated ? "" : " (not remapped)");
    } else {
      std::printf("-> FAULT %02xh %s\n", static_cast<unsigned>(r.fault), spec::fault_reason_name(r.fault));
    }
    std::printf("      [%s]", cache_summary(r).c_str());
    if (r.walk.count == 0) {
      std::printf(" no memory reads\n");
    } else {
      std::printf(" %u read%s:", r.walk.count, r.walk.count == 1 ? "" : "s");
      for (const core::WalkRead& w : r.walk) {
        if (w.kind == core::WalkReadKind::kPagingEntry) {
          std::printf(" L%u@0x%llx", w.level, static_cast<unsigned long long>(w.addr));
        } else {
          std::printf(" %s@0x%llx", kind_name(w.kind), static_cast<unsigned long long>(w.addr));
        }
      }
      std::printf("\n");
    }
  }

  const cache::CacheStats& s = unit.caches().stats();
  std::printf("\nCaches\n");
  print_counters("context", s.context);
  print_counters("iotlb", s.iotlb);
  static const char* const kPscNames[] = {"psc PDE", "psc PDPE", "psc PML4E", "psc PML5E"};
  for (unsigned i = 0; i < s.psc.size(); ++i) {
    if (s.psc[i].lookups != 0 || s.psc[i].fills != 0) print_counters(kPscNames[i], s.psc[i]);
  }
  std::printf("\nFaults: FSTS=0x%08llx (PPF=%llu)\n", static_cast<unsigned long long>(unit.read_register(kFsts, 4)),
              static_cast<unsigned long long>((unit.read_register(kFsts, 4) >> 1) & 1));
}

// Scalable mode (VT-d spec 3.4): one device, three PASIDs, one per translation stage, each
// translating IOVA 0x5000 to host 0x9000. Each is asked twice: a walk, then an IOTLB hit.
void run_scalable_demo() {
  config::UnitConfig config;
  config.cap.smts = true;  // scalable mode
  config.cap.pasid = true;
  config.cap.slts = true;  // second-stage tables
  config.cap.flts = true;  // first-stage tables
  config.cap.nest = true;  // nested
  mem::SparseMemory memory(1ull << 36);
  core::RemappingUnit unit(config, memory);
  core::TableBuilder tables(memory, 0x100000, 0x400000, core::TableFormat::kScalable, config.cap.haw);
  const SourceId dev = SourceId::from_bdf(0, 7, 0);
  const Pasid second(1), first(2), nested(3);
  tables.set_scalable_context(dev);
  tables.create_domain(DomainId(10), 4);  // PGTT 010b
  tables.map(DomainId(10), Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
  tables.set_pasid_entry(dev, second, core::TableBuilder::PasidMode::kSecondLevel, DomainId(10));
  tables.create_fs_space(core::FsSpaceId(1), 4);  // PGTT 001b
  tables.map_fs(core::FsSpaceId(1), Iova(0x5000), 0x9000, 0x1000);
  tables.set_pasid_entry_first_stage(dev, first, core::FsSpaceId(1), DomainId(11));
  // PGTT 011b: the guest's first stage (tables at guest-physical 0x40000000..) maps IOVA 0x5000 to
  // guest-physical 0x300000; the host's second stage (domain 12) maps that to host 0x9000.
  tables.create_domain(DomainId(12), 4);
  tables.create_nested_fs_space(core::FsSpaceId(2), 4, DomainId(12), 0x40000000);
  tables.map_fs(core::FsSpaceId(2), Iova(0x5000), 0x300000, 0x1000);
  tables.map(DomainId(12), Iova(0x300000), HostAddr(0x9000), 0x1000, Perms{true, true});
  tables.set_pasid_entry_nested(dev, nested, core::FsSpaceId(2));
  unit.write_register(kRtaddr, 8, tables.rtaddr());
  unit.write_register(kGcmd, 4, kGcmdSrtp);
  unit.write_register(kGcmd, 4, kGcmdTe);

  std::printf(
      "\nScalable mode: device %s, PASID 1 second stage (PGTT 010b), PASID 2 first stage (001b),\n"
      "PASID 3 nested (011b); each reads IOVA 0x5000 (-> host 0x9000) twice\n",
      dev.to_string().c_str());
  struct Ask {
    const char* stage;
    Pasid pasid;
  };
  for (const Ask& q : {Ask{"second stage", second}, Ask{"first stage", first}, Ask{"nested", nested}}) {
    for (int round = 0; round < 2; ++round) {
      core::TranslationRequest request;
      request.source = dev;
      request.pasid = q.pasid;
      request.iova = Iova(0x5000);
      const core::TranslationResult r = unit.translate(request);
      std::printf("  PASID %u %-12s ", q.pasid.value, q.stage);
      if (!r.ok()) {
        std::printf("-> FAULT %02xh %s\n", static_cast<unsigned>(r.fault), spec::fault_reason_name(r.fault));
        continue;
      }
      unsigned fs = 0, ss = 0, ctx = 0;
      for (const core::WalkRead& w : r.walk) {
        if (w.kind != core::WalkReadKind::kPagingEntry)
          ++ctx;
        else if (w.first_stage)
          ++fs;
        else
          ++ss;
      }
      std::printf("-> host 0x%llx [%s] reads: %u context/PASID, %u first-stage, %u second-stage; %u A/D writes\n",
                  static_cast<unsigned long long>(r.host.value), cache_summary(r).c_str(), ctx, fs, ss,
                  static_cast<unsigned>(r.walk_writes));
    }
  }
}

}  // namespace

void add_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Translate a few DMA requests through a hand-built page table");
  cmd->callback([] {
    run_demo();
    run_scalable_demo();
  });
}

}  // namespace vtdsim::tools
