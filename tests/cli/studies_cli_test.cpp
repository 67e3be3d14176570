// The study subcommands end to end through the vtdsim binary: convert round trips, mrc CSV,
// sweep shards joined by merge equal to the full sweep, exit codes for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

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
