// A SystemC run recorded with the event log (what `vtdsim run --trace-out` writes) and replayed
// by trace::Replayer gives the same IOTLB decision for every translated DMA, in the same order.
#include <gtest/gtest.h>

#include <vector>

#include "sysc/record_and_replay.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

// 1 = IOTLB hit, 0 = miss, 2 = fault.
int decision(bool ok, const core::CacheOutcome& o) { return !ok ? 2 : (o.iotlb_hit ? 1 : 0); }

void record_and_replay(const std::vector<std::string>& sets) {
  const auto cfg = platform::resolve_platform_config(
      config::load_config_tree(std::string(VTDSIM_SOURCE_DIR) + "/configs/platform-default.yaml", sets));
  const test::RecordedAndReplayed r = test::record_and_replay(
      cfg, sc_core::sc_time(300, sc_core::SC_US), [](const sysc::DmaRecord& d) { return decision(d.ok, d.outcome); },
      [](const trace::TranslationObservation& o) { return decision(o.result.ok(), o.result.outcome); });
  ASSERT_GT(r.recorded.size(), 100u);
  ASSERT_EQ(r.replayed.size(), r.recorded.size());
  EXPECT_EQ(r.first_difference(), r.replayed.size()) << "first differing translation";
  std::size_t hits = 0;
  for (int d : r.replayed) hits += d == 1;
  EXPECT_GT(hits, 0u);
  EXPECT_LT(hits, r.replayed.size());  // misses too: the comparison is not trivial
}

TEST_F(SyscTest, RecordedTraceReplaysWithTheSameIotlbDecisionsStrict) {
  run_isolated([] { record_and_replay({"guest.dma_policy=strict"}); });
}

TEST_F(SyscTest, RecordedTraceReplaysWithTheSameIotlbDecisionsLazy) {
  run_isolated([] { record_and_replay({"guest.dma_policy=lazy", "guest.lazy_batch=16"}); });
}

}  // namespace
}  // namespace vtdsim
