// Replay of first-stage translations (issue #12): the context's stage in the trace formats (text
// `stage=`, binary version 2 byte 74, version 1 still read), the replayer's scalable-mode tables
// for it (PGTT 001b: first-stage tables, so P_IOTLB invalidations reach their entries), the QEMU
// importer's reading of x-flts=on logs, and what that changes for the real logs on a hardware-like
// IOTLB (configs/hw-64x4.yaml), where they used to drop nothing on their P_IOTLB invalidations.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/qemu_log_fit.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "vtdsim/trace/vector_trace_source.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

TraceEvent parse(const std::string& line) {
  TraceEvent e;
  EXPECT_TRUE(parse_text_event(line, e)) << line;
  return e;
}

std::string parse_error(const std::string& line) {
  TraceEvent e;
  try {
    parse_text_event(line, e);
  } catch (const std::exception& err) {
    return err.what();
  }
  return "";
}

config::UnitConfig preset(const std::string& name) {
  return config::load_unit_config(std::string(VTDSIM_SOURCE_DIR) + "/configs/" + name + ".yaml");
}

// Replays text lines; returns each translation's IOTLB hit (faults as -1) and the replayer's JSON.
struct Outcome {
  std::vector<int> hits;
  std::vector<core::TranslationStage> stages;
  std::vector<unsigned> paging_reads;
  nlohmann::json json;
};
Outcome replay_lines(const std::vector<std::string>& lines, const config::UnitConfig& cfg) {
  std::vector<TraceEvent> events;
  for (const auto& l : lines) events.push_back(parse(l));
  Replayer replayer(cfg);
  Outcome out;
  replayer.set_translation_callback([&](const TranslationObservation& o) {
    out.hits.push_back(o.result.ok() ? (o.result.outcome.iotlb_hit ? 1 : 0) : -1);
    out.stages.push_back(o.result.stage);
    unsigned paging = 0;
    for (const core::WalkRead& r : o.result.walk) paging += r.kind == core::WalkReadKind::kPagingEntry;
    out.paging_reads.push_back(paging);
  });
  VectorTraceSource source(events);
  replayer.run(source);
  out.json = replayer.to_json();
  return out;
}

