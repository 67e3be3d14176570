// The QEMU log importer and the replayer against a real QEMU 7.2 log (shared/traces, see its
// README): counts of imported events, and THE key check: replaying the log with configs/qemu-7.2.yaml
// makes the same IOTLB hit/miss decision as QEMU for every translation.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/trace_error.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

// The shared reference log, committed in traces/ (its facts: traces/README.md).
const std::string kSharedLog = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.log.gz";

#define REQUIRE_SHARED_LOG() ASSERT_TRUE(std::ifstream(kSharedLog).good()) << kSharedLog << " is missing"

// QEMU's own decisions, in order: for each vtd_dmar_translate, true if the line before it was a
// vtd_iotlb_page_hit, false if a vtd_iotlb_page_update. Also writes the log without those two
// kinds of line (the replay's input) to `filtered`.
std::vector<bool> qemu_decisions(const std::string& path, const std::string& filtered) {
  CompressedInput in(path);
  std::ofstream out(filtered);
  std::vector<bool> decisions;
  int pending = -1;  // -1 none, 0 update (miss), 1 hit
  std::string line;
  while (in.read_line(line)) {
    if (line.find("vtd_iotlb_page_hit ") != std::string::npos) {
      pending = 1;
      continue;
    }
    if (line.find("vtd_iotlb_page_update ") != std::string::npos) {
      pending = 0;
      continue;
    }
    if (line.find("vtd_dmar_translate ") != std::string::npos) {
      EXPECT_NE(pending, -1) << "translation without a hit/update line: " << line;
      decisions.push_back(pending == 1);
      pending = -1;
    }
    out << line << '\n';
  }
  return decisions;
}

config::UnitConfig load_config(const char* name) {
  return config::load_unit_config(std::string(VTDSIM_SOURCE_DIR) + "/configs/" + name);
}

struct ReplayOutcome {
  std::vector<bool> hits;
  std::uint64_t faults = 0;
};

ReplayOutcome replay(const std::string& path, const config::UnitConfig& cfg) {
  Replayer replayer(cfg);
  ReplayOutcome out;
  replayer.set_translation_callback([&](const TranslationObservation& o) {
    out.hits.push_back(o.result.outcome.iotlb_hit);
    if (!o.result.ok()) ++out.faults;
  });
  QemuLogImporter source(path);
  replayer.run(source);
  return out;
}

}  // namespace

TEST(QemuLogImporter, CountsOfTheSharedLog) {
  REQUIRE_SHARED_LOG();
  QemuLogImporter importer(kSharedLog);
  std::uint64_t by_target[6][5] = {};
  std::vector<TraceEvent> contexts;
  std::uint64_t last_time = 0;
  while (auto e = importer.next()) {
    EXPECT_GE(e->time_ns, last_time);
    last_time = e->time_ns;
    if (e->kind == EventKind::kInvalidate)
      ++by_target[static_cast<int>(e->invalidation.target)][static_cast<int>(e->invalidation.granularity)];
    if (e->kind == EventKind::kContext) contexts.push_back(*e);
  }
  const QemuImportStats& s = importer.stats();
  EXPECT_EQ(s.lines, 16601u);
  EXPECT_EQ(s.events_of(EventKind::kDma), 2536u);
  EXPECT_EQ(s.used.at("vtd_dmar_translate"), 2536u);
  // Two devices learned from the context-cache lines: 00:02.0 in domain 4, 00:03.0 in domain 5,
  // both with 39-bit (3-level) tables (context high words 0x401, 0x501).
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[0].source, SourceId::from_bdf(0, 3, 0));
  EXPECT_EQ(contexts[0].domain, DomainId(5));
  EXPECT_EQ(contexts[0].levels, 3);
  EXPECT_EQ(contexts[1].source, SourceId::from_bdf(0, 2, 0));
  EXPECT_EQ(contexts[1].domain, DomainId(4));
  EXPECT_EQ(s.unknown_domain_translations, 0u);
  using core::InvalidationGranularity;
  using core::InvalidationTarget;
  auto count = [&](InvalidationTarget t, InvalidationGranularity g) {
    return by_target[static_cast<int>(t)][static_cast<int>(g)];
  };
  EXPECT_EQ(count(InvalidationTarget::kIotlb, InvalidationGranularity::kPage), 757u);
  EXPECT_EQ(count(InvalidationTarget::kIotlb, InvalidationGranularity::kDomain), 7u);
  // 1 vtd_inv_desc_iotlb_global + 5 vtd_context_cache_reset (QEMU's vtd_reset_caches).
  EXPECT_EQ(count(InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal), 6u);
  EXPECT_EQ(count(InvalidationTarget::kContextCache, InvalidationGranularity::kGlobal), 6u);
  EXPECT_EQ(count(InvalidationTarget::kContextCache, InvalidationGranularity::kDevice), 7u);
  EXPECT_EQ(count(InvalidationTarget::kInterruptEntry, InvalidationGranularity::kGlobal) +
                count(InvalidationTarget::kInterruptEntry, InvalidationGranularity::kPage),
            33u);
  // QEMU's decisions are counted and skipped, never used.
  EXPECT_EQ(s.skipped.at("vtd_iotlb_page_hit"), 782u);
  EXPECT_EQ(s.skipped.at("vtd_iotlb_page_update"), 1754u);
  EXPECT_EQ(s.used.at("vtd_iotlb_cc_hit"), 1752u);
  EXPECT_EQ(s.used.at("vtd_iotlb_cc_update"), 2u);
  EXPECT_EQ(s.skipped.at("vtd_inv_desc_cc_device"), 7u);
  EXPECT_EQ(s.not_trace_lines, 0u);
  // Every translated page got a map event; a page only gets a new one when its address changes.
  EXPECT_GT(s.events_of(EventKind::kMap), 0u);
  EXPECT_EQ(s.events_of(EventKind::kUnmap), s.remaps);
  std::cout << "[ info ] maps " << s.events_of(EventKind::kMap) << ", unmaps " << s.events_of(EventKind::kUnmap)
            << ", invalidations " << s.events_of(EventKind::kInvalidate) << "\n";
}

