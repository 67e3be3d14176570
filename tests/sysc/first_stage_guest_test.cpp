// A guest whose DMA domains use first-stage tables (issue #12, guest.translation_stage): as Linux
// 6.1 with scalable mode and ECAP.FLTS (first_level_by_default), scalable-mode tables with a
// RID_PASID entry of PGTT 001b per device, 256-bit descriptors, P_IOTLB flushes as qi_flush_piotlb
// builds them, no flush after a map even with caching mode, and the flush queue kept under
// caching mode. Each run: no fault, no queue error, every buffer reached (the DMA monitor's check).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "sysc/guest_run.hpp"
#include "sysc/record_and_replay.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim {
namespace {

using test::GuestRun;
using test::load;
using test::run;
using test::starting;
using test::SyscTest;
using test::with;

const std::vector<std::string> kFirst = {"guest.translation_stage=first", "iommu.cap.flts=true"};

}  // namespace

// QEMU's log of Linux 6.1 with x-flts=on (traces/qemu/q10-sm-flts-strict) shows the same words
// for domain 4: "p-iotlb high 0xffffa040 low 0x40036" (page-selective, IH, AM 0) and "high 0x0 low
// 0x40026" (PASID-selective): the encoder the driver uses gives them.
TEST(FirstStageGuestDescriptors, TheWordsLinuxWrites) {
  namespace qi = spec::qi;
  const qi::Descriptor page = qi::make_piotlb(qi::piotlb::kPage, 4, 0, 0xffffa000, 0, true);
  EXPECT_EQ(page.lo(), 0x40036u);
  EXPECT_EQ(page.hi(), 0xffffa040u);
  const qi::Descriptor pasid = qi::make_piotlb(qi::piotlb::kPasid, 4, 0);
  EXPECT_EQ(pasid.lo(), 0x40026u);
  EXPECT_EQ(pasid.hi(), 0u);
}

TEST(FirstStageGuestConfig, AutoFirstSecondAndTheirChecks) {
  EXPECT_EQ(load({}).guest.translation_stage, guest::TranslationStageRequest::kAuto);
  EXPECT_EQ(load(kFirst).guest.translation_stage, guest::TranslationStageRequest::kFirst);
  try {
    load({"guest.translation_stage=first"});  // the default unit has no ECAP.FLTS
    ADD_FAILURE() << "no ConfigError";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("guest.translation_stage:", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("iommu.cap.flts"), std::string::npos) << e.what();
  }
  try {
    load({"guest.translation_stage=third"});
    ADD_FAILURE() << "no ConfigError";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("guest.translation_stage:", 0), 0u) << e.what();
  }
}

// Strict, caching mode: attach as Linux 6.1 dmar_domain_attach_device (PASID entry, then
// pasid_flush_caches: PASID-selective PC and P_IOTLB; then the context entry: device-selective
// context cache and a legacy domain-selective IOTLB flush); no flush after a map; every unmap
// one page-selective P_IOTLB of (DID 1, PASID 0) with IH = 1 and AM = ilog2(roundup(pages)).
TEST_F(SyscTest, FirstStageStrictGuestFlushesWithPasidBasedDescriptors) {
  run_isolated([] {
    const GuestRun r = run(with(kFirst, {"guest.dma_policy=strict", "iommu.cap.caching_mode=true"}));
    EXPECT_TRUE(r.first_stage);
    EXPECT_EQ(r.policy, "strict");
    EXPECT_EQ(r.requests, 16u);
    EXPECT_EQ(r.faults, 0u);
    EXPECT_EQ(r.queue_errors, 0u);
    EXPECT_EQ(r.data_errors, 0u);
    const std::vector<std::string> attach = {"inv pasid pasid did=1 pasid=0", "inv piotlb pasid did=1 pasid=0",
                                             "context 00:02.0 1 translated levels=4 stage=first",
                                             "inv context device did=1 sid=00:02.0", "inv iotlb domain did=1 dr dw"};
    ASSERT_GE(r.lines.size(), 2 + attach.size());
    EXPECT_EQ(std::vector<std::string>(r.lines.begin() + 2, r.lines.begin() + 2 + attach.size()), attach);
    EXPECT_EQ(r.vtd.map_page_invalidations, 0u);
    EXPECT_EQ(r.vtd.page_invalidations, 64u);  // one per unmap
    EXPECT_EQ(starting(r.lines, "inv iotlb page").size(), 0u);
    const auto pages = starting(r.lines, "inv piotlb page");
    ASSERT_EQ(pages.size(), 64u);
    for (const auto& l : pages) {
      EXPECT_EQ(l.rfind("inv piotlb page did=1 pasid=0 addr=0x", 0), 0u) << l;
      EXPECT_EQ(l.substr(l.size() - 3), " ih") << l;
    }
    EXPECT_EQ(r.vtd.wait_descriptors, 1u + 1u + 1u + 64u);  // init, PASID entry, context, unmaps
    // First-stage pages cannot deny reads: a DMA_FROM_DEVICE map is recorded read-write, never "w".
    const auto maps = starting(r.lines, "map ");
    EXPECT_EQ(maps.size(), 65u);
    for (const auto& l : maps) EXPECT_NE(l.substr(l.size() - 2), " w") << l;
  });
}

