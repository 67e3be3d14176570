// The lazy window as a result of a run: a virtio-blk whose stale-DMA engine keeps accessing a
// completed request's buffers (platform.devices[].stale_dma), against the guest's unmap policy.
// One request, one at a time, so every number is counted by hand:
//   the chain has 3 buffers (header, data, status); the device issues 2 DMAs to each, 6 ms and
//   12 ms after completing it (count 2, interval 6 ms). The guest unmaps them microseconds after
//   the completion. Lazy: the flush-queue timer (10 ms, armed by the first of those unmaps)
//   flushes the domain about 10 ms later, so the 3 DMAs at 6 ms hit the IOTLB entries the device
//   itself filled (stale translations) and the 3 at 12 ms fault. Strict: the page-selective flush
//   of each unmap has already removed them: all 6 fault. Pass-through (identity): nothing
//   revokes anything, all 6 reach memory untranslated. No buffer is handed out again, so no DMA
//   lands in reused memory.
#include <gtest/gtest.h>

#include <string>

#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/platform/platform_config.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

constexpr const char* kOneRequest = R"(
platform:
  devices:
    - name: blk0
      type: virtio-blk
      bdf: "00:02.0"
      stale_dma: {count: 2, interval_ns: 6000000}
guest:
  lazy_batch: 256
  lazy_timeout_us: 10000
workload:
  duration_us: 20000
  devices:
    blk0: {kind: blk_read_seq, block_size: 4096, queue_depth: 1, count: 1}
)";

platform::PlatformConfig load(const std::string& text, const std::vector<std::string>& sets = {}) {
  return platform::resolve_platform_config(config::load_config_text(text, "test", sets));
}

struct Seen {
  platform::StaleDmaStats stale;
  nlohmann::json safety;
  std::uint64_t unmaps = 0, requests = 0;
};

Seen run_one(const std::string& policy) {
  platform::Platform p(load(kOneRequest, {"guest.dma_policy=" + policy}));
  p.run();
  Seen s;
  s.stale = p.monitor().device(SourceId::from_bdf(0, 2, 0))->stale;
  s.safety = p.stats_json()["devices"]["blk0"]["safety"];
  s.unmaps = p.guest().devices()[0]->dma->counters().unmaps;
  s.requests = p.guest().devices()[0]->stats.requests;
  return s;
}

TEST_F(SyscTest, StaleDmaLazyReachesMemoryUntilTheTimerFlush) {
  run_isolated([] {
    const Seen s = run_one("lazy");
    EXPECT_EQ(s.requests, 1u);
    EXPECT_EQ(s.stale.issued, 6u);
    EXPECT_EQ(s.stale.still_mapped, 0u);
    EXPECT_EQ(s.stale.stale_iotlb, 3u);
    EXPECT_EQ(s.stale.faulted, 3u);
    EXPECT_EQ(s.stale.remapped + s.stale.unprotected + s.stale.reused_memory, 0u);
    EXPECT_EQ(s.safety["stale_dma"]["buffers_followed"].get<std::uint64_t>(), 3u);
    // Every unmap's window ends with the one timer flush: 10 ms after the first unmap, plus the
    // flush itself (a domain-selective invalidation and its wait: well under a microsecond here).
    const nlohmann::json& w = s.safety["exposure_window_us"];
    EXPECT_EQ(w["count"].get<std::uint64_t>(), s.unmaps);
    EXPECT_EQ(w["open_at_end"].get<std::uint64_t>(), 0u);
    EXPECT_GE(w["max"].get<double>(), 10000.0);
    EXPECT_LE(w["max"].get<double>(), 10001.0);
    EXPECT_GE(w["mean"].get<double>(), 9990.0);  // the unmaps of one completion are microseconds apart
  });
}

TEST_F(SyscTest, StaleDmaStrictNeverReachesMemory) {
  run_isolated([] {
    const Seen s = run_one("strict");
    EXPECT_EQ(s.stale.issued, 6u);
    EXPECT_EQ(s.stale.faulted, 6u);
    EXPECT_EQ(s.stale.stale_iotlb, 0u);
    EXPECT_EQ(s.stale.reached_memory(), 0u);
    const nlohmann::json& w = s.safety["exposure_window_us"];
    EXPECT_EQ(w["count"].get<std::uint64_t>(), s.unmaps);
    EXPECT_LT(w["max"].get<double>(), 5.0);  // one page-selective invalidation and its wait
  });
}

