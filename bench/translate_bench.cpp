// Translation hot-path benchmarks: the IOTLB lookup against a naive std::unordered_map IOTLB
// keyed by (domain, page) in the same run, and RemappingUnit::translate on an IOTLB hit, on an
// IOTLB miss that hits the PDE cache, and on a full 4-level walk. A global operator new counter
// shows allocations per translation (reported as the `allocs_per_op` counter).
// At exit it prints the hit-path ratios (baseline CPU time / our CPU time; the brief's target
// was >= 3). Throughput variants let consecutive lookups overlap; latency variants chain them.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "mean_reporter.hpp"
#include "vtdsim/cache/translation_caches.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/mem/sparse_memory.hpp"

// ---- allocation counter -------------------------------------------------------------------
// GCC flags free() inside a replaced operator delete as mismatched; both are replaced together.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace vtdsim;

constexpr int kPages = 32;  // working set: fits the default 64-entry IOTLB
constexpr std::uint64_t kIovaBase = 0x10000000;
constexpr SourceId kDevice = SourceId::from_bdf(0, 3, 0);
constexpr DomainId kDomain{1};

// ---- IOTLB lookup: ours vs unordered_map --------------------------------------------------
void BM_IotlbLookup(benchmark::State& state) {
  cache::TranslationCaches caches{config::CachesConfig{}};
  for (int i = 0; i < kPages; ++i) {
    cache::IotlbEntry e;
    e.source = kDevice;
    e.domain = kDomain;
    e.iova_base = kIovaBase + 0x1000ull * i;
    e.host_base = 0x80000000ull + 0x1000ull * i;
    e.perms = Perms{true, true};
    caches.fill_iotlb(e);
  }
  std::uint64_t i = 0;
  for (auto _ : state) {
    const cache::IotlbEntry* e =
        caches.find_iotlb(kDevice, kDomain, Pasid{}, Iova(kIovaBase + 0x1000ull * (i++ % kPages) + 0x10));
    benchmark::DoNotOptimize(e);
  }
  if (caches.stats().iotlb.misses != 0) state.SkipWithError("unexpected IOTLB miss");
}
BENCHMARK(BM_IotlbLookup);

// Dependent-chain variants: the next address comes from the entry just found (the host page of
// page i names page (7i + 3) mod 32), so lookups cannot overlap: this measures lookup latency,
// the variants above measure throughput.
std::uint64_t chained_host(int i) { return 0x80000000ull + 0x1000ull * ((7 * i + 3) % kPages); }

void BM_IotlbLookupLatency(benchmark::State& state) {
  cache::TranslationCaches caches{config::CachesConfig{}};
  for (int i = 0; i < kPages; ++i) {
    cache::IotlbEntry e;
    e.source = kDevice;
    e.domain = kDomain;
    e.iova_base = kIovaBase + 0x1000ull * i;
    e.host_base = chained_host(i);
    caches.fill_iotlb(e);
  }
  std::uint64_t page = 0;
  for (auto _ : state) {
    const cache::IotlbEntry* e = caches.find_iotlb(kDevice, kDomain, Pasid{}, Iova(kIovaBase + (page << 12)));
    page = (e->host_base >> 12) & (kPages - 1);
  }
  benchmark::DoNotOptimize(page);
}
BENCHMARK(BM_IotlbLookupLatency);

struct NaiveKey {
  std::uint16_t domain;
  std::uint64_t page;
  bool operator==(const NaiveKey& o) const { return domain == o.domain && page == o.page; }
};
struct NaiveKeyHash {
  std::size_t operator()(const NaiveKey& k) const noexcept {
    return std::hash<std::uint64_t>()(k.page ^ (std::uint64_t{k.domain} << 48));
  }
};

