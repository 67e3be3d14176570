// `vtdsim demo` end to end: the program runs and prints the known answers of its hand-built tables.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  status = pclose(pipe);
  return out;
}

}  // namespace

TEST(DemoCommand, PrintsTranslationsFaultsAndCacheCounters) {
  int status = -1;
  const std::string out = run(std::string(VTDSIM_BINARY) + " demo 2>&1", status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("-> host 0x80000010   4K RW"), std::string::npos) << out;  // full walk
  EXPECT_NE(out.find("[ctx hit, iotlb hit] no memory reads"), std::string::npos) << out;
  EXPECT_NE(out.find("[ctx hit, psc L2 hit, walk from L1] 1 read"), std::string::npos) << out;
  EXPECT_NE(out.find("-> FAULT 05h write_denied"), std::string::npos) << out;
  EXPECT_NE(out.find("-> FAULT 06h read_denied"), std::string::npos) << out;
  EXPECT_NE(out.find("-> host 0xc0123456   2M RW"), std::string::npos) << out;
  EXPECT_NE(out.find("-> host 0x12345678   4K RW (not remapped)"), std::string::npos) << out;
  EXPECT_NE(out.find("-> FAULT 02h context_not_present"), std::string::npos) << out;
  EXPECT_NE(out.find("-> FAULT 0dh translation_blocked"), std::string::npos) << out;
  EXPECT_NE(out.find("iotlb          lookups    7  hits    2"), std::string::npos) << out;
  EXPECT_NE(out.find("PPF=1"), std::string::npos) << out;
  // Scalable mode: a 4-level first stage reads 4 entries and sets A in each; nested adds a
  // 4-level second-stage walk for each of the 4 first-stage tables and for the output (20).
  EXPECT_NE(
      out.find("PASID 1 second stage -> host 0x9000 [ctx miss, walk from L4] reads: 5 context/PASID, 0 first-stage, "
               "4 second-stage; 0 A/D writes"),
      std::string::npos)
      << out;
  EXPECT_NE(
      out.find("PASID 2 first stage  -> host 0x9000 [ctx miss, walk from L4] reads: 5 context/PASID, 4 first-stage, "
               "0 second-stage; 4 A/D writes"),
      std::string::npos)
      << out;
  EXPECT_NE(
      out.find("PASID 3 nested       -> host 0x9000 [ctx miss, walk from L4] reads: 5 context/PASID, 4 first-stage, "
               "20 second-stage; 4 A/D writes"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("PASID 3 nested       -> host 0x9000 [pasid cache hit, iotlb hit] reads: 0"), std::string::npos)
      << out;
}
