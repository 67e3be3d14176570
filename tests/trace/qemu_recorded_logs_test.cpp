// THE check of the QEMU log import, over every real log under traces/qemu/ (README there: how
// each was recorded): with QEMU's own decision lines deleted from the input, the replay with the
// log's preset (traces/qemu/facts.csv) makes QEMU's hit / miss decision for every translation, and
// nothing faults. Also: what a wrong preset does to the same logs, and the fit findings that name
// the right one.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/qemu_decisions.hpp"
#include "vtdsim/trace/qemu_log_fit.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

const std::string kDir = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu/";

struct LogFacts {
  std::string log, qemu, preset;
  std::uint64_t translations = 0, hits = 0, misses = 0;
};

std::vector<LogFacts> read_facts() {
  std::vector<LogFacts> out;
  std::ifstream in(kDir + "facts.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    LogFacts f;
    std::string cell;
    std::vector<std::string> cells;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    if (cells.size() < 6) continue;
    f.log = cells[0], f.qemu = cells[1], f.preset = cells[2];
    f.translations = std::stoull(cells[3]), f.hits = std::stoull(cells[4]), f.misses = std::stoull(cells[5]);
    out.push_back(f);
  }
  return out;
}

std::string path_of(const LogFacts& f) { return kDir + f.log + ".log.zst"; }

// The log without QEMU's decision lines (the replay's input must not contain them).
void write_without_decisions(const std::string& path, const std::string& out_path) {
  CompressedInput in(path);
  std::ofstream out(out_path);
  std::string line;
  while (in.read_line(line)) {
    if (line.find("vtd_iotlb_page_hit ") != std::string::npos ||
        line.find("vtd_iotlb_page_update ") != std::string::npos || line.find("vtd_translate_pt ") != std::string::npos)
      continue;
    out << line << '\n';
  }
}

config::UnitConfig preset(const std::string& name) {
  return config::load_unit_config(std::string(VTDSIM_SOURCE_DIR) + "/configs/" + name + ".yaml");
}

struct Replayed {
  std::vector<QemuDecision> decisions;
  QemuReplayFaults faults;
  QemuImportStats stats;
};

Replayed replay(const std::string& path, const config::UnitConfig& cfg) {
  Replayer replayer(cfg);
  Replayed out;
  replayer.set_translation_callback([&](const TranslationObservation& o) {
    out.decisions.push_back(decision_of(o.result));
    ++out.faults.translations;
    if (!o.result.ok() && out.faults.faults++ == 0) out.faults.first_reason = o.result.fault;
  });
  QemuLogImporter source(path);
  replayer.run(source);
  out.stats = source.stats();
  return out;
}

bool has_finding(const std::vector<QemuFitFinding>& findings, QemuFitFinding::Severity severity,
                 const std::string& text) {
  for (const auto& f : findings)
    if (f.severity == severity && f.what.find(text) != std::string::npos) return true;
  return false;
}

class RecordedQemuLog : public ::testing::TestWithParam<LogFacts> {};

}  // namespace

TEST(RecordedQemuLogs, FactsListEveryCommittedLog) {
  const auto facts = read_facts();
  EXPECT_GE(facts.size(), 26u);
  std::size_t with_translations = 0;
  for (const auto& f : facts) {
    EXPECT_TRUE(std::ifstream(path_of(f)).good()) << f.log;
    with_translations += f.translations > 0;
  }
  EXPECT_GE(with_translations, 20u);
}

TEST_P(RecordedQemuLog, EveryDecisionEqualsQemus) {
  const LogFacts& f = GetParam();
  const QemuDecisionLog qemu = read_qemu_decisions(path_of(f));
  ASSERT_EQ(qemu.decisions.size(), f.translations);
  EXPECT_EQ(qemu.hits, f.hits);
  EXPECT_EQ(qemu.misses, f.misses);
  TempFile filtered(".log");
  write_without_decisions(path_of(f), filtered.path());
  const Replayed got = replay(filtered.path(), preset(f.preset));
  EXPECT_EQ(got.faults.faults, 0u);
  const QemuAgreement a = compare_with_qemu(qemu, got.decisions);
  std::cout << "[ info ] " << f.log << " (" << f.preset << "): " << a.equal << " / " << a.total
            << " decisions equal to QEMU's\n";
  EXPECT_TRUE(a.all_equal()) << "first difference at translation #" << a.first_difference << " (line "
                             << (a.first_difference < qemu.lines.size() ? qemu.lines[a.first_difference] : 0) << ")";
  // The preset fits: no error and no warning about the release or the stage; a log without
  // translations (pass-through, no ACCESS_PLATFORM) says so.
  const auto findings = check_qemu_log_fit(got.stats, preset(f.preset), got.faults);
  EXPECT_EQ(has_finding(findings, QemuFitFinding::Severity::kWarning, "the log has no translation"),
            f.translations == 0);
  for (const auto& x : findings) {
    EXPECT_NE(x.severity, QemuFitFinding::Severity::kError) << x.what;
    EXPECT_EQ(x.what.find("use configs/"), std::string::npos) << x.what;
  }
}

