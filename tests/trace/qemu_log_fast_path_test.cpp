// The QEMU log importer's fast paths (issue #4): the same events whatever the reader's chunk size
// and thread, and the same accept/reject decisions as the C library (strtoull base 0, sscanf
// "%x:%x.%x") on the odd number and device forms the hand-written parsers pass on.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

struct Imported {
  std::vector<std::string> events;  // canonical text, with time and the line each came from
  std::string error;
};

Imported import(const std::string& path, const InputOptions& options = InputOptions()) {
  Imported out;
  QemuLogImporter importer(std::make_unique<CompressedInput>(path, options));
  try {
    TraceEvent e;
    while (importer.next_into(e))
      out.events.push_back(format_text_event(e) + " @" + importer.position());  // (with the time)
  } catch (const TraceError& e) {
    out.error = e.what();
  }
  return out;
}

// One line of a log, imported after a context line for 00:03.0 (domain 5): its events, or its error.
Imported one_line(const std::string& line) {
  TempFile f(".log");
  f.write("vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x18 high 0x501 low 0x28d9001 gen 0 -> gen 1\n" +
          line + "\n");
  Imported all = import(f.path());
  if (!all.events.empty()) all.events.erase(all.events.begin());                                    // the context event
  for (std::string& e : all.events) e = e.substr(e.find(' ') + 1, e.find(" @") - e.find(' ') - 1);  // no time
  if (!all.error.empty()) all.error = all.error.substr(all.error.find(":2: ") + 4);
  return all;
}

}  // namespace

TEST(QemuLogFastPath, SameEventsForEveryChunkSizeWithAndWithoutThread) {
  const std::string log = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.log.gz";
  InputOptions never;
  never.read_ahead = ReadAhead::kNever;
  const Imported reference = import(log, never);
  ASSERT_EQ(reference.error, "");
  ASSERT_EQ(reference.events.size(), 6089u);
  for (std::size_t chunk : {std::size_t{61}, std::size_t{4093}, std::size_t{1} << 18}) {
    InputOptions ahead;
    ahead.read_ahead = ReadAhead::kAlways;
    ahead.chunk_bytes = chunk;
    ahead.chunks = 3;
    const Imported got = import(log, ahead);
    EXPECT_EQ(got.error, "");
    ASSERT_EQ(got.events.size(), reference.events.size()) << "chunk " << chunk;
    EXPECT_TRUE(got.events == reference.events) << "chunk " << chunk;
  }
}

TEST(QemuLogFastPath, UsualNumberFormsByHand) {
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffb000 mask 0x0").events,
            std::vector<std::string>{"inv iotlb page did=5 addr=0xffffb000"});
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages iotlb invalidate domain 5 addr 4096 mask 9").events,
            std::vector<std::string>{"inv iotlb page did=5 addr=0x1000 am=9"});
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 0XfFfF addr 0xFFFFFFFFFFFFF000 mask 0").events,
            std::vector<std::string>{"inv iotlb page did=65535 addr=0xfffffffffffff000"});
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x5").events,
            std::vector<std::string>{"inv iotlb domain did=5"});
}

TEST(QemuLogFastPath, OddNumberFormsJudgedAsStrtoullDoes) {
  // Octal with a leading zero, a plus sign: strtoull takes them, so does the importer.
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 010 addr +0x2000 mask 00").events,
            std::vector<std::string>{"inv iotlb page did=8 addr=0x2000"});
  // Not a whole number, a minus sign, overflow, "0x" alone, a digit too many for octal.
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 0x5 addr 0x1000g mask 0").error,
            "vtd_inv_desc_iotlb_pages: bad value '0x1000g' for 'addr'");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain -5 addr 0 mask 0").error,
            "vtd_inv_desc_iotlb_pages: bad value '-5' for 'domain'");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 5 addr 18446744073709551616 mask 0").error,
            "vtd_inv_desc_iotlb_pages: bad value '18446744073709551616' for 'addr'");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 5 addr 0x10000000000000000 mask 0").error,
            "vtd_inv_desc_iotlb_pages: bad value '0x10000000000000000' for 'addr'");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 0x addr 0 mask 0").error,
            "vtd_inv_desc_iotlb_pages: bad value '0x' for 'domain'");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 08 addr 0 mask 0").error,
            "vtd_inv_desc_iotlb_pages: bad value '08' for 'domain'");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages domain 0x10000 addr 0 mask 0").error,
            "vtd_inv_desc_iotlb_pages: domain out of range");
  // The largest 64-bit values, both ways.
  EXPECT_EQ(one_line("vtd_inv_desc_iec granularity 18446744073709551615 index 0xffffffffffffffff mask 99").events,
            std::vector<std::string>{"inv iec page addr=0xffffffffffffffff am=52"});
  // vtd_inv_desc_iotlb_domain reads its last token loosely, as before (no sign or range check
  // beyond the domain's 16 bits).
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_domain iotlb invalidate whole domain -0").events,
            std::vector<std::string>{"inv iotlb domain did=0"});
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x5z").error,
            "vtd_inv_desc_iotlb_domain: bad domain '0x5z'");
}

