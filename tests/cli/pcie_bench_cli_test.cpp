// `vtdsim pcie-bench` end to end: the CSV's columns and rows, and exit 2 for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "vtdsim/study/csv_table.hpp"

namespace {

const std::string kBin = VTDSIM_BINARY;
const std::string kPreset = std::string(VTDSIM_SOURCE_DIR) + "/configs/pcie-bench-bdw.yaml";

std::string tmp(const std::string& name) { return ::testing::TempDir() + "vtdsim_pb_" + name; }

int run(const std::string& args) {
  const int status = std::system((kBin + " pcie-bench " + args + " 2>/dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PcieBenchCli, OneRowPerWindow) {
  ASSERT_EQ(run("--config " + kPreset + " --iommu 4k --window 4K,512K,64M --set pcie_bench.device.measure=5000 --csv " +
                tmp("a.csv")),
            0);
  const auto t = vtdsim::study::read_csv(tmp("a.csv"));
  const std::vector<std::string> want = {"op",         "iommu",       "memory",       "window_bytes", "transfer_bytes",
                                         "gbit_per_s", "lat_mean_ns", "lat_median_ns"};
  ASSERT_GE(t.header.size(), want.size());
  EXPECT_EQ(std::vector<std::string>(t.header.begin(), t.header.begin() + 8), want);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][0], "read");
  EXPECT_EQ(t.rows[0][1], "4k");
  EXPECT_EQ(t.rows[0][2], "local");
  EXPECT_EQ(t.rows[0][3], "4096");
  EXPECT_EQ(t.rows[2][3], "67108864");
  EXPECT_EQ(t.rows[2][4], "64");
  // The knee: 64 MiB has a fraction of the bandwidth of 4 KiB and ~300 ns more latency.
  EXPECT_LT(std::stod(t.rows[2][5]), 0.5 * std::stod(t.rows[0][5]));
  EXPECT_GT(std::stod(t.rows[2][6]), std::stod(t.rows[0][6]) + 250);
}

TEST(PcieBenchCli, JsonHasTheIommuStatsTree) {
  ASSERT_EQ(run("--config " + kPreset +
                " --iommu 4k --window 64K,64M --set pcie_bench.device.measure=3000 --set pcie_bench.device.warmup=1000"
                " --set pcie_bench.device.latency_measure=500 --csv " +
                tmp("j.csv") + " --json " + tmp("j.json")),
            0);
  std::ifstream in(tmp("j.json"));
  const nlohmann::json j = nlohmann::json::parse(in)["pcie_bench"];
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["window_bytes"].get<std::uint64_t>(), 64u << 20);
  // Every 64 B DMA issued (1000 warm-up + 3000 measured) is one translation.
  const nlohmann::json& t = j[1]["bandwidth"]["iommu"];
  EXPECT_EQ(t["translations"].get<std::uint64_t>(), 4000u);
  EXPECT_EQ(j[0]["bandwidth"]["iommu"]["iotlb"]["misses"].get<std::uint64_t>(), 16u);  // 16 pages, cold
  EXPECT_GT(t["iotlb"]["misses"].get<std::uint64_t>(), 3900u);
  EXPECT_EQ(j[1]["latency"]["iommu"]["translations"].get<std::uint64_t>(), 1500u);
}

TEST(PcieBenchCli, SweepsTheDefaultWindows) {
  ASSERT_EQ(run("--config " + kPreset +
                " --iommu off --op write --memory remote --pattern sequential --set pcie_bench.device.measure=2000"
                " --set pcie_bench.device.warmup=100 --set pcie_bench.device.latency_measure=200 --csv " +
                tmp("b.csv")),
            0);
  const auto t = vtdsim::study::read_csv(tmp("b.csv"));
  ASSERT_EQ(t.rows.size(), 15u);  // 4 KiB .. 64 MiB, the published windows
  EXPECT_EQ(t.rows[0][0], "write");
  EXPECT_EQ(t.rows[0][2], "remote");
  EXPECT_EQ(t.rows[0][3], "4096");
  EXPECT_EQ(t.rows[14][3], "67108864");
}

TEST(PcieBenchCli, BadInputExits2) {
  const std::string base = "--config " + kPreset + " --iommu 4k --csv " + tmp("c.csv") + " ";
  EXPECT_EQ(run(base + "--transfer 0"), 2);
  EXPECT_EQ(run(base + "--transfer 48"), 2);
  EXPECT_EQ(run(base + "--transfer 64 --window 32"), 2);
  EXPECT_EQ(run(base + "--window 4K,100"), 2);
  EXPECT_EQ(run(base + "--window 4X"), 2);
  EXPECT_EQ(run(base + "--frobnicate"), 2);
  EXPECT_EQ(run(base + "--iommu 1g"), 2);
  EXPECT_EQ(run("--config " + kPreset + " --csv " + tmp("c.csv")), 2);  // --iommu is required
  EXPECT_EQ(run(base + "--set pcie_bench.link.lanes=3"), 2);
  EXPECT_EQ(run(base + "--set iommu.timing.memory_read=50"), 2);
  EXPECT_EQ(run(base + "--transfer 64 --window 4K --set pcie_bench.device.outstanding=0"), 2);
  // A 32 KiB read is 64 read requests of 512 B: more than the preset's 34 tags.
  EXPECT_EQ(run(base + "--transfer 32K --window 64K"), 2);
  EXPECT_EQ(run(base + "--engine gem5"), 2);
}

#ifdef VTDSIM_HAVE_SYSTEMC
TEST(PcieBenchCli, SystemcEngineWritesTheSameColumnsAndAgrees) {
  const std::string args = "--config " + kPreset +
                           " --iommu 4k --window 4K,64M --set pcie_bench.device.measure=5000"
                           " --set pcie_bench.device.warmup=2000 --set pcie_bench.device.latency_measure=2000 --csv ";
  ASSERT_EQ(run(args + tmp("des.csv") + " --engine des"), 0);
  ASSERT_EQ(run(args + tmp("sc.csv") + " --engine systemc --json " + tmp("sc.json")), 0);
  const auto des = vtdsim::study::read_csv(tmp("des.csv"));
  const auto sc = vtdsim::study::read_csv(tmp("sc.csv"));
  EXPECT_EQ(sc.header, des.header);
  ASSERT_EQ(sc.rows.size(), 2u);
  ASSERT_EQ(des.rows.size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t c = 0; c < 5; ++c) EXPECT_EQ(sc.rows[r][c], des.rows[r][c]);
    for (std::size_t c : {5u, 6u}) {  // gbit_per_s, lat_mean_ns within 1 %
      const double d = std::stod(des.rows[r][c]);
      EXPECT_NEAR(std::stod(sc.rows[r][c]), d, 0.01 * d) << "row " << r << " column " << des.header[c];
    }
  }
  std::ifstream in(tmp("sc.json"));
  const nlohmann::json j = nlohmann::json::parse(in)["pcie_bench"];
  EXPECT_EQ(j[0]["engine"], "systemc");
  EXPECT_EQ(j[1]["bandwidth"]["iommu"]["translations"].get<std::uint64_t>(), 7000u);  // the IommuModule's Iommu
}
#endif

}  // namespace
