// What a platform author's translation unit pays for including the SystemC IOMMU module
// (docs/embedding.md): its header, followed through every `#include "vtdsim/..."`, must not pull
// in the JSON or YAML libraries (the stats JSON and configuration loading are compiled in
// vtdsim's own sources). Reads the tree; fails naming the header that includes one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace vtdsim {
namespace {

namespace fs = std::filesystem;

// The target of `#include "..."` or `#include <...>` on this line (with its delimiters), or "".
std::string include_target(const std::string& line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '#') return "";
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || line.compare(i, 7, "include") != 0) return "";
  i = line.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || (line[i] != '"' && line[i] != '<')) return "";
  const char close = line[i] == '"' ? '"' : '>';
  const std::size_t end = line.find(close, i + 1);
  return end == std::string::npos ? "" : line.substr(i, end - i + 1);
}

// Every system include reached from `header` through project headers, with who included it.
void closure(const fs::path& include_dir, const std::string& header, std::set<std::string>& seen,
             std::vector<std::pair<std::string, std::string>>& system) {
  if (!seen.insert(header).second) return;
  std::ifstream in(include_dir / header);
  ASSERT_TRUE(in) << header;
  std::string line;
  while (std::getline(in, line)) {
    const std::string t = include_target(line);
    if (t.empty()) continue;
    if (t.front() == '"' && t.compare(1, 7, "vtdsim/") == 0)
      closure(include_dir, t.substr(1, t.size() - 2), seen, system);
    else if (t.front() == '<')
      system.emplace_back(t, header);
  }
}

TEST(HeaderWeight, IommuModuleHeaderPullsInNoJsonOrYaml) {
  const fs::path include_dir = fs::path(VTDSIM_SOURCE_DIR) / "include";
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> system;
  closure(include_dir, "vtdsim/sysc/iommu_module.hpp", seen, system);
  EXPECT_GT(seen.size(), 10u);  // the walk did follow the includes
  for (const auto& [target, by] : system) {
    EXPECT_NE(target, "<nlohmann/json.hpp>") << "included by " << by;
    EXPECT_NE(target, "<yaml-cpp/yaml.h>") << "included by " << by;
  }
}

}  // namespace
}  // namespace vtdsim
