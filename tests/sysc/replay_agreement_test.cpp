// A SystemC run recorded with the event log (what `vtdsim run --trace-out` writes) and replayed
// by trace::Replayer gives the same IOTLB decision for every translated DMA, in the same order.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/sysc/platform_builder.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

struct HitRecorder : sysc::DmaObserver {
  std::vector<int> decisions;  // 1 = IOTLB hit, 0 = miss, 2 = fault
  void on_dma(const sysc::DmaRecord& r) override {
    if (!r.translated) return;
    decisions.push_back(!r.ok ? 2 : (r.outcome.iotlb_hit ? 1 : 0));
  }
};

void record_and_replay(const std::vector<std::string>& sets) {
  const std::string path = "/tmp/vtdsim_replay_agreement_" + std::to_string(::getpid()) + ".trace";
  const auto cfg = platform::resolve_platform_config(
      config::load_config_tree(std::string(VTDSIM_SOURCE_DIR) + "/configs/platform-default.yaml", sets));
  HitRecorder recorded;
  {
    std::ofstream out(path);
    trace::TextTraceWriter writer(out);
    sysc::Platform p(cfg);
    p.event_log().set_writer(&writer);
    p.root_complex().add_observer(&recorded);
    p.run(sc_core::sc_time(300, sc_core::SC_US));
  }
  ASSERT_GT(recorded.decisions.size(), 100u);
  std::vector<int> replayed;
  trace::Replayer replayer(cfg.unit);
  replayer.set_translation_callback([&](const trace::TranslationObservation& o) {
    replayed.push_back(!o.result.ok() ? 2 : (o.result.outcome.iotlb_hit ? 1 : 0));
  });
  trace::TextTraceReader reader(path);
  replayer.run(reader);
  std::remove(path.c_str());
  ASSERT_EQ(replayed.size(), recorded.decisions.size());
  std::size_t first_difference = replayed.size();
  for (std::size_t i = 0; i < replayed.size(); ++i) {
    if (replayed[i] != recorded.decisions[i]) {
      first_difference = i;
      break;
    }
  }
  EXPECT_EQ(first_difference, replayed.size()) << "first differing translation";
  std::size_t hits = 0;
  for (int d : replayed) hits += d == 1;
  EXPECT_GT(hits, 0u);
  EXPECT_LT(hits, replayed.size());  // misses too: the comparison is not trivial
}

TEST_F(SyscTest, RecordedTraceReplaysWithTheSameIotlbDecisionsStrict) {
  run_isolated([] { record_and_replay({"guest.dma_policy=strict"}); });
}

TEST_F(SyscTest, RecordedTraceReplaysWithTheSameIotlbDecisionsLazy) {
  run_isolated([] { record_and_replay({"guest.dma_policy=lazy", "guest.lazy_batch=16"}); });
}

}  // namespace
}  // namespace vtdsim