TEST_F(SyscTest, StaleDmaPassThroughReachesMemoryUnprotected) {
  run_isolated([] {
    const Seen s = run_one("passthrough");
    EXPECT_EQ(s.stale.issued, 6u);
    EXPECT_EQ(s.stale.unprotected, 6u);
    EXPECT_EQ(s.stale.faulted + s.stale.stale_iotlb + s.stale.remapped + s.stale.reused_memory, 0u);
    EXPECT_FALSE(s.safety["iommu_protected"].get<bool>());
    EXPECT_TRUE(s.safety["exposure_window_us"].is_null());
  });
}

TEST_F(SyscTest, StaleDmaLazyWindowIsBoundedByTheFullRing) {
  // A stream of 64 requests, 4 in flight, with a ring of 8 slots (7 entries): full-ring flushes
  // end all windows but the last few, each within the time of 7 unmaps; strict shows no stale
  // translation at all.
  for (const char* policy : {"lazy", "strict"}) {
    run_isolated([policy] {
      platform::Platform p(
          load(kOneRequest, {"guest.dma_policy=" + std::string(policy), "guest.lazy_batch=8",
                             "workload.devices.blk0.count=64", "workload.devices.blk0.queue_depth=4"}));
      p.run();
      const auto& st = p.monitor().device(SourceId::from_bdf(0, 2, 0))->stale;
      const auto& dma = *p.guest().devices()[0]->dma;
      EXPECT_EQ(p.guest().devices()[0]->stats.requests, 64u);
      EXPECT_EQ(st.issued, 64u * 3 * 2);
      if (std::string(policy) == "strict") {
        EXPECT_EQ(st.stale_iotlb, 0u);
      } else {
        // 4 unmaps per request (header, data, status, indirect table): 256 windows; 36 full-ring
        // flushes end 7 each (252), the timer ends the last 4.
        EXPECT_EQ(dma.counters().unmaps, 256u);
        EXPECT_EQ(dma.counters().fq_full_flushes, 36u);
        EXPECT_EQ(dma.counters().fq_timer_flushes, 1u);
        const auto& w = dma.exposure_ns();
        EXPECT_EQ(w.count(), 256u);
        // A full-ring window spans at most 7 unmaps, under two request completions (~23 us apart
        // at queue depth 4): far below the timer's 10 ms, which only the last 4 wait for.
        EXPECT_LT(w.percentile(252.0 / 256.0), 100000u);
        EXPECT_GT(w.percentile(253.0 / 256.0), 8000000u);
      }
    });
  }
}

TEST(StaleDmaConfig, BadOptionsNameTheKey) {
  const auto err = [](const std::string& stale) {
    try {
      load(std::string("platform:\n  devices:\n    - {name: b, type: virtio-blk, bdf: \"00:02.0\", stale_dma: ") +
           stale + "}\n");
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(err("{interval_ns: 100}").find("needs count: N or after_complete_ns: T"), std::string::npos);
  EXPECT_NE(err("{count: 1, access: sideways}").find("platform.devices[0].stale_dma.access"), std::string::npos);
  EXPECT_NE(err("{count: 1, every: 0}").find("stale_dma.every"), std::string::npos);
  EXPECT_NE(err("{count: 1, burst: 3}").find("burst"), std::string::npos);
  EXPECT_EQ(err("{count: 1}"), "no error");
}

TEST(GuestBypassConfig, NamesADeviceOfThePlatform) {
  const std::string devices = "platform:\n  devices:\n    - {name: b, type: virtio-blk, bdf: \"00:02.0\"}\n";
  EXPECT_TRUE(load(devices + "guest: {iommu_bypass: [b]}\n").devices[0].guest_bypass);
  EXPECT_FALSE(load(devices).devices[0].guest_bypass);
  try {
    load(devices + "guest: {iommu_bypass: [nope]}\n");
    ADD_FAILURE() << "no error for an unknown device";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("guest.iommu_bypass[0]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no device 'nope'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vtdsim
