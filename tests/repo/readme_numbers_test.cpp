// The README's replay table (reference trace, 2536 translations) states what the committed
// goldens pin: each row's hits, misses and walk reads equal its golden's iommu counters.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace vtdsim {
namespace {

const std::string kSrc = VTDSIM_SOURCE_DIR;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The README row whose first cell is `config`: hits, misses, walk reads.
void expect_row_matches(const std::string& config, const std::string& golden) {
  // The first line starting "| `config`", split at "|": name, hits, misses, hit rate, walk reads.
  // (No std::regex: GCC 12 warns inside it under -O2 with sanitizers, and warnings are errors.)
  std::istringstream readme(read(kSrc + "/README.md"));
  std::string line;
  std::vector<std::string> cells;
  while (std::getline(readme, line)) {
    if (line.rfind("| `" + config + "`", 0) != 0) continue;
    std::istringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
    break;
  }
  ASSERT_GE(cells.size(), 5u) << "no README row for " << config;
  const nlohmann::json j = nlohmann::json::parse(read(kSrc + "/tests/golden/" + golden))["iommu"];
  EXPECT_EQ(std::stoull(cells[1]), j["iotlb"]["hits"].get<std::uint64_t>()) << config;
  EXPECT_EQ(std::stoull(cells[2]), j["iotlb"]["misses"].get<std::uint64_t>()) << config;
  EXPECT_EQ(std::stoull(cells[4]), j["walk"]["reads"]["total"].get<std::uint64_t>()) << config;
}

TEST(ReadmeNumbers, ReplayTableRowsEqualTheGoldens) {
  expect_row_matches("configs/qemu-7.2.yaml", "replay-qemu-linux-strict-qemu-7.2.json");
  expect_row_matches("configs/hw-64x4.yaml", "replay-qemu-linux-strict-hw-64x4.json");
}

}  // namespace
}  // namespace vtdsim
