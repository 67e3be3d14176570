// Replay with the device TLB (ATS) enabled: a text trace with a `devtlb` context goes through
// core::AtsEndpoints (exact hit/miss counts, stale entry until `inv devtlb`), and the default
// configuration (device TLB disabled) replays exactly as before.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/core/ats_endpoints.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

const std::string kSample = std::string(VTDSIM_SOURCE_DIR) + "/traces/sample.trace";

// 00:03.0 has ATS (devtlb context), 00:04.0 does not; both in domain 1.
const char* const kAtsTrace = R"(# device-TLB replay test
0      context 00:03.0 1 devtlb levels=4
0      context 00:04.0 1 translated levels=4
100    map 1 0x10000 0x200000 0x4000 rw
1000   dma 00:03.0 r 0x10000 64      # device-TLB miss: translation request, IOTLB miss + walk
1010   dma 00:03.0 r 0x10040 64      # device-TLB hit
1020   dma 00:03.0 w 0x10ff0 32      # hit, then 0x11000: miss
1030   dma 00:04.0 r 0x10000 64      # no ATS: untranslated, IOTLB hit
1040   dma 00:03.0 r 0x11000 8       # hit
2000   unmap 1 0x10000 0x1000
2010   inv iotlb page did=1 addr=0x10000 am=0
2020   dma 00:03.0 r 0x10000 8       # still a device-TLB hit: the device was not told yet
2030   inv devtlb page sid=00:03.0 addr=0x10000 am=0
2040   dma 00:03.0 r 0x10000 8       # miss, walk, fault (not mapped)
2050   dma 00:03.0 r 0x11000 8       # hit
)";

config::UnitConfig config_with(const std::string& yaml) {
  return config::resolve_unit_config(config::load_config_text(yaml));
}

struct Seen {
  std::uint64_t time;
  std::uint16_t source;
  bool devtlb_hit;
  bool iotlb_hit;
  spec::FaultReason fault;
  std::uint64_t host;
  std::uint64_t latency;
};

struct Replay {
  std::unique_ptr<Replayer> replayer;
  std::vector<Seen> seen;
  nlohmann::json json;
};

Replay replay(const std::string& path, const config::UnitConfig& cfg) {
  Replay out;
  out.replayer = std::make_unique<Replayer>(cfg);
  std::vector<Seen>& seen = out.seen;
  out.replayer->set_translation_callback([&seen](const TranslationObservation& o) {
    seen.push_back({o.event.time_ns, o.request.source.value, o.result.outcome.device_tlb_hit,
                    o.result.outcome.iotlb_hit, o.result.fault, o.result.host.value,
                    o.completion_cycle - o.issue_cycle});
  });
  TextTraceReader reader(path);
  out.replayer->run(reader);
  out.json = out.replayer->to_json()["iommu"];
  return out;
}

