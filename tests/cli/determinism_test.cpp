// Determinism: the same configuration, trace and seed give byte-identical stats JSON across two
// runs of the vtdsim program (no wall-clock values, no unordered iteration in the output).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kSource = VTDSIM_SOURCE_DIR;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs `vtdsim ARGS --json OUT` and returns OUT's content.
std::string run_json(const std::string& args, const std::string& out) {
  const std::string command = std::string(VTDSIM_BINARY) + " " + args + " --json " + out + " > /dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return slurp(out);
}

void expect_identical_runs(const std::string& args, const std::string& name) {
  const std::string dir = ::testing::TempDir();
  const std::string first = run_json(args, dir + name + "-1.json");
  const std::string second = run_json(args, dir + name + "-2.json");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, second) << "stats JSON differs between two identical runs of: vtdsim " << args;
}

TEST(Determinism, ReplayOfTheSampleTraceGivesIdenticalJson) {
  expect_identical_runs(
      "replay --quiet " + kSource + "/traces/sample.trace --config " + kSource + "/configs/default.yaml", "sample");
}

TEST(Determinism, RandomReplacementWithASeedGivesIdenticalJson) {
  expect_identical_runs("replay --quiet " + kSource +
                            "/traces/sample.trace --set iommu.iotlb.policy=random "
                            "--set iommu.iotlb.seed=7 --set iommu.iotlb.entries=4",
                        "random");
}

#ifdef VTDSIM_HAVE_SYSTEMC
// The SystemC platform: workload seeds, random replacement and the guest's IOVA allocator are
// all deterministic, so two runs of the same scenario give the same JSON.
TEST(Determinism, SystemCRunGivesIdenticalJson) {
  expect_identical_runs("run " + kSource +
                            "/configs/platform-default.yaml --set guest.dma_policy=lazy "
                            "--set iommu.iotlb.policy=random --set workload.seed=11",
                        "run");
}
#endif

}  // namespace
