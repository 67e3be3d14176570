// Records DMA and software events (map, unmap, context, invalidation) of a SystemC run as trace
// events in execution order, stamped with the simulation time, so `vtdsim replay` of the recorded
// trace sees the same sequence the IOMMU saw. Disabled (no-op) without a writer.
#pragma once
#include <cstdint>
#include <systemc>

#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_event.hpp"

namespace vtdsim::platform {

class EventLog {
 public:
  void set_writer(trace::TextTraceWriter* writer) { writer_ = writer; }
  bool enabled() const { return writer_ != nullptr; }
  void record(trace::TraceEvent event) {
    if (writer_ == nullptr) return;
    const std::uint64_t now = static_cast<std::uint64_t>(sc_core::sc_time_stamp().to_seconds() * 1e9);
    event.time_ns = now < last_ns_ ? last_ns_ : now;
    last_ns_ = event.time_ns;
    writer_->write(event);
  }

 private:
  trace::TextTraceWriter* writer_ = nullptr;
  std::uint64_t last_ns_ = 0;
};

}  // namespace vtdsim::platform
