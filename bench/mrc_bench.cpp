// One-pass IOTLB miss-ratio curve versus 16 separate replays (fully associative LRU IOTLB of
// 16, 32, ..., 256 entries) on the same in-memory events: the real QEMU log and a larger
// synthetic trace. Counter "speedup" = time of the 16 replays / time of the one-pass curve
// (target >= 10). Events are decoded once up front so both sides measure replay work only.
// BM_SetMrcVs16Replays_*: the same for `mrc --sets S` (S sets, LRU, ways 1..16 in one pass)
// against 16 replays with iotlb.entries = S x W, iotlb.ways = W.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "vtdsim/trace/vector_trace_source.hpp"
#include "vtdsim/study/iotlb_mrc.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"

#ifndef VTDSIM_SOURCE_DIR
#define VTDSIM_SOURCE_DIR "."
#endif

namespace {

using namespace vtdsim;

std::vector<trace::TraceEvent> qemu_events() {
  trace::QemuLogImporter importer(std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.log.gz");
  std::vector<trace::TraceEvent> events;
  while (auto e = importer.next()) events.push_back(*e);
  return events;
}

// 400k DMAs of one device over 2048 mapped pages with a skewed (geometric) reuse, strict-mode
// unmap + page invalidation + remap every 100 DMAs.
std::vector<trace::TraceEvent> synthetic_events() {
  std::vector<trace::TraceEvent> ev;
  trace::TraceEvent c;
  c.kind = trace::EventKind::kContext;
  c.source = SourceId::from_bdf(0, 2, 0);
  c.domain = DomainId(1);
  c.levels = 4;
  ev.push_back(c);
  constexpr std::uint64_t kBase = 0x10000000, kPages = 2048;
  trace::TraceEvent m;
  m.kind = trace::EventKind::kMap;
  m.domain = DomainId(1);
  m.iova = Iova(kBase);
  m.host = HostAddr(0x100000000ull);
  m.size = kPages * 4096;
  m.perms = Perms{true, true};
  ev.push_back(m);
  std::mt19937_64 rng(99);
  std::geometric_distribution<int> hot(0.01);
  std::uint64_t t = 0;
  for (int i = 0; i < 400000; ++i) {
    trace::TraceEvent d;
    d.kind = trace::EventKind::kDma;
    d.time_ns = ++t;
    d.source = c.source;
    d.iova = Iova(kBase + (static_cast<std::uint64_t>(hot(rng)) % kPages) * 4096 + (rng() % 64) * 64);
    d.size = 64;
    d.access = (rng() & 1) ? Access::kWrite : Access::kRead;
    ev.push_back(d);
    if (i % 100 == 99) {
      const std::uint64_t page = kBase + (static_cast<std::uint64_t>(hot(rng)) % kPages) * 4096;
      trace::TraceEvent u;
      u.kind = trace::EventKind::kUnmap;
      u.time_ns = t;
      u.domain = DomainId(1);
      u.iova = Iova(page);
      u.size = 4096;
      ev.push_back(u);
      trace::TraceEvent inv;
      inv.kind = trace::EventKind::kInvalidate;
      inv.time_ns = t;
      inv.invalidation.granularity = core::InvalidationGranularity::kPage;
      inv.invalidation.domain = DomainId(1);
      inv.invalidation.addr = Iova(page);
      ev.push_back(inv);
      trace::TraceEvent r = m;
      r.time_ns = t;
      r.iova = Iova(page);
      r.host = HostAddr(0x200000000ull + (rng() % 100000) * 4096);
      r.size = 4096;
      ev.push_back(r);
    }
  }
  return ev;
}

config::UnitConfig base_config() {
  config::UnitConfig cfg;
  cfg.cap.caching_mode = true;
  cfg.cap.sllps = 0b11;
  return cfg;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One pass (curve over `max_size` points, `sets` sets; 0 = fully associative) against the 16
// replays it stands for: replay i has the IOTLB geometry geometry(i) and must hit as often as
// the curve says at point_of(i).
template <class Geometry>
void compare_one_pass(benchmark::State& state, const std::vector<trace::TraceEvent>& events, std::uint32_t max_size,
                      std::uint32_t sets, Geometry geometry) {
  const config::UnitConfig base = base_config();
  double mrc_s = 0, replays_s = 0;
  std::uint64_t checksum = 0, mismatches = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    trace::VectorTraceSource source(events);
    const study::IotlbMissRatioCurve curve = study::compute_iotlb_mrc(base, source, max_size, sets);
    mrc_s += seconds_since(t0);

    t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 1; i <= 16; ++i) {
      config::UnitConfig cfg = base;
      const auto [entries, ways, point] = geometry(i);
      cfg.caches.iotlb.entries = entries;
      cfg.caches.iotlb.ways = ways;
      cfg.caches.iotlb.policy = config::ReplacementPolicy::kLru;
      trace::Replayer replayer(cfg);
      trace::VectorTraceSource s(events);
      replayer.run(s);
      const std::uint64_t hits = replayer.unit().caches().stats().iotlb.hits;
      checksum += hits;
      if (hits != curve.hits_at(point)) ++mismatches;
    }
    replays_s += seconds_since(t0);
  }
  benchmark::DoNotOptimize(checksum);
  const double iters = static_cast<double>(state.iterations());
  state.counters["mrc_ms"] = mrc_s / iters * 1e3;
  state.counters["16_replays_ms"] = replays_s / iters * 1e3;
  state.counters["speedup"] = replays_s / mrc_s;
  state.counters["mismatches"] = static_cast<double>(mismatches);
  state.counters["events"] = static_cast<double>(events.size());
  if (sets != 0) state.counters["sets"] = sets;
}

struct ReplayGeometry {
  std::uint32_t entries, ways, point;
};

// Fully associative: 16, 32, ..., 256 entries.
void run_comparison(benchmark::State& state, const std::vector<trace::TraceEvent>& events) {
  compare_one_pass(state, events, 256, 0, [](std::uint32_t i) { return ReplayGeometry{16 * i, 16 * i, 16 * i}; });
}

// S sets x 1..16 ways.
void run_set_comparison(benchmark::State& state, const std::vector<trace::TraceEvent>& events, std::uint32_t sets) {
  compare_one_pass(state, events, 16, sets, [sets](std::uint32_t w) { return ReplayGeometry{sets * w, w, w}; });
}

void BM_SetMrcVs16Replays_QemuLog(benchmark::State& state) {
  static const std::vector<trace::TraceEvent> events = qemu_events();
  run_set_comparison(state, events, static_cast<std::uint32_t>(state.range(0)));
}
BENCHMARK(BM_SetMrcVs16Replays_QemuLog)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_SetMrcVs16Replays_Synthetic(benchmark::State& state) {
  static const std::vector<trace::TraceEvent> events = synthetic_events();
  run_set_comparison(state, events, static_cast<std::uint32_t>(state.range(0)));
}
BENCHMARK(BM_SetMrcVs16Replays_Synthetic)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_MrcVs16Replays_QemuLog(benchmark::State& state) {
  static const std::vector<trace::TraceEvent> events = qemu_events();
  run_comparison(state, events);
}
BENCHMARK(BM_MrcVs16Replays_QemuLog)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_MrcVs16Replays_Synthetic(benchmark::State& state) {
  static const std::vector<trace::TraceEvent> events = synthetic_events();
  run_comparison(state, events);
}
BENCHMARK(BM_MrcVs16Replays_Synthetic)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
