// A guest in scalable mode (guest.scalable_mode, Linux's intel_iommu=sm_on) whose DMA domains use
// second-stage tables behind a PGTT 010b PASID entry (intel_pasid_setup_second_level), and a guest
// whose first-stage tables are nested on a host second stage (platform.nested, PGTT 011b). Each
// run: no fault, no queue error, every buffer reached (the DMA monitor's check).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sysc/guest_run.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_error.hpp"

namespace vtdsim {
namespace {

using test::GuestRun;
using test::load;
using test::run;
using test::starting;
using test::SyscTest;
using test::with;

const std::vector<std::string> kNested = {"iommu.cap.flts=true", "iommu.cap.nest=true",
                                          "platform.nested.host_page_size=2m", "guest.dma_policy=strict"};

double per_translation(const GuestRun& r, const char* part) {
  return r.stats["iommu"]["walk"]["by_stage"][part]["per_translation"].get<double>();
}
std::uint64_t reads(const GuestRun& r, const char* part) {
  return r.stats["iommu"]["walk"]["by_stage"][part]["reads"].get<std::uint64_t>();
}

// Second-stage walks of a nested run: one per first-stage read not resumed from a PSC entry, one per
// walk for its output.
std::uint64_t second_stage_walks(const GuestRun& r) {
  const nlohmann::json& io = r.stats["iommu"];
  return reads(r, "first_stage") - io["psc"]["hits"].get<std::uint64_t>() + io["walks"].get<std::uint64_t>();
}

std::string config_error(const std::vector<std::string>& sets) {
  try {
    load(sets);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no ConfigError";
}

}  // namespace

// sm_on without FLTS: scalable-mode tables, second-stage domains. Attach as Linux 6.1
// dmar_domain_attach_device with caching mode: PASID entry then pasid_flush_caches (PASID-selective
// PC and P_IOTLB, for every PGTT), then the context entry (device-selective context cache and a
// domain-selective IOTLB flush); unmaps flush with legacy page-selective descriptors (qi_flush_iotlb).
TEST_F(SyscTest, ScalableModeSecondStageGuestUsesPasidTableEntries) {
  run_isolated([] {
    const GuestRun r = run({"guest.scalable_mode=on", "guest.dma_policy=strict", "iommu.cap.caching_mode=true"});
    EXPECT_TRUE(r.scalable);
    EXPECT_FALSE(r.first_stage);
    EXPECT_EQ(r.faults, 0u);
    EXPECT_EQ(r.queue_errors, 0u);
    EXPECT_EQ(r.data_errors, 0u);
    EXPECT_EQ(r.requests, 16u);
    EXPECT_EQ(r.stats["guest"]["tables"]["format"], "scalable");
    EXPECT_EQ(r.stats["guest"]["tables"]["dma_domains"], "second_stage");
    const std::vector<std::string> attach = {"inv pasid pasid did=1 pasid=0", "inv piotlb pasid did=1 pasid=0",
                                             "context 00:02.0 1 translated levels=4 stage=second",
                                             "inv context device did=1 sid=00:02.0", "inv iotlb domain did=1 dr dw"};
    ASSERT_GE(r.lines.size(), 2 + attach.size());
    EXPECT_EQ(std::vector<std::string>(r.lines.begin() + 2, r.lines.begin() + 2 + attach.size()), attach);
    EXPECT_EQ(starting(r.lines, "inv piotlb page").size(), 0u);
    EXPECT_EQ(r.vtd.map_page_invalidations, 65u) << "caching mode, second stage: a flush after every map";
    EXPECT_EQ(starting(r.lines, "inv iotlb page").size(), 65u + 64u);
    // The context's reads: root, both halves of the 256-bit context entry, PASID directory and
    // table entries (5 per context miss); no first-stage read.
    EXPECT_GT(reads(r, "tables"), 0u);
    EXPECT_EQ(reads(r, "tables") % 5, 0u);
    EXPECT_EQ(reads(r, "first_stage"), 0u);
    EXPECT_GT(reads(r, "second_stage"), 0u);
  });
  run_isolated([] {  // without sm_on, the same unit gets legacy tables
    const GuestRun r = run({"guest.dma_policy=strict"});
    EXPECT_FALSE(r.scalable);
    EXPECT_EQ(r.stats["guest"]["tables"]["format"], "legacy");
    EXPECT_EQ(starting(r.lines, "context 00:02.0 1 translated levels=4").size(), 1u);
    EXPECT_EQ(starting(r.lines, "context 00:02.0 1 translated levels=4 stage=").size(), 0u);
    EXPECT_EQ(reads(r, "tables") % 2, 0u) << "root and 128-bit context entry";
  });
}

// platform.nested: PGTT 011b with the guest domain's DID; first-stage reads come with the second-
// stage reads of every table address and of the output. The first-stage reads are those of the
// first-stage-only run with the same workload, and with 2 MiB host pages every second-stage walk
// is 3 reads, with 4 KiB ones 4.
TEST_F(SyscTest, NestedGuestWalksTheHostSecondStageUnderItsFirstStage) {
  run_isolated([] {
    const GuestRun r = run(kNested);
    EXPECT_TRUE(r.nested);
    EXPECT_TRUE(r.first_stage);
    EXPECT_EQ(r.faults, 0u);
    EXPECT_EQ(r.queue_errors, 0u);
    EXPECT_EQ(r.data_errors, 0u);
    EXPECT_EQ(r.requests, 16u);
    EXPECT_EQ(r.stats["guest"]["tables"]["dma_domains"], "nested");
    EXPECT_EQ(r.stats["config"]["platform"]["nested"]["host_page_size"], "2m");
    EXPECT_EQ(starting(r.lines, "inv piotlb page did=1 pasid=0").size(), 64u) << "the guest's flushes, its DID";
    const std::uint64_t fs = reads(r, "first_stage"), ss = reads(r, "second_stage");
    EXPECT_GT(fs, 0u);
    // Each first-stage read is preceded by the second-stage walk of its table's address, except the
    // first read of a walk resumed from a first-stage PSC entry (its next table is cached already
    // translated, spec 6.2.4), and each walk ends with the second-stage walk of its output.
    EXPECT_EQ(ss, 3 * second_stage_walks(r));
    EXPECT_GT(per_translation(r, "second_stage"), per_translation(r, "first_stage"));
  });
  run_isolated([] {
    const GuestRun r = run(with(kNested, {"platform.nested.host_page_size=4k"}));
    EXPECT_EQ(r.faults, 0u);
    EXPECT_EQ(r.data_errors, 0u);
    EXPECT_EQ(reads(r, "second_stage"), 4 * second_stage_walks(r));
  });
}

TEST(NestedGuestConfig, RefusesWhatCannotRunNested) {
  EXPECT_NE(config_error({"platform.nested.host_page_size=2m", "iommu.cap.flts=true"})
                .find("iommu.cap.smts, flts, "
                      "slts and nest"),
            std::string::npos);
  EXPECT_EQ(config_error(with(kNested, {"guest.translation_stage=second"})).rfind("platform.nested:", 0), 0u);
  EXPECT_EQ(config_error(with(kNested, {"guest.scalable_mode=off"})).rfind("platform.nested:", 0), 0u);
  EXPECT_EQ(
      config_error(with(kNested, {"platform.nested.host_page_size=3m"})).rfind("platform.nested.host_page_size:", 0),
      0u);
  EXPECT_NE(config_error(with(kNested, {"platform.nested.host_page_size=1g"})).find("CAP.SLLPS"), std::string::npos)
      << "the default unit has 2 MiB second-stage pages only";
  EXPECT_EQ(config_error(with(kNested, {"platform.nested.host_page_size=1g", "iommu.cap.sllps=3"})), "no ConfigError");
  EXPECT_EQ(config_error({"guest.scalable_mode=maybe"}).rfind("guest.scalable_mode:", 0), 0u);
  EXPECT_NE(config_error({"guest.translation_stage=first", "iommu.cap.flts=true", "guest.scalable_mode=off"})
                .find("guest.scalable_mode is off"),
            std::string::npos);
}

}  // namespace vtdsim
