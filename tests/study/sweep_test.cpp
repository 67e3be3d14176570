// Sweeps: planning (config errors become error rows), parallel runs equal to serial ones, shards
// that together give the full grid, and agreement with the one-pass miss-ratio curve.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "vtdsim/trace/vector_trace_source.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/study/csv_table.hpp"
#include "vtdsim/study/iotlb_mrc.hpp"
#include "vtdsim/study/sweep.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim::study {
namespace {

// A small trace: one device, 96 pages, a loop over them with a hot subset, strict unmaps.
std::vector<trace::TraceEvent> loop_trace() {
  std::vector<trace::TraceEvent> ev;
  std::string text =
      "0 context 00:02.0 1 translated levels=4\n"
      "0 map 1 0x100000 0x4000000 0x60000 rw\n";
  std::uint64_t t = 1;
  for (int round = 0; round < 40; ++round) {
    for (int p = 0; p < 96; p += (round % 3) + 1) {
      text += std::to_string(t++) + " dma 00:02.0 r " + std::to_string(0x100000 + p * 4096) + " 64\n";
      text += std::to_string(t++) + " dma 00:02.0 w " + std::to_string(0x100000 + (p % 8) * 4096) + " 64\n";
    }
    text += std::to_string(t++) + " inv iotlb page did=1 addr=" + std::to_string(0x100000 + round * 4096) + "\n";
  }
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    trace::TraceEvent e;
    if (trace::parse_text_event(text.substr(start, end - start), e)) ev.push_back(e);
    start = end + 1;
  }
  return ev;
}

std::vector<GridAxis> test_axes() {
  return parse_grid({"iotlb.entries=6,16,32,64", "iotlb.ways=1,4,full", "iotlb.policy=lru,plru"});
}

TEST(Sweep, PlanMarksInvalidCombinations) {
  const YAML::Node base = config::load_config_text("", "<test>");
  const SweepPlan plan = plan_sweep(base, test_axes(), Shard{});
  ASSERT_EQ(plan.points.size(), 24u);
  int invalid = 0;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const auto values = grid_point(plan.axes, plan.points[i]);
    // 4 ways do not divide 6 entries; tree-PLRU needs a power-of-two number of ways (6 = full).
    const bool bad = values[0] == "6" && (values[1] == "4" || (values[1] == "full" && values[2] == "plru"));
    ASSERT_EQ(!plan.configs[i].has_value(), bad) << values[0] << "," << values[1] << "," << values[2];
    if (bad) {
      ++invalid;
      EXPECT_NE(plan.errors[i].find("iommu.iotlb"), std::string::npos) << plan.errors[i];
    } else {
      const auto& g = plan.configs[i]->caches.iotlb;
      EXPECT_EQ(g.entries, std::stoul(values[0]));
      EXPECT_EQ(g.ways, values[1] == "full" ? g.entries : std::stoul(values[1]));
      EXPECT_EQ(g.policy, values[2] == "lru" ? config::ReplacementPolicy::kLru : config::ReplacementPolicy::kPlru);
    }
  }
  EXPECT_EQ(invalid, 3);
}

TEST(Sweep, BaseTreeAndOverridesApplyToEveryPoint) {
  const YAML::Node base = config::load_config_text("iommu:\n  timing:\n    memory_read: 7\n", "<test>",
                                                   {"iommu.iotlb.organization=per_size"});
  const SweepPlan plan = plan_sweep(base, parse_grid({"iotlb.entries=8,16"}), Shard{});
  ASSERT_EQ(plan.configs.size(), 2u);
  for (const auto& c : plan.configs) {
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->timing.memory_read, 7u);
    EXPECT_EQ(c->caches.iotlb_organization, config::IotlbOrganization::kPerSize);
  }
  EXPECT_EQ(plan.configs[1]->caches.iotlb.entries, 16u);
}

