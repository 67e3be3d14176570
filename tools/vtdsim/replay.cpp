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
#include "vtdsim/trace/qemu_decisions.hpp"
#include "vtdsim/trace/qemu_log_fit.hpp"
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
  bool check_qemu = false;
  bool allow_faults = false;
  std::string qemu_flts = "auto";
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
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  const trace::CompressedInput* input_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// --check-qemu: the replay's decision for each translation against QEMU's own in the log (its
// vtd_iotlb_page_hit / _update / vtd_translate_pt lines, which the importer never reads). Any
// difference sets exit code 1.
void report_qemu_agreement(const std::string& path, const std::vector<trace::QemuDecision>& replayed) {
  if (path == "-") throw UsageError("--check-qemu reads the log twice: give a file, not standard input");
  trace::QemuDecisionLog qemu;
  try {
    qemu = trace::read_qemu_decisions(path);
  } catch (const trace::TraceError& e) {
    throw UsageError(e.what());
  }
  const trace::QemuAgreement agreement = trace::compare_with_qemu(qemu, replayed);
  std::cout << "QEMU check    " << agreement.equal << " / " << agreement.total << " decisions equal to QEMU's";
  if (!agreement.same_count) std::cout << " (the replay made " << replayed.size() << " translations)";
  if (!agreement.all_equal()) {
    const std::size_t i = agreement.first_difference;
    std::cout << "; first difference: translation #" << i;
    if (i < qemu.decisions.size())
      std::cout << " (line " << qemu.lines[i] << "), QEMU " << trace::to_string(qemu.decisions[i]);
    if (i < replayed.size()) std::cout << ", replay " << trace::to_string(replayed[i]);
    exit_code() = 1;
  }
  std::cout << "\n";
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
  trace::QemuFlts flts;
  try {
    format = trace::parse_trace_format(a.format);
    flts = trace::parse_qemu_flts(a.qemu_flts);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  trace::ReplayOptions options;
  options.skip_bad = a.skip_bad;
  trace::Replayer replayer(cfg, options);
  std::vector<trace::QemuDecision> replayed;  // --check-qemu: each translation's decision
  trace::QemuReplayFaults faults;             // QEMU logs: a fault is a disagreement
  trace::OpenedTrace opened;
  Progress progress(nullptr);
  try {
    opened = trace::open_trace(a.trace, format);
    if (auto* importer = dynamic_cast<trace::QemuLogImporter*>(opened.source.get())) importer->set_flts(flts);
    if (opened.format == trace::TraceFormat::kQemu) {
      const trace::TraceSource* source = opened.source.get();
      replayer.set_translation_callback([&, source](const trace::TranslationObservation& o) {
        ++faults.translations;
        if (!o.result.ok() && faults.faults++ == 0) {
          faults.first_reason = o.result.fault;
          faults.first_position = source->position();
        }
        if (a.check_qemu) replayed.push_back(trace::decision_of(o.result));
      });
    } else if (a.check_qemu) {
      throw UsageError("--check-qemu needs a QEMU log (this trace is " + std::string(trace::to_string(opened.format)) +
                       ")");
    }
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
    const std::vector<trace::QemuFitFinding> findings = trace::check_qemu_log_fit(s, cfg, faults);
    bool failed = false;
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& f : findings) {
      const bool error = f.severity == trace::QemuFitFinding::Severity::kError;
      listed.push_back({{"severity", error ? "error" : "warning"}, {"what", f.what}});
      if (error && !a.allow_faults) {
        failed = true;
        std::cerr << "vtdsim: error: " << a.trace << ": " << f.what << "\n";
      } else {
        std::cerr << "vtdsim: warning: " << a.trace << ": " << f.what << "\n";
      }
    }
    if (failed) throw UsageError(a.trace + ": the configuration cannot replay this QEMU log faithfully (above)");
    j["trace"]["qemu"] = {{"lines", s.lines},
                          {"used", s.used},
                          {"skipped", s.skipped},
                          {"not_trace_lines", s.not_trace_lines},
                          {"translations_while_disabled", s.translations_while_disabled},
                          {"unknown_domain_translations", s.unknown_domain_translations},
                          {"remaps", s.remaps},
                          {"release_shown", trace::qemu_release_shown(s)},
                          {"iso_prefix_lines", s.iso_prefix_lines},
                          {"scalable_mode", s.scalable_mode},
                          {"pasid_iotlb", {{"pasid", s.pasid_iotlb_pasid}, {"page", s.pasid_iotlb_page}}},
                          {"pasid_cache", s.pasid_cache},
                          {"device_tlb", s.device_tlb},
                          {"rejected_descriptors", s.rejected_descriptors},
                          {"undecoded_descriptors", s.undecoded_descriptors},
                          {"sm_domains_from_attach", s.sm_domains_from_attach},
                          {"sm_domains_inferred", s.sm_domains_inferred},
                          {"invalidations_of_unknown_domains", s.invalidations_of_unknown_domains},
                          {"sm_stage", s.sm_stage == trace::ContextStage::kFirst    ? "first"
                                       : s.sm_stage == trace::ContextStage::kSecond ? "second"
                                                                                    : ""},
                          {"sm_stage_line", s.sm_stage_line},
                          {"findings", listed}};
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
  if (a.check_qemu) report_qemu_agreement(a.trace, replayed);
  if (a.quiet) return;
  const nlohmann::json& io = j["iommu"];
  const std::uint64_t translations = io["translations"].get<std::uint64_t>();
  const std::uint64_t hits = io["iotlb"]["hits"].get<std::uint64_t>();
  const std::uint64_t misses = io["iotlb"]["misses"].get<std::uint64_t>();
  const std::uint64_t walks = io["walks"].get<std::uint64_t>();
  const std::uint64_t fault_count = io["faults"]["total"].get<std::uint64_t>();
  const double ghz = cfg.timing.clock_ghz;
  const auto& lat = io["latency"];
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
  std::snprintf(buf, sizeof buf, "IOTLB         %.2f%% hit rate (%llu hits, %llu misses)\n",
                percent(hits, hits + misses), static_cast<unsigned long long>(hits),
                static_cast<unsigned long long>(misses));
  std::cout << buf;
  if (io["device_tlb"].contains("total")) {  // iommu.device_tlb.enabled: devices with ATS
    const auto& t = io["device_tlb"]["total"];
    std::snprintf(buf, sizeof buf,
                  "device TLB    %llu hits, %llu misses (%llu devices with ATS, %llu entries invalidated)\n",
                  static_cast<unsigned long long>(t["hits"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(t["misses"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(io["device_tlb"]["devices_enabled"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(t["invalidated"].get<std::uint64_t>()));
    std::cout << buf;
  }
  std::snprintf(buf, sizeof buf, "walks         %llu (%llu memory reads)\n", static_cast<unsigned long long>(walks),
                static_cast<unsigned long long>(io["walk"]["reads"]["total"].get<std::uint64_t>()));
  std::cout << buf;
  std::snprintf(buf, sizeof buf, "faults        %llu\n", static_cast<unsigned long long>(fault_count));
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
  cmd->add_flag("--check-qemu", args->check_qemu,
                "QEMU log: compare every translation's hit/miss with QEMU's own decision lines in the log "
                "(which replay never uses as input); exit 1 on any difference");
  cmd->add_flag("--allow-faults", args->allow_faults,
                "QEMU log: replay even when translations fault or descriptors cannot be decoded (QEMU logs only "
                "translations that succeeded, so this is an error by default: exit 2)");
  cmd->add_option("--qemu-flts", args->qemu_flts,
                  "QEMU log in scalable mode: whether QEMU ran with x-flts=on (first-stage tables): auto|on|off "
                  "(default auto: from the guest's first IOTLB invalidation after its first translation)");
  cmd->callback([args] { run_replay(*args); });
}

}  // namespace vtdsim::tools
