// BinaryTraceReader::next's fast path (a word-wide validity check of the record's byte fields and
// an inlined decode) against the slow path decode_record(record, event, &reason), which checks the
// fields one at a time and names the one that is wrong: every value of every byte at offsets
// 64..79 of a DMA and of an invalidate record, and pairs of mutated bytes (two bad lanes at once,
// a bad lane next to a good one) for the carries between lanes of the word-wide check.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/little_endian.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {
namespace {

constexpr unsigned char kPattern = 0xa5;  // fills events before decoding, so unwritten bytes show

// An event with the pattern in every byte (padding included), so two decodes compare with memcmp.
struct PatternEvent {
  alignas(TraceEvent) unsigned char bytes[sizeof(TraceEvent)];
  PatternEvent() { std::memset(bytes, kPattern, sizeof(bytes)); }
  TraceEvent& event() { return *reinterpret_cast<TraceEvent*>(bytes); }
};

// Base records with a distinct non-zero value in every field.
BinaryRecord dma_record() {
  TraceEvent e;
  e.kind = EventKind::kDma;
  e.time_ns = 0x0102030405060708ull;
  e.source = SourceId(0x1122);
  e.pasid = Pasid(0x33445);
  e.domain = DomainId(0x5566);
  e.iova = Iova(0x7788990000ull);
  e.size = 0xabcdef;
  e.access = Access::kWrite;
  e.host = HostAddr(0x123456789000ull);
  e.perms = Perms{true, false};
  e.page_size = kPageSize2M;
  e.translation_type = core::TranslationType::kPassThrough;
  e.levels = 5;
  e.invalidation.domain = DomainId(0x0bcd);
  e.invalidation.source = SourceId(0x0ef1);
  e.invalidation.pasid = Pasid(0x777);
  e.invalidation.addr = Iova(0xfedc0000ull);
  return encode_record(e);
}

BinaryRecord invalidate_record() {
  TraceEvent e;
  e.kind = EventKind::kInvalidate;
  e.time_ns = 99;
  e.source = SourceId(0x0100);
  e.access = Access::kRead;
  e.perms = Perms{false, true};
  auto& inv = e.invalidation;
  inv.target = core::InvalidationTarget::kPasidIotlb;
  inv.granularity = core::InvalidationGranularity::kPage;
  inv.domain = DomainId(42);
  inv.source = SourceId(0x0318);
  inv.function_mask = 2;
  inv.pasid = Pasid(0x1234);
  inv.addr = Iova(0xabc000ull);
  inv.address_mask = 9;
  inv.invalidation_hint = true;
  inv.drain_reads = false;
  inv.drain_writes = true;
  return encode_record(e);
}

BinaryRecord mutated(BinaryRecord r, std::size_t offset, unsigned value) {
  reinterpret_cast<unsigned char*>(&r)[offset] = static_cast<unsigned char>(value);
  return r;
}

void write_file(const std::string& path, const std::vector<BinaryRecord>& records) {
  const BinaryHeader h = binary_trace_header();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&h), sizeof(h));
  out.write(reinterpret_cast<const char*>(records.data()),
            static_cast<std::streamsize>(records.size() * sizeof(BinaryRecord)));
  ASSERT_TRUE(out.good());
}

std::string describe(const BinaryRecord& r) {
  const auto* b = reinterpret_cast<const unsigned char*>(&r);
  std::string s = "bytes 64..79:";
  for (std::size_t i = 64; i < 80; ++i) s += " " + std::to_string(b[i]);
  return s;
}

