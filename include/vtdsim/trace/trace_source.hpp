// A stream of trace events (file readers, QEMU log importer, SystemC recorders). Consumed by the
// Replayer and by the SystemC devices. Errors are exceptions carrying "FILE:LINE: what".
#pragma once
#include <optional>
#include <string>

#include "vtdsim/trace/trace_event.hpp"

namespace vtdsim::trace {

class TraceSource {
 public:
  virtual ~TraceSource() = default;
  // Next event, or nullopt at the end of the trace.
  virtual std::optional<TraceEvent> next() = 0;
  // Human-readable position of the last event returned ("file.trace:42" or "file.bin@record 17").
  virtual std::string position() const = 0;
};

}  // namespace vtdsim::trace
