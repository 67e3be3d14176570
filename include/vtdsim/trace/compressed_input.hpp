// Streaming byte/line reader over a file that may be gzip (zlib) or zstd compressed. The
// compression is detected from the magic bytes of the content, never from the file name:
//   gzip  1f 8b           (RFC 1952; concatenated members are read one after another)
//   zstd  28 b5 2f fd     (RFC 8878; several frames and skippable frames are fine)
// anything else is read as is. "-" reads standard input. Memory is constant (fixed buffers)
// whatever the size of the file. Truncated or corrupt compressed data throws TraceError
// ("FILE: gzip data is corrupt: ..."), never crashes.
//
// Read-ahead: compressed input is decompressed by a second thread into a small ring of fixed
// chunks (InputOptions), so decompression and parsing run side by side on two cores (the way
// `zcat FILE | wc -l` does with two processes). The reader sees exactly the bytes, lines, end of
// input and errors it would see without the thread: data before a decompression error is
// delivered first, then the error is thrown (again on every later read). The thread starts on the
// first read after the bytes decoded for peek() are used up, and stops when the input ends, fails
// or the CompressedInput is destroyed.
//
// Used by every trace reader (text, QEMU log, binary) and by `vtdsim replay/convert`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

enum class Compression : std::uint8_t { kNone, kGzip, kZstd };
const char* to_string(Compression compression);

// When CompressedInput decompresses in a second thread.
enum class ReadAhead : std::uint8_t {
  kAuto,    // gzip and zstd input, when the machine has more than one hardware thread
  kNever,   // always in the caller's thread
  kAlways,  // any input, plain too (tests)
};

struct InputOptions {
  ReadAhead read_ahead = ReadAhead::kAuto;
  std::size_t chunk_bytes = 1u << 18;  // decompressed bytes per chunk (>= 1)
  std::size_t chunks = 4;              // chunks in the read-ahead ring (>= 2)
};

class CompressedInput {
 public:
  // Opens path ("-" = stdin). Throws TraceError if the file cannot be opened.
  explicit CompressedInput(const std::string& path, const InputOptions& options = InputOptions());
  ~CompressedInput();
  CompressedInput(const CompressedInput&) = delete;
  CompressedInput& operator=(const CompressedInput&) = delete;

  // Reads up to size decompressed bytes into dst; returns the count (0 only at end of input).
  std::size_t read(void* dst, std::size_t size);
  // Reads exactly size bytes; returns false if the input ends first (after copying what was there:
  // `got` receives the count). Convenient for fixed-size binary records.
  bool read_exact(void* dst, std::size_t size, std::size_t* got = nullptr);
  // Reads one line without its "\n" (a trailing "\r" is removed too). Returns false at end of
  // input. A last line without "\n" is still returned. Lines longer than kMaxLineBytes throw.
  bool read_line(std::string& line);
  // The same without a copy: `line` points into the reader's buffers and stays valid until the
  // next call of any read function.
  bool read_line_view(std::string_view& line);
  // The first bytes of the decompressed content, without consuming them (format detection).
  // Returns fewer than size bytes only if the input is shorter. Meant to be called before reading;
  // once the read-ahead thread runs it returns at most the rest of the current chunk.
  std::string peek(std::size_t size);

  const std::string& path() const { return path_; }
  // Name to use in messages: the path, or "<stdin>".
  const std::string& display_name() const { return display_name_; }
  Compression compression() const { return compression_; }
  // Number of lines returned by read_line so far (= line number of the last line returned).
  std::uint64_t line_number() const { return line_number_; }
  // Raw (compressed) bytes consumed from the file, and its size (0 if unknown, e.g. a pipe):
  // together they give progress. With read-ahead, up to a ring of chunks ahead of the reader.
  std::uint64_t raw_bytes_read() const;
  std::uint64_t raw_size() const { return raw_size_; }
  // True once decompression runs in the read-ahead thread.
  bool reading_ahead() const { return ring_ != nullptr; }

  static constexpr std::size_t kMaxLineBytes = 1u << 20;

 private:
  struct Source;      // file, raw buffer and decoder (shared with the read-ahead thread)
  struct Ring;        // read-ahead chunks and their hand-over
  bool next_chunk();  // makes the next decompressed bytes current; false at end of input
  bool start_read_ahead();

  std::string path_;
  std::string display_name_;
  InputOptions options_;
  Compression compression_ = Compression::kNone;
  std::uint64_t raw_size_ = 0;
  std::shared_ptr<Source> source_;
  std::shared_ptr<Ring> ring_;          // null until (and unless) the read-ahead thread runs
  bool ring_slot_held_ = false;         // cur_ is a ring slot to give back
  std::vector<unsigned char> out_;      // decompressed bytes decoded in this thread
  const unsigned char* cur_ = nullptr;  // current decompressed bytes: out_ or a ring slot
  std::size_t cur_pos_ = 0, cur_len_ = 0;
  bool eof_ = false;
  std::string carry_;  // a line that spans chunks
  std::uint64_t line_number_ = 0;
};

// For line readers that go on after an error (--skip-bad, the fuzzers): a failure of the input
// itself (corrupt compressed data, I/O; a TraceError without a line) repeats on every later read,
// so it is thrown once, `failed` is set, and from then on the input reads as ended. Line errors
// (a line longer than kMaxLineBytes) consume the line and are thrown every time.
template <class Line>
bool read_line_ending_on_failure(CompressedInput& in, Line& line, bool& failed) {
  if (failed) return false;
  try {
    if constexpr (std::is_same_v<Line, std::string_view>) {
      return in.read_line_view(line);
    } else {
      return in.read_line(line);
    }
  } catch (const TraceError& e) {
    if (e.line() == 0) failed = true;
    throw;
  }
}

}  // namespace vtdsim::trace
