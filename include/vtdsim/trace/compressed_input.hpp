// Streaming byte/line reader over a file that may be gzip (zlib) or zstd compressed. The
// compression is detected from the magic bytes of the content, never from the file name:
//   gzip  1f 8b           (RFC 1952; concatenated members are read one after another)
//   zstd  28 b5 2f fd     (RFC 8878; several frames and skippable frames are fine)
// anything else is read as is. "-" reads standard input. Memory is constant (fixed buffers)
// whatever the size of the file. Truncated or corrupt compressed data throws TraceError
// ("FILE: gzip data is corrupt: ..."), never crashes.
//
// Used by every trace reader (text, QEMU log, binary) and by `vtdsim replay/convert`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace vtdsim::trace {

enum class Compression : std::uint8_t { kNone, kGzip, kZstd };
const char* to_string(Compression compression);

class CompressedInput {
 public:
  // Opens path ("-" = stdin). Throws TraceError if the file cannot be opened.
  explicit CompressedInput(const std::string& path);
  ~CompressedInput();
  CompressedInput(const CompressedInput&) = delete;
  CompressedInput& operator=(const CompressedInput&) = delete;

  // Reads up to size decompressed bytes into dst; returns the count (0 only at end of input).
  std::size_t read(void* dst, std::size_t size);
  // Reads exactly size bytes; returns false if the input ends first (after copying what was there:
  // `got` receives the count). Convenient for fixed-size binary records.
  bool read_exact(void* dst, std::size_t size, std::size_t* got = nullptr);
  // Reads one line without its "\n" (a trailing "\r" is removed too). Returns false at end of
  // input. A last line without "\n" is still returned. Lines longer than max_line_bytes throw.
  bool read_line(std::string& line);
  // The first bytes of the decompressed content, without consuming them (format detection).
  // Returns fewer than size bytes only if the input is shorter.
  std::string peek(std::size_t size);

  const std::string& path() const { return path_; }
  // Name to use in messages: the path, or "<stdin>".
  const std::string& display_name() const { return display_name_; }
  Compression compression() const { return compression_; }
  // Number of lines returned by read_line so far (= line number of the last line returned).
  std::uint64_t line_number() const { return line_number_; }
  // Raw (compressed) bytes consumed from the file, and its size (0 if unknown, e.g. a pipe):
  // together they give progress.
  std::uint64_t raw_bytes_read() const { return raw_bytes_read_; }
  std::uint64_t raw_size() const { return raw_size_; }

  static constexpr std::size_t kMaxLineBytes = 1u << 20;

 private:
  struct Decoder;
  void detect();
  std::size_t fill_raw();                // reads more compressed bytes; returns count
  bool refill_out();                     // decodes more into out_; false at end of input
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  std::string display_name_;
  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  Compression compression_ = Compression::kNone;
  std::unique_ptr<Decoder> decoder_;
  std::vector<unsigned char> raw_;       // compressed input buffer
  std::size_t raw_pos_ = 0, raw_len_ = 0;
  bool raw_eof_ = false;
  std::vector<unsigned char> out_;       // decompressed buffer
  std::size_t out_pos_ = 0, out_len_ = 0;
  bool out_eof_ = false;
  std::uint64_t line_number_ = 0;
  std::uint64_t raw_bytes_read_ = 0;
  std::uint64_t raw_size_ = 0;
};

}  // namespace vtdsim::trace