void BM_UnorderedMapIotlbBaseline(benchmark::State& state) {
  std::unordered_map<NaiveKey, cache::IotlbEntry, NaiveKeyHash> map;
  for (int i = 0; i < kPages; ++i) {
    cache::IotlbEntry e;
    e.domain = kDomain;
    e.iova_base = kIovaBase + 0x1000ull * i;
    map[NaiveKey{kDomain.value, e.iova_base >> 12}] = e;
  }
  std::uint64_t i = 0, found = 0;
  for (auto _ : state) {
    const std::uint64_t iova = kIovaBase + 0x1000ull * (i++ % kPages) + 0x10;
    auto it = map.find(NaiveKey{kDomain.value, iova >> 12});
    const cache::IotlbEntry* e = it == map.end() ? nullptr : &it->second;
    found += e != nullptr;
    benchmark::DoNotOptimize(e);
  }
  benchmark::DoNotOptimize(found);
}
BENCHMARK(BM_UnorderedMapIotlbBaseline);

void BM_UnorderedMapIotlbLatencyBaseline(benchmark::State& state) {
  std::unordered_map<NaiveKey, cache::IotlbEntry, NaiveKeyHash> map;
  for (int i = 0; i < kPages; ++i) {
    cache::IotlbEntry e;
    e.domain = kDomain;
    e.iova_base = kIovaBase + 0x1000ull * i;
    e.host_base = chained_host(i);
    map[NaiveKey{kDomain.value, e.iova_base >> 12}] = e;
  }
  std::uint64_t page = 0;
  for (auto _ : state) {
    auto it = map.find(NaiveKey{kDomain.value, (kIovaBase >> 12) + page});
    page = (it->second.host_base >> 12) & (kPages - 1);
  }
  benchmark::DoNotOptimize(page);
}
BENCHMARK(BM_UnorderedMapIotlbLatencyBaseline);

// Reference points, not product paths: the least a set-associative lookup can do, written by
// hand for this geometry (16 sets x 4 ways, 16-byte keys, no counters, no page sizes, everything
// inlined). kAgeStamp = true: one LRU age stamp store per hit (BM_MinimalSetAssocReference), how
// close a faithful set-associative IOTLB can get to the plain hash map in this throughput loop.
// kAgeStamp = false: the tag compare alone, no recency at all (BM_CompareOnlyReference; not a
// cache, since it can never choose a victim), which bounds what any set-associative lookup can reach.
template <bool kAgeStamp>
void set_assoc_reference(benchmark::State& state) {
  struct Key {
    std::uint64_t vpn, tag;
  };
  constexpr std::uint32_t kSets = 16, kWays = 4;
  std::vector<Key> keys(kSets * kWays, Key{~0ull, ~0ull});
  std::vector<std::uint64_t> stamp(kSets * kWays, 0), clock(kSets, 0);
  const std::uint64_t tag = kDomain.value;
  for (int i = 0; i < kPages; ++i) {
    const std::uint64_t vpn = (kIovaBase >> 12) + static_cast<std::uint64_t>(i);
    const std::size_t set = vpn % kSets;
    for (std::uint32_t w = 0; w < kWays; ++w) {
      if (keys[set * kWays + w].vpn == ~0ull) {
        keys[set * kWays + w] = Key{vpn, tag};
        break;
      }
    }
  }
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::uint64_t vpn = (kIovaBase + 0x1000ull * (i++ % kPages) + 0x10) >> 12;
    const std::size_t base = (vpn % kSets) * kWays;
    const Key* found = nullptr;
    for (std::uint32_t w = 0; w < kWays; ++w) {
      if (((keys[base + w].vpn ^ vpn) | (keys[base + w].tag ^ tag)) == 0) {
        if constexpr (kAgeStamp) stamp[base + w] = ++clock[base / kWays];
        found = &keys[base + w];
        break;
      }
    }
    benchmark::DoNotOptimize(found);
  }
}
void BM_MinimalSetAssocReference(benchmark::State& state) { set_assoc_reference<true>(state); }
BENCHMARK(BM_MinimalSetAssocReference);
void BM_CompareOnlyReference(benchmark::State& state) { set_assoc_reference<false>(state); }
BENCHMARK(BM_CompareOnlyReference);

