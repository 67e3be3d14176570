// A platform run recorded with its event log (what `vtdsim run --trace-out` writes), then the
// recorded trace replayed by trace::Replayer: the decision of every translated DMA on both sides,
// for tests that the two paths agree.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim::test {

struct RecordedAndReplayed {
  std::vector<int> recorded, replayed;  // one decision per translated DMA, in order
  std::unique_ptr<trace::Replayer> replayer;
  // The platform IOMMU's statistics at the end of the run, beside the replayer's.
  stats::TranslationStats recorded_stats;
  timing::TimingStats recorded_timing;
  std::uint64_t late_dmas = 0;  // EventLog::late_dmas()
  // Index of the first translation whose decisions differ (replayed.size() if none, and the
  // sizes are equal).
  std::size_t first_difference() const {
    const std::size_t n = std::min(recorded.size(), replayed.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (recorded[i] != replayed[i]) return i;
    }
    return recorded.size() == replayed.size() ? replayed.size() : n;
  }
};

// Runs the platform of `cfg` (for `duration`, or its configured time), then replays its trace.
// recorded_decision / replayed_decision map one DMA to its decision code.
inline RecordedAndReplayed record_and_replay(
    const platform::PlatformConfig& cfg, std::optional<sc_core::sc_time> duration,
    std::function<int(const sysc::DmaRecord&)> recorded_decision,
    std::function<int(const trace::TranslationObservation&)> replayed_decision) {
  struct Recorder : sysc::DmaObserver {
    std::function<int(const sysc::DmaRecord&)> decide;
    std::vector<int> decisions;
    void on_dma(const sysc::DmaRecord& r) override {
      if (r.translated) decisions.push_back(decide(r));
    }
  } recorder;
  recorder.decide = std::move(recorded_decision);
  const std::string path = "/tmp/vtdsim_record_replay_" + std::to_string(::getpid()) + ".trace";
  RecordedAndReplayed r;
  {
    std::ofstream out(path);
    trace::TextTraceWriter writer(out);
    platform::Platform p(cfg);
    p.event_log().set_writer(&writer);
    p.root_complex().add_observer(&recorder);
    if (duration) {
      p.run(*duration);
    } else {
      p.run();
    }
    r.recorded_stats = p.iommu().recorder().stats();
    r.recorded_timing = p.iommu().timing().stats();
    r.late_dmas = p.event_log().late_dmas();
  }
  r.recorded = std::move(recorder.decisions);
  r.replayer = std::make_unique<trace::Replayer>(cfg.unit);
  r.replayer->set_translation_callback(
      [&](const trace::TranslationObservation& o) { r.replayed.push_back(replayed_decision(o)); });
  trace::TextTraceReader reader(path);
  r.replayer->run(reader);
  r.replayer->set_translation_callback(nullptr);
  std::remove(path.c_str());
  return r;
}

}  // namespace vtdsim::test
