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
  // Same as next() without the optional, for the replay loop: writes the next event into out and
  // returns true, or returns false at the end of the trace. Sources that decode in place (the
  // binary reader) override it to skip the optional and its copy.
  virtual bool next_into(TraceEvent& out) {
    std::optional<TraceEvent> event = next();
    if (!event) return false;
    out = *event;
    return true;
  }
  // Human-readable position of the last event returned ("file.trace:42" or "file.bin@record 17").
  virtual std::string position() const = 0;
};

}  // namespace vtdsim::trace
