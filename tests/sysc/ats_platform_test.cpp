// PCIe ATS on the SystemC platform (platform.devices[].ats): the guest gives the device a
// device-TLB context (TT = 01b) and turns its ATS on; the device's DMA is answered by its own
// device TLB (translation requests on a miss); the guest's IOTLB flushes are followed by
// dev_tlb_inv_dsc for the device, so no DMA uses a stale translation (the DMA monitor sees no
// fault or corruption); the recorded trace replays with the same decision for every translation.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "sysc/record_and_replay.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

const SourceId kNet = SourceId::from_bdf(0, 3, 0);
const SourceId kBlk = SourceId::from_bdf(0, 2, 0);

// net0 with ATS, blk0 without; both translated by the IOMMU.
const char* const kAtsPlatform = R"(
iommu:
  device_tlb: {entries: 16, ways: full, enabled: true}
platform:
  devices:
    - {name: net0, type: virtio-net, bdf: "00:03.0", ats: true,
       net: {line_rate_gbps: 10, peer: stream, rx_packet_size: 1500, rx_rate_gbps: 1}}
    - {name: blk0, type: virtio-blk, bdf: "00:02.0", blk: {latency_us: 20, bandwidth_gbps: 2}}
guest:
  dma_policy: strict
workload:
  duration_us: 300
  devices:
    net0: {kind: net_tx_stream, packet_size: 1500, rate_gbps: 5}
    blk0: {kind: blk_read_random, block_size: 4096, queue_depth: 8}
)";

platform::PlatformConfig load(const std::string& text, const std::vector<std::string>& sets = {}) {
  return platform::resolve_platform_config(config::load_config_text(text, "test", sets));
}

// 0 = IOTLB miss, 1 = IOTLB hit, 2 = fault, 3 = device-TLB hit.
int decision(bool ok, const core::CacheOutcome& o) {
  if (!ok) return 2;
  if (o.device_tlb_hit) return 3;
  return o.iotlb_hit ? 1 : 0;
}

TEST_F(SyscTest, AtsDeviceUsesItsDeviceTlbAndTheGuestInvalidatesIt) {
  run_isolated([] {
    platform::Platform p(load(kAtsPlatform));
    p.run();
    ASSERT_NE(p.ats(), nullptr);
    EXPECT_TRUE(p.ats()->enabled(kNet));
    EXPECT_EQ(p.ats()->find(kBlk), nullptr);  // no ATS: untranslated requests
    const auto* net = p.ats()->find(kNet);
    ASSERT_NE(net, nullptr);
    EXPECT_GT(net->tlb.stats().hits, 0u);
    EXPECT_GT(net->tlb.stats().misses, 0u);
    EXPECT_EQ(net->counters.translation_faults, 0u);
    EXPECT_EQ(net->counters.translated_faults, 0u);
    EXPECT_GT(net->counters.invalidation_requests, 0u);
    EXPECT_GT(net->tlb.stats().invalidated, 0u);  // strict unmaps reach the device TLB
    EXPECT_EQ(p.guest().devices()[0]->context, "translate+ats");
    EXPECT_EQ(p.guest().devices()[1]->context, "translate");
    EXPECT_GT(p.guest().vtd()->counters().device_tlb_invalidations, 0u);
    EXPECT_EQ(p.guest().vtd()->counters().queue_errors, 0u);

    const nlohmann::json j = p.stats_json();
    EXPECT_EQ(j["iommu"]["device_tlb"]["hits"], net->tlb.stats().hits);
    EXPECT_EQ(j["iommu"]["device_tlb"]["devices"]["00:03.0"]["hits"], net->tlb.stats().hits);
    EXPECT_EQ(j["guest"]["invalidations"]["device_tlb"], p.guest().vtd()->counters().device_tlb_invalidations);
    EXPECT_TRUE(j["config"]["platform"]["devices"][0]["ats"].get<bool>());

    const auto& g = *p.guest().devices()[0];
    EXPECT_GT(g.stats.tx_packets, 10u);
    for (const auto& d : p.monitor().devices()) {
      EXPECT_EQ(d.faults, 0u) << d.name;
      EXPECT_EQ(d.corruptions, 0u) << d.name;
      EXPECT_EQ(d.stray, 0u) << d.name;
      EXPECT_EQ(d.translated, d.dmas) << d.name;
    }
  });
}

TEST_F(SyscTest, AtsRunReplaysWithTheSameDecisions) {
  run_isolated([] {
    const test::RecordedAndReplayed r = test::record_and_replay(
        load(kAtsPlatform), std::nullopt, [](const sysc::DmaRecord& d) { return decision(d.ok, d.outcome); },
        [](const trace::TranslationObservation& o) { return decision(o.result.ok(), o.result.outcome); });
    ASSERT_GT(r.recorded.size(), 100u);
    ASSERT_EQ(r.replayed.size(), r.recorded.size());
    EXPECT_EQ(r.first_difference(), r.replayed.size()) << "first differing translation";
    std::size_t counts[4] = {0, 0, 0, 0};
    for (int d : r.replayed) ++counts[d];
    EXPECT_GT(counts[3], 0u);  // device-TLB hits
    EXPECT_GT(counts[0], 0u);  // and misses: the comparison is not trivial
    EXPECT_EQ(counts[2], 0u);
    ASSERT_NE(r.replayer->ats(), nullptr);
    EXPECT_GT(r.replayer->ats()->find(kNet)->tlb.stats().invalidated, 0u);
  });
}

TEST_F(SyscTest, AtsDeviceWithAnIdentityContextKeepsAtsOff) {
  run_isolated([] {
    platform::Platform p(load(kAtsPlatform, {"guest.dma_policy=passthrough"}));
    p.run();
    ASSERT_NE(p.ats(), nullptr);
    EXPECT_FALSE(p.ats()->enabled(kNet));  // TT = 10b: the guest does not turn ATS on
    EXPECT_EQ(p.guest().devices()[0]->context, "pass-through");
    EXPECT_EQ(p.guest().vtd()->counters().device_tlb_invalidations, 0u);
    for (const auto& d : p.monitor().devices()) {
      EXPECT_EQ(d.faults, 0u) << d.name;
      EXPECT_EQ(d.corruptions, 0u) << d.name;
    }
  });
}

TEST(AtsPlatformConfig, AtsNeedsTheDeviceTlbEnabled) {
  EXPECT_THROW(load(kAtsPlatform, {"iommu.device_tlb.enabled=false"}), config::ConfigError);
  EXPECT_THROW(load(kAtsPlatform, {"iommu.cap.dt=false"}), config::ConfigError);
  try {
    load(kAtsPlatform, {"iommu.device_tlb.enabled=false"});
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("platform.devices[0].ats"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(load(kAtsPlatform).devices[1].ats);
}

}  // namespace
}  // namespace vtdsim