std::string replay_error(const std::vector<std::string>& lines, const config::UnitConfig& cfg) {
  try {
    replay_lines(lines, cfg);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

config::UnitConfig hardware() {
  config::UnitConfig cfg = preset("hw-64x4");
  cfg.cap.flts = true;
  return cfg;
}

std::uint64_t dropped(const nlohmann::json& j, const char* target, const char* granularity) {
  const auto& inv = j["iommu"]["invalidations"];
  if (!inv.contains(target) || !inv[target].contains(granularity)) return 0;
  return inv[target][granularity]["dropped"].get<std::uint64_t>();
}

}  // namespace

TEST(FirstStageTrace, TextContextsCarryTheirStage) {
  const TraceEvent fs = parse("5 context 00:02.0 4 translated levels=4 stage=first");
  EXPECT_EQ(fs.stage, ContextStage::kFirst);
  EXPECT_EQ(format_text_event(fs), "5 context 00:02.0 4 translated levels=4 stage=first");
  const TraceEvent ss = parse("5 context 00:02.0 4 devtlb stage=second levels=3");
  EXPECT_EQ(ss.stage, ContextStage::kSecond);
  EXPECT_EQ(ss.levels, 3u);
  EXPECT_EQ(format_text_event(ss), "5 context 00:02.0 4 devtlb levels=3 stage=second");
  const TraceEvent legacy = parse("5 context 00:02.0 4 translated");
  EXPECT_EQ(legacy.stage, ContextStage::kLegacy);
  EXPECT_EQ(format_text_event(legacy), "5 context 00:02.0 4 translated levels=4");

  EXPECT_NE(parse_error("5 context 00:02.0 4 translated stage=third").find("bad stage 'third'"), std::string::npos);
  EXPECT_NE(parse_error("5 context 00:02.0 4 passthrough stage=first").find("translated and devtlb contexts only"),
            std::string::npos);
  EXPECT_NE(parse_error("5 context 00:02.0 4 translated levels=3 stage=first").find("4 or 5 levels"),
            std::string::npos);
  EXPECT_NE(parse_error("5 context 00:02.0 4 translated stage=first stage=first").find("unexpected"),
            std::string::npos);
}

TEST(FirstStageTrace, BinaryVersion2CarriesTheStageAndVersion1StillReads) {
  const std::vector<TraceEvent> events = {parse("0 context 00:02.0 4 translated levels=4 stage=first"),
                                          parse("0 context 00:03.0 5 translated levels=3 stage=second"),
                                          parse("0 context 00:04.0 6 translated levels=4"),
                                          parse("1 map 4 0x10000 0x200000 0x1000 rw")};
  TempFile f(".bin");
  {
    BinaryTraceWriter w(f.path());
    for (const auto& e : events) w.write(e);
    w.close();
  }
  std::string bytes = f.read();
  ASSERT_EQ(bytes.size(), 16u + 4 * 80u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 2u);             // version 2
  EXPECT_EQ(static_cast<unsigned char>(bytes[16 + 74]), 2u);       // kFirst
  EXPECT_EQ(static_cast<unsigned char>(bytes[16 + 80 + 74]), 1u);  // kSecond
  {
    BinaryTraceReader r(f.path());
    for (const auto& want : events) {
      const auto got = r.next();
      ASSERT_TRUE(got);
      EXPECT_EQ(format_text_event(*got), format_text_event(want));
    }
    EXPECT_FALSE(r.next());
  }
  // A version-1 file: byte 74 was reserved (zero), so its contexts are legacy ones.
  std::string v1 = bytes;
  v1[8] = 1;
  for (std::size_t rec = 0; rec < 4; ++rec) v1[16 + rec * 80 + 74] = 0;
  f.write(v1);
  {
    BinaryTraceReader r(f.path());
    for (const auto& want : events) {
      const auto got = r.next();
      ASSERT_TRUE(got);
      TraceEvent legacy = want;
      legacy.stage = ContextStage::kLegacy;
      EXPECT_EQ(format_text_event(*got), format_text_event(legacy));
    }
  }
  // Out of range, and versions this build does not know.
  std::string bad = bytes;
  bad[16 + 74] = 3;
  f.write(bad);
  try {
    BinaryTraceReader r(f.path());
    r.next();
    ADD_FAILURE() << "stage 3 accepted";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("record 0 (byte 16): corrupt record: context stage out of range"),
              std::string::npos)
        << e.what();
  }
  std::string v3 = bytes;
  v3[8] = 3;
  f.write(v3);
  try {
    BinaryTraceReader r(f.path());
    ADD_FAILURE() << "version 3 accepted";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported binary trace version 3 (this build reads versions 1 to 2)"),
              std::string::npos)
        << e.what();
  }
}