// Reads every record of `records` (written to one file) through `reader`, which goes on after a
// bad record (it is consumed, as for --skip-bad). Each record must be accepted exactly when
// decode_record accepts it, decode to the same bytes, or be rejected with decode_record's reason
// and its index and byte offset; records_read() counts both.
// Returns the number accepted.
std::size_t check_agreement(BinaryTraceReader& reader, const std::vector<BinaryRecord>& records) {
  std::size_t accepted = 0, mismatches = 0;
  for (std::size_t i = 0; i < records.size() && mismatches < 20; ++i) {
    PatternEvent ref;
    const char* reason = nullptr;
    const bool ref_ok = decode_record(records[i], ref.event(), &reason);

    PatternEvent got;
    bool ok = false;
    std::string error;
    try {
      ok = reader.next(got.event());
      if (!ok) error = "end of trace";
    } catch (const TraceError& e) {
      error = e.what();
    }
    if (reader.records_read() != i + 1) {
      ADD_FAILURE() << "record " << i << ": records_read() " << reader.records_read();
      ++mismatches;
    }
    if (ok != ref_ok) {
      ADD_FAILURE() << "record " << i << " (" << describe(records[i]) << "): reader "
                    << (ok ? "accepts" : "rejects (" + error + ")") << ", decode_record "
                    << (ref_ok ? "accepts" : std::string("rejects (") + reason + ")");
      ++mismatches;
      continue;
    }
    if (ok) {
      ++accepted;
      if (std::memcmp(got.bytes, ref.bytes, sizeof(got.bytes)) != 0) {
        ADD_FAILURE() << "record " << i << " (" << describe(records[i]) << ") decodes differently";
        ++mismatches;
      }
    } else if (error.find("record " + std::to_string(i) + " (byte " +
                          std::to_string(sizeof(BinaryHeader) + i * sizeof(BinaryRecord)) +
                          "): corrupt record: " + reason) == std::string::npos) {
      ADD_FAILURE() << "record " << i << ": error '" << error << "' does not name '" << reason << "'";
      ++mismatches;
    }
  }
  TraceEvent e;
  EXPECT_FALSE(reader.next(e)) << "more records than written";
  return accepted;
}

// Both ways of reading: a mapped file (the whole file in one window) and a stream (a 256 KiB
// buffer with refills that split records, which then go through the slow path).
void check_file(const std::string& path, const std::vector<BinaryRecord>& records, std::size_t want_accepted) {
  write_file(path, records);
  {
    BinaryTraceReader mapped(path);
    EXPECT_EQ(check_agreement(mapped, records), want_accepted) << "mapped";
  }
  {
    BinaryTraceReader streamed(std::make_unique<CompressedInput>(path));
    EXPECT_EQ(check_agreement(streamed, records), want_accepted) << "streamed";
  }
  std::remove(path.c_str());
}

// How many values each byte field accepts (offsets 64..79): kind 0..4, access 1..2, perms 0..3,
// translation type 0..3, levels any, target 0..5, granularity 0..4, flags 0..7, function mask any,
// address mask any, stage 0..2 (version 2), reserved 0. All but access accept 0..count-1.
constexpr unsigned kAcceptedValues[16] = {5, 2, 4, 4, 256, 6, 5, 8, 256, 256, 3, 1, 1, 1, 1, 1};

TEST(BinaryRecordFastPath, EverySingleByteValueAgreesWithDecodeRecord) {
  for (const BinaryRecord& base : {dma_record(), invalidate_record()}) {
    std::vector<BinaryRecord> records;
    std::size_t want = 0;
    for (std::size_t offset = 64; offset < 80; ++offset) {
      for (unsigned v = 0; v < 256; ++v) records.push_back(mutated(base, offset, v));
      want += kAcceptedValues[offset - 64];
    }
    ASSERT_EQ(want, 810u);
    check_file(::testing::TempDir() + "vtdsim_fast_path_single.bin", records, want);
  }
}

// Boundary values of the word-wide check: 0, 1, each field's limit and the next value, 0x7f/0x80
// (the top bit of a lane) and 0xff.
TEST(BinaryRecordFastPath, PairsOfMutatedBytesAgreeWithDecodeRecord) {
  const unsigned values[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff};
  for (const BinaryRecord& base : {dma_record(), invalidate_record()}) {
    std::vector<BinaryRecord> records;
    std::size_t want = 0;
    for (std::size_t a = 64; a < 80; ++a) {
      for (std::size_t b = a + 1; b < 80; ++b) {
        for (unsigned va : values) {
          for (unsigned vb : values) {
            records.push_back(mutated(mutated(base, a, va), b, vb));
            // Valid iff both bytes are accepted values (the rest of the base record is valid).
            const auto ok = [](std::size_t offset, unsigned v) {
              return offset == 65 ? (v == 1 || v == 2) : v < kAcceptedValues[offset - 64];
            };
            want += ok(a, va) && ok(b, vb);
          }
        }
      }
    }
    check_file(::testing::TempDir() + "vtdsim_fast_path_pairs.bin", records, want);
  }
}

}  // namespace
}  // namespace vtdsim::trace
