// Parameter sweep: every point of a grid (sweep_grid.hpp) replayed with its own configuration,
// in parallel across `jobs` threads, one CSV row per point (docs/studies.md).
//
// Each point gets its own resolved config::UnitConfig (base tree + --set overrides + the point's
// assignments, resolved in the calling thread before any work starts: yaml-cpp is not used from
// the workers) and the runner builds everything it needs from it (its own RemappingUnit, trace
// reader, stats): the workers share nothing mutable.
//
// Invalid combinations (e.g. iotlb.ways not dividing iotlb.entries) are not skipped: the point's
// row has status "error: <the configuration error>" and empty statistics, and the message is
// reported through on_error, so the CSV always has one row per point of the shard.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/study/sweep_grid.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::study {

// What a sweep row reports about one replay.
struct PointStats {
  std::uint64_t translations = 0;
  std::uint64_t iotlb_hits = 0, iotlb_misses = 0;
  std::uint64_t walks = 0, walk_reads = 0;
  std::uint64_t faults = 0;
  double mean_latency = 0;        // cycles
  std::uint64_t p99_latency = 0;  // cycles
  double hit_rate() const {
    const std::uint64_t n = iotlb_hits + iotlb_misses;
    return n ? static_cast<double>(iotlb_hits) / static_cast<double>(n) : 0.0;
  }
};

struct SweepRow {
  std::uint64_t point = 0;          // index in the full grid
  std::vector<std::string> values;  // one per axis
  std::string status;               // "ok" or "error: ..."
  PointStats stats;                 // meaningful when status == "ok"
};

// Replays the trace with one configuration. May throw (the row then has status "error: ...").
using PointRunner = std::function<PointStats(const config::UnitConfig&)>;

struct SweepPlan {
  std::vector<GridAxis> axes;
  std::vector<std::uint64_t> points;                       // grid indices to run (a shard)
  std::vector<std::optional<config::UnitConfig>> configs;  // per point; nullopt: invalid
  std::vector<std::string> errors;                         // per point; the configuration error
};

// Resolves every point of the shard against the base tree (a deep copy per point).
SweepPlan plan_sweep(const YAML::Node& base, const std::vector<GridAxis>& axes, Shard shard);

// Runs the plan on `jobs` threads (>= 1). Rows come back in point order. on_row (optional) is
// called by the worker that finished the row, serialised by a mutex (progress output).
std::vector<SweepRow> run_sweep(const SweepPlan& plan, unsigned jobs, const PointRunner& runner,
                                const std::function<void(const SweepRow&)>& on_row = {});

// The usual runner: replays the trace that open_source() opens (a fresh source per call) with
// trace::Replayer and reports its statistics (IOTLB hits/misses from the caches' own counters,
// walks, walk reads, faults and latency from the stats recorder).
PointStats replay_point(const config::UnitConfig& config,
                        const std::function<std::unique_ptr<trace::TraceSource>()>& open_source);

// CSV: point, one column per axis (named by its key), status, then the statistics:
// translations,iotlb_hits,iotlb_misses,iotlb_hit_rate,walks,walk_reads,faults,
// mean_latency_cycles,p99_latency_cycles.
std::vector<std::string> sweep_csv_header(const std::vector<GridAxis>& axes);
std::vector<std::string> sweep_csv_row(const SweepRow& row);

}  // namespace vtdsim::study
