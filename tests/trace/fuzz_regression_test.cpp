// Inputs the fuzzers found, kept as regression tests (fuzz/README in docs/reliability.md).
#include <gtest/gtest.h>

#include <string>

#include "support/trace_test_util.hpp"
#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim {
namespace {

const std::string kData = std::string(VTDSIM_SOURCE_DIR) + "/tests/data/fuzz/";

// Reads like --skip-bad does: go on after each error. Returns the number of errors, or -1 if the
// reader neither ended nor advanced within `limit` calls (the hang the fuzzer found).
template <class Reader>
int errors_until_end(Reader& reader, int limit = 10000) {
  int errors = 0;
  for (int i = 0; i < limit; ++i) {
    try {
      if (!reader.next()) return errors;
    } catch (const trace::TraceError&) {
      ++errors;
    }
  }
  return -1;
}

// binary_trace_fuzz, timeout: a file ending in a partial record made next() throw the same
// "truncated record" error forever instead of consuming it.
TEST(FuzzRegression, BinaryTraceBadRecordsAreConsumedAndTheReaderEnds) {
  trace::BinaryTraceReader reader(kData + "binary_trace_truncated_record.bin");
  const int errors = errors_until_end(reader);
  EXPECT_NE(errors, -1) << "reader did not end";
  EXPECT_GE(errors, 1);
}

// binary_trace_fuzz, timeout (CI of 120f5e2): a zstd binary trace whose compressed data fails
// threw the same decompression error on every next(), so a reader going on after errors never
// ended. The same held for the text and QEMU-log readers. Now: the error once, then the end.
std::string truncated_zstd(const std::string& content) {
  const std::string z = testutil::zstd_bytes(content);
  return z.substr(0, z.size() - 7);
}

TEST(FuzzRegression, BinaryTraceWithFailingZstdReportsOnceAndEnds) {
  testutil::TempFile plain(".bin");
  {
    trace::BinaryTraceWriter writer(plain.path(), trace::BinaryCompression::kNone);
    trace::TraceEvent e;
    e.kind = trace::EventKind::kDma;
    e.iova = Iova{0x1000};
    e.size = 64;
    for (int i = 0; i < 5000; ++i) {
      e.time_ns = static_cast<std::uint64_t>(i);
      writer.write(e);
    }
    writer.close();
  }
  testutil::TempFile cut(".bin.zst");
  cut.write(truncated_zstd(plain.read()));
  trace::BinaryTraceReader reader(cut.path());
  const int errors = errors_until_end(reader);
  EXPECT_NE(errors, -1) << "reader did not end";
  EXPECT_GE(errors, 1);
  EXPECT_LE(errors, 2);  // the decompression error, and perhaps the partial record before it
}

TEST(FuzzRegression, TextTraceWithFailingZstdReportsOnceAndEnds) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + " dma 00:03.0 r 0x1000 64\n";
  testutil::TempFile cut(".trace.zst");
  cut.write(truncated_zstd(text));
  trace::TextTraceReader reader(cut.path());
  const int errors = errors_until_end(reader);
  EXPECT_NE(errors, -1) << "reader did not end";
  EXPECT_GE(errors, 1);
}

TEST(FuzzRegression, QemuLogWithFailingZstdReportsOnceAndEnds) {
  std::string log;
  for (int i = 0; i < 5000; ++i)
    log += "1@1.000001:vtd_dmar_translate dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff\n";
  testutil::TempFile cut(".log.zst");
  cut.write(truncated_zstd(log));
  trace::QemuLogImporter reader(cut.path());
  const int errors = errors_until_end(reader);
  EXPECT_NE(errors, -1) << "reader did not end";
  EXPECT_GE(errors, 1);
}

}  // namespace
}  // namespace vtdsim
