// vtdsim run CONFIG.yaml [--set KEY=VALUE ...] [--json OUT] [--trace-out FILE] [--quiet]
// Runs the SystemC platform (virtio devices, root complex, VT-d, guest) described by the
// configuration, prints a per-device summary and writes the stats JSON.
#ifdef VTDSIM_HAVE_SYSTEMC
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "subcommands.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim::tools {

namespace {

struct RunOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string json_out;
  std::string trace_out;
  bool quiet = false;
};

// Runs the simulation in 100 slices of simulated time (the same events as one sc_start: the
// processes only pause at the slice boundaries), with a one-line progress bar on stderr when it
// is a terminal and the run has taken more than a second.
void run_with_progress(platform::Platform& platform, double duration_us) {
  constexpr int kSlices = 100;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  bool shown = false;
  const sc_core::sc_time total(duration_us, sc_core::SC_US);
  for (int i = 1; i <= kSlices; ++i) {
    const sc_core::sc_time until = total * (static_cast<double>(i) / kSlices);
    platform.run(until - sc_core::sc_time_stamp());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (tty && wall > 1.0) {
      shown = true;
      const int filled = i * 30 / kSlices;
      std::fprintf(stderr, "\r[%s%s] %3d%%  %.0f of %.0f us simulated  %.1f s", std::string(filled, '=').c_str(),
                   std::string(30 - filled, ' ').c_str(), i, until.to_seconds() * 1e6, duration_us, wall);
    }
  }
  if (shown) std::fprintf(stderr, "\r%s\r", std::string(79, ' ').c_str());
}

// Says in words when what the guest believes about a device disagrees with what the platform does.
void print_mismatch(const std::string& name, const nlohmann::json& d, std::uint64_t count) {
  const std::string route = d.value("route", std::string("?"));
  const std::string mode = d.contains("guest_dma") ? d["guest_dma"]["mode"].get<std::string>() : "?";
  const auto faults = d["faults"]["count"].get<std::uint64_t>();
  const auto corrupt = d["corruptions"].get<std::uint64_t>();
  if (route == "direct" && mode != "direct" && corrupt > 0) {
    std::printf(
        "  MISMATCH %s: the guest programs it with IOVAs (DMA API mode '%s') but the platform sends its DMA "
        "straight to memory: %llu of %llu DMAs reached the wrong host address\n",
        name.c_str(), mode.c_str(), static_cast<unsigned long long>(corrupt), static_cast<unsigned long long>(count));
  } else if (route == "iommu" && mode == "direct" && faults > 0) {
    std::printf(
        "  MISMATCH %s: the guest programs it with physical addresses but the platform translates its "
        "DMA: %llu DMAs faulted %s\n",
        name.c_str(), static_cast<unsigned long long>(faults), d["faults"]["by_reason"].dump().c_str());
  } else if (corrupt > 0) {
    std::printf("  MISMATCH %s: %llu of %llu DMAs reached a host address other than the guest's buffer\n", name.c_str(),
                static_cast<unsigned long long>(corrupt), static_cast<unsigned long long>(count));
  }
}

// The lazy window and what a stale-DMA device reached (devices.<name>.safety).
void print_safety(const nlohmann::json& d) {
  if (!d.contains("safety")) return;
  const nlohmann::json& s = d["safety"];
  const auto u = [](const nlohmann::json& v) { return static_cast<unsigned long long>(v.get<std::uint64_t>()); };
  const bool has_stale = s.contains("stale_dma");
  if (s["iommu_protected"].get<bool>()) {
    const nlohmann::json& w = s["exposure_window_us"];
    if (has_stale || w["max"].get<double>() > 100.0)
      std::printf(
          "         exposure window (unmap to invalidation): mean %.1f, p99 %.1f, max %.1f us over %llu unmaps"
          " (%llu still open)\n",
          w["mean"].get<double>(), w["p99"].get<double>(), w["max"].get<double>(), u(w["count"]), u(w["open_at_end"]));
  } else if (has_stale) {
    std::printf("         no IOMMU protection (DMA mode '%s'): an unmapped buffer stays reachable for ever\n",
                d["guest_dma"]["mode"].get<std::string>().c_str());
  }
  if (!has_stale) return;
  const nlohmann::json& t = s["stale_dma"];
  std::printf(
      "         stale DMAs (use after unmap): %llu issued: %llu still mapped, %llu faulted, %llu reached memory "
      "(%llu via a stale IOTLB entry, %llu via a new mapping, %llu untranslated), %llu into reused memory\n",
      u(t["issued"]), u(t["still_mapped"]), u(t["faulted"]), u(t["reached_memory"]), u(t["stale_iotlb"]),
      u(t["remapped"]), u(t["unprotected"]), u(t["reused_memory"]));
}

