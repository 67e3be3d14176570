// A trace held in memory (a vector of events the caller owns), read as a TraceSource: for
// replaying generated events, or the same events several times, without a file.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::trace {

class VectorTraceSource final : public TraceSource {
 public:
  // `events` must outlive the source.
  explicit VectorTraceSource(const std::vector<TraceEvent>& events) : events_(events) {}
  std::optional<TraceEvent> next() override {
    if (next_ == events_.size()) return std::nullopt;
    return events_[next_++];
  }
  bool next_into(TraceEvent& out) override {
    if (next_ == events_.size()) return false;
    out = events_[next_++];
    return true;
  }
  // "events@N": N is the index of the last event returned.
  std::string position() const override { return "events@" + std::to_string(next_ == 0 ? 0 : next_ - 1); }

 private:
  const std::vector<TraceEvent>& events_;
  std::size_t next_ = 0;
};

}  // namespace vtdsim::trace
