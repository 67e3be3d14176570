// Writing a trace to a file in the format its name (or --to) says, for `convert` and `mix`:
// *.bin -> binary, *.zst / *.zstd -> binary-zstd, anything else (e.g. *.trace, "-" for stdout) ->
// text.
#pragma once
#include <cstdint>
#include <string>

#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::tools {

// `to` if given, else from `out`'s name.
std::string output_format(const std::string& to, const std::string& out);

// Writes every event of `source` to `out` in `format` (text, binary, binary-zstd); returns the
// number of events. Throws TraceError for I/O errors, UsageError for binary output to "-".
std::uint64_t write_trace(trace::TraceSource& source, const std::string& out, const std::string& format,
                          int zstd_level);

}  // namespace vtdsim::tools
