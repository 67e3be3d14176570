// The Replayer on hand-written traces with known answers, and the `vtdsim replay` command line.
#include "vtdsim/trace/replayer.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/trace_test_util.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/timing/timing_model.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "vtdsim/trace/trace_open.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

const std::string kSample = std::string(VTDSIM_SOURCE_DIR) + "/traces/sample.trace";

struct Seen {
  std::uint64_t time;
  std::uint64_t iova;
  bool hit;
  spec::FaultReason fault;
  std::uint64_t latency = 0;  // completion - issue cycle
};

std::vector<Seen> replay_collect(const std::string& path, const config::UnitConfig& cfg, Replayer** out = nullptr) {
  static std::unique_ptr<Replayer> keep;
  keep = std::make_unique<Replayer>(cfg);
  std::vector<Seen> seen;
  keep->set_translation_callback([&](const TranslationObservation& o) {
    seen.push_back({o.event.time_ns, o.request.iova.value, o.result.outcome.iotlb_hit, o.result.fault,
                    o.completion_cycle - o.issue_cycle});
    EXPECT_GE(o.completion_cycle, o.issue_cycle);
  });
  auto opened = open_trace(path);
  keep->run(*opened.source);
  if (out) *out = keep.get();
  return seen;
}

struct Command {
  int exit_code;
  std::string out;
};

// Runs the vtdsim binary with `args` (stderr merged into the output).
Command run_vtdsim(const std::string& args) {
  const std::string cmd = std::string(VTDSIM_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  Command c{-1, ""};
  if (!p) return c;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) c.out.append(buf.data(), n);
  const int status = ::pclose(p);
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

}  // namespace

TEST(Replayer, SampleTraceGivesTheKnownDecisions) {
  Replayer* r = nullptr;
  const auto seen = replay_collect(kSample, config::UnitConfig{}, &r);
  // time, iova, IOTLB hit, fault — see the comments in traces/sample.trace.
  const std::vector<Seen> expected = {
      {1000, 0x10000, false, spec::FaultReason::kNone},        {1050, 0x10040, true, spec::FaultReason::kNone},
      {1100, 0x12ff0, false, spec::FaultReason::kNone},         // first page of the crossing DMA
      {1100, 0x13000, false, spec::FaultReason::kNone},         // second page
      {1200, 0x3ff000, false, spec::FaultReason::kNone},        // 2 MiB page
      {1300, 0x200000, true, spec::FaultReason::kNone},         // same 2 MiB page
      {2500, 0x10000, false, spec::FaultReason::kReadDenied},   // unmapped + invalidated: legacy 6h
      {2600, 0x200000, true, spec::FaultReason::kWriteDenied},  // read-only 2 MiB page, cached
      {3100, 0x200100, false, spec::FaultReason::kNone},        // after the domain invalidation
  };
  ASSERT_EQ(seen.size(), expected.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].time, expected[i].time) << i;
    EXPECT_EQ(seen[i].iova, expected[i].iova) << i;
    EXPECT_EQ(seen[i].hit, expected[i].hit) << i;
    EXPECT_EQ(seen[i].fault, expected[i].fault) << i;
  }
  const nlohmann::json j = r->to_json();
  EXPECT_EQ(j["iommu"]["translations"], 9);
  EXPECT_EQ(j["iommu"]["iotlb"]["hits"], 3);
  EXPECT_EQ(j["iommu"]["iotlb"]["misses"], 6);
  EXPECT_EQ(j["iommu"]["walks"], 6);
  EXPECT_EQ(j["iommu"]["faults"]["total"], 2);
  EXPECT_EQ(j["replay"]["events"], 16);
  EXPECT_EQ(j["replay"]["invalidations"], 3);
  EXPECT_EQ(j["config"]["iotlb"]["entries"], 64);
  // One latency histogram, shared by the recorder and the timing model: both report every
  // translation's latency as the callback saw it.
  std::uint64_t latency_sum = 0, latency_max = 0;
  for (const Seen& s : seen) {
    latency_sum += s.latency;
    latency_max = std::max(latency_max, s.latency);
  }
  EXPECT_EQ(r->timing().latency().count(), seen.size());
  EXPECT_EQ(r->timing().latency().sum(), latency_sum);
  EXPECT_EQ(r->timing().latency().max(), latency_max);
  EXPECT_EQ(j["iommu"]["latency"]["count"], seen.size());
  EXPECT_FALSE(j["iommu"]["timing"].contains("latency"));  // kept once: iommu.latency
}