TEST(QemuLogFastPath, DeviceFormsJudgedAsSscanfDoes) {
  const std::string rest = " iova 0x1000 -> gpa 0x2000 mask 0xfff";
  const std::vector<std::string> dma = {"map 5 0x1000 0x2000 0x1000 rw", "dma 00:03.0 r 0x1000 4"};
  auto events_of = [&](const std::string& dev) {
    Imported got = one_line("vtd_dmar_translate dev " + dev + rest);
    return got.events.size() >= 2 ? std::vector<std::string>{got.events.end() - 2, got.events.end()} : got.events;
  };
  EXPECT_EQ(one_line("vtd_dmar_translate dev 00:03.00" + rest).error, "");
  const std::vector<std::string> expected = events_of("00:03.00");
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(expected[1].rfind("dma 00:03.0 ", 0), 0u) << expected[1];
  // sscanf's %x also takes "0x" prefixes and a "+": the same device.
  EXPECT_EQ(events_of("0x0:0x3.0x0"), expected);
  EXPECT_EQ(events_of("0:3.0"), expected);
  EXPECT_EQ(events_of("+0:03.0"), expected);
  EXPECT_EQ(events_of("00:03.0x"), expected);  // glibc's %x reads "0x" alone as 0
  // Trailing characters, a missing field, a field out of range.
  EXPECT_EQ(one_line("vtd_dmar_translate dev 00:03.0z" + rest).error, "vtd_dmar_translate: bad device '00:03.0z'");
  EXPECT_EQ(one_line("vtd_dmar_translate dev 00:03" + rest).error, "vtd_dmar_translate: bad device '00:03'");
  EXPECT_EQ(one_line("vtd_dmar_translate dev 00:20.0" + rest).error, "vtd_dmar_translate: bad device '00:20.0'");
  EXPECT_EQ(one_line("vtd_dmar_translate dev 100:00.0" + rest).error, "vtd_dmar_translate: bad device '100:00.0'");
  EXPECT_EQ(one_line("vtd_dmar_translate dev 00:03.8" + rest).error, "vtd_dmar_translate: bad device '00:03.8'");
}

TEST(QemuLogFastPath, NameTableCountsEveryTracePointOnce) {
  TempFile f(".log");
  std::string text;
  for (int i = 0; i < 5; ++i) {
    text += "1@1.00000" + std::to_string(i) + ":vtd_reg_read addr 0x8 size 0x8\n";
    text += "vtd_inv_qi_head head 0x1\n";
    text += "vtd_dmar_enable enable 1\n";
    text += "vtd_reg_read\n";     // a name without arguments
    text += "vtd_reg_read\tx\n";  // a tab after the name: not a trace line
    text += "vtd_inv_desc_cc_domain context invalidate domain 0x5\n";
  }
  f.write(text);
  QemuLogImporter importer(f.path());
  TraceEvent e;
  int events = 0;
  while (importer.next_into(e)) ++events;
  const QemuImportStats& s = importer.stats();
  EXPECT_EQ(events, 5);  // the five context invalidations
  EXPECT_EQ(s.lines, 30u);
  EXPECT_EQ(s.skipped.size(), 2u);
  EXPECT_EQ(s.skipped.at("vtd_reg_read"), 10u);
  EXPECT_EQ(s.skipped.at("vtd_inv_qi_head"), 5u);
  EXPECT_EQ(s.used.size(), 2u);
  EXPECT_EQ(s.used.at("vtd_dmar_enable"), 5u);
  EXPECT_EQ(s.used.at("vtd_inv_desc_cc_domain"), 5u);
  EXPECT_EQ(s.not_trace_lines, 5u);
}

