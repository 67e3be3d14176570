// `vtdsim mrc TRACE --csv OUT [--max-entries N | --sets S [--max-ways W]] [--config FILE]
// [--set KEY=VALUE]...`: one-pass IOTLB miss-ratio curve (study/iotlb_mrc.hpp): hits of a fully
// associative LRU IOTLB of every size 1..N, or of an LRU IOTLB of S sets and every associativity
// 1..W, from one replay. docs/studies.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>

#include "subcommands.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/study/iotlb_mrc.hpp"
#include "vtdsim/study/sweep_grid.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

struct MrcArgs {
  std::string trace, csv, config;
  std::vector<std::string> sets;
  std::uint32_t max_entries = 256, cache_sets = 0, max_ways = 16;
  const CLI::Option* max_entries_option = nullptr;
  const CLI::Option* max_ways_option = nullptr;
};

void run_mrc(const MrcArgs& a) {
  std::vector<std::string> overrides;
  for (const auto& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw UsageError("--set \"" + s + "\": expected KEY=VALUE");
    overrides.push_back(study::full_config_key(s.substr(0, eq)) + s.substr(eq));
  }
  if (a.cache_sets > 0 && a.max_entries_option->count())
    throw UsageError("mrc: --max-entries is the fully associative curve; with --sets give --max-ways");
  if (a.cache_sets == 0 && a.max_ways_option->count()) throw UsageError("mrc: --max-ways needs --sets S");
  if (a.cache_sets > 0 && std::uint64_t{a.cache_sets} * a.max_ways > (1u << 26))
    throw UsageError("mrc: --sets x --max-ways must not exceed 67108864 entries");
  const config::UnitConfig cfg = config::load_unit_config(a.config, overrides);
  if (cfg.caches.iotlb_organization == config::IotlbOrganization::kQemu)
    throw UsageError("mrc: iotlb organization 'qemu' is not an LRU cache; add --set iotlb.organization=shared");
  auto source = trace::open_trace(a.trace).source;
  const auto start = std::chrono::steady_clock::now();
  const study::IotlbMissRatioCurve curve =
      study::compute_iotlb_mrc(cfg, *source, a.cache_sets > 0 ? a.max_ways : a.max_entries, a.cache_sets);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto points = curve.curve();
  if (a.csv == "-") {
    study::write_mrc_csv(std::cout, points);
  } else {
    std::ofstream out(a.csv, std::ios::trunc);
    if (!out) throw std::runtime_error(a.csv + ": cannot create");
    study::write_mrc_csv(out, points);
    if (!out.flush()) throw std::runtime_error(a.csv + ": write error");
  }
  std::cerr << "vtdsim mrc: " << curve.lookups() << " IOTLB lookups, " << curve.live_keys()
            << (a.cache_sets > 0 ? " pages held at the largest associativity" : " live pages at the end")
            << "; hit rate " << points.front().hit_rate() << " at 1" << (a.cache_sets > 0 ? " way, " : " entry, ")
            << points.back().hit_rate() << " at " << points.back().entries << " entries";
  if (a.cache_sets > 0) std::cerr << " (" << a.cache_sets << " sets x " << points.back().ways << " ways)";
  std::cerr << " (" << seconds << " s)\n";
}

}  // namespace

void add_mrc(CLI::App& app) {
  auto args = std::make_shared<MrcArgs>();
  auto* cmd = app.add_subcommand(
      "mrc", "One-pass IOTLB miss-ratio curve (LRU: fully associative, every size 1..N; or S sets, ways 1..W)");
  cmd->add_option("TRACE", args->trace, "trace: text, binary or QEMU vtd_* log")->required();
  cmd->add_option("--csv", args->csv, "output CSV (- = stdout)")->required();
  args->max_entries_option = cmd->add_option("--max-entries", args->max_entries,
                                             "largest IOTLB size of the fully associative curve (default 256)")
                                 ->check(CLI::Range(1u, 1u << 24));
  cmd->add_option("--sets", args->cache_sets,
                  "set-associative curve: number of sets (set = page number mod S, as the IOTLB indexes)")
      ->check(CLI::Range(1u, 1u << 24));
  args->max_ways_option =
      cmd->add_option("--max-ways", args->max_ways, "with --sets: largest associativity of the curve (default 16)")
          ->check(CLI::Range(1u, 1u << 16));
  cmd->add_option("--config", args->config, "configuration YAML (default: built-in defaults)");
  cmd->add_option("--set", args->sets, "override a configuration key (KEY=VALUE; 'iommu.' may be left out)");
  cmd->callback([args] { run_mrc(*args); });
}

}  // namespace vtdsim::tools
