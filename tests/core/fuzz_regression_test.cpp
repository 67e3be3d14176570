// Inputs the fuzzers found, kept as regression tests (fuzz/README in docs/reliability.md).
#include <gtest/gtest.h>

#include <string>

#include "vtdsim/trace/binary_trace.hpp"
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

}  // namespace
}  // namespace vtdsim