void print_summary(const nlohmann::json& j, double wall_seconds) {
  std::printf("simulated %.6f s in %.3f s wall\n", j["platform"]["simulated_seconds"].get<double>(), wall_seconds);
  std::printf("%-8s %-8s %-8s %-10s %10s %12s %6s %8s %9s %9s %7s %7s\n", "device", "route", "dma", "context",
              "dma_count", "bytes", "xlat%", "iotlb%", "mean_ns", "p99_ns", "faults", "corrupt");
  for (auto it = j["devices"].begin(); it != j["devices"].end(); ++it) {
    const nlohmann::json& d = it.value();
    if (!d.contains("dma")) continue;
    const auto count = d["dma"]["count"].get<std::uint64_t>();
    const auto bytes = d["dma"]["read_bytes"].get<std::uint64_t>() + d["dma"]["write_bytes"].get<std::uint64_t>();
    const double xlat = count ? 100.0 * static_cast<double>(d["dma"]["translated"].get<std::uint64_t>()) / count : 0.0;
    std::printf("%-8s %-8s %-8s %-10s %10llu %12llu %6.1f %8.2f %9.1f %9llu %7llu %7llu\n", it.key().c_str(),
                d.value("route", std::string("?")).c_str(),
                d.contains("guest_dma") ? d["guest_dma"]["mode"].get<std::string>().c_str() : "?",
                d.contains("guest_dma") ? d["guest_dma"]["context"].get<std::string>().c_str() : "?",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(bytes), xlat,
                100.0 * d["iotlb"]["hit_rate"].get<double>(), d["latency_ns"]["mean"].get<double>(),
                static_cast<unsigned long long>(d["latency_ns"]["p99"].get<std::uint64_t>()),
                static_cast<unsigned long long>(d["faults"]["count"].get<std::uint64_t>()),
                static_cast<unsigned long long>(d["corruptions"].get<std::uint64_t>()));
    if (!d["faults"]["by_reason"].empty())
      std::printf("         fault reasons: %s\n", d["faults"]["by_reason"].dump().c_str());
    if (d.contains("probed") && !d["probed"].get<bool>())
      std::printf("         driver did not bind (FEATURES_OK refused)\n");
    print_mismatch(it.key(), d, count);
    print_safety(d);
  }
  const nlohmann::json& dt = j["iommu"]["device_tlb"];
  if (dt.contains("total")) {  // devices with ATS (platform.devices[].ats)
    const nlohmann::json& t = dt["total"];
    std::printf("device TLB (ATS, %llu devices): %llu hits, %llu misses, %llu translation requests, %llu invalidated\n",
                static_cast<unsigned long long>(dt["devices_enabled"].get<std::uint64_t>()),
                static_cast<unsigned long long>(t["hits"].get<std::uint64_t>()),
                static_cast<unsigned long long>(t["misses"].get<std::uint64_t>()),
                static_cast<unsigned long long>(t["translation_requests"].get<std::uint64_t>()),
                static_cast<unsigned long long>(t["invalidated"].get<std::uint64_t>()));
  }
  const nlohmann::json& by_stage = j["iommu"]["walk"]["by_stage"];
  const auto per = [&](const char* part) { return by_stage[part]["per_translation"].get<double>(); };
  std::printf("walk reads per translation: %.3f (tables %.3f, first stage %.3f, second stage %.3f)\n",
              per("tables") + per("first_stage") + per("second_stage"), per("tables"), per("first_stage"),
              per("second_stage"));
  const nlohmann::json& g = j["guest"];
  const nlohmann::json& tables = g["tables"];
  std::printf("guest: %s tables, %s DMA domains\n", tables["format"].get<std::string>().c_str(),
              tables["dma_domains"].get<std::string>() == "nested"        ? "nested (first stage on the host's second)"
              : tables["dma_domains"].get<std::string>() == "first_stage" ? "first-stage"
                                                                          : "second-stage");
  const nlohmann::json& inv = g["invalidations"];
  const auto n = [&](const char* key) { return static_cast<unsigned long long>(inv[key].get<std::uint64_t>()); };
  std::printf("guest: DMA policy %s (%s)\n", g["dma_policy_effective"].get<std::string>().c_str(),
              g["dma_policy_reason"].get<std::string>().c_str());
  std::printf("guest: page invalidations %llu, domain invalidations %llu, wait descriptors %llu\n", n("page"),
              n("domain"), static_cast<unsigned long long>(g["wait_descriptors"].get<std::uint64_t>()));
  std::printf(
      "       page: %llu after map, %llu after unmap; domain: %llu after attach, %llu flush-queue full, "
      "%llu flush-queue timer\n",
      n("page_after_map"), n("page_after_unmap"), n("domain_after_attach"), n("domain_fq_full"), n("domain_fq_timer"));
}

