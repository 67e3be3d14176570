// The include graph between areas (docs/architecture.md "Dependencies point one way"): every
// `#include "vtdsim/<area>/..."` of an area's headers and sources must name an area it may
// depend on. Reads the tree; fails with the offending file and include.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
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
    {"pciebench", {"spec", "mem", "cache", "config", "core", "timing", "stats", "iommu"}},
    // SystemC: generic TLM modules only; virtio devices and the guest sit on them; the platform
    // wires everything.
    {"sysc", {"spec", "mem", "config", "core", "iommu"}},
    // The pcie-bench DMA engine, link and memory as SystemC modules: SystemC code (so not in
    // pciebench, which the SystemC-free core library holds) that needs the bench's configuration
    // and link arithmetic (so not in sysc, the generic modules).
    {"pciebench_sysc", {"spec", "mem", "config", "core", "iommu", "pciebench", "sysc"}},
    {"virtio", {"spec", "sysc"}},
    {"guest", {"spec", "mem", "config", "core", "timing", "trace", "sysc", "virtio"}},
    {"platform",
     {"spec", "mem", "cache", "config", "core", "timing", "stats", "iommu", "trace", "sysc", "virtio", "guest"}},
};

// The area of `#include "vtdsim/<area>/..."` on this line, or "" (std::regex is avoided: GCC 12
// warns inside it under -O2 with sanitizers, and warnings are errors).
std::string included_area(const std::string& line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '#') return "";
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || line.compare(i, 7, "include") != 0) return "";
  i = line.find_first_not_of(" \t", i + 7);
  const std::string prefix = "\"vtdsim/";
  if (i == std::string::npos || line.compare(i, prefix.size(), prefix) != 0) return "";
  const std::size_t start = i + prefix.size();
  const std::size_t slash = line.find('/', start);
  return slash == std::string::npos ? "" : line.substr(start, slash - start);
}

TEST(Layering, AreasIncludeOnlyTheAreasBelowThem) {
  const fs::path root(VTDSIM_SOURCE_DIR);
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
          const std::string to = included_area(line);
          if (to.empty()) continue;
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
