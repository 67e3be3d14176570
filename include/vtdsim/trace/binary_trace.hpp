// Native binary trace format: a 16-byte header followed by fixed-size 80-byte little-endian
// records, one per TraceEvent; the whole file may be wrapped in a zstd frame (detected by magic,
// through CompressedInput, which also accepts gzip).
// Read and written as a stream in constant memory. Layout documented in docs/trace-format.md
// ("Binary format"). Bad input (truncated, corrupt, unknown version) throws trace::TraceError
// naming the file, the record index and its byte offset in the (decompressed) stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/trace_event.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::trace {

// ---- On-disk layout (all integers little-endian) -------------------------------------------

inline constexpr char kBinaryMagic[8] = {'V', 'T', 'D', 'S', 'T', 'R', 'C', '\x1a'};
// Version 2 (#12) gave byte 74, reserved and zero in version 1, to the context's stage: a version-1
// file reads the same (its contexts are legacy ones). Both versions are read; version 2 is written.
inline constexpr std::uint16_t kBinaryVersion = 2;
inline constexpr std::uint16_t kBinaryOldestVersion = 1;

#pragma pack(push, 1)
struct BinaryHeader {
  char magic[8];              // kBinaryMagic
  std::uint16_t version;      // kBinaryVersion
  std::uint16_t header_size;  // sizeof(BinaryHeader): records start here
  std::uint16_t record_size;  // sizeof(BinaryRecord)
  std::uint16_t flags;        // 0 (reserved)
};

// One event. Fields are ordered by size so every field is naturally aligned within the record.
struct BinaryRecord {
  std::uint64_t time_ns;           // 0
  std::uint64_t iova;              // 8
  std::uint64_t size;              // 16
  std::uint64_t host;              // 24  kMap
  std::uint64_t page_size;         // 32  kMap
  std::uint64_t inv_addr;          // 40  kInvalidate: InvalidationRequest::addr
  std::uint32_t pasid;             // 48  0xffffffff = no PASID
  std::uint32_t inv_pasid;         // 52
  std::uint16_t source;            // 56  requester id
  std::uint16_t domain;            // 58
  std::uint16_t inv_domain;        // 60
  std::uint16_t inv_source;        // 62
  std::uint8_t kind;               // 64  EventKind
  std::uint8_t access;             // 65  Access (1 read, 2 write)
  std::uint8_t perms;              // 66  bit0 read, bit1 write
  std::uint8_t translation_type;   // 67  core::TranslationType
  std::uint8_t levels;             // 68
  std::uint8_t inv_target;         // 69  core::InvalidationTarget
  std::uint8_t inv_granularity;    // 70  core::InvalidationGranularity
  std::uint8_t inv_flags;          // 71  bit0 invalidation_hint, bit1 drain_reads, bit2 drain_writes
  std::uint8_t inv_function_mask;  // 72
  std::uint8_t inv_address_mask;   // 73
  std::uint8_t stage;              // 74  kContext: ContextStage (version 2; zero in version 1)
  std::uint8_t reserved[5];        // 75  zero
};
#pragma pack(pop)

static_assert(sizeof(BinaryHeader) == 16, "binary trace header is 16 bytes on disk");
static_assert(sizeof(BinaryRecord) == 80, "binary trace record is 80 bytes on disk");
static_assert(offsetof(BinaryRecord, pasid) == 48 && offsetof(BinaryRecord, source) == 56 &&
                  offsetof(BinaryRecord, kind) == 64 && offsetof(BinaryRecord, stage) == 74 &&
                  offsetof(BinaryRecord, reserved) == 75,
              "binary trace record layout");
static_assert(std::is_trivially_copyable_v<BinaryRecord> && std::is_standard_layout_v<BinaryRecord>,
              "binary records are copied as bytes");

// The header every binary trace of this version starts with (little-endian fields).
BinaryHeader binary_trace_header();

// Event <-> record. decode_record throws TraceError("<where>: ...") if a field is out of range.
BinaryRecord encode_record(const TraceEvent& event);
TraceEvent decode_record(const BinaryRecord& record, const std::string& where);
// No-throw variant for the hot path: false (and a reason) if a field is out of range.
bool decode_record(const BinaryRecord& record, TraceEvent& out, const char** reason);

