// The study subcommands end to end through the vtdsim binary: convert round trips, mrc CSV,
// sweep shards joined by merge equal to the full sweep, exit codes for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "vtdsim/study/csv_table.hpp"

namespace {

const std::string kBin = VTDSIM_BINARY;
const std::string kSample = std::string(VTDSIM_SOURCE_DIR) + "/traces/sample.trace";
const std::string kQemuBin = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.bin.zst";

std::string tmp(const std::string& name) { return ::testing::TempDir() + "vtdsim_cli_" + name; }

int run(const std::string& args) {
  const int status = std::system((kBin + " " + args + " 2>/dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(StudiesCli, ConvertRoundTrips) {
  ASSERT_EQ(run("convert " + kSample + " " + tmp("s.trace")), 0);
  ASSERT_EQ(run("convert " + kSample + " " + tmp("s.bin")), 0);
  ASSERT_EQ(run("convert " + tmp("s.bin") + " " + tmp("s.zst") + " --to binary-zstd"), 0);
  ASSERT_EQ(run("convert " + tmp("s.zst") + " " + tmp("s2.trace")), 0);
  EXPECT_EQ(slurp(tmp("s.trace")), slurp(tmp("s2.trace")));
  EXPECT_EQ(slurp(tmp("s.bin")).substr(0, 8), std::string("VTDSTRC\x1a"));
  EXPECT_EQ(slurp(tmp("s.bin")).size(), 16u + 16u * 80u);  // 16 events
  EXPECT_EQ(run("convert " + tmp("nope") + " " + tmp("x.bin")), 1);
  EXPECT_EQ(run("convert " + kSample + " " + tmp("x") + " --to csv"), 2);
}

TEST(StudiesCli, MrcWritesOneRowPerSize) {
  ASSERT_EQ(run("mrc " + kQemuBin + " --config " + VTDSIM_SOURCE_DIR +
                "/configs/qemu.yaml --set iotlb.organization=shared --max-entries 64 --csv " + tmp("m.csv")),
            0);
  const auto table = vtdsim::study::read_csv(tmp("m.csv"));
  ASSERT_EQ(table.rows.size(), 64u);
  EXPECT_EQ(table.rows[0][0], "1");
  EXPECT_EQ(table.rows[0][1], "2536");  // IOTLB lookups of the shared log
  EXPECT_EQ(table.rows[63][2], "783");  // hits at 64 entries (tests/study/mrc_test.cpp checks vs replays)
  // qemu organization is not LRU: a usage error.
  EXPECT_EQ(run("mrc " + kQemuBin + " --config " + VTDSIM_SOURCE_DIR + "/configs/qemu.yaml --csv " + tmp("m2.csv")), 2);
}

// `mrc --sets S`: every row equals what `vtdsim replay` counts with iotlb.entries = S x W,
// iotlb.ways = W, LRU (IOTLB hits of all page sizes in the replay's JSON).
TEST(StudiesCli, SetAssociativeMrcEqualsReplays) {
  const std::string cfg = " --config " + std::string(VTDSIM_SOURCE_DIR) + "/configs/qemu.yaml";
  ASSERT_EQ(
      run("mrc " + kQemuBin + cfg + " --set iotlb.organization=shared --sets 16 --max-ways 4 --csv " + tmp("ms.csv")),
      0);
  const auto table = vtdsim::study::read_csv(tmp("ms.csv"));
  ASSERT_EQ(table.header, (std::vector<std::string>{"sets", "ways", "entries", "lookups", "hits", "misses", "hit_rate",
                                                    "miss_ratio"}));
  ASSERT_EQ(table.rows.size(), 4u);
  for (int w = 1; w <= 4; ++w) {
    const auto& row = table.rows[w - 1];
    EXPECT_EQ(row[0], "16");
    EXPECT_EQ(row[1], std::to_string(w));
    EXPECT_EQ(row[2], std::to_string(16 * w));
    ASSERT_EQ(
        run("replay " + kQemuBin + cfg +
            " --set iommu.iotlb.organization=shared --set iommu.iotlb.policy=lru --set iommu.iotlb.entries=" +
            std::to_string(16 * w) + " --set iommu.iotlb.ways=" + std::to_string(w) + " -q --json " + tmp("r.json")),
        0);
    std::ifstream in(tmp("r.json"));
    const auto json = nlohmann::json::parse(in);
    const auto& iotlb = json["iommu"]["caches"]["iotlb"];
    const std::uint64_t hits = iotlb["4k"]["hits"].get<std::uint64_t>() + iotlb["2m"]["hits"].get<std::uint64_t>() +
                               iotlb["1g"]["hits"].get<std::uint64_t>();
    EXPECT_EQ(row[4], std::to_string(hits)) << "16 sets x " << w << " ways";
  }
  EXPECT_EQ(table.rows[2][4], "783");  // 16 x 3, as `replay` counts it (checked by hand)
  // --max-entries is the fully associative curve, --max-ways needs --sets: usage errors.
  EXPECT_EQ(
      run("mrc " + kQemuBin + cfg + " --set iotlb.organization=shared --sets 16 --max-entries 8 --csv " + tmp("x.csv")),
      2);
  EXPECT_EQ(run("mrc " + kQemuBin + cfg + " --set iotlb.organization=shared --max-ways 8 --csv " + tmp("x.csv")), 2);
}

TEST(StudiesCli, ShardsMergeToTheFullSweep) {
  const std::string grid = " --grid iotlb.entries=6,16,64 --grid iotlb.ways=1,4,full --grid iotlb.policy=lru,plru";
  ASSERT_EQ(run("sweep " + kSample + grid + " --jobs 2 --csv " + tmp("full.csv")), 0);
  for (int k = 1; k <= 3; ++k)
    ASSERT_EQ(
        run("sweep " + kSample + grid + " --shard " + std::to_string(k) + "/3 --csv " + tmp("p" + std::to_string(k))),
        0);
  ASSERT_EQ(run("merge " + tmp("merged.csv") + " " + tmp("p3") + " " + tmp("p1") + " " + tmp("p2")), 0);
  EXPECT_EQ(slurp(tmp("merged.csv")), slurp(tmp("full.csv")));
  const auto table = vtdsim::study::read_csv(tmp("full.csv"));
  ASSERT_EQ(table.rows.size(), 18u);
  int errors = 0;
  for (const auto& row : table.rows) errors += row[4].rfind("error:", 0) == 0;
  EXPECT_EQ(errors, 3);  // 6 entries with 4 ways; 6-way (full) tree-PLRU
  EXPECT_EQ(run("merge " + tmp("bad.csv") + " " + tmp("p1") + " " + tmp("p1")), 2);
  EXPECT_EQ(run("sweep " + kSample + " --grid iotlb.entries --csv " + tmp("x.csv")), 2);
  EXPECT_EQ(run("sweep " + kSample + grid + " --shard 4/3 --csv " + tmp("x.csv")), 2);
}

}  // namespace
