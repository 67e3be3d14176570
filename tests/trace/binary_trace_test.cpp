// Binary trace format: round trips (plain and zstd), header checks, and errors with the record
// offset for truncated and corrupt files.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "vtdsim_binary_" + name; }

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Field-by-field comparison (TraceEvent has no operator==).
void expect_same(const TraceEvent& a, const TraceEvent& b, std::size_t i) {
  SCOPED_TRACE("event " + std::to_string(i));
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.time_ns, b.time_ns);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.pasid, b.pasid);
  EXPECT_EQ(a.domain, b.domain);
  EXPECT_EQ(a.iova, b.iova);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.access, b.access);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.perms, b.perms);
  EXPECT_EQ(a.page_size, b.page_size);
  EXPECT_EQ(a.translation_type, b.translation_type);
  EXPECT_EQ(a.levels, b.levels);
  const auto& x = a.invalidation;
  const auto& y = b.invalidation;
  EXPECT_EQ(x.target, y.target);
  EXPECT_EQ(x.granularity, y.granularity);
  EXPECT_EQ(x.domain, y.domain);
  EXPECT_EQ(x.source, y.source);
  EXPECT_EQ(x.function_mask, y.function_mask);
  EXPECT_EQ(x.pasid, y.pasid);
  EXPECT_EQ(x.addr, y.addr);
  EXPECT_EQ(x.address_mask, y.address_mask);
  EXPECT_EQ(x.invalidation_hint, y.invalidation_hint);
  EXPECT_EQ(x.drain_reads, y.drain_reads);
  EXPECT_EQ(x.drain_writes, y.drain_writes);
}

// Events exercising every field with values that use all bytes of each integer.
std::vector<TraceEvent> sample_events(std::size_t count) {
  std::mt19937_64 rng(42);
  std::vector<TraceEvent> events;
  for (std::size_t i = 0; i < count; ++i) {
    TraceEvent e;
    e.kind = static_cast<EventKind>(i % 5);
    e.time_ns = i * 1000 + (rng() & 0xff);
    e.source = SourceId(static_cast<std::uint16_t>(rng()));
    e.pasid = (i % 3 == 0) ? Pasid{} : Pasid(static_cast<std::uint32_t>(rng() & 0xfffff));
    e.domain = DomainId(static_cast<std::uint16_t>(rng()));
    e.iova = Iova(rng() & ~0xfffull);
    e.size = rng() & 0xffffff;
    e.access = (rng() & 1) ? Access::kWrite : Access::kRead;
    e.host = HostAddr(rng());
    e.perms = Perms{(rng() & 1) != 0, (rng() & 1) != 0};
    e.page_size = (i % 7 == 0) ? kPageSize2M : kPageSize4K;
    e.translation_type = static_cast<core::TranslationType>(rng() % 4);
    e.levels = static_cast<std::uint8_t>(3 + rng() % 3);
    auto& inv = e.invalidation;
    inv.target = static_cast<core::InvalidationTarget>(rng() % 6);
    inv.granularity = static_cast<core::InvalidationGranularity>(rng() % 5);
    inv.domain = DomainId(static_cast<std::uint16_t>(rng()));
    inv.source = SourceId(static_cast<std::uint16_t>(rng()));
    inv.function_mask = static_cast<std::uint8_t>(rng() & 3);
    inv.pasid = Pasid(static_cast<std::uint32_t>(rng()));
    inv.addr = Iova(rng());
    inv.address_mask = static_cast<std::uint8_t>(rng() % 64);
    inv.invalidation_hint = (rng() & 1) != 0;
    inv.drain_reads = (rng() & 1) != 0;
    inv.drain_writes = (rng() & 1) != 0;
    events.push_back(e);
  }
  return events;
}

void write_trace(const std::string& path, const std::vector<TraceEvent>& events, BinaryCompression c) {
  BinaryTraceWriter writer(path, c);
  for (const auto& e : events) writer.write(e);
  writer.close();
  EXPECT_EQ(writer.records_written(), events.size());
}

