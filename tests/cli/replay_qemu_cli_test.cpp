// `vtdsim replay` of QEMU logs end to end: the exit codes and messages when a configuration cannot
// replay a log (QEMU logs only translations that succeeded), the preset warnings, --check-qemu,
// and ISO-prefixed logs found by content.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/trace_test_util.hpp"

namespace {

const std::string kBin = VTDSIM_BINARY;
const std::string kSrc = VTDSIM_SOURCE_DIR;
const std::string kLogs = kSrc + "/traces/qemu/";

struct CliRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

CliRun run(const std::string& args) {
  CliRun r;
  FILE* p = ::popen((kBin + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A legacy context line and the translation it serves (QEMU 7.2 to 10.x layout).
const std::string kOneTranslation =
    "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x502 low 0x28d9001 gen 0 -> gen 1\n"
    "vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n";

}  // namespace

TEST(ReplayQemuCli, FaultsAreAnErrorThatNamesTheFix) {
  const CliRun r = run("replay " + kLogs + "q10-leg-cm-strict.log.zst --config " + kSrc +
                       "/configs/qemu-10.0.yaml --set iommu.cap.sagaw=0b0010");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(
      contains(r.output, "vtdsim: error: " + kLogs +
                             "q10-leg-cm-strict.log.zst: the log's context entries use "
                             "48-bit tables (4 levels, AW=2) but iommu.cap.sagaw=0b0010 does not allow them; use a "
                             "configs/qemu-*.yaml preset or --set iommu.cap.sagaw=0b0110"))
      << r.output;
  EXPECT_FALSE(contains(r.output, "IOTLB ")) << "no summary of a replay that cannot be right";
  const CliRun allowed = run("replay " + kLogs + "q10-leg-cm-strict.log.zst --config " + kSrc +
                             "/configs/qemu-10.0.yaml --set iommu.cap.sagaw=0b0010 --allow-faults");
  EXPECT_EQ(allowed.code, 0) << allowed.output;
  EXPECT_TRUE(contains(allowed.output, "vtdsim: warning: ")) << allowed.output;
  EXPECT_TRUE(contains(allowed.output, "faults        957")) << allowed.output;
}

TEST(ReplayQemuCli, CheckQemuComparesEveryDecision) {
  const CliRun ok =
      run("replay " + kLogs + "q10-sm-strict.log.zst --config " + kSrc + "/configs/qemu-10.0.yaml --check-qemu");
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_TRUE(contains(ok.output, "QEMU check    958 / 958 decisions equal to QEMU's\n")) << ok.output;
  // The 7.2 preset on a 10.0 log: a warning naming the right preset, and differences (exit 1).
  const CliRun wrong =
      run("replay " + kLogs + "q10-leg-cm-strict.log.zst --config " + kSrc + "/configs/qemu-7.2.yaml --check-qemu");
  EXPECT_EQ(wrong.code, 1) << wrong.output;
  EXPECT_TRUE(contains(wrong.output, "use configs/qemu-10.0.yaml")) << wrong.output;
  EXPECT_TRUE(contains(wrong.output, "955 / 957 decisions equal to QEMU's; first difference: translation #"))
      << wrong.output;
  const CliRun text = run("replay " + kSrc + "/traces/sample.trace --check-qemu");
  EXPECT_EQ(text.code, 2) << text.output;
  EXPECT_TRUE(contains(text.output, "--check-qemu needs a QEMU log")) << text.output;
}

// QEMU 10.1+ with -msg timestamp=on: found by content, read whole (cause 5 of the issue: it was
// refused, and --format qemu read nothing).
TEST(ReplayQemuCli, IsoPrefixedLogIsFoundAndRead) {
  vtdsim::testutil::TempFile f(".log");
  f.write(
      "2025-07-21T18:43:28.089797Z vtd_reset_exit \n"
      "2025-07-21T18:43:28.100000Z vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x502 low "
      "0x28d9001 gen 0 -> gen 1\n"
      "2025-07-21T18:43:28.100100Z vtd_iotlb_page_update IOTLB page update sid 0x18 iova 0xffffb000 slpte 0x29e0003 "
      "domain 0x5\n"
      "2025-07-21T18:43:28.100200Z vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n"
      "2025-07-21T18:43:29Z vtd_iotlb_page_hit IOTLB page hit sid 0x18 iova 0xffffb000 slpte 0x29e0003 domain 0x5\n"
      "2025-07-21T18:43:29Z vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n");
  const CliRun r = run("replay " + f.path() + " --config " + kSrc + "/configs/qemu.yaml --check-qemu");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "(qemu, none)")) << r.output;
  EXPECT_TRUE(contains(r.output, "translations  2\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "QEMU check    2 / 2 decisions equal")) << r.output;
  EXPECT_FALSE(contains(r.output, "warning")) << r.output;  // 10.1 signs, 10.0+ preset
  const CliRun old = run("replay " + f.path() + " --config " + kSrc + "/configs/qemu-7.2.yaml");
  EXPECT_TRUE(contains(old.output, "the log shows QEMU 10.1 or later (ISO-8601 line times)")) << old.output;
}

// A raw descriptor of a type the importer cannot decode may change QEMU's caches: an error.
TEST(ReplayQemuCli, UndecodableDescriptorIsAnError) {
  vtdsim::testutil::TempFile f(".log");
  f.write(
      "vtd_reset_exit \n"
      "vtd_inv_desc invalidate desc type frobnicate high 0x0 low 0x1f\n" +
      kOneTranslation);
  const CliRun r = run("replay " + f.path() + " --config " + kSrc + "/configs/qemu.yaml");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "1 invalidation descriptor(s) of type 'frobnicate' (vtd_inv_desc lines) that this "
                       "importer cannot decode"))
      << r.output;
  EXPECT_EQ(run("replay " + f.path() + " --config " + kSrc + "/configs/qemu.yaml --allow-faults").code, 0);
}

// PASID-based invalidations logged only by their own trace points (which QEMU 10.0-10.2 declare
// but never call) would be lost: an error, not a replay without them.
TEST(ReplayQemuCli, PasidInvalidationLinesWithoutRawDescriptorsAreAnError) {
  vtdsim::testutil::TempFile f(".log");
  f.write("vtd_reset_exit \n" + kOneTranslation +
          "vtd_inv_desc_iotlb_pasid_pages iotlb invalidate domain 0x5 addr 0xffffb000 mask 0x0 pasid 0x0\n");
  const CliRun r = run("replay " + f.path() + " --config " + kSrc + "/configs/qemu.yaml");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "vtd_inv_desc_iotlb_pasid_pages lines (1) without the raw p-iotlb descriptors"))
      << r.output;
}

