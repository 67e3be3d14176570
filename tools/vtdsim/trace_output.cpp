#include "trace_output.hpp"

#include <fstream>
#include <iostream>

#include "subcommands.hpp"
#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::tools {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

std::string output_format(const std::string& to, const std::string& out) {
  if (!to.empty()) return to;
  if (ends_with(out, ".zst") || ends_with(out, ".zstd")) return "binary-zstd";
  if (ends_with(out, ".bin")) return "binary";
  return "text";
}

std::uint64_t write_trace(trace::TraceSource& source, const std::string& out_path, const std::string& format,
                          int zstd_level) {
  if (format == "text") {
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (out_path != "-") {
      file.open(out_path, std::ios::binary | std::ios::trunc);
      if (!file) throw trace::TraceError(out_path, 0, "cannot create");
      out = &file;
    }
    trace::TextTraceWriter writer(*out);
    while (auto e = source.next()) writer.write(*e);
    out->flush();
    if (!*out) throw trace::TraceError(out_path, 0, "write error");
    return writer.events_written();
  }
  if (out_path == "-") throw UsageError("binary output needs a file name, not '-'");
  trace::BinaryTraceWriter writer(
      out_path, format == "binary-zstd" ? trace::BinaryCompression::kZstd : trace::BinaryCompression::kNone,
      zstd_level);
  while (auto e = source.next()) writer.write(*e);
  writer.close();
  return writer.records_written();
}

}  // namespace vtdsim::tools
