// `vtdsim pcie-bench --config FILE --op read|write --transfer BYTES [--window BYTES[,BYTES...]]
//  --iommu off|4k|2m [--memory local|remote] [--pattern random|sequential] [--engine des|systemc]
//  --csv OUT`:
// the pcie-bench DMA test (pciebench/dma_bench.hpp, or pciebench_sysc/systemc_bench.hpp on the
// SystemC modules) over a list of windows, one CSV row per window:
// bandwidth from a run with the device's tags all busy, latency from a run one DMA at a time.
// docs/caches-timing-stats.md "pcie-bench".
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "subcommands.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/pciebench/dma_bench.hpp"
#ifdef VTDSIM_HAVE_SYSTEMC
#include "vtdsim/pciebench_sysc/systemc_bench.hpp"
#endif
#include "vtdsim/study/csv_table.hpp"
#include "vtdsim/study/sweep_grid.hpp"

namespace vtdsim::tools {

namespace {

// pcie-bench's windows (those of the published Broadwell data: 4 KiB .. 64 MiB).
const std::vector<std::uint64_t> kDefaultWindows = {4ull << 10,   8ull << 10, 16ull << 10, 64ull << 10, 256ull << 10,
                                                    512ull << 10, 1ull << 20, 3ull << 19,  2ull << 20,  3ull << 20,
                                                    4ull << 20,   8ull << 20, 16ull << 20, 32ull << 20, 64ull << 20};

struct BenchArgs {
  std::string config, csv, json, op = "read", iommu, memory = "local", pattern = "random", transfer = "64",
                                 engine = "des";
  std::vector<std::string> windows, sets;
};

// "4096", "4K", "4KiB", "1.5M", "64MiB" (binary units).
std::uint64_t parse_bytes(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError(option + " \"" + text + "\": expected a size in bytes (e.g. 64, 4K, 1.5M)");
  }
  std::string unit = text.substr(used);
  if (unit.size() == 3 && unit.substr(1) == "iB") unit = unit.substr(0, 1);
  double scale = 1;
  if (unit == "K" || unit == "k")
    scale = 1024.0;
  else if (unit == "M")
    scale = 1024.0 * 1024;
  else if (unit == "G")
    scale = 1024.0 * 1024 * 1024;
  else if (!unit.empty())
    throw UsageError(option + " \"" + text + "\": unknown unit '" + unit + "' (use K, M or G)");
  const double bytes = v * scale;
  if (!(bytes >= 0) || bytes != static_cast<double>(static_cast<std::uint64_t>(bytes)))
    throw UsageError(option + " \"" + text + "\": not a whole number of bytes");
  return static_cast<std::uint64_t>(bytes);
}

std::string fixed(double v, int decimals) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(decimals);
  s << v;
  return s.str();
}

// One run on the chosen engine (the discrete-event one, or the SystemC platform's modules).
pciebench::MeasureResult run_on(const std::string& engine, const pciebench::BenchConfig& c,
                                const pciebench::BenchPoint& p, pciebench::Measure m) {
#ifdef VTDSIM_HAVE_SYSTEMC
  if (engine == "systemc") return pciebench_sysc::run_bench_systemc(c, p, m);
#endif
  (void)engine;
  return pciebench::run_bench(c, p, m);
}

