#include "vtdsim/trace/text_trace.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "support/trace_test_util.hpp"
#include "vtdsim/trace/trace_error.hpp"

using namespace vtdsim;
using namespace vtdsim::trace;
using vtdsim::testutil::TempFile;

namespace {

std::vector<TraceEvent> read_all(const std::string& path) {
  TextTraceReader reader(path);
  std::vector<TraceEvent> events;
  while (auto e = reader.next()) events.push_back(*e);
  return events;
}

// The error message of reading `text` (one file) to the end, "" if it reads fine.
std::string error_of(const std::string& text, std::string* path_out = nullptr) {
  TempFile f(".trace");
  f.write(text);
  if (path_out) *path_out = f.path();
  try {
    read_all(f.path());
  } catch (const TraceError& e) {
    std::string m = e.what();
    // Make the message independent of the temporary name.
    if (m.rfind(f.path(), 0) == 0) m = "FILE" + m.substr(f.path().size());
    return m;
  }
  return "";
}

const char* kAllForms = R"(# every event kind and every invalidation form
0 context 00:02.0 1 translated levels=4
0 context 01:1f.7 65535 passthrough levels=4
0 context 00:03.0 2 blocked levels=4
0 context 00:04.0 3 devtlb levels=5
1 map 1 0x10000 0x200000 0x4000 rw
1 map 1 0x20000 0x300000 0x1000 r
1 map 1 0x30000 0x400000 0x1000 w
2 map 2 0x40000000 0x80000000 0x40000000 rw page=1g
2 map 2 0x200000 0x400000 0x400000 r page=2m
3 unmap 1 0x10000 0x1000
4 dma 00:02.0 r 0x10000 64
4 dma 00:02.0 pasid=1048575 w 0xfffffffffffff000 4096
5 inv context global
5 inv context domain did=7
5 inv context device sid=00:02.0
5 inv context device sid=00:02.0 did=1 fm=3
6 inv iotlb global
6 inv iotlb global dr dw
6 inv iotlb domain did=1 dr
6 inv iotlb page did=1 addr=0x10000
6 inv iotlb page did=1 addr=0x10000 am=4 ih dr dw
7 inv pasid global
7 inv pasid domain did=1
7 inv pasid pasid did=1 pasid=5
7 inv piotlb domain did=1
7 inv piotlb pasid did=1 pasid=5
7 inv piotlb page did=1 pasid=5 addr=0x7000 am=1 ih
8 inv devtlb global
8 inv devtlb device sid=00:04.0
8 inv devtlb device sid=00:04.0 pasid=3
8 inv devtlb page sid=00:04.0 addr=0x8000 am=2
9 inv iec global
9 inv iec page addr=0x11 am=2
18446744073709551615 dma ff:1f.7 r 0x0 4294967295
)";

}  // namespace

TEST(TextTrace, EveryFormRoundTripsThroughTheWriter) {
  TempFile in(".trace");
  in.write(kAllForms);
  const auto events = read_all(in.path());
  ASSERT_EQ(events.size(), 34u);
  // Writer -> reader -> writer gives identical text, and the same events field by field.
  std::ostringstream out;
  TextTraceWriter writer(out);
  for (const auto& e : events) writer.write(e);
  TempFile again(".trace");
  again.write(out.str());
  const auto events2 = read_all(again.path());
  ASSERT_EQ(events2.size(), events.size());
  std::ostringstream out2;
  TextTraceWriter writer2(out2);
  for (const auto& e : events2) writer2.write(e);
  EXPECT_EQ(out.str(), out2.str());
  // Each canonical line, re-parsed, formats to itself (and the bytes of the struct agree on the
  // kind-specific fields checked below).
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(format_text_event(events[i]), format_text_event(events2[i]));
    EXPECT_EQ(events[i].kind, events2[i].kind);
    EXPECT_EQ(events[i].time_ns, events2[i].time_ns);
  }
  // Spot checks of parsed values.
  EXPECT_EQ(events[1].source, SourceId::from_bdf(1, 0x1f, 7));
  EXPECT_EQ(events[1].domain, DomainId(65535));
  EXPECT_EQ(events[1].translation_type, core::TranslationType::kPassThrough);
  EXPECT_EQ(events[3].levels, 5);
  EXPECT_EQ(events[4].perms, (Perms{true, true}));
  EXPECT_EQ(events[5].perms, (Perms{true, false}));
  EXPECT_EQ(events[7].page_size, kPageSize1G);
  EXPECT_EQ(events[8].page_size, kPageSize2M);
  EXPECT_EQ(events[11].pasid, Pasid(0xfffff));
  EXPECT_EQ(events[11].access, Access::kWrite);
  EXPECT_EQ(events[11].iova, Iova(0xfffffffffffff000ull));
  EXPECT_FALSE(events[10].pasid.present());
  const auto& page = events[20].invalidation;
  EXPECT_EQ(page.target, core::InvalidationTarget::kIotlb);
  EXPECT_EQ(page.granularity, core::InvalidationGranularity::kPage);
  EXPECT_EQ(page.domain, DomainId(1));
  EXPECT_EQ(page.addr, Iova(0x10000));
  EXPECT_EQ(page.address_mask, 4);
  EXPECT_TRUE(page.invalidation_hint && page.drain_reads && page.drain_writes);
  EXPECT_EQ(events[15].invalidation.function_mask, 3);
  EXPECT_EQ(events[15].invalidation.source, SourceId::from_bdf(0, 2, 0));
  EXPECT_EQ(events[26].invalidation.target, core::InvalidationTarget::kPasidIotlb);
  EXPECT_EQ(events[26].invalidation.pasid, Pasid(5));
  EXPECT_EQ(events[32].invalidation.target, core::InvalidationTarget::kInterruptEntry);
  EXPECT_EQ(events[33].time_ns, 18446744073709551615ull);
  EXPECT_EQ(events[33].size, 4294967295ull);
}

