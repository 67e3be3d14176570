// Native binary replay throughput on an IOTLB-hit-dominated trace, against the floor of just
// reading and decoding the same file (same run, same page-cache state).
//   BM_BinaryReadDecode  BinaryTraceReader::next(TraceEvent&) over every record
//   BM_BinaryReplay      the same reader through trace::Replayer::run (TraceSource::next,
//                        RemappingUnit::translate, timing model, stats recorder)
//   BM_ReplayApplyOnly   Replayer::apply on events already in memory (no reading at all)
// items_per_second = translations (or records) per second. Targets: replay >= 30 M/s on one
// core, and within 5x of the read+decode floor. At exit it prints both ratios (mean of the
// repetitions when --benchmark_repetitions is given).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "mean_reporter.hpp"
#include "vtdsim/stats/stats_recorder.hpp"
#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/replayer.hpp"

namespace {

using namespace vtdsim;

constexpr std::uint64_t kDmas = 2'000'000;
constexpr std::uint64_t kPages = 16;  // fits the default 64-entry IOTLB: all but 16 lookups hit

std::vector<trace::TraceEvent> hit_events() {
  std::vector<trace::TraceEvent> ev;
  trace::TraceEvent c;
  c.kind = trace::EventKind::kContext;
  c.source = SourceId::from_bdf(0, 3, 0);
  c.domain = DomainId(1);
  c.levels = 4;
  ev.push_back(c);
  trace::TraceEvent m;
  m.kind = trace::EventKind::kMap;
  m.domain = DomainId(1);
  m.iova = Iova(0x100000);
  m.host = HostAddr(0x40000000);
  m.size = kPages * 4096;
  m.perms = Perms{true, true};
  ev.push_back(m);
  for (std::uint64_t i = 0; i < kDmas; ++i) {
    trace::TraceEvent d;
    d.kind = trace::EventKind::kDma;
    d.time_ns = i;
    d.source = c.source;
    d.iova = Iova(0x100000 + (i * 7 % kPages) * 4096 + (i % 32) * 64);
    d.size = 64;
    d.access = (i & 1) ? Access::kWrite : Access::kRead;
    ev.push_back(d);
  }
  return ev;
}

const std::string& trace_path() {
  static const std::string path = [] {
    const std::string p = "/tmp/vtdsim_replay_bench_" + std::to_string(getpid()) + ".bin";
    trace::BinaryTraceWriter writer(p);
    for (const auto& e : hit_events()) writer.write(e);
    writer.close();
    return p;
  }();
  return path;
}

void BM_BinaryReadDecode(benchmark::State& state) {
  const std::string& path = trace_path();
  std::uint64_t records = 0;
  for (auto _ : state) {
    trace::BinaryTraceReader reader(path);
    trace::TraceEvent e;
    std::uint64_t sum = 0;
    while (reader.next(e)) sum += e.iova.value;
    benchmark::DoNotOptimize(sum);
    records += reader.records_read();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}
BENCHMARK(BM_BinaryReadDecode)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_BinaryReplay(benchmark::State& state) {
  const std::string& path = trace_path();
  std::uint64_t translations = 0, hits = 0;
  for (auto _ : state) {
    trace::Replayer replayer{config::UnitConfig{}};
    trace::BinaryTraceReader reader(path);
    replayer.run(reader);
    translations += replayer.counters().translations;
    hits += replayer.unit().caches().stats().iotlb.hits;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(translations));
  state.counters["iotlb_hit_rate"] = translations ? static_cast<double>(hits) / static_cast<double>(translations) : 0;
}
BENCHMARK(BM_BinaryReplay)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ReplayApplyOnly(benchmark::State& state) {
  static const std::vector<trace::TraceEvent> events = hit_events();
  std::uint64_t translations = 0;
  for (auto _ : state) {
    trace::Replayer replayer{config::UnitConfig{}};
    for (const auto& e : events) replayer.apply(e);
    translations += replayer.counters().translations;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(translations));
}
BENCHMARK(BM_ReplayApplyOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Ratios from the rates measured in this run (items_per_second).
void print_summary(const bench::MeanReporter& rates) {
  const double* floor = rates.value("BM_BinaryReadDecode");
  const double* replay = rates.value("BM_BinaryReplay");
  const double* apply = rates.value("BM_ReplayApplyOnly");
  if (replay) {
    std::printf("binary replay: %.2f M translations/s (target >= 30 M/s: %s)\n", *replay / 1e6,
                *replay >= 30e6 ? "met" : "NOT met");
  }
  if (floor && replay && *replay > 0) {
    const double ratio = *floor / *replay;
    std::printf("read+decode floor %.2f M/s / replay %.2f M/s = %.2fx slower than the floor (target <= 5x: %s)\n",
                *floor / 1e6, *replay / 1e6, ratio, ratio <= 5.0 ? "met" : "NOT met");
  }
  if (apply) std::printf("in-memory apply only: %.2f M translations/s\n", *apply / 1e6);
}

struct Cleanup {
  ~Cleanup() {
    const std::string p = "/tmp/vtdsim_replay_bench_" + std::to_string(getpid()) + ".bin";
    std::remove(p.c_str());
  }
} cleanup;

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::MeanReporter reporter("items_per_second");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter);
  benchmark::Shutdown();
  return 0;
}