// A naive IOTLB that does what an IOTLB must do on a hit (a capacity-bounded LRU cache keyed by
// (domain, page)): std::unordered_map to a std::list node, spliced to the front on every hit. This
// is the usual hand-written LRU cache; reported beside the plain-map baseline, which keeps no
// recency at all and so is a dictionary rather than a cache.
struct NaiveLruIotlb {
  using Node = std::pair<NaiveKey, cache::IotlbEntry>;
  std::size_t capacity;
  std::list<Node> order;  // most recent first
  std::unordered_map<NaiveKey, std::list<Node>::iterator, NaiveKeyHash> index;
  explicit NaiveLruIotlb(std::size_t cap) : capacity(cap) {}
  const cache::IotlbEntry* find(const NaiveKey& k) {
    auto it = index.find(k);
    if (it == index.end()) return nullptr;
    order.splice(order.begin(), order, it->second);
    return &it->second->second;
  }
  void insert(const NaiveKey& k, const cache::IotlbEntry& e) {
    if (index.size() == capacity) {
      index.erase(order.back().first);
      order.pop_back();
    }
    order.emplace_front(k, e);
    index[k] = order.begin();
  }
};

void BM_UnorderedMapLruIotlbBaseline(benchmark::State& state) {
  NaiveLruIotlb lru(64);  // the default IOTLB's capacity
  for (int i = 0; i < kPages; ++i) {
    cache::IotlbEntry e;
    e.domain = kDomain;
    e.iova_base = kIovaBase + 0x1000ull * i;
    lru.insert(NaiveKey{kDomain.value, e.iova_base >> 12}, e);
  }
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::uint64_t iova = kIovaBase + 0x1000ull * (i++ % kPages) + 0x10;
    const cache::IotlbEntry* e = lru.find(NaiveKey{kDomain.value, iova >> 12});
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_UnorderedMapLruIotlbBaseline);

// ---- full translate path -------------------------------------------------------------------
constexpr std::uint32_t kGcmd = 0x18, kRtaddr = 0x20;
constexpr std::uint32_t kGcmdTe = 1u << 31, kGcmdSrtp = 1u << 30;

struct Unit {
  mem::SparseMemory memory{1ull << 32};
  std::unique_ptr<core::RemappingUnit> unit;
  std::unique_ptr<core::TableBuilder> tables;
  explicit Unit(const config::UnitConfig& cfg) {
    unit = std::make_unique<core::RemappingUnit>(cfg, memory);
    tables = std::make_unique<core::TableBuilder>(memory, 0x100000, 0x400000, core::TableFormat::kLegacy, cfg.cap.haw);
    tables->create_domain(kDomain, 4);
    tables->map(kDomain, Iova(kIovaBase), HostAddr(0x80000000), 0x1000ull * kPages, Perms{true, true});
    tables->set_context(kDevice, kDomain);
    unit->write_register(kRtaddr, 8, tables->rtaddr());
    unit->write_register(kGcmd, 4, kGcmdSrtp);
    unit->write_register(kGcmd, 4, kGcmdTe);
  }
};

// expect_reads: paging reads each translation must make (checked once, outside the timed loop).
// The timed part of every translate case: requests over the kPages warmed pages in turn, and the
// allocations they made per request (must stay 0).
void time_translations(benchmark::State& state, core::RemappingUnit& unit, core::TranslationRequest req) {
  std::uint64_t i = 0;
  const std::uint64_t allocs_before = g_allocations.load();
  for (auto _ : state) {
    req.iova = Iova(kIovaBase + 0x1000ull * (i++ % kPages) + 0x10);
    core::TranslationResult r = unit.translate(req);
    benchmark::DoNotOptimize(r);
  }
  const std::uint64_t allocs = g_allocations.load() - allocs_before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs) / static_cast<double>(state.iterations() ? state.iterations() : 1));
}

void run_translate(benchmark::State& state, const config::UnitConfig& cfg, unsigned expect_reads, bool expect_iotlb_hit,
                   std::uint8_t expect_psc_level) {
  Unit u(cfg);
  core::TranslationRequest req;
  req.source = kDevice;
  for (int i = 0; i < kPages; ++i) {  // warm: context cache, IOTLB / PSC
    req.iova = Iova(kIovaBase + 0x1000ull * i);
    u.unit->translate(req);
  }
  req.iova = Iova(kIovaBase + 0x5010);
  const core::TranslationResult check = u.unit->translate(req);
  if (!check.ok() || check.walk.count != expect_reads || check.outcome.iotlb_hit != expect_iotlb_hit ||
      check.outcome.psc_hit_level != expect_psc_level || !check.outcome.context_cache_hit) {
    state.SkipWithError("translation did not take the expected path");
    return;
  }
  time_translations(state, *u.unit, req);
}