// Issue cycle = time_ns * clock_ghz, truncated, as a double product; whole clocks take an
// integer product where the double one is exact. Both must give the double's number.
TEST(Replayer, IssueCycleIsTimeTimesClock) {
  for (const double ghz : {1.0, 2.0, 3.0, 2.5, 0.7}) {
    for (const std::uint64_t t :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}, std::uint64_t{1} << 50, (std::uint64_t{1} << 53) / 3,
          (std::uint64_t{1} << 53) / 3 + 1, (std::uint64_t{1} << 53) + 1, (std::uint64_t{1} << 62) + 12345}) {
      config::UnitConfig cfg;
      cfg.timing.clock_ghz = ghz;
      Replayer r(cfg);
      std::uint64_t issue = 0;
      r.set_translation_callback([&](const TranslationObservation& o) { issue = o.issue_cycle; });
      TraceEvent dma;
      dma.kind = EventKind::kDma;
      dma.time_ns = t;
      dma.source = SourceId::from_bdf(0, 3, 0);
      dma.iova = Iova(0x1000);
      dma.size = 4;
      r.apply(dma);
      EXPECT_EQ(issue, static_cast<std::uint64_t>(static_cast<double>(t) * ghz)) << ghz << " GHz, t=" << t;
    }
  }
}

TEST(Replayer, TableErrorsCarryThePositionAndSkipBadCountsThem) {
  TempFile f(".trace");
  f.write(
      "0 context 00:02.0 1 translated levels=3\n"
      "1 map 1 0x1000 0x2000 0x1000 rw\n"
      "2 map 1 0x1000 0x3000 0x1000 rw\n"          // already mapped
      "3 context 00:03.0 1 translated levels=4\n"  // domain 1 has 3-level tables
      "4 dma 00:02.0 r 0x1000 4\n");
  {
    Replayer r(config::UnitConfig{});
    TextTraceReader src(f.path());
    try {
      r.run(src);
      FAIL() << "map over a mapped page accepted";
    } catch (const TraceError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(f.path() + ":3: ", 0), 0u) << e.what();
    }
  }
  ReplayOptions o;
  o.skip_bad = true;
  Replayer r(config::UnitConfig{}, o);
  TextTraceReader src(f.path());
  EXPECT_EQ(r.run(src), 3u);
  EXPECT_EQ(r.counters().bad_events, 2u);
  ASSERT_EQ(r.bad_messages().size(), 2u);
  EXPECT_EQ(r.bad_messages()[1], f.path() + ":4: domain 1 already has 3-level tables, context asks for 4");
  EXPECT_EQ(r.counters().translations, 1u);
}

TEST(Replayer, SkipBadDoesNotLoopOnCorruptCompressedInput) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + " dma 00:02.0 r 0x1000 4\n";
  const std::string gz = testutil::gzip_bytes(text);
  TempFile f(".trace.gz");
  f.write(gz.substr(0, gz.size() / 2));
  ReplayOptions o;
  o.skip_bad = true;
  Replayer r(config::UnitConfig{}, o);
  auto opened = open_trace(f.path());
  EXPECT_THROW(r.run(*opened.source), TraceError);
}

