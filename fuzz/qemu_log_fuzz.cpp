// Fuzzes the QEMU `-trace 'vtd_*'` log importer.
#include <cstddef>
#include <cstdint>

#include "vtdsim/trace/qemu_log_importer.hpp"
#include "vtdsim/trace/trace_error.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = vtdsim::fuzz::write_input_file(data, size, "qemu");
  try {
    vtdsim::trace::QemuLogImporter importer(path);
    vtdsim::fuzz::drain(importer);
  } catch (const vtdsim::trace::TraceError&) {
  }
  return 0;
}