TEST(QemuLogFastPath, TimestampPrefixesUsualAndOdd) {
  TempFile f(".log");
  f.write(
      "7@1795550995.574221:vtd_inv_desc_iotlb_global \n"    // the first stamp: time 0
      "7@1795550995.574300:vtd_inv_desc_iotlb_global \n"    // +79 us
      "7@1795550996.5:vtd_inv_desc_iotlb_global \n"         // ".5" = 500000 us
      "7@001795550997.000001:vtd_inv_desc_iotlb_global \n"  // 12 digits of seconds
      "7@1795550990.000000:vtd_inv_desc_iotlb_global \n"    // earlier: the time does not go back
      "7@17955509a8.000000:vtd_inv_desc_iotlb_global \n"    // not a prefix: not a trace line
      "7@1795550998.0000001:vtd_inv_desc_iotlb_global \n"   // 7 digits of micros: not a trace line
      "7@1795550999.123456:vtd_inv_desc_iotlb_global \n"
      "vtd_inv_desc_iotlb_global \n");  // no prefix: the time stays
  QemuLogImporter importer(f.path());
  std::vector<std::uint64_t> times;
  TraceEvent e;
  while (importer.next_into(e)) times.push_back(e.time_ns);
  const std::vector<std::uint64_t> expected = {0, 79000, 925779000, 1425780000, 1425780000, 3549235000, 3549235000};
  EXPECT_EQ(times, expected);
  EXPECT_EQ(importer.stats().not_trace_lines, 2u);
}

TEST(QemuLogFastPath, ContextAndPageLinesInQemusLayoutOrAnyOther) {
  auto one_context = [](const std::string& line) {
    TempFile f(".log");
    f.write(line + "\nvtd_dmar_translate dev 00:02.00 iova 0x1000 -> gpa 0x2000 mask 0xfff\n");
    return import(f.path());
  };
  // QEMU's layout (read without tokens) and the same fields in another layout (read by tokens):
  // the same context event. The first "bus" counts, as field() always read it.
  const std::string expected = "0 context 00:02.0 4 translated levels=3";
  for (const std::string line : {
           "vtd_iotlb_cc_hit IOTLB context hit bus 0x0 devfn 0x10 high 0x401 low 0x28d6001 gen 1",
           "vtd_iotlb_cc_update IOTLB context update bus 0x0 devfn 0x10 high 0x401 low 0x1 gen 0 -> gen 1",
           "vtd_iotlb_cc_hit bus 0x0 devfn 0x10 high 0x401 low 0x1",
           "vtd_iotlb_cc_hit IOTLB context hit bus 0x0 devfn 0x10\thigh 0x401 low 0x1",
           "vtd_iotlb_cc_hit IOTLB context hit low 0x1 high 0x401 devfn 0x10 bus 0x0 bus 0x3",
       }) {
    const Imported got = one_context(line);
    EXPECT_EQ(got.error, "") << line;
    ASSERT_FALSE(got.events.empty()) << line;
    EXPECT_EQ(got.events[0].substr(0, got.events[0].find(" @")), expected) << line;
  }
  const Imported bad = one_context("vtd_iotlb_cc_hit IOTLB context hit bus 0x0 devfn 0x10 high 0x401 low 0x1x gen 1");
  EXPECT_NE(bad.error.find(":1: vtd_iotlb_cc_hit: bad value '0x1x' for 'low'"), std::string::npos) << bad.error;
  const Imported missing = one_context("vtd_iotlb_cc_hit IOTLB context hit bus 0x0 devfn 0x10 high 0x401");
  EXPECT_NE(missing.error.find(":1: vtd_iotlb_cc_hit: missing 'low'"), std::string::npos) << missing.error;
  const Imported range = one_context("vtd_iotlb_cc_hit IOTLB context hit bus 0x100 devfn 0x10 high 0x401 low 0x1");
  EXPECT_NE(range.error.find(":1: vtd_iotlb_cc_hit: bus or devfn out of range"), std::string::npos) << range.error;

  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffe000 mask 0x1").events,
            std::vector<std::string>{"inv iotlb page did=5 addr=0xffffe000 am=1"});
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages iotlb invalidate addr 0xffffe000 mask 0x1 domain 0x5").events,
            std::vector<std::string>{"inv iotlb page did=5 addr=0xffffe000 am=1"});
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffe000 mask 0x35").error,
            "vtd_inv_desc_iotlb_pages: address mask out of range");
  EXPECT_EQ(one_line("vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xffffe000").error,
            "vtd_inv_desc_iotlb_pages: missing 'mask'");
}
