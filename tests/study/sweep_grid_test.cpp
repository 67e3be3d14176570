// Sweep grid expansion, sharding and CSV merge.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "vtdsim/study/csv_table.hpp"
#include "vtdsim/study/sweep_grid.hpp"

namespace vtdsim::study {
namespace {

TEST(SweepGrid, ParsesAxesAndNormalisesKeys) {
  const auto axes = parse_grid({"iotlb.entries=16,32, 64,128", "iommu.iotlb.ways=1,4,full", "iotlb.policy=lru,plru"});
  ASSERT_EQ(axes.size(), 3u);
  EXPECT_EQ(axes[0].key, "iommu.iotlb.entries");
  EXPECT_EQ(axes[0].values, (std::vector<std::string>{"16", "32", "64", "128"}));
  EXPECT_EQ(axes[1].key, "iommu.iotlb.ways");
  EXPECT_EQ(axes[2].values, (std::vector<std::string>{"lru", "plru"}));
  EXPECT_EQ(grid_size(axes), 24u);
  EXPECT_EQ(full_config_key("replay.warmup"), "replay.warmup");
}

TEST(SweepGrid, RejectsBadSpecs) {
  EXPECT_THROW(parse_grid_axis("iotlb.entries"), std::invalid_argument);
  EXPECT_THROW(parse_grid_axis("iotlb.entries="), std::invalid_argument);
  EXPECT_THROW(parse_grid_axis("iotlb.entries=16,,32"), std::invalid_argument);
  EXPECT_THROW(parse_grid_axis("iotlb.entries=16,16"), std::invalid_argument);
  EXPECT_THROW(parse_grid_axis("=16"), std::invalid_argument);
  EXPECT_THROW(parse_grid({"iotlb.ways=1", "iommu.iotlb.ways=2"}), std::invalid_argument);
}

TEST(SweepGrid, CartesianProductLastAxisFastest) {
  const auto axes = parse_grid({"a.x=1,2", "a.y=p,q,r"});
  EXPECT_EQ(grid_point(axes, 0), (std::vector<std::string>{"1", "p"}));
  EXPECT_EQ(grid_point(axes, 1), (std::vector<std::string>{"1", "q"}));
  EXPECT_EQ(grid_point(axes, 3), (std::vector<std::string>{"2", "p"}));
  EXPECT_EQ(grid_point(axes, 5), (std::vector<std::string>{"2", "r"}));
  EXPECT_THROW(grid_point(axes, 6), std::out_of_range);
  EXPECT_EQ(grid_assignments(axes, 4), (std::vector<std::string>{"iommu.a.x=2", "iommu.a.y=q"}));
  // Every combination exactly once.
  std::set<std::vector<std::string>> all;
  for (std::uint64_t i = 0; i < grid_size(axes); ++i) all.insert(grid_point(axes, i));
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(grid_size({}), 1u);
  EXPECT_TRUE(grid_point({}, 0).empty());
}

TEST(SweepGrid, ShardsAreDisjointAndCoverTheGrid) {
  for (std::uint64_t size : {0ull, 1ull, 7ull, 24ull, 100ull}) {
    for (std::uint32_t n : {1u, 2u, 3u, 5u, 8u}) {
      std::vector<int> seen(size, 0);
      for (std::uint32_t k = 1; k <= n; ++k)
        for (auto p : shard_points(size, Shard{k, n})) ++seen[p];
      for (std::uint64_t p = 0; p < size; ++p) EXPECT_EQ(seen[p], 1) << size << " " << n << " point " << p;
    }
  }
  EXPECT_EQ(shard_points(10, parse_shard("2/3")), (std::vector<std::uint64_t>{1, 4, 7}));
  EXPECT_THROW(parse_shard("0/3"), std::invalid_argument);
  EXPECT_THROW(parse_shard("4/3"), std::invalid_argument);
  EXPECT_THROW(parse_shard("3"), std::invalid_argument);
  EXPECT_THROW(parse_shard("a/3"), std::invalid_argument);
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "vtdsim_merge_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(CsvTable, QuotingRoundTrip) {
  const std::vector<std::string> fields{"plain", "a,b", "say \"hi\"", ""};
  EXPECT_EQ(csv_line(fields), "plain,\"a,b\",\"say \"\"hi\"\"\",");
  EXPECT_EQ(parse_csv_line(csv_line(fields)), fields);
  EXPECT_THROW(parse_csv_line("\"open"), std::invalid_argument);
}

// A line break in a field (an error message) becomes a space before quoting, so writing a field
// read back from a CSV gives the same bytes (merged shards equal the sweep).
TEST(CsvTable, LineBreaksBecomeSpacesAndRewriteToTheSameBytes) {
  EXPECT_EQ(csv_field("error: bad\nvalue"), "error: bad value");
  EXPECT_EQ(csv_field("a\r\nb,c"), "\"a  b,c\"");
  for (const std::string text : {"x\ny", "x\n\"y\"", "p,\nq"}) {
    const std::string once = csv_line({text});
    EXPECT_EQ(csv_line(parse_csv_line(once)), once) << text;
  }
}

TEST(CsvTable, MergeJoinsShardsSortedByPoint) {
  const auto a = write_file("a.csv", "point,entries,hits\n0,16,5\n2,64,9\n");
  const auto b = write_file("b.csv", "point,entries,hits\n1,32,7\n3,128,\"error: x, y\"\n");
  const CsvTable m = merge_csv({b, a});
  EXPECT_EQ(m.header, (std::vector<std::string>{"point", "entries", "hits"}));
  ASSERT_EQ(m.rows.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(m.rows[i][0], std::to_string(i));
  EXPECT_EQ(m.rows[3][2], "error: x, y");
}

TEST(CsvTable, MergeRejectsDuplicatesAndHeaderMismatch) {
  const auto a = write_file("d1.csv", "point,entries\n0,16\n1,32\n");
  const auto b = write_file("d2.csv", "point,entries\n1,32\n");
  try {
    merge_csv({a, b});
    FAIL() << "duplicate point accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("point 1 is also in"), std::string::npos) << e.what();
  }
  const auto c = write_file("d3.csv", "point,ways\n2,4\n");
  EXPECT_THROW(merge_csv({a, c}), std::runtime_error);
  const auto d = write_file("d4.csv", "point,entries\n2\n");
  EXPECT_THROW(merge_csv({a, d}), std::runtime_error);
  const auto e = write_file("d5.csv", "entries\n2\n");
  EXPECT_THROW(merge_csv({e}), std::runtime_error);
}

}  // namespace
}  // namespace vtdsim::study
