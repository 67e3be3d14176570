// `vtdsim convert IN OUT [--to text|binary|binary-zstd]`: converts a trace between the native
// formats. IN may be a native text or binary trace or a QEMU vtd_* log (plain, gzip or zstd),
// detected from its content. OUT's format comes from --to, else from its name: *.bin -> binary,
// *.zst / *.zstd -> binary-zstd, anything else (e.g. *.trace, "-" for stdout) -> text.
#include <CLI/CLI.hpp>
#include <iostream>

#include "subcommands.hpp"
#include "trace_output.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

struct ConvertArgs {
  std::string in, out, to;
  int level = 3;
  std::string qemu_flts = "auto";
};

void run_convert(const ConvertArgs& a) {
  const std::string format = output_format(a.to, a.out);
  trace::QemuFlts flts;
  try {
    flts = trace::parse_qemu_flts(a.qemu_flts);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  trace::OpenedTrace opened = trace::open_trace(a.in);
  auto* importer = dynamic_cast<trace::QemuLogImporter*>(opened.source.get());
  if (importer) importer->set_flts(flts);
  std::uint64_t events = 0;
  try {
    events = write_trace(*opened.source, a.out, format, a.level);
  } catch (const UsageError& e) {
    throw UsageError(std::string("convert: ") + e.what());
  }
  if (importer && importer->stats().sm_stage_unknown)
    std::cerr << "vtdsim convert: warning: " << a.in
              << ": scalable-mode log without any IOTLB invalidation after its first translation, so whether QEMU "
                 "ran with x-flts=on is not known: its contexts were written as second-stage ones; if it did, "
                 "convert with --qemu-flts=on\n";
  std::cerr << "vtdsim convert: " << events << " events, " << trace::to_string(opened.format) << " -> " << format
            << "\n";
}

}  // namespace

void add_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand("convert", "Convert a trace between text, binary and zstd-compressed binary");
  cmd->add_option("IN", args->in, "input trace: text, binary or QEMU vtd_* log (plain, gzip or zstd; - = stdin)")
      ->required();
  cmd->add_option("OUT", args->out, "output file (- = stdout, text only)")->required();
  cmd->add_option("--to", args->to, "output format (default: from OUT's name: .bin, .zst, else text)")
      ->check(CLI::IsMember({"text", "binary", "binary-zstd"}));
  cmd->add_option("--level", args->level, "zstd compression level")->check(CLI::Range(1, 19));
  cmd->add_option("--qemu-flts", args->qemu_flts,
                  "QEMU log in scalable mode: whether QEMU ran with x-flts=on: auto|on|off (default auto, as replay)");
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace vtdsim::tools