void run_command(const RunOptions& o) {
  YAML::Node root;
  platform::PlatformConfig config;
  try {
    root = config::load_config_tree(o.config, o.sets);
    config::check_top_level_keys(root);
    config = platform::resolve_platform_config(root);
  } catch (const config::ConfigError& e) {
    throw UsageError(e.what());
  }
  if (config.guest.nested.enabled && !o.trace_out.empty())
    throw UsageError(
        "--trace-out: the trace formats carry no nested contexts (platform.nested), so a replay of the trace would "
        "translate the first stage alone; run without --trace-out, or without platform.nested");
  std::unique_ptr<std::ofstream> trace_file;
  std::unique_ptr<trace::TextTraceWriter> writer;
  auto platform = std::make_unique<platform::Platform>(config);
  if (!o.trace_out.empty()) {
    trace_file = std::make_unique<std::ofstream>(o.trace_out);
    if (!*trace_file) throw UsageError("cannot write " + o.trace_out);
    writer = std::make_unique<trace::TextTraceWriter>(*trace_file);
    writer->comment("recorded by vtdsim run " + o.config);
    platform->event_log().set_writer(writer.get());
  }
  const auto t0 = std::chrono::steady_clock::now();
  run_with_progress(*platform, config.duration_us);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json j = platform->stats_json();
  if (const std::uint64_t late = platform->event_log().late_dmas(); late > 0)
    std::cerr << "vtdsim run: warning: " << late << " DMAs of " << o.trace_out
              << " are stamped later than the IOMMU saw them (a device's local time was behind an event "
                 "already written: temporal decoupling), so replaying the trace times them differently. "
                 "A smaller platform.quantum_ns reduces them.\n";
  // Wall time is printed, not stored: the same inputs must give byte-identical stats JSON.
  if (!o.quiet) print_summary(j, wall);
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    if (!out) throw UsageError("cannot write " + o.json_out);
    out << j.dump(2) << "\n";
  }
  if (trace_file) trace_file->flush();
}

}  // namespace

void add_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd =
      app.add_subcommand("run", "Run the SystemC platform (virtio devices behind VT-d) from a configuration");
  cmd->add_option("config", o->config, "Configuration YAML (sections iommu, platform, guest, workload)")->required();
  cmd->add_option("--set", o->sets, "Override a configuration key: KEY=VALUE (repeatable)");
  cmd->add_option("--json", o->json_out, "Write the stats JSON here");
  cmd->add_option("--trace-out", o->trace_out, "Record DMA and software events in the native text trace format");
  cmd->add_flag("--quiet,-q", o->quiet, "print no summary");
  cmd->callback([o]() { run_command(*o); });
}

}  // namespace vtdsim::tools

// libsystemc.so references sc_main (its own main() calls it); vtdsim has its own main() and
// starts the kernel with sc_start from `run`, so this is never called.
int sc_main(int, char*[]) { return 0; }
#endif  // VTDSIM_HAVE_SYSTEMC
