// The include graph between areas (docs/architecture.md "Dependencies point one way"): every
// `#include "vtdsim/<area>/..."` of an area's headers and sources must name an area it may
// depend on. Reads the tree; fails with the offending file and include.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace vtdsim {
namespace {

namespace fs = std::filesystem;

// What each area may include. Two edges are known debts, kept out of new code by this test:
// spec -> config (spec/registers.hpp initialises CAP from config::CapabilityConfig) and
// cache <-> core (cache keys use core request types; core owns the caches).
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"spec", {"config"}},
    {"mem", {}},
    {"config", {}},
    {"cache", {"spec", "config", "core"}},
    {"core", {"spec", "mem", "cache", "config"}},
    {"timing", {"spec", "config", "core"}},
    {"stats", {"spec", "cache", "core", "timing"}},
    {"iommu", {"spec", "mem", "cache", "config", "core", "timing", "stats"}},
    {"trace", {"spec", "mem", "cache", "config", "core", "timing", "stats", "iommu"}},
    {"study", {"spec", "mem", "cache", "config", "core", "timing", "stats", "iommu", "trace"}},
    // SystemC: generic TLM modules only; virtio devices and the guest sit on them; the platform
    // wires everything.
    {"sysc", {"spec", "mem", "config", "core", "iommu"}},
    {"virtio", {"spec", "sysc"}},
    {"guest", {"spec", "mem", "config", "core", "timing", "trace", "sysc", "virtio"}},
    {"platform",
     {"spec", "mem", "cache", "config", "core", "timing", "stats", "iommu", "trace", "sysc", "virtio", "guest"}},
};

TEST(Layering, AreasIncludeOnlyTheAreasBelowThem) {
  const fs::path root(VTDSIM_SOURCE_DIR);
  const std::regex include_re(R"(^\s*#\s*include\s+"vtdsim/([a-z_]+)/)");
  std::size_t files = 0;
  for (const char* top : {"include/vtdsim", "model"}) {
    for (const auto& area_dir : fs::directory_iterator(root / top)) {
      if (!area_dir.is_directory()) continue;
      const std::string area = area_dir.path().filename().string();
      const auto allowed = kAllowed.find(area);
      ASSERT_NE(allowed, kAllowed.end()) << "area " << area << " is not in the layering table";
      for (const auto& f : fs::directory_iterator(area_dir.path())) {
        std::ifstream in(f.path());
        std::string line;
        ++files;
        while (std::getline(in, line)) {
          std::smatch m;
          if (!std::regex_search(line, m, include_re)) continue;
          const std::string to = m[1];
          if (to == area) continue;
          EXPECT_TRUE(allowed->second.count(to))
              << f.path().string() << ": " << line << " (" << area << " -> " << to << " is not allowed)";
        }
      }
    }
  }
  EXPECT_GT(files, 100u);
}

}  // namespace
}  // namespace vtdsim