// Lazy: first-stage domains keep the flush queue under caching mode (intel_iommu_init), and its
// flushes are PASID-selective P_IOTLB descriptors (intel_flush_iotlb_all -> qi_flush_piotlb with
// npages -1); no page-selective flush at all.
TEST_F(SyscTest, FirstStageLazyGuestKeepsTheFlushQueueUnderCachingMode) {
  run_isolated([] {
    const GuestRun r =
        run(with(kFirst, {"guest.dma_policy=lazy", "iommu.cap.caching_mode=true", "guest.lazy_batch=8"}));
    EXPECT_EQ(r.policy, "lazy");
    EXPECT_EQ(r.faults, 0u);
    EXPECT_EQ(r.queue_errors, 0u);
    EXPECT_EQ(r.data_errors, 0u);
    EXPECT_EQ(r.vtd.page_invalidations, 0u);
    EXPECT_EQ(starting(r.lines, "inv piotlb page").size(), 0u);
    const auto fq = starting(r.lines, "inv piotlb pasid did=1 pasid=0");
    EXPECT_GT(fq.size(), 1u);                               // the attach one and the flush-queue flushes
    EXPECT_EQ(r.vtd.domain_invalidations, fq.size() + 1u);  // + the attach's legacy domain flush
  });
  run_isolated([] {  // second stage under caching mode: strict whatever was asked
    const GuestRun r = run({"guest.dma_policy=lazy", "iommu.cap.caching_mode=true"});
    EXPECT_FALSE(r.first_stage);
    EXPECT_EQ(r.policy, "strict");
    EXPECT_EQ(starting(r.lines, "inv piotlb").size(), 0u);
    EXPECT_EQ(starting(r.lines, "context 00:02.0 1 translated levels=4").size(), 1u);  // a legacy context
  });
}

// auto: in scalable mode (intel_iommu=sm_on) first stage once the unit offers FLTS
// (first_level_by_default), second otherwise; without sm_on legacy tables whatever FLTS says;
// second forces second.
TEST_F(SyscTest, FirstStageIsLinuxsDefaultWhenBothStagesAreOffered) {
  run_isolated([] { EXPECT_TRUE(run({"iommu.cap.flts=true", "guest.scalable_mode=on"}).first_stage); });
  run_isolated([] { EXPECT_FALSE(run({"iommu.cap.flts=true"}).first_stage); });
  run_isolated([] { EXPECT_FALSE(run({}).first_stage); });
  run_isolated([] {
    EXPECT_FALSE(run({"iommu.cap.flts=true", "guest.scalable_mode=on", "guest.translation_stage=second"}).first_stage);
  });
}

// The recorded first-stage run replays with the same decision for every DMA.
TEST_F(SyscTest, FirstStageRunReplaysWithTheSameDecisions) {
  run_isolated([] {
    const platform::PlatformConfig cfg = load(with(kFirst, {"guest.dma_policy=strict", "platform.quantum_ns=1"}));
    const auto decision = [](bool ok, bool hit) { return ok ? (hit ? 1 : 0) : -1; };
    const test::RecordedAndReplayed r = test::record_and_replay(
        cfg, std::nullopt, [&](const sysc::DmaRecord& d) { return decision(d.ok, d.outcome.iotlb_hit); },
        [&](const trace::TranslationObservation& o) { return decision(o.result.ok(), o.result.outcome.iotlb_hit); });
    ASSERT_GT(r.recorded.size(), 60u);
    EXPECT_EQ(r.first_difference(), r.recorded.size());
  });
}

}  // namespace vtdsim
