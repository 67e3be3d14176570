// `vtdsim convert IN OUT [--to text|binary|binary-zstd]`: converts a trace between the native
// formats. IN may be a native text or binary trace or a QEMU vtd_* log (plain, gzip or zstd),
// detected from its content. OUT's format comes from --to, else from its name: *.bin -> binary,
// *.zst / *.zstd -> binary-zstd, anything else (e.g. *.trace, "-" for stdout) -> text.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "subcommands.hpp"
#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "vtdsim/trace/trace_open.hpp"

namespace vtdsim::tools {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string output_format(const std::string& to, const std::string& out) {
  if (!to.empty()) return to;
  if (ends_with(out, ".zst") || ends_with(out, ".zstd")) return "binary-zstd";
  if (ends_with(out, ".bin")) return "binary";
  return "text";
}

struct ConvertArgs {
  std::string in, out, to;
  int level = 3;
};

void run_convert(const ConvertArgs& a) {
  const std::string format = output_format(a.to, a.out);
  trace::OpenedTrace opened = trace::open_trace(a.in);
  auto& source = opened.source;
  std::uint64_t events = 0;
  if (format == "text") {
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (a.out != "-") {
      file.open(a.out, std::ios::binary | std::ios::trunc);
      if (!file) throw trace::TraceError(a.out, 0, "cannot create");
      out = &file;
    }
    trace::TextTraceWriter writer(*out);
    while (auto e = source->next()) writer.write(*e);
    events = writer.events_written();
    out->flush();
    if (!*out) throw trace::TraceError(a.out, 0, "write error");
  } else {
    if (a.out == "-") throw UsageError("convert: binary output needs a file name, not '-'");
    trace::BinaryTraceWriter writer(
        a.out, format == "binary-zstd" ? trace::BinaryCompression::kZstd : trace::BinaryCompression::kNone, a.level);
    while (auto e = source->next()) writer.write(*e);
    writer.close();
    events = writer.records_written();
  }
  std::cerr << "vtdsim convert: " << events << " events, " << trace::to_string(opened.format) << " -> " << format << "\n";
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
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace vtdsim::tools
