// `vtdsim mix` / study::TenantMix: what each tenant's copy changes, the interleaving, the narrowing
// of global invalidations, and that tenants share the IOTLB and nothing else (a large enough IOTLB
// gives each tenant the hits it has alone).
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/study/tenant_mix.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_open.hpp"
#include "vtdsim/trace/vector_trace_source.hpp"

using namespace vtdsim;
using namespace vtdsim::study;
using trace::EventKind;
using trace::TraceEvent;

namespace {

const std::string kSrc = VTDSIM_SOURCE_DIR;

MixInput input_of_text(const std::string& name, const std::string& text) {
  testutil::TempFile f(".trace");
  f.write(text);
  trace::TextTraceReader reader(f.path());
  return read_mix_input(name, reader);
}

MixInput input_of_file(const std::string& path) {
  trace::OpenedTrace opened = trace::open_trace(path);
  return read_mix_input(path, *opened.source);
}

std::vector<TraceEvent> all(TenantMix& mix) {
  std::vector<TraceEvent> out;
  while (auto e = mix.next()) out.push_back(*e);
  return out;
}

std::uint64_t iotlb_hits(const std::vector<TraceEvent>& events, const config::UnitConfig& cfg) {
  trace::Replayer replayer(cfg);
  trace::VectorTraceSource source(events);
  replayer.run(source);
  return replayer.to_json()["iommu"]["iotlb"]["hits"].get<std::uint64_t>();
}

const char* kTwoDevices =
    "0 context 00:02.0 7 translated levels=4\n"
    "0 context 00:03.0 9 translated levels=4\n"
    "10 map 7 0x10000 0x200000 0x2000 rw\n"
    "10 map 9 0x10000 0x300000 0x1000 rw\n"
    "20 dma 00:02.0 r 0x10000 64\n"
    "30 dma 00:03.0 r 0x10000 64\n"
    "40 dma 00:02.0 r 0x11000 64\n"
    "50 inv iotlb global\n"
    "60 dma 00:02.0 r 0x10000 64\n";

}  // namespace

TEST(TenantMix, EachTenantGetsItsOwnSourcesDomainsAndMemory) {
  TenantMixOptions o;
  o.tenants = 2;
  TenantMix mix({input_of_text("a", kTwoDevices)}, o);
  EXPECT_EQ(mix.host_stride(), 0x400000u);  // above 0x300000 + 0x1000
  const auto events = all(mix);
  std::vector<TraceEvent> maps, contexts, dmas, invs;
  std::uint64_t last = 0;
  for (const auto& e : events) {
    EXPECT_GE(e.time_ns, last);
    last = e.time_ns;
    (e.kind == EventKind::kMap       ? maps
     : e.kind == EventKind::kContext ? contexts
     : e.kind == EventKind::kDma     ? dmas
                                     : invs)
        .push_back(e);
  }
  ASSERT_EQ(contexts.size(), 4u);
  ASSERT_EQ(maps.size(), 4u);
  ASSERT_EQ(dmas.size(), 8u);
  // Round robin, one DMA each: tenant 0's events up to its first DMA, then tenant 1's.
  EXPECT_EQ(contexts[0].source, SourceId::from_bdf(0, 2, 0));
  EXPECT_EQ(contexts[0].domain, DomainId(1));  // 7 -> 1, 9 -> 2 for tenant 0
  EXPECT_EQ(contexts[1].domain, DomainId(2));
  EXPECT_EQ(contexts[2].source, SourceId::from_bdf(1, 2, 0));
  EXPECT_EQ(contexts[2].domain, DomainId(3));  // tenant 1: 3 and 4
  EXPECT_EQ(contexts[3].domain, DomainId(4));
  EXPECT_EQ(maps[2].host, HostAddr(0x200000 + 0x400000));
  EXPECT_EQ(dmas[0].source, SourceId::from_bdf(0, 2, 0));
  EXPECT_EQ(dmas[1].source, SourceId::from_bdf(1, 2, 0));
  EXPECT_EQ(dmas[2].source, SourceId::from_bdf(0, 3, 0));
  // Each tenant's global IOTLB invalidation became domain-selective ones of its own domains.
  ASSERT_EQ(invs.size(), 4u);
  for (const auto& e : invs) EXPECT_EQ(e.invalidation.granularity, core::InvalidationGranularity::kDomain);
  EXPECT_EQ(invs[0].invalidation.domain, DomainId(1));
  EXPECT_EQ(invs[1].invalidation.domain, DomainId(2));
  EXPECT_EQ(invs[2].invalidation.domain, DomainId(3));
  EXPECT_EQ(invs[3].invalidation.domain, DomainId(4));
}

