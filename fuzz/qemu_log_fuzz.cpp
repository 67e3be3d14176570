// Fuzzes the QEMU `-trace 'vtd_*'` log importer (plain, gzip or zstd input; the read-ahead
// thread runs for compressed input).
#include <cstddef>
#include <cstdint>

#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = vtdsim::fuzz::write_input_file(data, size, "qemu");
  try {
    vtdsim::trace::QemuLogImporter importer(path);
    // As `vtdsim replay --skip-bad`: go on after a bad line; stop at an error of the input as a
    // whole (corrupt or truncated compressed data, no line number), which every later read repeats.
    for (;;) {
      try {
        if (!importer.next()) break;
      } catch (const vtdsim::trace::TraceError& e) {
        if (e.line() == 0) break;
      }
    }
  } catch (const vtdsim::trace::TraceError&) {
  }
  return 0;
}