TEST(QemuLogImporter, ReplayAgreesWithQemuOnEveryTranslation) {
  REQUIRE_SHARED_LOG();
  TempFile filtered(".log");
  const std::vector<bool> expected = qemu_decisions(kSharedLog, filtered.path());
  ASSERT_EQ(expected.size(), 2536u);
  std::size_t qemu_hits = 0;
  for (bool h : expected) qemu_hits += h;
  EXPECT_EQ(qemu_hits, 782u);

  const ReplayOutcome got = replay(filtered.path(), load_config("qemu-7.2.yaml"));
  ASSERT_EQ(got.hits.size(), expected.size());
  EXPECT_EQ(got.faults, 0u);
  std::size_t agree = 0, first_disagreement = expected.size();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (got.hits[i] == expected[i])
      ++agree;
    else {
      if (first_disagreement == expected.size()) first_disagreement = i;
      std::cout << "[ info ] disagreement at translation #" << i << ": QEMU " << (expected[i] ? "hit" : "miss") << "\n";
    }
  }
  std::cout << "[ info ] agreement with QEMU: " << agree << " / " << expected.size() << "\n";
  EXPECT_EQ(agree, expected.size()) << "first disagreement at translation #" << first_disagreement << ": QEMU "
                                    << (expected[first_disagreement] ? "hit" : "miss");
}

TEST(QemuLogImporter, HardwareLikeIotlbHitsLessOnTheSameTrace) {
  REQUIRE_SHARED_LOG();
  auto hits_of = [](const ReplayOutcome& o) {
    std::size_t n = 0;
    for (bool h : o.hits) n += h;
    return n;
  };
  // QEMU 7.2 as it is (page invalidations compare only 8 bits of the page number).
  const ReplayOutcome qemu = replay(kSharedLog, load_config("qemu-7.2.yaml"));
  // The same unbounded QEMU-organised IOTLB with exact page invalidation: only the trace's own
  // invalidations and reuse limit it (an independent count from the log gives 790).
  config::UnitConfig exact = load_config("qemu-7.2.yaml");
  exact.caches.qemu_inv_mask_bits = 64;
  const ReplayOutcome unbounded = replay(kSharedLog, exact);
  // A 64-entry 4-way LRU IOTLB, and a 16-entry one.
  const ReplayOutcome hw = replay(kSharedLog, load_config("hw-64x4.yaml"));
  config::UnitConfig small = load_config("hw-64x4.yaml");
  small.caches.iotlb.entries = 16;
  const ReplayOutcome hw16 = replay(kSharedLog, small);
  ASSERT_EQ(qemu.hits.size(), 2536u);
  ASSERT_EQ(hw.hits.size(), 2536u);
  std::cout << "[ info ] IOTLB hits of 2536: qemu-7.2 " << hits_of(qemu) << ", unbounded exact " << hits_of(unbounded)
            << ", hw-64x4 " << hits_of(hw) << ", hw-16x4 " << hits_of(hw16) << "\n";
  EXPECT_EQ(hits_of(qemu), 782u);
  EXPECT_EQ(hits_of(unbounded), 790u);
  EXPECT_LT(hits_of(hw), hits_of(unbounded));
  EXPECT_LT(hits_of(hw16), hits_of(hw));
  EXPECT_EQ(hw.faults, 0u);
}