TEST(ReplayCommand, SummaryJsonAndExitCodes) {
  TempFile json(".json");
  Command c = run_vtdsim("replay " + kSample + " --json " + json.path());
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("translations  9"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("IOTLB         33.33% hit rate (3 hits, 6 misses)"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("faults        2"), std::string::npos) << c.out;
  const nlohmann::json j = nlohmann::json::parse(json.read());
  EXPECT_EQ(j["iommu"]["translations"], 9);
  EXPECT_EQ(j["iommu"]["iotlb"]["hits"], 3);
  EXPECT_EQ(j["iommu"]["iotlb"]["misses"], 6);
  EXPECT_EQ(j["iommu"]["walks"], 6);
  EXPECT_EQ(j["iommu"]["faults"]["total"], 2);
  EXPECT_EQ(j["trace"]["format"], "text");
  EXPECT_TRUE(j["config"].is_object());

  // --set changes the resolved configuration echoed in the JSON.
  c = run_vtdsim("replay " + kSample + " -q --set iommu.iotlb.entries=8 --set iommu.iotlb.ways=full --json " +
                 json.path());
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_EQ(c.out, "");
  EXPECT_EQ(nlohmann::json::parse(json.read())["config"]["iotlb"]["ways"], 8);

  TempFile bad(".trace");
  bad.write("0 context 00:02.0 1 translated\n5 dma 00:02.0 r 0x1000 4\n3 dma 00:02.0 q 0x1000 4\n");
  c = run_vtdsim("replay " + bad.path());
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.out.find(bad.path() + ":3: bad access 'q' (expected r or w)"), std::string::npos) << c.out;
  c = run_vtdsim("replay " + bad.path() + " --skip-bad");
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("skipped 1 bad event"), std::string::npos) << c.out;

  c = run_vtdsim("replay " + kSample + " --set iommu.iotlb.ways=5");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.out.find("iommu.iotlb.ways: must divide iommu.iotlb.entries (64), got 5"), std::string::npos) << c.out;
  c = run_vtdsim("replay " + kSample + " --format bogus");
  EXPECT_EQ(c.exit_code, 2);
  c = run_vtdsim("replay /nonexistent.trace");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.out.find("/nonexistent.trace: cannot open"), std::string::npos) << c.out;
  // Standard input, gzip-compressed, format from the content.
  c = run_vtdsim("replay - -q --json " + json.path() + " < /dev/null");
  EXPECT_EQ(c.exit_code, 2) << c.out;  // empty input: no format
  TempFile gz(".bin");
  std::string text;
  {
    std::ifstream in(kSample);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  gz.write(testutil::gzip_bytes(text));
  c = run_vtdsim("replay - -q --json " + json.path() + " < " + gz.path());
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_EQ(nlohmann::json::parse(json.read())["iommu"]["translations"], 9);

  // A binary trace on standard input, plain and zstd (the binary form of the same sample), and a
  // truncated one: an error naming the record, exit 2.
  TempFile bin(".bin");
  c = run_vtdsim("convert " + kSample + " " + bin.path());
  ASSERT_EQ(c.exit_code, 0) << c.out;
  c = run_vtdsim("replay - -q --json " + json.path() + " < " + bin.path());
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_EQ(nlohmann::json::parse(json.read())["trace"]["format"], "binary");
  EXPECT_EQ(nlohmann::json::parse(json.read())["iommu"]["iotlb"]["hits"], 3);
  TempFile zst(".bin.zst");
  c = run_vtdsim("convert " + kSample + " " + zst.path() + " --to binary-zstd");
  ASSERT_EQ(c.exit_code, 0) << c.out;
  c = run_vtdsim("replay - -q --json " + json.path() + " < " + zst.path());
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_EQ(nlohmann::json::parse(json.read())["iommu"]["translations"], 9);
  TempFile cut(".bin");
  cut.write(bin.read().substr(0, 500));  // header + 6 records + 4 bytes of the 7th
  c = run_vtdsim("replay - -q < " + cut.path());
  EXPECT_EQ(c.exit_code, 2) << c.out;
  EXPECT_NE(c.out.find("<stdin>: record 6 (byte 496): truncated record (4 of 80 bytes)"), std::string::npos) << c.out;
}
