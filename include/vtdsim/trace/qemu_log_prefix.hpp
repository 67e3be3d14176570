// The prefix QEMU's `log` trace backend puts before a trace-point name, in each release's form:
//   "PID@SECONDS.MICROS:name ..."     QEMU up to 10.0 with -msg timestamp=on
//   "2025-07-21T18:43:28.089797Z name ..."
//                                     QEMU 10.1+ with -msg timestamp=on (util/log.c qemu_log:
//                                     g_date_time_format_iso8601 of the UTC time, then a space;
//                                     GLib leaves out the fraction when it is zero)
//   "name ..."                        without -msg timestamp=on
#pragma once
#include <cstdint>
#include <string_view>

namespace vtdsim::trace {

enum class QemuPrefix : std::uint8_t { kNone, kPidTime, kIsoTime };

struct QemuLinePrefix {
  QemuPrefix kind = QemuPrefix::kNone;
  std::size_t rest = 0;      // where the trace-point name starts
  std::uint64_t micros = 0;  // the time (kPidTime: as logged; kIsoTime: since 1970-01-01 UTC)
  bool has_time() const { return kind != QemuPrefix::kNone; }
};

// False when the line starts like a prefix but is not a well-formed one (not a trace line).
bool parse_qemu_prefix(std::string_view line, QemuLinePrefix& out);

}  // namespace vtdsim::trace