INSTANTIATE_TEST_SUITE_P(TracesQemu, RecordedQemuLog, ::testing::ValuesIn(read_facts()),
                         [](const ::testing::TestParamInfo<LogFacts>& info) {
                           std::string name = info.param.log;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// Cause 1 of the issue: QEMU 10.0 defaults to aw-bits=48. A configuration that only allows 39-bit
// tables faults on every translation, which is an error that names the fix.
TEST(RecordedQemuLogs, FortyEightBitLogWithThirtyNineBitConfigurationIsAnError) {
  config::UnitConfig cfg = preset("qemu-10.0");
  cfg.cap.sagaw = 0b0010;
  const Replayed got = replay(kDir + "q10-leg-cm-strict.log.zst", cfg);
  EXPECT_EQ(got.faults.faults, 957u);
  EXPECT_EQ(got.faults.first_reason, spec::FaultReason::kInvalidContext);
  const auto findings = check_qemu_log_fit(got.stats, cfg, got.faults);
  EXPECT_TRUE(has_finding(findings, QemuFitFinding::Severity::kError,
                          "the log's context entries use 48-bit tables (4 levels, AW=2) but iommu.cap.sagaw=0b0010 "
                          "does not allow them; use a configs/qemu-*.yaml preset or --set iommu.cap.sagaw=0b0110"));
  EXPECT_TRUE(has_finding(findings, QemuFitFinding::Severity::kError, "957 of 957 translations faulted"));
}

// Cause 3: QEMU 9.1+ compares whole page numbers; the 7.2 preset's 8-bit mask drops more.
TEST(RecordedQemuLogs, ThePresetOfAnotherReleaseDiffersAndIsNamed) {
  const QemuDecisionLog qemu10 = read_qemu_decisions(kDir + "q10-leg-cm-strict.log.zst");
  const Replayed as72 = replay(kDir + "q10-leg-cm-strict.log.zst", preset("qemu-7.2"));
  EXPECT_FALSE(compare_with_qemu(qemu10, as72.decisions).all_equal());
  EXPECT_TRUE(has_finding(check_qemu_log_fit(as72.stats, preset("qemu-7.2"), as72.faults),
                          QemuFitFinding::Severity::kWarning,
                          "the log shows QEMU 10.0 or later (vtd_reset_exit or p-iotlb lines) but the configuration "
                          "models QEMU 7.2 to 9.0; use configs/qemu-10.0.yaml"));
  const QemuDecisionLog qemu72 = read_qemu_decisions(kDir + "q72-leg-cm-strict.log.zst");
  const Replayed as10 = replay(kDir + "q72-leg-cm-strict.log.zst", preset("qemu-10.0"));
  EXPECT_FALSE(compare_with_qemu(qemu72, as10.decisions).all_equal());
  EXPECT_TRUE(has_finding(check_qemu_log_fit(as10.stats, preset("qemu-10.0"), as10.faults),
                          QemuFitFinding::Severity::kWarning,
                          "for a log of QEMU 7.2 to 9.0 use configs/qemu-7.2.yaml"));
}

// First-stage logs (x-flts=on): QEMU 10.0 invalidates first-stage entries differently. The 10.0
// preset takes the stage from the guest's first page-selective flush (auto), the flts preset fixes
// it; a preset that says second stage differs and is told which to use.
TEST(RecordedQemuLogs, FirstStageLogsReplayWithTheStageOfTheirEntries) {
  const std::string log = kDir + "q10-sm-flts-strict.log.zst";
  const QemuDecisionLog qemu = read_qemu_decisions(log);
  EXPECT_TRUE(compare_with_qemu(qemu, replay(log, preset("qemu-10.0")).decisions).all_equal());
  EXPECT_TRUE(compare_with_qemu(qemu, replay(log, preset("qemu-10.0-flts")).decisions).all_equal());
  config::UnitConfig second = preset("qemu-10.0");
  second.caches.qemu_first_stage = config::QemuStage::kSecond;
  const Replayed wrong = replay(log, second);
  EXPECT_FALSE(compare_with_qemu(qemu, wrong.decisions).all_equal());
  EXPECT_GT(wrong.stats.pasid_iotlb_page, 400u);
  EXPECT_TRUE(
      has_finding(check_qemu_log_fit(wrong.stats, second, wrong.faults), QemuFitFinding::Severity::kWarning,
                  "it uses first-stage tables (QEMU x-flts=on), which QEMU invalidates differently; use "
                  "configs/qemu-10.0.yaml (iommu.iotlb.qemu_first_stage: auto) or configs/qemu-10.0-flts.yaml"));
  const Replayed first = replay(kDir + "q10-sm-strict.log.zst", preset("qemu-10.0-flts"));
  EXPECT_TRUE(has_finding(check_qemu_log_fit(first.stats, preset("qemu-10.0-flts"), first.faults),
                          QemuFitFinding::Severity::kWarning,
                          "it uses second-stage tables; use configs/qemu-10.0.yaml"));
}

// Cause 2: scalable-mode contexts hold no domain-id. With caching mode Linux's attach sequence
// names every device's domain; without it the domains are inferred, and said so.
TEST(RecordedQemuLogs, ScalableModeDomainsAreLearntOrInferredAndSaidSo) {
  const Replayed cm = replay(kDir + "q10-sm-strict.log.zst", preset("qemu-10.0"));
  EXPECT_TRUE(cm.stats.scalable_mode);
  EXPECT_EQ(cm.stats.sm_domains_from_attach, 7u);  // 00:00.0, 00:01.0, 00:02.0, 00:03.0, 00:1f.0/2/3
  EXPECT_TRUE(cm.stats.sm_domains_inferred.empty());
  const Replayed nocm = replay(kDir + "q10-sm-nocm-strict.log.zst", preset("qemu-10.0"));
  EXPECT_EQ(nocm.stats.sm_domains_from_attach, 0u);
  ASSERT_EQ(nocm.stats.sm_domains_inferred.size(), 2u);
  EXPECT_EQ(nocm.stats.sm_domains_inferred[0].rfind("00:02.0 -> 0x4 (line ", 0), 0u)
      << nocm.stats.sm_domains_inferred[0];
  EXPECT_EQ(nocm.stats.sm_domains_inferred[1].rfind("00:03.0 -> 0x5 (line ", 0), 0u)
      << nocm.stats.sm_domains_inferred[1];
  EXPECT_TRUE(has_finding(check_qemu_log_fit(nocm.stats, preset("qemu-10.0"), nocm.faults),
                          QemuFitFinding::Severity::kWarning, "00:02.0 -> 0x4"));
}

// Cause 4: QEMU 10.0 logs PASID-based IOTLB invalidations only as raw descriptors.
TEST(RecordedQemuLogs, RawPasidIotlbDescriptorsAreDecoded) {
  const Replayed sm = replay(kDir + "q10-sm-strict.log.zst", preset("qemu-10.0"));
  EXPECT_EQ(sm.stats.pasid_iotlb_pasid, 7u);  // one per attach (pasid_flush_caches with caching mode)
  EXPECT_EQ(sm.stats.pasid_iotlb_page, 0u);
  EXPECT_TRUE(sm.stats.undecoded_descriptors.empty());
  EXPECT_EQ(qemu_release_shown(sm.stats), "10.0");
  const Replayed fs = replay(kDir + "q10-sm-flts-lazy.log.zst", preset("qemu-10.0-flts"));
  EXPECT_EQ(fs.stats.pasid_iotlb_pasid + fs.stats.pasid_iotlb_page, 20u);
  const Replayed old = replay(kDir + "q72-sm-strict.log.zst", preset("qemu-7.2"));
  EXPECT_EQ(old.stats.pasid_iotlb_pasid + old.stats.pasid_iotlb_page, 0u);  // 7.2 neither logs nor applies them
  EXPECT_EQ(qemu_release_shown(old.stats), "");
}