void BM_TranslateIotlbHit(benchmark::State& state) { run_translate(state, config::UnitConfig{}, 0, true, 0); }
BENCHMARK(BM_TranslateIotlbHit);

void BM_TranslateMissPdeCacheHit(benchmark::State& state) {
  config::UnitConfig cfg;
  cfg.caches.iotlb.enabled = false;  // every request misses the IOTLB; the PDE cache holds the walk
  run_translate(state, cfg, 1, false, 2);
}
BENCHMARK(BM_TranslateMissPdeCacheHit);

void BM_TranslateFullWalk(benchmark::State& state) {
  config::UnitConfig cfg;
  cfg.caches.iotlb.enabled = false;
  for (auto& p : cfg.caches.psc) p.enabled = false;
  run_translate(state, cfg, 4, false, 0);
}
BENCHMARK(BM_TranslateFullWalk);

// ---- scalable mode: second stage, first stage (PGTT 001b) and nested (011b) -----------------
// The same kPages pages, reached through a PASID (hits: from the IOTLB; full walks: IOTLB and
// paging-structure caches disabled): second-stage (010b) tables of kDomain, a
// 4-level first-stage space, or a 4-level first-stage space nested on a 4-level second stage
// whose tables sit at guest-physical kGuestTables.
enum class ScalableMode { kSecond, kFirst, kNested };
constexpr Pasid kPasid{0x45};
constexpr std::uint64_t kGuestTables = 0x4000'0000;
constexpr std::uint64_t kGuestPages = 0x1000'0000;  // nested: gpa of the first page

config::UnitConfig scalable_config() {
  config::UnitConfig cfg;
  cfg.cap.flts = true;
  cfg.cap.nest = true;
  return cfg;
}

struct ScalableUnit {
  mem::SparseMemory memory{1ull << 32};
  std::unique_ptr<core::RemappingUnit> unit;
  std::unique_ptr<core::TableBuilder> tables;
  ScalableUnit(const config::UnitConfig& cfg, ScalableMode mode) {
    unit = std::make_unique<core::RemappingUnit>(cfg, memory);
    tables =
        std::make_unique<core::TableBuilder>(memory, 0x100000, 0x400000, core::TableFormat::kScalable, cfg.cap.haw);
    tables->set_scalable_context(kDevice);
    const core::FsSpaceId space(1);
    tables->create_domain(kDomain, 4);
    switch (mode) {
      case ScalableMode::kSecond:
        tables->map(kDomain, Iova(kIovaBase), HostAddr(0x80000000), 0x1000ull * kPages, Perms{true, true});
        tables->set_pasid_entry(kDevice, kPasid, core::TableBuilder::PasidMode::kSecondLevel, kDomain);
        break;
      case ScalableMode::kFirst:
        tables->create_fs_space(space, 4);
        tables->map_fs(space, Iova(kIovaBase), 0x80000000, 0x1000ull * kPages);
        tables->set_pasid_entry_first_stage(kDevice, kPasid, space, kDomain);
        break;
      case ScalableMode::kNested:
        tables->create_nested_fs_space(space, 4, kDomain, kGuestTables);
        tables->map_fs(space, Iova(kIovaBase), kGuestPages, 0x1000ull * kPages);
        tables->map(kDomain, Iova(kGuestPages), HostAddr(0x80000000), 0x1000ull * kPages, Perms{true, true});
        tables->set_pasid_entry_nested(kDevice, kPasid, space);
        break;
    }
    unit->write_register(kRtaddr, 8, tables->rtaddr());
    unit->write_register(kGcmd, 4, kGcmdSrtp);
    unit->write_register(kGcmd, 4, kGcmdTe);
  }
};

