#include "vtdsim/trace/trace_open.hpp"

#include <stdexcept>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

const char* to_string(TraceFormat format) {
  switch (format) {
    case TraceFormat::kAuto: return "auto";
    case TraceFormat::kText: return "text";
    case TraceFormat::kQemu: return "qemu";
    case TraceFormat::kBinary: return "binary";
  }
  return "unknown";
}

TraceFormat parse_trace_format(const std::string& name) {
  if (name == "auto") return TraceFormat::kAuto;
  if (name == "text") return TraceFormat::kText;
  if (name == "qemu") return TraceFormat::kQemu;
  if (name == "binary") return TraceFormat::kBinary;
  throw std::invalid_argument("unknown trace format '" + name + "' (expected auto, text, qemu or binary)");
}

TraceFormat detect_trace_format(const std::string& head) {
  if (is_binary_trace_magic(head.data(), head.size())) return TraceFormat::kBinary;
  if (looks_like_qemu_log(head)) return TraceFormat::kQemu;
  if (looks_like_text_trace(head)) return TraceFormat::kText;
  return TraceFormat::kAuto;
}

OpenedTrace open_trace(const std::string& path, TraceFormat format) {
  auto input = std::make_unique<CompressedInput>(path);
  OpenedTrace opened;
  opened.compression = input->compression();
  if (format == TraceFormat::kAuto) {
    format = detect_trace_format(input->peek(64 * 1024));
    if (format == TraceFormat::kAuto)
      throw TraceError(input->display_name(), 0,
                       "cannot tell the trace format from the content (not a vtdsim binary trace, no QEMU "
                       "vtd_ trace line, no text event in the first 64 KiB); use --format");
  }
  opened.format = format;
  switch (format) {
    case TraceFormat::kText: {
      opened.input = input.get();
      opened.source = std::make_unique<TextTraceReader>(std::move(input));
      break;
    }
    case TraceFormat::kQemu: {
      opened.input = input.get();
      opened.source = std::make_unique<QemuLogImporter>(std::move(input));
      break;
    }
    case TraceFormat::kBinary:
      if (path == "-") {
        // Standard input: streamed through the input already opened (its peeked bytes are read
        // again); a file is reopened by path so that a plain one can be mapped.
        opened.input = input.get();
        opened.source = std::make_unique<BinaryTraceReader>(std::move(input));
      } else {
        input.reset();
        opened.source = std::make_unique<BinaryTraceReader>(path);
      }
      break;
    case TraceFormat::kAuto: break;
  }
  return opened;
}

}  // namespace vtdsim::trace
