// Committed golden outputs (tests/golden/*.json): the full statistics of fixed runs of the vtdsim
// program, compared key by key. A change of any number is a failure that lists what changed; a
// commit that changes a golden on purpose regenerates it with VTDSIM_UPDATE_GOLDENS=1 and says why.
// Keys that name where the run happened (trace.path) are left out.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

const std::string kBin = VTDSIM_BINARY;
const std::string kSrc = VTDSIM_SOURCE_DIR;

nlohmann::json load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json();
  return nlohmann::json::parse(in);
}

// Paths of the differences between `golden` and `now`, "a.b.c: golden 1, now 2".
void diff(const nlohmann::json& golden, const nlohmann::json& now, const std::string& path,
          std::vector<std::string>& out) {
  if (golden.is_object() && now.is_object()) {
    for (auto it = golden.begin(); it != golden.end(); ++it) {
      const std::string p = path.empty() ? it.key() : path + "." + it.key();
      if (!now.contains(it.key()))
        out.push_back(p + ": golden " + it.value().dump() + ", now missing");
      else
        diff(it.value(), now.at(it.key()), p, out);
    }
    for (auto it = now.begin(); it != now.end(); ++it)
      if (!golden.contains(it.key()))
        out.push_back((path.empty() ? it.key() : path + "." + it.key()) + ": new, " + it.value().dump());
    return;
  }
  if (golden.is_array() && now.is_array() && golden.size() == now.size()) {
    for (std::size_t i = 0; i < golden.size(); ++i) diff(golden[i], now[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (golden != now) out.push_back(path + ": golden " + golden.dump() + ", now " + now.dump());
}

void check_golden(const std::string& name, const std::string& args) {
  const std::string out = ::testing::TempDir() + "vtdsim_golden_" + name + ".json";
  const std::string cmd = kBin + " " + args + " --json " + out + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  nlohmann::json now = load(out);
  ASSERT_FALSE(now.is_null()) << "no JSON from: " << cmd;
  if (now.contains("trace")) now["trace"].erase("path");
  const std::string golden_path = kSrc + "/tests/golden/" + name + ".json";
  const char* update = std::getenv("VTDSIM_UPDATE_GOLDENS");
  if (update && std::string(update) == "1") {
    std::ofstream(golden_path) << now.dump(2) << '\n';
    GTEST_SKIP() << "rewrote " << golden_path;
  }
  const nlohmann::json golden = load(golden_path);
  ASSERT_FALSE(golden.is_null()) << golden_path << " is missing: run with VTDSIM_UPDATE_GOLDENS=1 to write it";
  std::vector<std::string> differences;
  diff(golden, now, "", differences);
  std::string listed;
  for (std::size_t i = 0; i < differences.size() && i < 25; ++i) listed += "  " + differences[i] + "\n";
  if (differences.size() > 25) listed += "  ... " + std::to_string(differences.size() - 25) + " more\n";
  EXPECT_TRUE(differences.empty()) << differences.size() << " difference(s) from " << golden_path << ":\n"
                                   << listed
                                   << "(a change on purpose: VTDSIM_UPDATE_GOLDENS=1, and say why in the commit)";
}

}  // namespace

TEST(GoldenOutputs, ReplayOfTheReferenceTraceWithQemu72) {
  check_golden("replay-qemu-linux-strict-qemu-7.2", "replay " + kSrc + "/traces/qemu-linux-strict.bin.zst --config " +
                                                        kSrc + "/configs/qemu-7.2.yaml --quiet");
}

TEST(GoldenOutputs, ReplayOfTheReferenceTraceWithHw64x4) {
  check_golden("replay-qemu-linux-strict-hw-64x4", "replay " + kSrc + "/traces/qemu-linux-strict.bin.zst --config " +
                                                       kSrc + "/configs/hw-64x4.yaml --quiet");
}

TEST(GoldenOutputs, ReplayOfAScalableModeQemu10Log) {
  check_golden("replay-q10-sm-strict-qemu-10.0", "replay " + kSrc + "/traces/qemu/q10-sm-strict.log.zst --config " +
                                                     kSrc + "/configs/qemu-10.0.yaml --quiet");
}

#ifdef VTDSIM_HAVE_SYSTEMC
TEST(GoldenOutputs, RunOfTheDefaultPlatform) {
  check_golden("run-platform-default", "run " + kSrc + "/configs/platform-default.yaml");
}
#endif
