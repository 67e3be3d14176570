// `vtdsim replay TRACE`: replays a trace (native text, binary or QEMU log; plain, gzip or zstd)
// through one remapping unit without SystemC, prints a short summary and optionally writes the
// full statistics as JSON. Bad input: "FILE:LINE: what" on stderr, exit 2 (--skip-bad: counted,
// reported, skipped).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "subcommands.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

struct ReplayArgs {
  std::string trace;
  std::string config;
  std::vector<std::string> sets;
  std::string json;
  std::string format = "auto";
  bool quiet = false;
  bool skip_bad = false;
};

// A one-line progress bar on stderr, shown only when stderr is a terminal and the replay has
// already taken more than a second.
class Progress {
 public:
  explicit Progress(const trace::CompressedInput* input)
      : input_(input), tty_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}
  void update(std::uint64_t events) {
    if (!tty_) return;
    const double elapsed = seconds();
    if (elapsed < 1.0) return;
    shown_ = true;
    char line[160];
    if (input_ && input_->raw_size() > 0) {
      const double f = static_cast<double>(input_->raw_bytes_read()) / static_cast<double>(input_->raw_size());
      const int width = 30, filled = static_cast<int>(f * width);
      std::string bar(static_cast<std::size_t>(filled), '=');
      bar.resize(width, ' ');
      std::snprintf(line, sizeof line, "\r[%s] %3.0f%%  %llu events  %.1f s", bar.c_str(), f * 100.0,
                    static_cast<unsigned long long>(events), elapsed);
    } else {
      std::snprintf(line, sizeof line, "\r%llu events  %.1f s", static_cast<unsigned long long>(events), elapsed);
    }
    std::cerr << line << std::flush;
  }
  void finish() {
    if (shown_) std::cerr << "\r" << std::string(70, ' ') << "\r" << std::flush;
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  const trace::CompressedInput* input_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

void run_replay(const ReplayArgs& a) {
  config::UnitConfig cfg;
  try {
    YAML::Node root = config::load_config_tree(a.config, a.sets);
    config::check_top_level_keys(root);
    cfg = config::resolve_unit_config(root);
  } catch (const config::ConfigError& e) {
    throw UsageError(std::string("configuration: ") + e.what());
  }
  trace::TraceFormat format;
  try {
    format = trace::parse_trace_format(a.format);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  trace::ReplayOptions options;
  options.skip_bad = a.skip_bad;
  trace::Replayer replayer(cfg, options);
  trace::OpenedTrace opened;
  Progress progress(nullptr);
  try {
    opened = trace::open_trace(a.trace, format);
    progress = Progress(opened.input);
    replayer.run(*opened.source, [&](std::uint64_t events) { progress.update(events); });
  } catch (const trace::TraceError& e) {
    progress.finish();
    throw UsageError(e.what());
  }
  progress.finish();
  const double elapsed = progress.seconds();

  nlohmann::json j = replayer.to_json();
  j["trace"] = {{"path", a.trace},
                {"format", trace::to_string(opened.format)},
                {"compression", trace::to_string(opened.compression)}};
  // Wall time stays out of the JSON: the same inputs must give byte-identical stats.
  if (const auto* q = dynamic_cast<const trace::QemuLogImporter*>(opened.source.get())) {
    const auto& s = q->stats();
    j["trace"]["qemu"] = {{"lines", s.lines},
                          {"used", s.used},
                          {"skipped", s.skipped},
                          {"not_trace_lines", s.not_trace_lines},
                          {"translations_while_disabled", s.translations_while_disabled},
                          {"unknown_domain_translations", s.unknown_domain_translations},
                          {"remaps", s.remaps}};
  }
  if (!a.json.empty()) {
    std::ofstream out(a.json);
    if (!out) throw UsageError(a.json + ": cannot open for writing");
    out << j.dump(2) << '\n';
    if (!out) throw UsageError(a.json + ": write failed");
  }

  const trace::ReplayCounters& c = replayer.counters();
  if (c.bad_events) {
    std::cerr << "vtdsim: skipped " << c.bad_events << " bad event" << (c.bad_events == 1 ? "" : "s") << ":\n";
    for (const auto& m : replayer.bad_messages()) std::cerr << "  " << m << "\n";
    if (c.bad_events > replayer.bad_messages().size())
      std::cerr << "  ... (" << c.bad_events - replayer.bad_messages().size() << " more)\n";
  }
  if (a.quiet) return;
  const std::uint64_t translations = j["translations"].get<std::uint64_t>();
  const std::uint64_t hits = j["iotlb"]["hits"].get<std::uint64_t>();
  const std::uint64_t misses = j["iotlb"]["misses"].get<std::uint64_t>();
  const std::uint64_t walks = j["walks"].get<std::uint64_t>();
  const std::uint64_t faults = j["faults"]["total"].get<std::uint64_t>();
  const double ghz = cfg.timing.clock_ghz;
  const auto& lat = j["latency"];
  char buf[512];
  std::cout << "trace         " << a.trace << " (" << trace::to_string(opened.format) << ", "
            << trace::to_string(opened.compression) << ")\n";
  std::snprintf(buf, sizeof buf, "events        %llu (dma %llu, map %llu, unmap %llu, context %llu, inv %llu)\n",
                static_cast<unsigned long long>(c.events), static_cast<unsigned long long>(c.dma),
                static_cast<unsigned long long>(c.maps), static_cast<unsigned long long>(c.unmaps),
                static_cast<unsigned long long>(c.contexts), static_cast<unsigned long long>(c.invalidations));
  std::cout << buf;
  std::snprintf(buf, sizeof buf, "translations  %llu\n", static_cast<unsigned long long>(translations));
  std::cout << buf;
  std::snprintf(buf, sizeof buf, "IOTLB         %.2f%% hit rate (%llu hits, %llu misses)\n", percent(hits, hits + misses),
                static_cast<unsigned long long>(hits), static_cast<unsigned long long>(misses));
  std::cout << buf;
  if (j["device_tlb"].contains("total")) {  // iommu.device_tlb.enabled: devices with ATS
    const auto& t = j["device_tlb"]["total"];
    std::snprintf(buf, sizeof buf, "device TLB    %llu hits, %llu misses (%llu devices with ATS, %llu entries invalidated)\n",
                  static_cast<unsigned long long>(t["hits"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(t["misses"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(j["device_tlb"]["devices_enabled"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(t["invalidated"].get<std::uint64_t>()));
    std::cout << buf;
  }
  std::snprintf(buf, sizeof buf, "walks         %llu (%llu memory reads)\n", static_cast<unsigned long long>(walks),
                static_cast<unsigned long long>(j["walk"]["reads"]["total"].get<std::uint64_t>()));
  std::cout << buf;
  std::snprintf(buf, sizeof buf, "faults        %llu\n", static_cast<unsigned long long>(faults));
  std::cout << buf;
  const double mean = lat.value("mean", 0.0);
  const double p99 = static_cast<double>(lat.value("p99", std::uint64_t{0}));
  std::snprintf(buf, sizeof buf, "latency       mean %.1f cycles (%.1f ns), p99 %.0f cycles (%.1f ns)\n", mean,
                mean / ghz, p99, p99 / ghz);
  std::cout << buf;
  if (c.bad_events) {
    std::snprintf(buf, sizeof buf, "bad events    %llu skipped\n", static_cast<unsigned long long>(c.bad_events));
    std::cout << buf;
  }
  std::snprintf(buf, sizeof buf, "replay time   %.3f s\n", elapsed);
  std::cout << buf;
}

}  // namespace

void add_replay(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand("replay", "Replay a trace (text, binary or QEMU vtd_* log; plain, gzip or zstd)");
  cmd->add_option("trace", args->trace, "trace file, or - for standard input")->required();
  cmd->add_option("--config,-c", args->config, "YAML configuration (docs/configuration.md)");
  cmd->add_option("--set", args->sets, "override a configuration key: KEY=VALUE (repeatable)");
  cmd->add_option("--json", args->json, "write the full statistics as JSON to this file");
  cmd->add_option("--format", args->format, "trace format: auto|text|qemu|binary (default: detect from content)");
  cmd->add_flag("--quiet,-q", args->quiet, "print no summary");
  cmd->add_flag("--skip-bad", args->skip_bad, "count, report and skip bad trace lines instead of stopping");
  cmd->callback([args] { run_replay(*args); });
}

}  // namespace vtdsim::tools
