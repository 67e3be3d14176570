// `vtdsim sweep TRACE --grid KEY=V1,V2,... [--grid ...] [--config FILE] [--set KEY=VALUE]...
//  [--jobs N] [--shard K/N] --csv OUT`: replays the trace once per point of the cartesian product
// of the grids (study/sweep.hpp), in parallel, one CSV row per point. docs/studies.md.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "subcommands.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/study/csv_table.hpp"
#include "vtdsim/study/sweep.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

struct SweepArgs {
  std::string trace, csv, config, shard = "1/1";
  std::vector<std::string> grids, sets;
  unsigned jobs = 1;
  bool quiet = false;
};

void run_sweep_command(const SweepArgs& a) {
  std::vector<study::GridAxis> axes;
  study::Shard shard;
  try {
    axes = study::parse_grid(a.grids);
    shard = study::parse_shard(a.shard);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::vector<std::string> overrides;
  for (const auto& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw UsageError("--set \"" + s + "\": expected KEY=VALUE");
    overrides.push_back(study::full_config_key(s.substr(0, eq)) + s.substr(eq));
  }
  const YAML::Node base = config::load_config_tree(a.config, overrides);
  config::check_top_level_keys(base);
  config::resolve_unit_config(base);  // the base configuration itself must be valid
  trace::open_trace(a.trace);         // fail early on an unreadable or unknown trace

  const study::SweepPlan plan = study::plan_sweep(base, axes, shard);
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (a.csv != "-") {
    file.open(a.csv, std::ios::trunc);
    if (!file) throw std::runtime_error(a.csv + ": cannot create");
    out = &file;
  }
  std::size_t done = 0, errors = 0;
  const std::string trace = a.trace;
  const auto rows = study::run_sweep(
      plan, a.jobs,
      [&trace](const config::UnitConfig& c) {
        return study::replay_point(c, [&trace] { return trace::open_trace(trace).source; });
      },
      [&](const study::SweepRow& row) {
        ++done;
        if (row.status != "ok") {
          ++errors;
          std::cerr << "vtdsim sweep: point " << row.point << " (" << study::csv_line(row.values) << "): " << row.status
                    << "\n";
        } else if (!a.quiet) {
          std::cerr << "vtdsim sweep: [" << done << "/" << plan.points.size() << "] point " << row.point << " ("
                    << study::csv_line(row.values) << "): hit rate " << row.stats.hit_rate() << "\n";
        }
      });
  *out << study::csv_line(study::sweep_csv_header(axes)) << '\n';
  for (const auto& row : rows) *out << study::csv_line(study::sweep_csv_row(row)) << '\n';
  out->flush();
  if (!*out) throw std::runtime_error(a.csv + ": write error");
  std::cerr << "vtdsim sweep: " << rows.size() << " points (shard " << shard.index << "/" << shard.count << " of "
            << study::grid_size(axes) << "), " << errors << " invalid\n";
}

}  // namespace

void add_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "Replay a trace for every combination of configuration values");
  cmd->add_option("TRACE", args->trace, "trace: text, binary or QEMU vtd_* log")->required();
  cmd->add_option("--grid", args->grids, "KEY=V1,V2,... (config key in --set syntax; 'iommu.' may be left out)")
      ->required();
  cmd->add_option("--csv", args->csv, "output CSV (- = stdout)")->required();
  cmd->add_option("--config", args->config, "base configuration YAML (default: built-in defaults)");
  cmd->add_option("--set", args->sets, "override a base configuration key (KEY=VALUE)");
  cmd->add_option("--jobs,-j", args->jobs, "worker threads (each point has its own RemappingUnit)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--shard", args->shard, "run slice K of N (1-based): points with index % N == K-1");
  cmd->add_flag("--quiet,-q", args->quiet, "no per-point progress on stderr");
  cmd->callback([args] { run_sweep_command(*args); });
}

}  // namespace vtdsim::tools
