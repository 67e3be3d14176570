// Records DMA and software events (map, unmap, context, invalidation) of a SystemC run as trace
// events in execution order, so `vtdsim replay` of the recorded trace sees the same sequence the
// IOMMU saw. Software events are stamped with the simulation time; DMAs with the nanosecond the
// IOMMU issued them at (DmaExtension::issue_ns), so that their replay is timed identically.
// Trace times must not decrease: an event earlier than the one before it (an initiator's local
// time behind another's, temporal decoupling) is written at the previous time. For a software
// event that changes nothing the replay computes from time (the IOMMU times an invalidation only
// for its own statistics); a DMA written late is issued later in the replay, which then times it
// (and what queues behind it) differently: late_dmas() counts them and `vtdsim run` warns.
// Disabled (no-op) without a writer.
#pragma once
#include <cstdint>
#include <systemc>

#include "vtdsim/guest/event_sink.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_event.hpp"

namespace vtdsim::platform {

class EventLog final : public guest::EventSink {
 public:
  void set_writer(trace::TextTraceWriter* writer) { writer_ = writer; }
  bool enabled() const override { return writer_ != nullptr; }
  void record(trace::TraceEvent event) override {
    if (writer_ == nullptr) return;
    record_at(event, sc_core::sc_time_stamp().value() / sc_core::sc_time(1, sc_core::SC_NS).value());
  }
  void record_at(trace::TraceEvent event, std::uint64_t time_ns) {
    if (writer_ == nullptr) return;
    if (time_ns < last_ns_) {
      if (event.kind == trace::EventKind::kDma) ++late_dmas_;
      time_ns = last_ns_;
    }
    event.time_ns = time_ns;
    last_ns_ = time_ns;
    writer_->write(event);
  }
  std::uint64_t late_dmas() const { return late_dmas_; }

 private:
  trace::TextTraceWriter* writer_ = nullptr;
  std::uint64_t last_ns_ = 0;
  std::uint64_t late_dmas_ = 0;
};

}  // namespace vtdsim::platform
