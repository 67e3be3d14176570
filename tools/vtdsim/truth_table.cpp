// vtdsim truth-table [--config FILE] [--csv OUT] [--markdown OUT] [--quiet]
// Every combination of what the platform does with a device's DMA (translated or not), what it
// advertises (DMAR device scope), the device's VIRTIO_F_ACCESS_PLATFORM and proposed
// VIRTIO_F_IOMMU_PASSTHROUGH offers, the guest's out-of-band bypass list and its DMA policy, each
// run as a short platform simulation (platform/truth_table.hpp), with each device's outcome and
// the parties whose claim was false. SystemC elaborates once per process, so every case runs in a
// forked child that sends its devices' stats back through a pipe.
#ifdef VTDSIM_HAVE_SYSTEMC
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "subcommands.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/platform/truth_table.hpp"
#include "vtdsim/sysc/simulation_child.hpp"

namespace vtdsim::tools {

namespace {

// The default base platform (the same as configs/truth-table.yaml): a virtio-blk that does not
// insist on ACCESS_PLATFORM and a virtio-net that does (virtio 1.2 6.1: a device MAY fail
// FEATURES_OK when the driver does not accept it), each with a few operations to do.
constexpr const char* kDefaultConfig = R"(
platform:
  devices:
    - {name: blk0, type: virtio-blk, bdf: "00:02.0"}
    - {name: net0, type: virtio-net, bdf: "00:03.0", require_access_platform: true, net: {peer: none}}
workload:
  duration_us: 300
  devices:
    blk0: {kind: blk_read_seq, block_size: 4096, queue_depth: 2, count: 4}
    net0: {kind: net_tx_stream, packet_size: 500, rate_gbps: 2, count: 8}
)";

struct TruthTableOptions {
  std::string config, csv_out, markdown_out;
  bool quiet = false;
};

// One case in a forked child: its devices' stats JSON (or {"error": ...}) as the child's output.
nlohmann::json run_case(const platform::PlatformConfig& config) {
  nlohmann::json j = sysc::run_in_child(
      [&] {
        platform::Platform p(config);
        p.run();
        const nlohmann::json stats = p.stats_json();
        return nlohmann::json{{"devices", stats["devices"]},
                              {"effective_policy", stats["guest"]["dma_policy_effective"]}};
      },
      "a truth-table case");
  if (j.contains("error")) throw std::runtime_error("a truth-table case failed: " + j["error"].get<std::string>());
  return j;
}

std::string short_outcome(const platform::TruthOutcome& o) {
  if (o.outcome == "works") return o.iommu_protected ? "works" : "works (" + o.mode + ", no IOMMU)";
  if (o.outcome == "wrong_host_address") return "**wrong host address x" + std::to_string(o.count) + "**";
  if (o.outcome == "faults") return "faults x" + std::to_string(o.count) + " (" + o.detail + ")";
  if (o.outcome == "device_refused") return "device refused";
  return o.outcome;
}

std::string yes(bool v) { return v ? "yes" : "no"; }

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

void run_truth_table(const TruthTableOptions& o) {
  platform::PlatformConfig base;
  try {
    YAML::Node root = o.config.empty() ? config::load_config_text(kDefaultConfig, "truth-table default")
                                       : config::load_config_tree(o.config);
    config::check_top_level_keys(root);
    base = platform::resolve_platform_config(root);
  } catch (const config::ConfigError& e) {
    throw UsageError(e.what());
  }
  std::unique_ptr<std::ofstream> csv;
  if (!o.csv_out.empty()) {
    csv = std::make_unique<std::ofstream>(o.csv_out);
    if (!*csv) throw UsageError("cannot write " + o.csv_out + " (--csv)");
  }
  std::unique_ptr<std::ofstream> md;
  if (!o.markdown_out.empty()) {
    md = std::make_unique<std::ofstream>(o.markdown_out);
    if (!*md) throw UsageError("cannot write " + o.markdown_out + " (--markdown)");
  }
  const std::vector<platform::TruthCase> cases = platform::all_truth_cases();
  const bool tty = ::isatty(STDERR_FILENO) != 0 && !o.quiet;
  const auto t0 = std::chrono::steady_clock::now();
  if (csv) *csv << platform::truth_csv_header() << "\n";
  // Markdown: one row per (translated, scope, offers, bypass), one column per policy.
  std::string table =
      "| translated | in DMAR scope | ACCESS_PLATFORM | IOMMU_PASSTHROUGH | guest bypass list | false claims | strict "
      "| "
      "lazy | passthrough (iommu=pt) |\n|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::string, unsigned> totals;
  std::string row_cells;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const platform::TruthCase& c = cases[i];
    const nlohmann::json r = run_case(platform::apply(base, c));
    const std::string effective = r["effective_policy"].get<std::string>();
    std::vector<std::string> parts;
    std::string wrong;
    for (const platform::DeviceConfig& d : base.devices) {
      const platform::TruthOutcome out = platform::classify(c, d.name, r["devices"][d.name]);
      if (csv) *csv << platform::truth_csv_row(c, effective, out) << "\n";
      ++totals[out.outcome == "works" && !out.iommu_protected ? "works, no IOMMU" : out.outcome];
      std::string part = short_outcome(out);
      if (!out.blamed.empty()) part += " [" + join(out.blamed, ", ") + "]";
      parts.push_back(part);
      wrong = join(out.wrong, ", ");
    }
    // One cell per policy: the devices' outcomes, once if they are all the same.
    std::string cell;
    bool same = true;
    for (const std::string& x : parts) same = same && x == parts.front();
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (same && k > 0) break;
      cell += (k ? "; " : "") + (same || parts.size() == 1 ? std::string() : base.devices[k].name + ": ") + parts[k];
    }
    if (c.policy == guest::DmaPolicyRequest::kStrict)
      row_cells = "| " + yes(c.translated) + " | " + yes(c.in_dmar_scope) + " | " + yes(c.access_platform) + " | " +
                  yes(c.iommu_passthrough) + " | " + yes(c.guest_bypass) + " | " + (wrong.empty() ? "none" : wrong) +
                  " |";
    row_cells += " " + cell +
                 (effective != guest::to_string(c.policy) && c.policy != guest::DmaPolicyRequest::kPassthrough
                      ? " (" + effective + " in force)"
                      : "") +
                 " |";
    if (c.policy == guest::DmaPolicyRequest::kPassthrough) table += row_cells + "\n";
    if (tty) {
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "\rtruth table: %zu of %zu cases  %.1f s", i + 1, cases.size(), wall);
    }
  }
  if (tty) std::fprintf(stderr, "\r%s\r", std::string(60, ' ').c_str());
  std::string summary;
  for (const auto& [k, v] : totals) summary += (summary.empty() ? "" : ", ") + k + " " + std::to_string(v);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (md) *md << table;
  if (!o.quiet) {
    std::cout << table;
    std::printf("%zu cases x %zu devices: %s (%.1f s)\n", cases.size(), base.devices.size(), summary.c_str(), wall);
  }
}

}  // namespace

void add_truth_table(CLI::App& app) {
  auto o = std::make_shared<TruthTableOptions>();
  CLI::App* cmd = app.add_subcommand(
      "truth-table",
      "Run every combination of platform translation, DMAR scope, virtio IOMMU feature bits, guest bypass list "
      "and DMA policy, and say per device what happened and who was wrong");
  cmd->add_option("--config", o->config, "Base platform YAML (default: the built-in one, configs/truth-table.yaml)");
  cmd->add_option("--csv", o->csv_out, "Write one CSV row per case and device");
  cmd->add_option("--markdown", o->markdown_out, "Write the table (one row per claim combination) as markdown");
  cmd->add_flag("--quiet,-q", o->quiet, "print nothing (write only --csv / --markdown)");
  cmd->callback([o]() { run_truth_table(*o); });
}

}  // namespace vtdsim::tools
#endif  // VTDSIM_HAVE_SYSTEMC