TEST(AtsReplay, DevtlbContextGoesThroughTheDeviceTlb) {
  TempFile trace(".trace");
  trace.write(kAtsTrace);
  const config::UnitConfig cfg = config_with("iommu:\n  device_tlb: {entries: 4, ways: full, enabled: true}\n");
  ASSERT_TRUE(cfg.caches.device_tlb.enabled);
  const Replay r = replay(trace.path(), cfg);

  std::vector<bool> devtlb;
  std::vector<bool> iotlb;
  for (const Seen& s : r.seen) {
    devtlb.push_back(s.devtlb_hit);
    iotlb.push_back(s.iotlb_hit);
  }
  // Translations: 1000, 1010, 1020 (two pages), 1030 (00:04.0), 1040, 2020, 2040, 2050.
  EXPECT_EQ(devtlb, (std::vector<bool>{false, true, true, false, false, true, true, false, true}));
  EXPECT_EQ(iotlb, (std::vector<bool>{false, false, false, false, true, false, false, false, false}));
  ASSERT_EQ(r.seen.size(), 9u);
  EXPECT_EQ(r.seen[5].host, 0x201000u);                        // 1040: 0x11000 -> 0x201000
  EXPECT_EQ(r.seen[6].host, 0x200000u);                        // 2020: the stale translation
  EXPECT_EQ(r.seen[7].fault, spec::FaultReason::kReadDenied);  // 2040: re-walked, unmapped
  EXPECT_EQ(r.seen[8].fault, spec::FaultReason::kNone);
  // A device-TLB hit costs only the translated request's context check in the timing model.
  EXPECT_EQ(r.seen[1].latency, cfg.timing.context_cache_hit);

  const nlohmann::json& d = r.json["device_tlb"];
  EXPECT_EQ(d["hits"], 5);  // the recorder's count (outcome.device_tlb_hit)
  EXPECT_EQ(d["devices_enabled"], 1);
  const nlohmann::json& a = d["devices"]["00:03.0"];
  EXPECT_EQ(a["lookups"], 8);
  EXPECT_EQ(a["hits"], 5);
  EXPECT_EQ(a["misses"], 3);
  EXPECT_EQ(a["fills"], 2);
  EXPECT_EQ(a["invalidated"], 1);
  EXPECT_EQ(a["entries"], 1);
  EXPECT_EQ(a["translation_requests"], 3);
  EXPECT_EQ(a["translation_faults"], 1);
  EXPECT_EQ(a["translated_requests"], 7);
  EXPECT_EQ(a["invalidation_requests"], 1);
  EXPECT_FALSE(d["devices"].contains("00:04.0"));
  EXPECT_EQ(r.json["iotlb"]["hits"], 1);
  EXPECT_EQ(r.json["iotlb"]["misses"], 3);
  EXPECT_EQ(r.json["faults"]["total"], 1);
}

TEST(AtsReplay, ShippedAtsConfigEnablesTheDeviceTlb) {
  const config::UnitConfig cfg = config::load_unit_config(std::string(VTDSIM_SOURCE_DIR) + "/configs/ats.yaml");
  EXPECT_TRUE(cfg.caches.device_tlb.enabled);
  EXPECT_EQ(cfg.caches.device_tlb.entries, 32u);
  EXPECT_EQ(cfg.caches.device_tlb.ways, 32u);
  config::UnitConfig expected;  // everything else as the defaults
  expected.caches.device_tlb.enabled = true;
  EXPECT_EQ(config::to_json(cfg), config::to_json(expected));
  TempFile trace(".trace");
  trace.write(kAtsTrace);
  const Replay r = replay(trace.path(), cfg);
  EXPECT_EQ(r.json["device_tlb"]["hits"], 5);
  EXPECT_EQ(r.json["device_tlb"]["total"]["misses"], 3);
}

TEST(AtsReplay, DisabledDeviceTlbTreatsDevtlbContextsAsUntranslated) {
  TempFile trace(".trace");
  trace.write(kAtsTrace);
  const Replay r = replay(trace.path(), config::UnitConfig{});
  ASSERT_EQ(r.seen.size(), 9u);
  for (const Seen& s : r.seen) EXPECT_FALSE(s.devtlb_hit);
  EXPECT_EQ(r.replayer->ats(), nullptr);
  // No device TLB: the IOTLB invalidation at 2010 is enough, 2020 already faults.
  EXPECT_EQ(r.seen[6].fault, spec::FaultReason::kReadDenied);
  EXPECT_EQ(r.json["device_tlb"]["hits"], 0);
  EXPECT_FALSE(r.json["device_tlb"].contains("devices"));
  EXPECT_EQ(r.json["faults"]["total"], 2);
}