// An x-flts=on log on a hardware IOTLB (#12): replayed on first-stage tables, and converted to a
// binary trace (version 2) that keeps the stage; the unit must offer FLTS, and a bad --qemu-flts
// is a usage error.
TEST(ReplayQemuCli, FirstStageLogsReplayAndConvertWithTheirStage) {
  const std::string log = kLogs + "q10-sm-flts-strict.log.zst";
  const std::string hw = " --config " + kSrc + "/configs/hw-64x4.yaml";
  const CliRun no_flts = run("replay " + log + hw);
  EXPECT_EQ(no_flts.code, 2) << no_flts.output;
  EXPECT_TRUE(contains(no_flts.output, "--set iommu.cap.flts=true")) << no_flts.output;
  const CliRun fs = run("replay " + log + hw + " --set iommu.cap.flts=true");
  EXPECT_EQ(fs.code, 0) << fs.output;
  EXPECT_TRUE(contains(fs.output, "IOTLB         61.12% hit rate (816 hits, 519 misses)")) << fs.output;
  const CliRun off = run("replay " + log + hw + " --qemu-flts=off");
  EXPECT_TRUE(contains(off.output, "IOTLB         86.22% hit rate (1151 hits, 184 misses)")) << off.output;
  vtdsim::testutil::TempFile bin(".bin");
  EXPECT_EQ(run("convert " + log + " " + bin.path()).code, 0);
  const CliRun replayed = run("replay " + bin.path() + hw + " --set iommu.cap.flts=true");
  EXPECT_TRUE(contains(replayed.output, "IOTLB         61.12% hit rate (816 hits, 519 misses)")) << replayed.output;
  const CliRun bad = run("replay " + log + hw + " --qemu-flts=maybe");
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(contains(bad.output, "bad x-flts setting 'maybe' (expected auto, on or off)")) << bad.output;
}