std::vector<TraceEvent> read_trace(const std::string& path) {
  BinaryTraceReader reader(path);
  std::vector<TraceEvent> events;
  while (auto e = reader.next()) events.push_back(*e);
  return events;
}

// Reads the whole file and returns the error message (empty if no error).
std::string read_error(const std::string& path) {
  try {
    BinaryTraceReader reader(path);
    TraceEvent e;
    while (reader.next(e)) {
    }
  } catch (const TraceError& err) {
    return err.what();
  }
  return "";
}

TEST(BinaryTrace, RoundTripPlain) {
  // More than one 256 KiB buffer of records, so refills across record boundaries are exercised.
  const auto events = sample_events(7000);
  const std::string path = temp_path("plain.bin");
  write_trace(path, events, BinaryCompression::kNone);
  EXPECT_EQ(read_bytes(path).size(), sizeof(BinaryHeader) + events.size() * sizeof(BinaryRecord));
  const auto back = read_trace(path);
  ASSERT_EQ(back.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) expect_same(events[i], back[i], i);
  EXPECT_TRUE(is_binary_trace_file(path));
  BinaryTraceReader reader(path);
  EXPECT_FALSE(reader.compressed());
}

TEST(BinaryTrace, MappedFileAcrossWindowsAndFromAStream) {
  // A plain file is read through a memory map in 8 MiB windows: 120,000 records (9.6 MB) cross a
  // window edge in the middle of a record. The same bytes read as a stream (CompressedInput, as
  // for stdin) must give the same events.
  const auto events = sample_events(120000);
  const std::string path = temp_path("mapped.bin");
  write_trace(path, events, BinaryCompression::kNone);
  const auto mapped = read_trace(path);
  ASSERT_EQ(mapped.size(), events.size());
  for (std::size_t i = 0; i < events.size(); i += 997) expect_same(events[i], mapped[i], i);
  expect_same(events.back(), mapped.back(), events.size() - 1);
  BinaryTraceReader streamed(std::make_unique<CompressedInput>(path));
  TraceEvent e;
  std::size_t n = 0;
  while (streamed.next(e)) {
    if (n % 997 == 0) expect_same(events[n], e, n);
    ++n;
  }
  EXPECT_EQ(n, events.size());
  std::remove(path.c_str());
}

TEST(BinaryTrace, RoundTripZstd) {
  const auto events = sample_events(7000);
  const std::string path = temp_path("z.bin.zst");
  write_trace(path, events, BinaryCompression::kZstd);
  const auto bytes = read_bytes(path);
  ASSERT_GE(bytes.size(), 4u);
  EXPECT_EQ(bytes[0], 0x28);  // zstd frame magic 28 b5 2f fd
  EXPECT_EQ(bytes[3], 0xfd);
  const auto back = read_trace(path);
  ASSERT_EQ(back.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) expect_same(events[i], back[i], i);
  EXPECT_TRUE(is_binary_trace_file(path));
  BinaryTraceReader reader(path);
  EXPECT_TRUE(reader.compressed());
}

TEST(BinaryTrace, LittleEndianLayout) {
  TraceEvent e;
  e.kind = EventKind::kMap;
  e.time_ns = 0x0102030405060708ull;
  e.source = SourceId(0x0318);
  e.perms = Perms{true, true};
  const BinaryRecord r = encode_record(e);
  const auto* b = reinterpret_cast<const unsigned char*>(&r);
  EXPECT_EQ(b[0], 0x08);  // time_ns, least significant byte first
  EXPECT_EQ(b[7], 0x01);
  EXPECT_EQ(b[56], 0x18);  // source
  EXPECT_EQ(b[57], 0x03);
  EXPECT_EQ(b[64], static_cast<unsigned char>(EventKind::kMap));
  EXPECT_EQ(b[66], 3);     // perms R|W
  EXPECT_EQ(b[48], 0xff);  // no PASID = 0xffffffff
}