// Content detection (first bytes of the decompressed content).
bool is_binary_trace_magic(const void* data, std::size_t size);
// True if the (decompressed) content of the file starts with the binary magic.
bool is_binary_trace_file(const std::string& path);

enum class BinaryCompression : std::uint8_t { kNone, kZstd };

// ---- Reader ---------------------------------------------------------------------------------

class BinaryTraceReader final : public TraceSource {
 public:
  // Opens path; a zstd-compressed file is recognised by its magic. Throws TraceError. A plain
  // (uncompressed) regular file is memory-mapped and decoded in place; its consumed pages are
  // released as the reader moves on, so resident memory stays bounded.
  explicit BinaryTraceReader(const std::string& path);
  // Reads from an input already opened (e.g. after format detection with peek(); "-" = stdin).
  explicit BinaryTraceReader(std::unique_ptr<CompressedInput> input);
  ~BinaryTraceReader() override;
  BinaryTraceReader(const BinaryTraceReader&) = delete;
  BinaryTraceReader& operator=(const BinaryTraceReader&) = delete;

  std::optional<TraceEvent> next() override;
  // Same without the optional: false at the end of the trace. Inline (binary_record_fast_decode.hpp).
  inline bool next(TraceEvent& out);
  bool next_into(TraceEvent& out) override { return next(out); }
  // "file@record N (byte B)" of the last event returned.
  std::string position() const override;

  // Records consumed so far (returned or rejected): derived from the stream position, so the
  // per-record path keeps no counter.
  std::uint64_t records_read() const {
    const std::uint64_t consumed = dropped_ + static_cast<std::uint64_t>(cur_ - data_);
    return consumed < header_size_ ? 0 : (consumed - header_size_) / sizeof(BinaryRecord);
  }
  bool compressed() const;

 private:
  struct Mapping;
  [[gnu::noinline]] bool next_slow(TraceEvent& out);
  bool refill();
  void read_header();
  [[noreturn]] void fail(const std::string& what, std::uint64_t record) const;
  std::size_t unread() const { return static_cast<std::size_t>(end_ - cur_); }

  std::string path_;
  std::unique_ptr<Mapping> map_;  // a plain file, mapped; else input_
  std::unique_ptr<CompressedInput> input_;
  std::vector<unsigned char> buffer_;    // decompressed bytes (input_ only)
  const unsigned char* data_ = nullptr;  // the mapping, or buffer_.data()
  const unsigned char* cur_ = nullptr;   // unread bytes: [cur_, end_), within data_
  const unsigned char* end_ = nullptr;
  std::uint64_t dropped_ = 0;  // stream bytes before data_[0] (moved out of buffer_)
  std::uint64_t header_size_ = sizeof(BinaryHeader);
  bool input_failed_ = false;  // decompression or I/O failed: reported once, then the end
};

// ---- Writer ---------------------------------------------------------------------------------

class BinaryTraceWriter {
 public:
  // Creates (truncates) path. Throws TraceError if it cannot be opened.
  explicit BinaryTraceWriter(const std::string& path, BinaryCompression compression = BinaryCompression::kNone,
                             int zstd_level = 3);
  ~BinaryTraceWriter();  // closes; errors at this point are swallowed (call close() to see them)
  BinaryTraceWriter(const BinaryTraceWriter&) = delete;
  BinaryTraceWriter& operator=(const BinaryTraceWriter&) = delete;

  void write(const TraceEvent& event);
  // Flushes and ends the zstd frame; throws TraceError on I/O failure. Idempotent.
  void close();
  std::uint64_t records_written() const { return records_; }

 private:
  struct Output;
  void put(const void* data, std::size_t size);
  void flush_buffer();

  std::string path_;
  std::unique_ptr<Output> output_;
  std::vector<unsigned char> buffer_;
  std::size_t used_ = 0;
  std::uint64_t records_ = 0;
  bool closed_ = false;
};

}  // namespace vtdsim::trace

#include "vtdsim/trace/binary_record_fast_decode.hpp"  // BinaryTraceReader::next, inline
