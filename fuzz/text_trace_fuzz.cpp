// Fuzzes the native text trace parser (through the compressed-input layer).
#include <cstddef>
#include <cstdint>

#include "vtdsim/trace/text_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = vtdsim::fuzz::write_input_file(data, size, "text");
  try {
    vtdsim::trace::TextTraceReader reader(path);
    vtdsim::fuzz::drain(reader);
  } catch (const vtdsim::trace::TraceError&) {
    // unreadable or corrupt compressed input: a clear error is the right answer
  }
  return 0;
}
