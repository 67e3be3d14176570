// Opens a trace of any format: native text, native binary or a QEMU `-trace 'vtd_*'` log, each
// plain, gzip or zstd. The format is detected from the (decompressed) content, never from the
// file name: binary magic, else a QEMU trace line, else a native text event (docs/trace-format.md).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::trace {

enum class TraceFormat : std::uint8_t { kAuto, kText, kQemu, kBinary };
const char* to_string(TraceFormat format);
// "auto", "text", "qemu", "binary"; throws std::invalid_argument otherwise.
TraceFormat parse_trace_format(const std::string& name);

struct OpenedTrace {
  std::unique_ptr<TraceSource> source;
  TraceFormat format = TraceFormat::kAuto;  // the format actually used
  Compression compression = Compression::kNone;
  // The input under text and QEMU readers (progress: raw_bytes_read() / raw_size()); null for
  // binary traces.
  const CompressedInput* input = nullptr;
};

// Throws TraceError (cannot open, corrupt compressed data, format not recognised, binary from stdin).
OpenedTrace open_trace(const std::string& path, TraceFormat format = TraceFormat::kAuto);

// Detects the format from the first bytes of the decompressed content (kAuto if unknown).
TraceFormat detect_trace_format(const std::string& head);

}  // namespace vtdsim::trace