// Enabling the device TLB changes nothing for a trace without devtlb contexts, and the default
// configuration's JSON has no ATS section.
TEST(AtsReplay, TraceWithoutDevtlbContextsIsUnchangedByEnabling) {
  const Replay off = replay(kSample, config::UnitConfig{});
  config::UnitConfig on_cfg;
  on_cfg.caches.device_tlb.enabled = true;
  const Replay on = replay(kSample, on_cfg);
  ASSERT_EQ(off.seen.size(), on.seen.size());
  for (std::size_t i = 0; i < off.seen.size(); ++i) {
    EXPECT_EQ(off.seen[i].iotlb_hit, on.seen[i].iotlb_hit) << i;
    EXPECT_EQ(off.seen[i].fault, on.seen[i].fault) << i;
    EXPECT_EQ(off.seen[i].host, on.seen[i].host) << i;
    EXPECT_EQ(off.seen[i].latency, on.seen[i].latency) << i;
  }
  nlohmann::json a = off.json, b = on.json;
  EXPECT_EQ(b["device_tlb"]["devices"].size(), 0u);
  EXPECT_EQ(a["device_tlb"], (nlohmann::json{{"hits", 0}}));
  for (auto* j : {&a, &b}) {
    j->erase("device_tlb");
    j->erase("config");
  }
  EXPECT_EQ(a, b);
}

TEST(AtsReplay, ContextLeavingDevtlbDisablesAtsAndGlobalInvalidationEmptiesEveryDevice) {
  TempFile trace(".trace");
  trace.write(R"(0 context 00:03.0 1 devtlb levels=4
0 context 00:05.0 1 devtlb levels=4
10 map 1 0x10000 0x200000 0x2000 rw
100 dma 00:03.0 r 0x10000 8
110 dma 00:05.0 r 0x10000 8
120 dma 00:05.0 r 0x11000 8
200 inv devtlb global
300 dma 00:05.0 r 0x10000 8
400 context 00:03.0 1 translated levels=4
500 dma 00:03.0 r 0x10000 8
)");
  const config::UnitConfig cfg = config_with("iommu:\n  device_tlb: {entries: 8, ways: 2, enabled: true}\n");
  const Replay r = replay(trace.path(), cfg);
  ASSERT_EQ(r.seen.size(), 5u);
  for (const Seen& s : r.seen) {
    EXPECT_FALSE(s.devtlb_hit);
    EXPECT_EQ(s.fault, spec::FaultReason::kNone);
  }
  EXPECT_TRUE(r.seen[4].iotlb_hit);  // 00:03.0 without ATS: an untranslated request
  const nlohmann::json& d = r.json["device_tlb"];
  EXPECT_EQ(d["devices_enabled"], 1);
  EXPECT_EQ(d["devices"]["00:03.0"]["enabled"], false);
  EXPECT_EQ(d["devices"]["00:03.0"]["dma"], 1);
  EXPECT_EQ(d["devices"]["00:05.0"]["invalidated"], 2);
  EXPECT_EQ(d["devices"]["00:05.0"]["entries"], 1);
  EXPECT_EQ(d["total"]["invalidated"], 3);
}

// `vtdsim replay --config configs/ats.yaml`: the summary line and the JSON.
TEST(AtsReplay, ReplayCommandPrintsTheDeviceTlbLine) {
  TempFile trace(".trace");
  trace.write(kAtsTrace);
  TempFile json(".json");
  const std::string cmd = std::string(VTDSIM_BINARY) + " replay " + trace.path() + " --config " +
                          std::string(VTDSIM_SOURCE_DIR) + "/configs/ats.yaml --json " + json.path() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("device TLB    5 hits, 3 misses (1 devices with ATS, 1 entries invalidated)"), std::string::npos)
      << out;
  const nlohmann::json j = nlohmann::json::parse(json.read());
  EXPECT_EQ(j["iommu"]["device_tlb"]["devices"]["00:03.0"]["hits"], 5);
  // Without the configuration: no device TLB, no such line.
  const std::string plain = std::string(VTDSIM_BINARY) + " replay " + trace.path() + " 2>&1";
  p = ::popen(plain.c_str(), "r");
  ASSERT_NE(p, nullptr);
  out.clear();
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  ::pclose(p);
  EXPECT_EQ(out.find("device TLB"), std::string::npos) << out;
  EXPECT_NE(out.find("faults        2"), std::string::npos) << out;
}

}  // namespace
