// Writes a fuzz input to a per-process scratch file, for readers that take a path.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace vtdsim::fuzz {

inline std::string write_input_file(const std::uint8_t* data, std::size_t size, const char* tag) {
  const std::string path = "/tmp/vtdsim-fuzz-" + std::string(tag) + "-" + std::to_string(getpid());
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

// Drains a trace source, continuing after each TraceError as --skip-bad does. Bounded by the
// input size: a reader that neither advances nor ends would be a hang, which libFuzzer reports.
template <class Reader>
void drain(Reader& reader) {
  for (;;) {
    try {
      if (!reader.next()) return;
    } catch (const trace::TraceError&) {
      // bad line or record: the reader must go on with the next one (or end)
    }
  }
}

}  // namespace vtdsim::fuzz