void run_pcie_bench(const BenchArgs& a) {
  using namespace pciebench;
#ifndef VTDSIM_HAVE_SYSTEMC
  if (a.engine == "systemc")
    throw UsageError("--engine systemc: this vtdsim was built without SystemC (VTDSIM_SYSTEMC=OFF); use --engine des");
#endif
  BenchPoint base;
  base.op = a.op == "write" ? Op::kWrite : Op::kRead;
  base.iommu = a.iommu == "4k" ? IommuMode::k4K : a.iommu == "2m" ? IommuMode::k2M : IommuMode::kOff;
  base.memory = a.memory == "remote" ? Placement::kRemote : Placement::kLocal;
  base.pattern = a.pattern == "sequential" ? Pattern::kSequential : Pattern::kRandom;
  base.transfer_bytes = parse_bytes(a.transfer, "--transfer");
  if (base.transfer_bytes == 0 || (base.transfer_bytes & (base.transfer_bytes - 1)) != 0)
    throw UsageError("--transfer " + a.transfer + ": the DMA size must be a power of two above zero (64, 4K, ...)");
  std::vector<std::uint64_t> windows;
  for (const std::string& w : a.windows) windows.push_back(parse_bytes(w, "--window"));
  if (windows.empty()) {
    for (std::uint64_t w : kDefaultWindows)
      if (w >= base.transfer_bytes && w % base.transfer_bytes == 0) windows.push_back(w);
  }
  std::vector<std::string> overrides;
  for (const auto& s : a.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw UsageError("--set \"" + s + "\": expected KEY=VALUE");
    const std::string key = s.substr(0, eq);
    overrides.push_back(study::full_config_key(key) + s.substr(eq));
  }
  BenchConfig cfg;
  try {
    cfg = load_bench_config(a.config, overrides);
  } catch (const config::ConfigError& e) {
    throw UsageError(e.what());
  }
  for (std::uint64_t w : windows) {
    BenchPoint p = base;
    p.window_bytes = w;
    try {
      validate(cfg, p);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("pcie-bench: ") + e.what() + " (--transfer, --window, --op)");
    }
  }

  std::ofstream file;
  if (a.csv != "-") {
    file.open(a.csv, std::ios::trunc);
    if (!file) throw std::runtime_error(a.csv + ": cannot create");
  }
  std::ostream& out = a.csv == "-" ? std::cout : file;
  out << study::csv_line({"op", "iommu", "memory", "window_bytes", "transfer_bytes", "gbit_per_s", "lat_mean_ns",
                          "lat_median_ns", "pattern", "iotlb_miss_rate", "lat_iotlb_miss_rate", "walker_queue_ns",
                          "warmup_gbit_per_s", "warmup_lat_mean_ns"})
      << "\n";
  nlohmann::json runs = nlohmann::json::array();
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::size_t done = 0;
  for (std::uint64_t w : windows) {
    BenchPoint p = base;
    p.window_bytes = w;
    MeasureResult bw, lat;
    try {
      bw = run_on(a.engine, cfg, p, Measure::kBandwidth);
      lat = run_on(a.engine, cfg, p, Measure::kLatency);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("pcie-bench: ") + e.what());
    }
    out << study::csv_line({to_string(p.op), to_string(p.iommu), to_string(p.memory), std::to_string(w),
                            std::to_string(p.transfer_bytes), fixed(bw.measured.gbit_per_s, 4),
                            fixed(lat.measured.lat_mean_ns, 1), fixed(lat.measured.lat_median_ns, 1), a.pattern,
                            fixed(bw.measured.iotlb_miss_rate, 4), fixed(lat.measured.iotlb_miss_rate, 4),
                            fixed(bw.measured.walker_queue_ns, 1), fixed(bw.warmup.gbit_per_s, 4),
                            fixed(lat.warmup.lat_mean_ns, 1)})
        << "\n";
    if (!a.json.empty()) {
      const auto phase = [](const MeasureResult& m) {
        return nlohmann::json{{"gbit_per_s", m.measured.gbit_per_s},
                              {"lat_mean_ns", m.measured.lat_mean_ns},
                              {"lat_median_ns", m.measured.lat_median_ns},
                              {"dmas", m.measured.dmas},
                              {"warmup_dmas", m.warmup.dmas},
                              {"iommu", m.iommu.value_or(nlohmann::json())}};
      };
      runs.push_back({{"op", to_string(p.op)},
                      {"iommu_mode", to_string(p.iommu)},
                      {"memory", to_string(p.memory)},
                      {"pattern", a.pattern},
                      {"engine", a.engine},
                      {"window_bytes", w},
                      {"transfer_bytes", p.transfer_bytes},
                      {"bandwidth", phase(bw)},
                      {"latency", phase(lat)}});
    }
    ++done;
    if (tty) {
      std::fprintf(stderr, "\rvtdsim pcie-bench: %zu/%zu windows (%s %s, window %llu B)   ", done, windows.size(),
                   to_string(p.op), to_string(p.iommu), static_cast<unsigned long long>(w));
      std::fflush(stderr);
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  if (!out.flush()) throw std::runtime_error(a.csv + ": write error");
  if (!a.json.empty()) {
    std::ofstream j(a.json, std::ios::trunc);
    if (!j) throw std::runtime_error(a.json + ": cannot create");
    j << nlohmann::json{{"pcie_bench", runs}}.dump(2) << "\n";
    if (!j.flush()) throw std::runtime_error(a.json + ": write error");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "vtdsim pcie-bench: " << windows.size() << " windows in " << fixed(seconds, 2) << " s\n";
}

}  // namespace

void add_pcie_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("pcie-bench", "pcie-bench DMA bandwidth and latency against window size");
  cmd->add_option("--config", args->config, "configuration YAML (e.g. configs/pcie-bench-bdw.yaml)");
  cmd->add_option("--op", args->op, "DMA direction")->check(CLI::IsMember({"read", "write"}));
  cmd->add_option("--transfer", args->transfer, "bytes per DMA: a power of two (64, 4K, ...)");
  cmd->add_option("--window", args->windows, "buffer sizes, comma-separated (default: 4 KiB .. 64 MiB)")
      ->delimiter(',');
  cmd->add_option("--iommu", args->iommu, "off: physical addresses; 4k / 2m: buffer mapped in pages of that size")
      ->required()
      ->check(CLI::IsMember({"off", "4k", "2m"}));
  cmd->add_option("--memory", args->memory, "buffer on the device's socket or the other one")
      ->check(CLI::IsMember({"local", "remote"}));
  cmd->add_option("--pattern", args->pattern, "DMA offsets inside the window")
      ->check(CLI::IsMember({"random", "sequential"}));
  cmd->add_option("--engine", args->engine,
                  "des: the discrete-event engine; systemc: the DMA engine, link, IommuModule and memory as SystemC "
                  "modules (docs/caches-timing-stats.md \"pcie-bench\")")
      ->check(CLI::IsMember({"des", "systemc"}));
  cmd->add_option("--set", args->sets, "override a configuration key (KEY=VALUE; 'iommu.' may be left out)");
  cmd->add_option("--csv", args->csv, "output CSV (- = stdout)")->required();
  cmd->add_option("--json", args->json, "also write each run's IOMMU stats tree (docs/stats.md) to this file");
  cmd->callback([args] { run_pcie_bench(*args); });
}

}  // namespace vtdsim::tools