TEST(Sweep, ParallelEqualsSerialAndShardsCoverTheGrid) {
  const auto events = loop_trace();
  const auto open = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  const PointRunner runner = [&open](const config::UnitConfig& c) { return replay_point(c, open); };
  const YAML::Node base = config::load_config_text("", "<test>");
  const auto axes = test_axes();

  const auto serial = run_sweep(plan_sweep(base, axes, Shard{}), 1, runner);
  const auto parallel = run_sweep(plan_sweep(base, axes, Shard{}), 3, runner);
  ASSERT_EQ(serial.size(), 24u);
  ASSERT_EQ(parallel.size(), 24u);
  for (std::size_t i = 0; i < serial.size(); ++i) {
    EXPECT_EQ(serial[i].point, i);
    EXPECT_EQ(sweep_csv_row(serial[i]), sweep_csv_row(parallel[i]));
  }
  // Rows carry real statistics: more entries never lose hits for full LRU, and 1-way 16 entries
  // thrash more than fully associative 64.
  std::map<std::string, PointStats> by_config;
  for (const auto& r : serial) {
    if (r.status == "ok") {
      EXPECT_GT(r.stats.translations, 0u);
      by_config[r.values[0] + "/" + r.values[1] + "/" + r.values[2]] = r.stats;
    } else {
      EXPECT_EQ(r.status.rfind("error: ", 0), 0u);
    }
  }
  EXPECT_LT(by_config["16/1/lru"].iotlb_hits, by_config["64/full/lru"].iotlb_hits);
  EXPECT_LE(by_config["16/full/lru"].iotlb_hits, by_config["32/full/lru"].iotlb_hits);

  // Three shards: disjoint, and their rows together are exactly the full run's rows.
  std::map<std::uint64_t, std::vector<std::string>> joined;
  for (std::uint32_t k = 1; k <= 3; ++k) {
    for (const auto& r : run_sweep(plan_sweep(base, axes, Shard{k, 3}), 2, runner)) {
      EXPECT_EQ(r.point % 3, k - 1);
      EXPECT_TRUE(joined.emplace(r.point, sweep_csv_row(r)).second) << "point " << r.point << " twice";
    }
  }
  ASSERT_EQ(joined.size(), serial.size());
  for (const auto& r : serial) EXPECT_EQ(joined[r.point], sweep_csv_row(r));
}

TEST(Sweep, FullLruPointsEqualTheMissRatioCurve) {
  const auto events = loop_trace();
  const auto open = [&events] { return std::make_unique<trace::VectorTraceSource>(events); };
  const PointRunner runner = [&open](const config::UnitConfig& c) { return replay_point(c, open); };
  const YAML::Node base = config::load_config_text("", "<test>");
  const auto rows = run_sweep(
      plan_sweep(base, parse_grid({"iotlb.entries=1,8,16,48,64,128", "iotlb.ways=full"}), Shard{}), 2, runner);
  trace::VectorTraceSource source(events);
  const IotlbMissRatioCurve curve = compute_iotlb_mrc(config::UnitConfig{}, source, 128);
  for (const auto& r : rows) {
    ASSERT_EQ(r.status, "ok");
    const auto n = static_cast<std::uint32_t>(std::stoul(r.values[0]));
    EXPECT_EQ(r.stats.iotlb_hits, curve.hits_at(n)) << n;
    EXPECT_EQ(r.stats.iotlb_hits + r.stats.iotlb_misses, curve.lookups()) << n;
  }
}

TEST(Sweep, CsvRowsAndErrorRows) {
  const auto axes = parse_grid({"iotlb.entries=16", "iotlb.ways=full"});
  const auto header = sweep_csv_header(axes);
  EXPECT_EQ(header.front(), "point");
  EXPECT_EQ(header[1], "iommu.iotlb.entries");
  EXPECT_EQ(header[3], "status");
  SweepRow ok{0, {"16", "full"}, "ok", PointStats{}};
  ok.stats.translations = 10;
  ok.stats.iotlb_hits = 3;
  ok.stats.iotlb_misses = 1;
  ok.stats.mean_latency = 2.5;
  ok.stats.p99_latency = 9;
  const auto row = sweep_csv_row(ok);
  ASSERT_EQ(row.size(), header.size());
  EXPECT_EQ(csv_line(row), "0,16,full,ok,10,3,1,0.750000,0,0,0,2.500,9");
  SweepRow bad{1, {"6", "4"}, "error: iommu.iotlb.ways: must divide entries, got 4", PointStats{}};
  EXPECT_EQ(sweep_csv_row(bad).size(), header.size());
}

}  // namespace
}  // namespace vtdsim::study