TEST(TextTrace, CompressedTraceReadsTheSame) {
  TempFile plain(".trace"), gz(".trace"), zs(".trace");
  plain.write(kAllForms);
  gz.write(testutil::gzip_bytes(kAllForms));
  zs.write(testutil::zstd_bytes(kAllForms));
  const auto a = read_all(plain.path()), b = read_all(gz.path()), c = read_all(zs.path());
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(format_text_event(a[i]), format_text_event(b[i]));
    EXPECT_EQ(format_text_event(a[i]), format_text_event(c[i]));
  }
}

TEST(TextTrace, EveryErrorKindNamesFileAndLine) {
  const std::string h = "# header\n\n4 dma 00:02.0 r 0x1000 4\n";  // bad line is line 4
  struct Case {
    const char* line;
    const char* message;
  };
  const Case cases[] = {
      {"5 dma 00:02.0 x 0x1000 4", "FILE:4: bad access 'x' (expected r or w)"},
      {"5 dma 00:02.0 r 0x1ffffffffffffffff 4",
       "FILE:4: iova '0x1ffffffffffffffff' is out of range (more than 64 bits)"},
      {"99999999999999999999 dma 00:02.0 r 0x1000 4",
       "FILE:4: time '99999999999999999999' is out of range (more than 64 bits)"},
      {"5 dma 00:02.0 r 0x1000 4294967296", "FILE:4: size 4294967296 is out of range (maximum 4294967295)"},
      {"5 dma 00:02.0 r 0x1000 0", "FILE:4: DMA size must not be 0"},
      {"5 dma 00:02.0 r 0xfffffffffffffff0 32", "FILE:4: DMA range wraps past 2^64"},
      {"5 dma 00:02.0 pasid=1048576 r 0x1000 4", "FILE:4: pasid 1048576 is out of range (maximum 1048575)"},
      {"5 dma 00:20.0 r 0x1000 4", "FILE:4: source-id '00:20.0' is out of range (device <= 1f, function <= 7)"},
      {"5 dma 0002.0 r 0x1000 4", "FILE:4: bad source-id '0002.0' (expected bb:dd.f in hex, e.g. 00:03.0)"},
      {"5 dma 00:02.0 r 0x1000",
       "FILE:4: too few fields; expected: <time> dma <bb:dd.f> [pasid=N] <r|w> <iova> <size>"},
      {"5 dma 00:02.0 r 0x1000 4 9",
       "FILE:4: wrong number of fields; expected: <time> dma <bb:dd.f> [pasid=N] <r|w> <iova> <size>"},
      {"5 dma 00:02.0 r 0x10g0 4", "FILE:4: bad iova '0x10g0' (expected a decimal or 0x-hex number)"},
      {"-5 dma 00:02.0 r 0x1000 4", "FILE:4: bad time '-5' (expected a decimal or 0x-hex number)"},
      {"5", "FILE:4: missing event kind after the time (dma, map, unmap, context or inv)"},
      {"5 dmx 00:02.0 r 0x1000 4", "FILE:4: unknown event kind 'dmx' (expected dma, map, unmap, context or inv)"},
      {"4 dma 00:02.0 r 0x1000 4", ""},  // equal time is fine
      {"-", "FILE:4: bad time '-' (expected a decimal or 0x-hex number)"},
      {"5 map 1 0x1000 0x2000 0x1000 x", "FILE:4: bad permissions 'x' (expected r, w or rw)"},
      {"5 map 1 0x1000 0x2000 0x1000 rw page=4m", "FILE:4: bad page size '4m' (expected 4k, 2m or 1g)"},
      {"5 map 1 0x1000 0x200000 0x200000 rw page=2m",
       "FILE:4: iova, host and size of a map must be multiples of the page size (2m)"},
      {"5 map 1 0x1000 0x2001 0x1000 rw",
       "FILE:4: iova, host and size of a map must be multiples of the page size (4k)"},
      {"5 map 65536 0x1000 0x2000 0x1000 rw", "FILE:4: domain 65536 is out of range (maximum 65535)"},
      {"5 map 1 0x1000 0x10000000000000 0x1000 rw", "FILE:4: host address beyond 2^52 (VT-d maximum host width)"},
      {"5 map 1 0x1000 0x2000 0 rw", "FILE:4: map size must not be 0"},
      {"5 unmap 1 0x1800 0x1000", "FILE:4: iova and size of an unmap must be multiples of 4 KiB"},
      {"5 context 00:02.0 1 nested",
       "FILE:4: bad translation type 'nested' (expected translated, passthrough, blocked or devtlb)"},
      {"5 context 00:02.0 1 translated levels=2", "FILE:4: levels must be 3, 4 or 5, got 2"},
      {"5 inv tlb global",
       "FILE:4: unknown invalidation target 'tlb' (expected context, iotlb, pasid, piotlb, devtlb or iec)"},
      {"5 inv iotlb all", "FILE:4: unknown granularity 'all' (expected global, domain, device, page or pasid)"},
      {"5 inv iotlb device sid=00:02.0", "FILE:4: 'inv iotlb device' is not an invalidation the hardware has"},
      {"5 inv iotlb page did=1", "FILE:4: 'inv iotlb page' needs addr="},
      {"5 inv iotlb global pasid=3", "FILE:4: 'pasid' does not apply to 'inv iotlb global'"},
      {"5 inv iotlb page did=1 did=2 addr=0", "FILE:4: 'did' given twice"},
      {"5 inv iotlb page did=1 addr=0 am=53", "FILE:4: address mask 53 is out of range (maximum 52)"},
      {"5 inv iotlb page did=1 addr=0 ih=1", "FILE:4: 'ih' is a flag and takes no value"},
      {"5 inv context device sid=00:02.0 fm=4", "FILE:4: function mask 4 is out of range (maximum 3)"},
      {"3 dma 00:02.0 r 0x1000 4",
       "FILE:4: time 3 is earlier than the previous event's time 4 (events must be in time order)"},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(h + c.line + "\n"), c.message) << c.line;
}

