// `vtdsim run` says in words when the guest's belief and the platform disagree (shipped mismatch
// scenarios), and says nothing of the kind when they agree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#ifdef VTDSIM_HAVE_SYSTEMC
namespace {

std::string run_output(const std::string& config) {
  const std::string out = ::testing::TempDir() + "run-" + config + ".txt";
  const std::string command =
      std::string(VTDSIM_BINARY) + " run " + VTDSIM_SOURCE_DIR + "/configs/" + config + ".yaml > " + out;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(out);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunMismatchReport, BypassedDeviceWithIovasIsReportedWithItsCorruptionCount) {
  const std::string text = run_output("mismatch-bypass");
  EXPECT_NE(text.find("MISMATCH net0: the guest programs it with IOVAs"), std::string::npos) << text;
  EXPECT_NE(text.find("6 of 6 DMAs reached the wrong host address"), std::string::npos) << text;
}

TEST(RunMismatchReport, TranslatedDeviceWithPhysicalAddressesIsReportedWithItsFaults) {
  const std::string text = run_output("mismatch-physical");
  EXPECT_NE(text.find("MISMATCH net0: the guest programs it with physical addresses"), std::string::npos) << text;
  EXPECT_NE(text.find("1 DMAs faulted {\"root_not_present\":1}"), std::string::npos) << text;
}

TEST(RunMismatchReport, ConsistentPlatformReportsNoMismatch) {
  EXPECT_EQ(run_output("platform-default").find("MISMATCH"), std::string::npos);
}

TEST(RunMismatchReport, QuietPrintsNothingAndStillWritesTheJson) {
  const std::string out = ::testing::TempDir() + "run-quiet.txt", json = ::testing::TempDir() + "run-quiet.json";
  const std::string command = std::string(VTDSIM_BINARY) + " run " + VTDSIM_SOURCE_DIR +
                              "/configs/platform-default.yaml --quiet --json " + json + " > " + out + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream text(out), stats(json);
  EXPECT_EQ(text.peek(), std::ifstream::traits_type::eof());  // nothing printed (no terminal: no progress bar)
  EXPECT_TRUE(stats.good());
}

}  // namespace
#endif
