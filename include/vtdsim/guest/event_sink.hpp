// Where the guest's drivers report the software events they make (map, unmap, context,
// invalidation) for a recorded trace; the platform's event log implements it.
#pragma once
#include "vtdsim/trace/trace_event.hpp"

namespace vtdsim::guest {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual bool enabled() const = 0;
  // Stamped by the sink (simulation time).
  virtual void record(trace::TraceEvent event) = 0;
};

}  // namespace vtdsim::guest