// The committed binary trace was written as version 1 and still replays.
TEST(FirstStageTrace, TheCommittedVersion1TraceStillReads) {
  BinaryTraceReader r(std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.bin.zst");
  std::uint64_t events = 0, contexts = 0;
  TraceEvent e;
  while (r.next(e)) {
    ++events;
    if (e.kind == EventKind::kContext) {
      ++contexts;
      EXPECT_EQ(e.stage, ContextStage::kLegacy);
    }
  }
  EXPECT_EQ(events, 6089u);
  EXPECT_GT(contexts, 0u);
}

// Hand-computed: one first-stage page, hit, a legacy page-selective flush (reaches second-stage
// and nested entries only: the entry stays), a P_IOTLB page-selective one (drops it: spec 6.5.2.4).
// The same trace with a legacy context builds second-level tables, and then only the legacy flush
// reaches the entry.
TEST(FirstStageTrace, FirstStageContextsBuildTablesThatPasidBasedInvalidationsReach) {
  const std::vector<std::string> body = {
      "1 map 4 0x10000 0x200000 0x1000 rw", "10 dma 00:02.0 r 0x10000 4",
      "20 dma 00:02.0 r 0x10000 4",         "30 inv iotlb page did=4 addr=0x10000 am=0",
      "40 dma 00:02.0 r 0x10000 4",         "50 inv piotlb page did=4 pasid=0 addr=0x10000 am=0",
      "60 dma 00:02.0 r 0x10000 4"};
  std::vector<std::string> first = {"0 context 00:02.0 4 translated levels=4 stage=first"};
  first.insert(first.end(), body.begin(), body.end());
  const Outcome fs = replay_lines(first, hardware());
  EXPECT_EQ(fs.hits, (std::vector<int>{0, 1, 1, 0}));
  EXPECT_EQ(fs.stages[0], core::TranslationStage::kFirst);
  EXPECT_EQ(fs.paging_reads[0], 4u);  // PML4E, PDPE, PDE, PTE
  EXPECT_EQ(dropped(fs.json, "iotlb", "page"), 0u);
  EXPECT_EQ(dropped(fs.json, "pasid_iotlb", "page"), 4u);  // the IOTLB entry and the PML4E, PDPE, PDE entries (IH=0)

  std::vector<std::string> legacy = {"0 context 00:02.0 4 translated levels=4"};
  legacy.insert(legacy.end(), body.begin(), body.end());
  const Outcome ss = replay_lines(legacy, hardware());
  EXPECT_EQ(ss.hits, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(ss.stages[0], core::TranslationStage::kSecond);
  EXPECT_EQ(dropped(ss.json, "iotlb", "page"), 4u);
  EXPECT_EQ(dropped(ss.json, "pasid_iotlb", "page"), 0u);

  // stage=second: scalable-mode tables, PGTT 010b; unmap of a first-stage page clears it.
  const Outcome sm = replay_lines(
      {"0 context 00:02.0 4 translated levels=4 stage=second", "0 context 00:03.0 5 translated levels=4 stage=first",
       "0 context 00:04.0 5 passthrough", "1 map 4 0x10000 0x200000 0x1000 rw", "1 map 5 0x10000 0x300000 0x1000 r",
       "10 dma 00:02.0 r 0x10000 4", "10 dma 00:03.0 r 0x10000 4", "10 dma 00:04.0 r 0x10000 4",
       "20 unmap 5 0x10000 0x1000", "30 inv piotlb pasid did=5 pasid=0", "40 dma 00:03.0 r 0x10000 4"},
      hardware());
  EXPECT_EQ(sm.hits, (std::vector<int>{0, 0, 0, -1}));
  EXPECT_EQ(sm.stages[0], core::TranslationStage::kSecond);
  EXPECT_EQ(sm.stages[1], core::TranslationStage::kFirst);
  EXPECT_EQ(sm.stages[2], core::TranslationStage::kPassThrough);
  EXPECT_EQ(sm.json["replay"]["leaves_unmapped"], 1u);
}

TEST(FirstStageTrace, WhatTheTablesCannotHoldIsAnErrorThatNamesTheFix) {
  EXPECT_NE(replay_error({"0 context 00:02.0 4 translated stage=first"}, preset("hw-64x4"))
                .find("iommu.cap.flts is false (ECAP.FLTS, VT-d spec 11.4.3); --set iommu.cap.flts=true"),
            std::string::npos);
  config::UnitConfig no_sm = hardware();
  no_sm.cap.smts = false;
  EXPECT_NE(replay_error({"0 context 00:02.0 4 translated stage=first"}, no_sm).find("--set iommu.cap.smts=true"),
            std::string::npos);
  EXPECT_NE(replay_error({"0 context 00:02.0 4 translated", "0 context 00:03.0 5 translated stage=first"}, hardware())
                .find("give every translated context a stage="),
            std::string::npos);
  EXPECT_NE(replay_error({"0 context 00:02.0 4 translated stage=first", "0 context 00:03.0 5 translated"}, hardware())
                .find("give it stage=second or stage=first"),
            std::string::npos);
  EXPECT_NE(replay_error({"0 context 00:02.0 4 translated stage=first", "0 context 00:03.0 4 translated stage=second"},
                         hardware())
                .find("domain 4 has first-stage tables"),
            std::string::npos);
  EXPECT_NE(
      replay_error({"0 context 00:02.0 4 translated stage=first", "1 map 4 0x10000 0x200000 0x1000 w"}, hardware())
          .find("first-stage entries cannot be write-only"),
      std::string::npos);
}

namespace {

// A scalable-mode log with caching mode (Linux 6.1's attach names domain 4), one translation and
// then `flush` (or nothing).
std::string scalable_log(const std::string& flush) {
  return "vtd_reg_dmar_root addr 0x1917000 scalable 1\n"
         "vtd_inv_desc_cc_devices context invalidate devices sid 0x10 fmask 0x0\n"
         "vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x4\n"
         "vtd_inv_desc invalidate desc type p-iotlb high 0x0 low 0x40026\n"  // attach: PASID-selective, no vote
         "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x10 high 0x0 low 0x24d6401 gen 0 -> gen 1\n"
         "vtd_dmar_translate dev 00:02.00 iova 0xffffe000 -> gpa 0x2000000 mask 0xfff\n" +
         flush;
}

std::vector<TraceEvent> import(const std::string& text, QemuImportStats& stats, QemuFlts flts = QemuFlts::kAuto) {
  TempFile f(".log");
  f.write(text);
  QemuLogImporter importer(f.path());
  importer.set_flts(flts);
  std::vector<TraceEvent> events;
  while (auto e = importer.next()) events.push_back(*e);
  stats = importer.stats();
  return events;
}

ContextStage context_stage(const std::vector<TraceEvent>& events) {
  for (const auto& e : events)
    if (e.kind == EventKind::kContext) return e.stage;
  ADD_FAILURE() << "no context event";
  return ContextStage::kLegacy;
}

}  // namespace

// QEMU 10.0's stage is one for the unit (x-flts), not logged; Linux flushes first-stage domains
// with P_IOTLB and second-stage ones with legacy invalidations, so the first IOTLB flush after the
// first translation tells (attach-time flushes come before any translation).
TEST(FirstStageQemuImport, TheFirstFlushAfterATranslationTellsTheStage) {
  QemuImportStats s;
  auto events = import(scalable_log("vtd_inv_desc invalidate desc type p-iotlb high 0xffffe000 low 0x40036\n"), s);
  EXPECT_EQ(context_stage(events), ContextStage::kFirst);
  EXPECT_EQ(s.sm_stage, ContextStage::kFirst);
  EXPECT_EQ(s.sm_stage_line, 7u);
  EXPECT_FALSE(s.sm_stage_unknown);
  // The flush-queue flush of a lazy first-stage domain: PASID-selective.
  events = import(scalable_log("vtd_inv_desc invalidate desc type p-iotlb high 0x0 low 0x40026\n"), s);
  EXPECT_EQ(context_stage(events), ContextStage::kFirst);

  events = import(scalable_log("vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x4 addr 0xffffe000 mask 0x0\n"), s);
  EXPECT_EQ(context_stage(events), ContextStage::kSecond);  // second stage: PGTT 010b
  EXPECT_EQ(s.sm_stage, ContextStage::kSecond);
  events = import(scalable_log("vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x4\n"), s);
  EXPECT_EQ(s.sm_stage, ContextStage::kSecond);

  // Nothing tells: second stage, and the replay says so and names the option.
  events = import(scalable_log(""), s);
  EXPECT_EQ(context_stage(events), ContextStage::kSecond);
  EXPECT_TRUE(s.sm_stage_unknown);
  QemuReplayFaults faults;
  faults.translations = 1;
  bool warned = false;
  for (const auto& f : check_qemu_log_fit(s, hardware(), faults))
    warned = warned || f.what.find("replay with --qemu-flts=on") != std::string::npos;
  EXPECT_TRUE(warned);
  events = import(scalable_log(""), s, QemuFlts::kOn);
  EXPECT_EQ(context_stage(events), ContextStage::kFirst);
  EXPECT_FALSE(s.sm_stage_unknown);
  events = import(scalable_log("vtd_inv_desc invalidate desc type p-iotlb high 0xffffe000 low 0x40036\n"), s,
                  QemuFlts::kOff);
  EXPECT_EQ(context_stage(events), ContextStage::kSecond);

  // A legacy-mode log has no stage to tell.
  events = import(
      "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x10 high 0x402 low 0x1 gen 0 -> gen 1\n"
      "vtd_dmar_translate dev 00:02.00 iova 0xffffe000 -> gpa 0x2000000 mask 0xfff\n",
      s);
  EXPECT_EQ(context_stage(events), ContextStage::kLegacy);
  EXPECT_FALSE(s.sm_stage_unknown);
  EXPECT_EQ(parse_qemu_flts("on"), QemuFlts::kOn);
  EXPECT_THROW(parse_qemu_flts("yes"), std::invalid_argument);
}

namespace {

struct HardwareReplay {
  std::uint64_t piotlb_page = 0, piotlb_page_dropped = 0, piotlb_pasid = 0, piotlb_pasid_dropped = 0;
  std::uint64_t hits = 0, misses = 0, faults = 0;
};

HardwareReplay replay_log(const std::string& log, QemuFlts flts) {
  Replayer replayer(hardware());
  QemuLogImporter source(std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu/" + log + ".log.zst");
  source.set_flts(flts);
  replayer.run(source);
  const nlohmann::json j = replayer.to_json();
  const auto& inv = j["iommu"]["invalidations"]["pasid_iotlb"];
  HardwareReplay r;
  if (inv.contains("page")) {
    r.piotlb_page = inv["page"]["count"].get<std::uint64_t>();
    r.piotlb_page_dropped = inv["page"]["dropped"].get<std::uint64_t>();
  }
  r.piotlb_pasid = inv["pasid"]["count"].get<std::uint64_t>();
  r.piotlb_pasid_dropped = inv["pasid"]["dropped"].get<std::uint64_t>();
  r.hits = j["iommu"]["iotlb"]["hits"].get<std::uint64_t>();
  r.misses = j["iommu"]["iotlb"]["misses"].get<std::uint64_t>();
  r.faults = j["iommu"]["faults"]["total"].get<std::uint64_t>();
  return r;
}

}  // namespace

// The real x-flts=on logs on a 64-entry 4-way IOTLB: with first-stage tables the guest's P_IOTLB
// invalidations drop entries; as second-stage tables (--qemu-flts=off, what every replay did
// before) they dropped none and the IOTLB kept hitting stale entries.
TEST(FirstStageQemuImport, RealFirstStageLogsOnAHardwareIotlb) {
  struct Want {
    const char* log;
    std::uint64_t page, page_dropped, pasid, pasid_dropped, hits, misses, old_hits;
  };
  const Want wants[] = {{"q10-sm-flts-strict", 502, 441, 7, 0, 816, 519, 1151},
                        {"q10-sm-flts-lazy", 0, 0, 20, 252, 554, 559, 635},
                        {"q10-l612-sm-flts-strict", 255, 441, 7, 0, 569, 519, 872},
                        {"q10-l612-sm-flts-lazy", 0, 0, 21, 279, 654, 564, 760}};
  for (const Want& w : wants) {
    const HardwareReplay now = replay_log(w.log, QemuFlts::kAuto);
    EXPECT_EQ(now.faults, 0u) << w.log;
    EXPECT_EQ(now.piotlb_page, w.page) << w.log;
    EXPECT_EQ(now.piotlb_page_dropped, w.page_dropped) << w.log;
    EXPECT_EQ(now.piotlb_pasid, w.pasid) << w.log;
    EXPECT_EQ(now.piotlb_pasid_dropped, w.pasid_dropped) << w.log;
    EXPECT_EQ(now.hits, w.hits) << w.log;
    EXPECT_EQ(now.misses, w.misses) << w.log;
    const HardwareReplay old = replay_log(w.log, QemuFlts::kOff);
    EXPECT_EQ(old.piotlb_page_dropped + old.piotlb_pasid_dropped, 0u) << w.log;
    EXPECT_EQ(old.hits, w.old_hits) << w.log;
  }
}