TEST(BinaryTrace, EmptyTrace) {
  const std::string path = temp_path("empty.bin");
  write_trace(path, {}, BinaryCompression::kNone);
  EXPECT_TRUE(read_trace(path).empty());
  const std::string zpath = temp_path("empty.bin.zst");
  write_trace(zpath, {}, BinaryCompression::kZstd);
  EXPECT_TRUE(read_trace(zpath).empty());
}

TEST(BinaryTrace, TruncatedRecordNamesItsOffset) {
  const std::string path = temp_path("trunc.bin");
  write_trace(path, sample_events(10), BinaryCompression::kNone);
  auto bytes = read_bytes(path);
  bytes.resize(bytes.size() - 30);  // record 9 is 50 of 80 bytes
  write_bytes(path, bytes);
  const std::string err = read_error(path);
  EXPECT_NE(err.find("record 9 (byte 736)"), std::string::npos) << err;
  EXPECT_NE(err.find("truncated record (50 of 80 bytes)"), std::string::npos) << err;
  // The 9 whole records before it are still returned.
  BinaryTraceReader reader(path);
  TraceEvent e;
  int good = 0;
  EXPECT_THROW(
      {
        while (reader.next(e)) ++good;
      },
      TraceError);
  EXPECT_EQ(good, 9);
}

TEST(BinaryTrace, TruncatedOrBadHeader) {
  const std::string path = temp_path("hdr.bin");
  write_trace(path, sample_events(2), BinaryCompression::kNone);
  auto bytes = read_bytes(path);
  write_bytes(path, std::vector<unsigned char>(bytes.begin(), bytes.begin() + 10));
  EXPECT_NE(read_error(path).find("truncated binary trace header"), std::string::npos) << read_error(path);

  auto wrong_version = bytes;
  wrong_version[8] = 9;
  write_bytes(path, wrong_version);
  EXPECT_NE(read_error(path).find("unsupported binary trace version 9"), std::string::npos);

  auto wrong_size = bytes;
  wrong_size[12] = 64;
  write_bytes(path, wrong_size);
  EXPECT_NE(read_error(path).find("record size 64"), std::string::npos);

  auto wrong_magic = bytes;
  wrong_magic[0] = 'X';
  write_bytes(path, wrong_magic);
  EXPECT_NE(read_error(path).find("bad magic"), std::string::npos);
  EXPECT_FALSE(is_binary_trace_file(path));
}

TEST(BinaryTrace, CorruptFieldNamesRecord) {
  const std::string path = temp_path("corrupt.bin");
  write_trace(path, sample_events(10), BinaryCompression::kNone);
  auto bytes = read_bytes(path);
  const std::size_t rec5 = sizeof(BinaryHeader) + 5 * sizeof(BinaryRecord);
  auto bad_kind = bytes;
  bad_kind[rec5 + offsetof(BinaryRecord, kind)] = 17;
  write_bytes(path, bad_kind);
  std::string err = read_error(path);
  EXPECT_NE(err.find("record 5 (byte 416): corrupt record: event kind out of range"), std::string::npos) << err;

  auto bad_access = bytes;
  bad_access[rec5 + offsetof(BinaryRecord, access)] = 0;
  write_bytes(path, bad_access);
  EXPECT_NE(read_error(path).find("record 5 (byte 416): corrupt record: access"), std::string::npos);

  auto bad_reserved = bytes;
  bad_reserved[sizeof(BinaryHeader) + 2 * sizeof(BinaryRecord) + 79] = 1;
  write_bytes(path, bad_reserved);
  EXPECT_NE(read_error(path).find("record 2 (byte 176): corrupt record: reserved"), std::string::npos);
}

