// `vtdsim truth-table`: every combination of platform translation, DMAR scope, virtio IOMMU
// feature offers, guest bypass list and DMA policy, each a short platform simulation. A few rows
// whose outcome follows from the rules are asserted exactly; the whole CSV must equal the one
// committed in docs/truth-table.csv (docs/sysc-platform.md shows it).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#ifdef VTDSIM_HAVE_SYSTEMC
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

int run(const std::string& args) {
  const std::string command = std::string(VTDSIM_BINARY) + " truth-table " + args + " > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class TruthTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs every test in its own process, several at once: one file per process.
    csv_path_ = ::testing::TempDir() + "vtdsim-truth-table-" + std::to_string(::getpid()) + ".csv";
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run("--csv " + csv_path_ + " --quiet"), 0);
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::istringstream in(slurp(csv_path_));
    std::string line;
    std::getline(in, line);
    header_ = split(line, ',');
    while (std::getline(in, line)) {
      const std::vector<std::string> f = split(line, ',');
      std::map<std::string, std::string> row;
      for (std::size_t i = 0; i < header_.size() && i < f.size(); ++i) row[header_[i]] = f[i];
      // key: translated,in_dmar_scope,access_platform,iommu_passthrough,guest_bypass,policy,device
      std::string key;
      for (std::size_t i = 0; i < 7; ++i) key += (i ? "," : "") + f[i];
      rows_[key] = row;
    }
  }
  static const std::map<std::string, std::string>& row(const std::string& key) {
    static const std::map<std::string, std::string> none;
    auto it = rows_.find(key);
    EXPECT_NE(it, rows_.end()) << key;
    return it == rows_.end() ? none : it->second;
  }
  static std::string csv_path_;
  static double seconds_;
  static std::vector<std::string> header_;
  static std::map<std::string, std::map<std::string, std::string>> rows_;
};
std::string TruthTable::csv_path_;
double TruthTable::seconds_ = 0;
std::vector<std::string> TruthTable::header_;
std::map<std::string, std::map<std::string, std::string>> TruthTable::rows_;

TEST_F(TruthTable, EveryCombinationOnceForEachDeviceAndFast) {
  EXPECT_EQ(rows_.size(), 2u * 2 * 2 * 2 * 2 * 3 * 2);  // 96 cases x blk0, net0
  EXPECT_LT(seconds_, 60.0);
  std::map<std::string, int> outcomes;
  for (const auto& [key, r] : rows_) ++outcomes[r.at("outcome")];
  EXPECT_EQ(outcomes["works"], 88);
  EXPECT_EQ(outcomes["faults"], 76);
  EXPECT_EQ(outcomes["device_refused"], 24);
  EXPECT_EQ(outcomes["wrong_host_address"], 4);
  int safe = 0;
  for (const auto& [key, r] : rows_) safe += r.at("iommu_protected") == "1";
  EXPECT_EQ(safe, 4);  // the truthful platform, strict or lazy, both devices
}

TEST_F(TruthTable, AllTruthfulAndTranslatedWorksUnderTheIommu) {
  for (const char* p : {"strict", "lazy"}) {
    const auto& r = row(std::string("1,1,1,0,0,") + p + ",blk0");
    EXPECT_EQ(r.at("outcome"), "works");
    EXPECT_EQ(r.at("mode"), "iommu");
    EXPECT_EQ(r.at("context"), "translate");
    EXPECT_EQ(r.at("iommu_protected"), "1");
    EXPECT_EQ(r.at("wrong"), "");
  }
}

TEST_F(TruthTable, AdvertisedButBypassedGivesWrongHostAddresses) {
  // configs/mismatch-bypass.yaml's case: the guest hands out IOVAs, the platform does not
  // translate them: 6 DMAs at host address = IOVA before the device gives up.
  const auto& r = row("0,1,1,0,0,strict,net0");
  EXPECT_EQ(r.at("outcome"), "wrong_host_address");
  EXPECT_EQ(r.at("count"), "6");
  EXPECT_EQ(r.at("wrong"), "platform:dmar_scope");
  EXPECT_EQ(r.at("blamed"), "platform:dmar_scope");
}

TEST_F(TruthTable, TranslatedButNotAdvertisedFaultsOnTheFirstDma) {
  // configs/mismatch-physical.yaml's case: no context for the device, the first ring read faults.
  const auto& r = row("1,0,1,0,0,lazy,net0");
  EXPECT_EQ(r.at("outcome"), "faults");
  EXPECT_EQ(r.at("count"), "1");
  EXPECT_EQ(r.at("detail"), "root_not_present=1");
  EXPECT_EQ(r.at("mode"), "direct");
  EXPECT_EQ(r.at("blamed"), "platform:dmar_scope");
}

TEST_F(TruthTable, FalsePassthroughClaimFaultsOrIsRefused) {
  // The device claims to bypass the IOMMU (the proposed bit) but the platform translates it: the
  // guest uses physical addresses and programs no context. net0 insists on ACCESS_PLATFORM,
  // which the guest did not accept: it refuses FEATURES_OK.
  const auto& blk = row("1,1,1,1,0,strict,blk0");
  EXPECT_EQ(blk.at("outcome"), "faults");
  EXPECT_EQ(blk.at("mode"), "physical");
  EXPECT_EQ(blk.at("context"), "none");
  EXPECT_EQ(blk.at("blamed"), "device:iommu_passthrough");
  const auto& net = row("1,1,1,1,0,strict,net0");
  EXPECT_EQ(net.at("outcome"), "device_refused");
  EXPECT_EQ(net.at("blamed"), "device:iommu_passthrough");
  // A true pass-through claim works (without IOMMU protection).
  const auto& ok = row("0,0,1,1,0,strict,blk0");
  EXPECT_EQ(ok.at("outcome"), "works");
  EXPECT_EQ(ok.at("mode"), "physical");
  EXPECT_EQ(ok.at("iommu_protected"), "0");
}

TEST_F(TruthTable, NoAccessPlatformOnATranslatedDeviceFaultsUnlessIdentity) {
  EXPECT_EQ(row("1,1,0,0,0,strict,blk0").at("detail"), "read_denied=1");
  EXPECT_EQ(row("1,1,0,0,0,strict,blk0").at("blamed"), "device:access_platform");
  // iommu=pt: an identity context makes physical addresses right.
  EXPECT_EQ(row("1,1,0,0,0,passthrough,blk0").at("outcome"), "works");
}

TEST_F(TruthTable, CommittedTableIsTheCommandsOutput) {
  EXPECT_EQ(slurp(csv_path_), slurp(std::string(VTDSIM_SOURCE_DIR) + "/docs/truth-table.csv"))
      << "regenerate: vtdsim truth-table --csv docs/truth-table.csv --markdown /tmp/t.md (and the table in "
         "docs/sysc-platform.md)";
}

TEST(TruthTableOptions, BadOptionsExit2) {
  EXPECT_EQ(run("--config /nonexistent/truth.yaml"), 2);
  EXPECT_EQ(run("--csv /nonexistent/dir/truth.csv"), 2);
  EXPECT_EQ(run("--markdown /nonexistent/dir/truth.md"), 2);
  EXPECT_EQ(run("--no-such-option"), 2);
  EXPECT_EQ(run("extra-argument"), 2);
  const std::string bad = ::testing::TempDir() + "truth-bad.yaml";
  std::ofstream(bad) << "platform:\n  devices:\n    - {name: n, type: virtio-net, bdf: \"00:03.0\", bogus: 1}\n";
  EXPECT_EQ(run("--config " + bad), 2);
}

}  // namespace
#endif