void run_scalable_translate(benchmark::State& state, const config::UnitConfig& cfg, ScalableMode mode,
                            unsigned expect_reads, bool expect_iotlb_hit) {
  ScalableUnit u(cfg, mode);
  core::TranslationRequest req;
  req.source = kDevice;
  req.pasid = kPasid;
  for (int i = 0; i < kPages; ++i) {  // warm: PASID cache, IOTLB, A bits
    req.iova = Iova(kIovaBase + 0x1000ull * i);
    u.unit->translate(req);
  }
  req.iova = Iova(kIovaBase + 0x5010);
  const core::TranslationResult check = u.unit->translate(req);
  if (!check.ok() || check.walk.count != expect_reads || check.outcome.iotlb_hit != expect_iotlb_hit ||
      !check.outcome.pasid_cache_hit || check.host != HostAddr(0x80005010)) {
    state.SkipWithError("translation did not take the expected path");
    return;
  }
  time_translations(state, *u.unit, req);
}

config::UnitConfig no_walk_caches(config::UnitConfig cfg) {
  cfg.caches.iotlb.enabled = false;
  for (auto& p : cfg.caches.psc) p.enabled = false;
  return cfg;
}

void BM_ScalableSecondStageIotlbHit(benchmark::State& state) {
  run_scalable_translate(state, scalable_config(), ScalableMode::kSecond, 0, true);
}
BENCHMARK(BM_ScalableSecondStageIotlbHit);
void BM_ScalableSecondStageFullWalk(benchmark::State& state) {
  run_scalable_translate(state, no_walk_caches(scalable_config()), ScalableMode::kSecond, 4, false);
}
BENCHMARK(BM_ScalableSecondStageFullWalk);
void BM_FirstStageIotlbHit(benchmark::State& state) {
  run_scalable_translate(state, scalable_config(), ScalableMode::kFirst, 0, true);
}
BENCHMARK(BM_FirstStageIotlbHit);
void BM_NestedIotlbHit(benchmark::State& state) {
  run_scalable_translate(state, scalable_config(), ScalableMode::kNested, 0, true);
}
BENCHMARK(BM_NestedIotlbHit);
void BM_FirstStageFullWalk(benchmark::State& state) {
  run_scalable_translate(state, no_walk_caches(scalable_config()), ScalableMode::kFirst, 4, false);
}
BENCHMARK(BM_FirstStageFullWalk);
void BM_NestedFullWalk(benchmark::State& state) {
  // 4 first-stage reads, each after a 4-read second-stage walk of its table, then 4 for the output.
  run_scalable_translate(state, no_walk_caches(scalable_config()), ScalableMode::kNested, 4 * 5 + 4, false);
}
BENCHMARK(BM_NestedFullWalk);
// IOTLB off, paging-structure caches on: the walk resumes from the first-stage PDE cache (one PTE
// read; nested: the PTE read at its cached host address, then 4 second-stage reads for the output).
config::UnitConfig no_iotlb(config::UnitConfig cfg) {
  cfg.caches.iotlb.enabled = false;
  return cfg;
}
void BM_FirstStageMissPdeCacheHit(benchmark::State& state) {
  run_scalable_translate(state, no_iotlb(scalable_config()), ScalableMode::kFirst, 1, false);
}
BENCHMARK(BM_FirstStageMissPdeCacheHit);
void BM_NestedMissPdeCacheHit(benchmark::State& state) {
  run_scalable_translate(state, no_iotlb(scalable_config()), ScalableMode::kNested, 1 + 4, false);
}
BENCHMARK(BM_NestedMissPdeCacheHit);