TEST(TenantMix, BurstsAndSeededRandomInterleaving) {
  TenantMixOptions o;
  o.tenants = 3;
  o.burst = 2;
  TenantMix rr({input_of_text("a", kTwoDevices)}, o);
  std::vector<std::uint16_t> order;
  for (const auto& e : all(rr))
    if (e.kind == EventKind::kDma) order.push_back(static_cast<std::uint16_t>(e.source.value >> 8));
  EXPECT_EQ(order, (std::vector<std::uint16_t>{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2}));
  o.interleave = Interleave::kRandom;
  o.seed = 7;
  auto random_order = [&] {
    TenantMix mix({input_of_text("a", kTwoDevices)}, o);
    std::vector<std::uint16_t> v;
    for (const auto& e : all(mix))
      if (e.kind == EventKind::kDma) v.push_back(static_cast<std::uint16_t>(e.source.value >> 8));
    return v;
  };
  const auto first = random_order();
  EXPECT_EQ(first, random_order());  // the seed decides
  EXPECT_EQ(first.size(), 12u);
}

// Tenants share the IOTLB and nothing else: with room for every tenant's pages, each has the
// hits it has alone; a 64-entry IOTLB shared by four tenants hits less.
TEST(TenantMix, TenantsShareOnlyTheIotlb) {
  const MixInput ref = input_of_file(kSrc + "/traces/qemu-linux-strict.bin.zst");
  config::UnitConfig big = config::load_unit_config(kSrc + "/configs/hw-64x4.yaml");
  big.caches.iotlb.entries = 4096;
  big.caches.iotlb.ways = 4096;
  TenantMixOptions o;
  o.tenants = 1;
  TenantMix one({ref}, o);
  const auto alone = all(one);
  EXPECT_EQ(iotlb_hits(alone, big), iotlb_hits(ref.events, big));  // a copy is the trace itself
  o.tenants = 4;
  TenantMix four({ref}, o);
  const auto mixed = all(four);
  EXPECT_EQ(iotlb_hits(mixed, big), 4 * iotlb_hits(alone, big));
  const config::UnitConfig small = config::load_unit_config(kSrc + "/configs/hw-64x4.yaml");
  EXPECT_LT(iotlb_hits(mixed, small), 4 * iotlb_hits(alone, small));
}

TEST(TenantMix, MixesThatCannotBeMadeSayWhy) {
  TenantMixOptions o;
  o.tenants = 2;
  try {
    TenantMix mix({input_of_text("a", "0 context ff:02.0 1 translated\n")}, o);
    FAIL() << "bus 0xff + 1 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "mix: 2 tenants need buses up to 256 (source-ids have 8 bus bits)");
  }
  o.tenants = 0;
  EXPECT_THROW(TenantMix({input_of_text("a", kTwoDevices)}, o), std::invalid_argument);
  EXPECT_THROW(TenantMix({}, TenantMixOptions{}), std::invalid_argument);
}

TEST(TenantMix, CommandLine) {
  const std::string bin = VTDSIM_BINARY;
  const std::string out = ::testing::TempDir() + "vtdsim_mix.bin";
  EXPECT_EQ(std::system((bin + " mix " + kSrc + "/traces/sample.trace " + kSrc +
                         "/traces/qemu/q10-sm-strict.log.zst --tenants 3 --burst 4 -o " + out + " 2>/dev/null")
                            .c_str()),
            0);
  EXPECT_EQ(std::system((bin + " replay " + out + " --quiet 2>/dev/null").c_str()), 0);
  EXPECT_NE(std::system((bin + " mix " + kSrc + "/traces/sample.trace --tenants 0 -o " + out + " 2>/dev/null").c_str()),
            0);
  const int status = std::system((bin + " mix /nonexistent --tenants 2 -o " + out + " 2>/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

// One unit, one root-table format: a legacy input mixed with a scalable-mode one gets stage=second
// contexts, and the mix replays with the legacy tenant's translations unchanged.
TEST(TenantMix, LegacyContextsBecomeScalableBesideScalableOnes) {
  const std::string scalable =
      std::string(kTwoDevices).replace(std::string(kTwoDevices).find("levels=4\n"), 9, "levels=4 stage=second\n");
  TenantMixOptions o;
  o.tenants = 2;
  TenantMix mix({input_of_text("legacy", kTwoDevices), input_of_text("scalable", scalable)}, o);
  EXPECT_TRUE(mix.legacy_contexts_made_scalable());
  const std::vector<TraceEvent> events = all(mix);
  for (const TraceEvent& e : events) {
    if (e.kind == trace::EventKind::kContext) {
      EXPECT_EQ(e.stage, trace::ContextStage::kSecond);
    }
  }
  trace::Replayer replayer{config::UnitConfig{}};
  trace::VectorTraceSource source(events);
  replayer.run(source);
  const nlohmann::json j = replayer.to_json()["iommu"];
  EXPECT_EQ(j["translations"], 8);
  EXPECT_EQ(j["faults"]["total"], 0);
  EXPECT_EQ(j["walk"]["reads"]["pasid_table"], 4) << "4 devices' scalable context misses";
  TenantMix same({input_of_text("legacy", kTwoDevices)}, o);
  EXPECT_FALSE(same.legacy_contexts_made_scalable());
}
