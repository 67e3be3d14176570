// The README's replay table (reference trace, 2536 translations) states what the committed
// goldens pin: each row's hits, misses and walk reads equal its golden's iommu counters.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

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
  const std::string readme = read(kSrc + "/README.md");
  const std::regex row("\\| `" + config + "`[^|]*\\| (\\d+) \\| (\\d+) \\| [0-9.]+% \\| (\\d+) \\|");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(readme, m, row)) << "no README row for " << config;
  const nlohmann::json j = nlohmann::json::parse(read(kSrc + "/tests/golden/" + golden))["iommu"];
  EXPECT_EQ(std::stoull(m[1]), j["iotlb"]["hits"].get<std::uint64_t>()) << config;
  EXPECT_EQ(std::stoull(m[2]), j["iotlb"]["misses"].get<std::uint64_t>()) << config;
  EXPECT_EQ(std::stoull(m[3]), j["walk"]["reads"]["total"].get<std::uint64_t>()) << config;
}

TEST(ReadmeNumbers, ReplayTableRowsEqualTheGoldens) {
  expect_row_matches("configs/qemu-7.2.yaml", "replay-qemu-linux-strict-qemu-7.2.json");
  expect_row_matches("configs/hw-64x4.yaml", "replay-qemu-linux-strict-hw-64x4.json");
}

}  // namespace
}  // namespace vtdsim