// Baseline for the whole hit path: what a translation would cost with the naive map as IOTLB
// (the map lookup plus composing the result), for comparison with BM_TranslateIotlbHit.
void BM_UnorderedMapTranslateBaseline(benchmark::State& state) {
  std::unordered_map<NaiveKey, cache::IotlbEntry, NaiveKeyHash> map;
  std::unordered_map<std::uint16_t, cache::ContextCacheEntry> contexts;
  contexts[kDevice.value].domain = kDomain;
  for (int i = 0; i < kPages; ++i) {
    cache::IotlbEntry e;
    e.domain = kDomain;
    e.iova_base = kIovaBase + 0x1000ull * i;
    e.host_base = 0x80000000ull + 0x1000ull * i;
    e.perms = Perms{true, true};
    map[NaiveKey{kDomain.value, e.iova_base >> 12}] = e;
  }
  core::TranslationRequest req;
  req.source = kDevice;
  std::uint64_t i = 0;
  for (auto _ : state) {
    req.iova = Iova(kIovaBase + 0x1000ull * (i++ % kPages) + 0x10);
    core::TranslationResult r;
    auto c = contexts.find(req.source.value);
    if (c != contexts.end()) {
      auto it = map.find(NaiveKey{c->second.domain.value, req.iova.value >> 12});
      if (it != map.end() && it->second.perms.allows(req.access)) {
        r.host = HostAddr(it->second.host_base + (req.iova.value & 0xfff));
        r.page_size = kPageSize4K;
        r.outcome.iotlb_hit = true;
      }
    }
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_UnorderedMapTranslateBaseline);

// Baseline CPU time / our CPU time, both measured in this run.
void print_ratio(const bench::MeanReporter& times, const char* label, const char* baseline, const char* ours) {
  const double* b = times.value(baseline);
  const double* o = times.value(ours);
  if (!b || !o || *o <= 0) return;
  std::printf("%s (CPU time): %s %.2f ns / %s %.2f ns = %.2fx\n", label, baseline, *b, ours, *o, *b / *o);
}

// Our CPU time / reference CPU time, both measured in this run: how many times the reference's cost.
void print_cost(const bench::MeanReporter& times, const char* label, const char* reference, const char* ours) {
  const double* r = times.value(reference);
  const double* o = times.value(ours);
  if (!r || !o || *r <= 0) return;
  std::printf("%s (CPU time): %s %.2f ns / %s %.2f ns = %.2fx\n", label, ours, *o, reference, *r, *o / *r);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::MeanReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_ratio(reporter, "IOTLB lookup throughput ratio (target >= 3x)", "BM_UnorderedMapIotlbBaseline",
              "BM_IotlbLookup");
  print_ratio(reporter, "IOTLB lookup vs naive LRU IOTLB (map + list)", "BM_UnorderedMapLruIotlbBaseline",
              "BM_IotlbLookup");
  print_ratio(reporter, "hand-minimal 16x4 LRU lookup (reference) vs plain map", "BM_UnorderedMapIotlbBaseline",
              "BM_MinimalSetAssocReference");
  print_ratio(reporter, "16x4 tag compare without recency (reference) vs plain map", "BM_UnorderedMapIotlbBaseline",
              "BM_CompareOnlyReference");
  print_ratio(reporter, "IOTLB lookup latency ratio", "BM_UnorderedMapIotlbLatencyBaseline", "BM_IotlbLookupLatency");
  print_ratio(reporter, "translate hit vs naive map translate", "BM_UnorderedMapTranslateBaseline",
              "BM_TranslateIotlbHit");
  print_cost(reporter, "cost of a first-stage IOTLB hit in second-stage IOTLB hits (scalable)",
             "BM_ScalableSecondStageIotlbHit", "BM_FirstStageIotlbHit");
  print_cost(reporter, "cost of a nested IOTLB hit in second-stage IOTLB hits (scalable)",
             "BM_ScalableSecondStageIotlbHit", "BM_NestedIotlbHit");
  print_cost(reporter, "cost of a first-stage full walk in second-stage full walks (scalable)",
             "BM_ScalableSecondStageFullWalk", "BM_FirstStageFullWalk");
  print_cost(reporter, "cost of a nested full walk in second-stage full walks (scalable)",
             "BM_ScalableSecondStageFullWalk", "BM_NestedFullWalk");
  print_cost(reporter, "cost of a scalable second-stage IOTLB hit in legacy IOTLB hits", "BM_TranslateIotlbHit",
             "BM_ScalableSecondStageIotlbHit");
  benchmark::Shutdown();
  return 0;
}