TEST(BinaryTrace, TruncatedZstdNamesRecord) {
  const std::string path = temp_path("trunc.bin.zst");
  write_trace(path, sample_events(20000), BinaryCompression::kZstd);
  auto bytes = read_bytes(path);
  bytes.resize(bytes.size() / 2);
  write_bytes(path, bytes);
  BinaryTraceReader reader(path);
  TraceEvent e;
  std::uint64_t good = 0;
  std::string err;
  try {
    while (reader.next(e)) ++good;
  } catch (const TraceError& error) {
    err = error.what();
  }
  ASSERT_FALSE(err.empty()) << "truncated zstd file read without error";
  EXPECT_GT(good, 0u);
  EXPECT_LT(good, 20000u);
  // The error names a record at or after the last good one.
  const auto at = err.find("record ");
  ASSERT_NE(at, std::string::npos) << err;
  const std::uint64_t named = std::stoull(err.substr(at + 7));
  EXPECT_GE(named, good) << err;
  EXPECT_LE(named, 20000u) << err;
}

TEST(BinaryTrace, CorruptZstdGivesError) {
  const std::string path = temp_path("corrupt.bin.zst");
  write_trace(path, sample_events(20000), BinaryCompression::kZstd);
  auto bytes = read_bytes(path);
  for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) bytes[i] ^= 0x5a;
  write_bytes(path, bytes);
  const std::string err = read_error(path);
  EXPECT_NE(err.find("record "), std::string::npos) << err;
  EXPECT_FALSE(err.empty());
}

// text -> binary (plain and zstd) -> text gives the same events and byte-identical canonical text.
TEST(BinaryTrace, TextBinaryTextRoundTrip) {
  const std::string text_path = std::string(VTDSIM_SOURCE_DIR) + "/traces/sample.trace";
  std::vector<TraceEvent> events;
  {
    TextTraceReader reader(text_path);
    while (auto e = reader.next()) events.push_back(*e);
  }
  ASSERT_GE(events.size(), 10u);
  std::ostringstream original;
  {
    TextTraceWriter writer(original);
    for (const auto& e : events) writer.write(e);
  }
  for (auto compression : {BinaryCompression::kNone, BinaryCompression::kZstd}) {
    const std::string bin = temp_path(compression == BinaryCompression::kZstd ? "sample.bin.zst" : "sample.bin");
    write_trace(bin, events, compression);
    const auto back = read_trace(bin);
    ASSERT_EQ(back.size(), events.size());
    std::ostringstream again;
    {
      TextTraceWriter writer(again);
      for (const auto& e : back) writer.write(e);
    }
    EXPECT_EQ(again.str(), original.str());
    for (std::size_t i = 0; i < events.size(); ++i) expect_same(events[i], back[i], i);
  }
}

// The real QEMU log: imported -> text -> binary+zstd -> text, byte-identical.
TEST(BinaryTrace, QemuLogTextBinaryTextRoundTrip) {
  const std::string log = std::string(VTDSIM_SOURCE_DIR) + "/traces/qemu-linux-strict.log.gz";
  ASSERT_TRUE(std::ifstream(log).good()) << log << " is missing";
  trace::QemuLogImporter importer(log);
  std::ostringstream text;
  {
    TextTraceWriter writer(text);
    while (auto e = importer.next()) writer.write(*e);
  }
  const std::string text_path = temp_path("qemu.trace");
  std::ofstream(text_path) << text.str();
  std::vector<TraceEvent> events;
  {
    TextTraceReader reader(text_path);
    while (auto e = reader.next()) events.push_back(*e);
  }
  ASSERT_GT(events.size(), 6000u);
  const std::string bin = temp_path("qemu.bin.zst");
  write_trace(bin, events, BinaryCompression::kZstd);
  std::ostringstream again;
  {
    TextTraceWriter writer(again);
    BinaryTraceReader reader(bin);
    TraceEvent e;
    while (reader.next(e)) writer.write(e);
  }
  EXPECT_EQ(again.str(), text.str());
}

TEST(BinaryTrace, MissingFile) {
  EXPECT_THROW(BinaryTraceReader(temp_path("does-not-exist.bin")), TraceError);
  EXPECT_THROW(BinaryTraceWriter("/nonexistent-dir/x.bin"), TraceError);
}

}  // namespace
}  // namespace vtdsim::trace