TEST(QemuLogImporter, PrefixlessPlainZstdLogAndUnusedLines) {
  // The same lines without "PID@S.US:", zstd-compressed, with an unknown trace point and noise.
  const std::string text =
      "vtd_context_cache_reset \n"
      "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x501 low 0x28d9001 gen 0 -> gen 1\n"
      "vtd_iotlb_page_update IOTLB page update sid 0x18 iova 0xffffb402 slpte 0x29e0003 domain 0x5\n"
      "vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n"
      "qemu-system-x86_64: some warning\n"
      "vtd_something_new x 1\n"
      "vtd_dmar_translate dev 00:03.00 iova 0x40000000 -> gpa 0x80000000 mask 0x1fffff\n"
      "vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e5000 mask 0xfff\n"
      "vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffb000 mask 0x0\n";
  TempFile f(".log");
  f.write(testutil::zstd_bytes(text));
  QemuLogImporter importer(f.path());
  std::vector<TraceEvent> events;
  while (auto e = importer.next()) events.push_back(*e);
  // reset -> inv context global, inv iotlb global; cc line -> context; map + dma; 2M map + dma;
  // remap: unmap + map + dma; inv page.
  ASSERT_EQ(events.size(), 11u);
  EXPECT_EQ(events[2].kind, EventKind::kContext);
  EXPECT_EQ(events[3].kind, EventKind::kMap);
  EXPECT_EQ(events[3].host, HostAddr(0x29e0000));
  EXPECT_EQ(events[4].kind, EventKind::kDma);
  EXPECT_EQ(events[4].source, SourceId::from_bdf(0, 3, 0));
  EXPECT_EQ(events[5].page_size, kPageSize2M);
  EXPECT_EQ(events[7].kind, EventKind::kUnmap);
  EXPECT_EQ(events[8].host, HostAddr(0x29e5000));
  EXPECT_EQ(events[10].invalidation.granularity, core::InvalidationGranularity::kPage);
  EXPECT_EQ(importer.stats().not_trace_lines, 1u);
  EXPECT_EQ(importer.stats().skipped.at("vtd_something_new"), 1u);
  EXPECT_EQ(importer.stats().remaps, 1u);
  EXPECT_EQ(importer.position(), f.path() + ":9");
}

TEST(QemuLogImporter, MalformedUsedLineIsAnErrorWithFileAndLine) {
  TempFile f(".log");
  f.write(
      "1@1.000001:vtd_dmar_enable enable 1\n1@1.000002:vtd_dmar_translate dev 00:03.00 iova zz -> gpa 0x0 mask "
      "0xfff\n");
  QemuLogImporter importer(f.path());
  try {
    while (importer.next()) {
    }
    FAIL() << "accepted a malformed translate line";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), f.path() + ":2: vtd_dmar_translate: bad value 'zz' for 'iova'");
  }
  EXPECT_TRUE(looks_like_qemu_log("1@1.5:vtd_dmar_enable enable 1\n"));
  EXPECT_TRUE(looks_like_qemu_log("vtd_inv_qi_fetch \n"));
  EXPECT_FALSE(looks_like_qemu_log("0 dma 00:02.0 r 0x1000 4\n"));
}

// The excerpt shipped in traces/ (first 149 translations of the shared log, interrupt-remapping
// lines removed): the same agreement check without the shared directory.
TEST(QemuLogImporter, ShippedExcerptAgreesWithQemu) {
  const std::string excerpt = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-sample.log.gz";
  TempFile filtered(".log");
  const std::vector<bool> expected = qemu_decisions(excerpt, filtered.path());
  ASSERT_EQ(expected.size(), 149u);
  const ReplayOutcome got = replay(filtered.path(), load_config("qemu-7.2.yaml"));
  ASSERT_EQ(got.hits.size(), expected.size());
  EXPECT_EQ(got.hits, expected);
  std::size_t hits = 0;
  for (bool h : expected) hits += h;
  EXPECT_EQ(hits, 67u);
}