TEST(TextTrace, BadLineIsConsumedSoReadingCanGoOn) {
  TempFile f(".trace");
  f.write("1 dma 00:02.0 r 0x1000 4\n2 dma 00:02.0 q 0x1000 4\n1 dma 00:02.0 r 0x1000 4\n3 dma 00:02.0 w 0x2000 4\n");
  TextTraceReader reader(f.path());
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.position(), f.path() + ":1");
  EXPECT_THROW(reader.next(), TraceError);
  EXPECT_EQ(reader.position(), f.path() + ":2");
  EXPECT_NO_THROW(reader.next());  // time 1 equals the last good event's time
  auto e = reader.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->iova, Iova(0x2000));
  EXPECT_FALSE(reader.next());
}

TEST(TextTrace, DetectionAndTheSampleTrace) {
  EXPECT_TRUE(looks_like_text_trace("# comment\n\n12 dma 00:02.0 r 0x1000 4\n"));
  EXPECT_FALSE(looks_like_text_trace("1234@1.5:vtd_dmar_translate dev 00:03.00 iova 0x0 -> gpa 0x0 mask 0xfff\n"));
  EXPECT_FALSE(looks_like_text_trace("# only comments\n"));
  const auto events = read_all(std::string(VTDSIM_SOURCE_DIR) + "/traces/sample.trace");
  EXPECT_EQ(events.size(), 16u);
}
