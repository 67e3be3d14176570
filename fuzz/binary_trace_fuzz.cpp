// Fuzzes the native binary trace reader (plain and zstd).
#include <cstddef>
#include <cstdint>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = vtdsim::fuzz::write_input_file(data, size, "binary");
  try {
    vtdsim::trace::BinaryTraceReader reader(path);
    vtdsim::fuzz::drain(reader);
  } catch (const vtdsim::trace::TraceError&) {
  }
  return 0;
}
