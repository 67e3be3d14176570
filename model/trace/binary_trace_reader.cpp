// Binary trace reader: streams fixed-size records from a plain or compressed file (CompressedInput
// detects zstd/gzip by magic) in constant memory (a 256 KiB record buffer).
#include <cstring>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/little_endian.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {

constexpr std::size_t kBufferBytes = 256 * 1024;


// Every enumerated field in range and the reserved bytes zero (one branch on the hot path; the
// detailed check in decode_record names the field).
[[gnu::always_inline]] inline bool record_valid(const BinaryRecord& r) {
  std::uint64_t reserved = 0;
  std::memcpy(&reserved, r.reserved, sizeof(r.reserved));
  return (r.kind <= static_cast<std::uint8_t>(EventKind::kInvalidate)) &
         ((r.access == static_cast<std::uint8_t>(Access::kRead)) | (r.access == static_cast<std::uint8_t>(Access::kWrite))) &
         (r.perms <= 3) & (r.translation_type <= static_cast<std::uint8_t>(core::TranslationType::kBlocked)) &
         (r.inv_target <= static_cast<std::uint8_t>(core::InvalidationTarget::kInterruptEntry)) &
         (r.inv_granularity <= static_cast<std::uint8_t>(core::InvalidationGranularity::kPasid)) &
         (r.inv_flags <= 7) & (reserved == 0);
}

// Fields of a valid record into the event.
[[gnu::always_inline]] inline void fill_event(const BinaryRecord& r, TraceEvent& e) {
  e.kind = static_cast<EventKind>(r.kind);
  e.time_ns = little_endian(r.time_ns);
  e.source = SourceId(little_endian(r.source));
  e.pasid = Pasid(little_endian(r.pasid));
  e.domain = DomainId(little_endian(r.domain));
  e.iova = Iova(little_endian(r.iova));
  e.size = little_endian(r.size);
  e.access = static_cast<Access>(r.access);
  e.host = HostAddr(little_endian(r.host));
  e.perms = Perms{(r.perms & 1) != 0, (r.perms & 2) != 0};
  e.page_size = little_endian(r.page_size);
  e.translation_type = static_cast<core::TranslationType>(r.translation_type);
  e.levels = r.levels;
  core::InvalidationRequest& inv = e.invalidation;
  inv.target = static_cast<core::InvalidationTarget>(r.inv_target);
  inv.granularity = static_cast<core::InvalidationGranularity>(r.inv_granularity);
  inv.domain = DomainId(little_endian(r.inv_domain));
  inv.source = SourceId(little_endian(r.inv_source));
  inv.function_mask = r.inv_function_mask;
  inv.pasid = Pasid(little_endian(r.inv_pasid));
  inv.addr = Iova(little_endian(r.inv_addr));
  inv.address_mask = r.inv_address_mask;
  inv.invalidation_hint = (r.inv_flags & 1) != 0;
  inv.drain_reads = (r.inv_flags & 2) != 0;
  inv.drain_writes = (r.inv_flags & 4) != 0;
}

}  // namespace

bool is_binary_trace_magic(const void* data, std::size_t size) {
  return size >= sizeof(kBinaryMagic) && std::memcmp(data, kBinaryMagic, sizeof(kBinaryMagic)) == 0;
}

bool is_binary_trace_file(const std::string& path) {
  try {
    CompressedInput input(path);
    const std::string head = input.peek(sizeof(kBinaryMagic));
    return is_binary_trace_magic(head.data(), head.size());
  } catch (const TraceError&) {
    return false;
  }
}

TraceEvent decode_record(const BinaryRecord& record, const std::string& where) {
  TraceEvent event;
  const char* reason = nullptr;
  if (!decode_record(record, event, &reason)) throw TraceError(where, 0, std::string("corrupt record: ") + reason);
  return event;
}

bool decode_record(const BinaryRecord& r, TraceEvent& e, const char** reason) {
  auto bad = [reason](const char* why) {
    if (reason) *reason = why;
    return false;
  };
  if (r.kind > static_cast<std::uint8_t>(EventKind::kInvalidate)) return bad("event kind out of range");
  if (r.access != static_cast<std::uint8_t>(Access::kRead) &&
      r.access != static_cast<std::uint8_t>(Access::kWrite))
    return bad("access must be 1 (read) or 2 (write)");
  if (r.perms > 3) return bad("perms has bits other than read/write");
  if (r.translation_type > static_cast<std::uint8_t>(core::TranslationType::kBlocked))
    return bad("translation type out of range");
  if (r.inv_target > static_cast<std::uint8_t>(core::InvalidationTarget::kInterruptEntry))
    return bad("invalidation target out of range");
  if (r.inv_granularity > static_cast<std::uint8_t>(core::InvalidationGranularity::kPasid))
    return bad("invalidation granularity out of range");
  if (r.inv_flags > 7) return bad("invalidation flags have unknown bits");
  for (std::uint8_t b : r.reserved)
    if (b != 0) return bad("reserved bytes are not zero");

  fill_event(r, e);
  return true;
}

BinaryTraceReader::BinaryTraceReader(const std::string& path)
    : BinaryTraceReader(std::make_unique<CompressedInput>(path)) {}

BinaryTraceReader::BinaryTraceReader(std::unique_ptr<CompressedInput> input)
    : input_(std::move(input)), buffer_(kBufferBytes) {
  path_ = input_->display_name();
  read_header();
}

void BinaryTraceReader::read_header() {
  while (end_ - begin_ < sizeof(BinaryHeader) && refill()) {
  }
  const std::size_t have = end_ - begin_;
  if (have >= sizeof(kBinaryMagic) && !is_binary_trace_magic(buffer_.data() + begin_, have))
    throw TraceError(path_, 0, "not a vtdsim binary trace (bad magic)");
  if (have < sizeof(BinaryHeader))
    throw TraceError(path_, 0, "truncated binary trace header (" + std::to_string(have) + " of " +
                                   std::to_string(sizeof(BinaryHeader)) + " bytes)");
  BinaryHeader header;
  std::memcpy(&header, buffer_.data() + begin_, sizeof(header));
  if (little_endian(header.version) != kBinaryVersion)
    throw TraceError(path_, 0, "unsupported binary trace version " + std::to_string(little_endian(header.version)) +
                                   " (this build reads version " + std::to_string(kBinaryVersion) + ")");
  if (little_endian(header.record_size) != sizeof(BinaryRecord))
    throw TraceError(path_, 0, "record size " + std::to_string(little_endian(header.record_size)) + ", expected " +
                                   std::to_string(sizeof(BinaryRecord)));
  if (little_endian(header.header_size) != sizeof(BinaryHeader))
    throw TraceError(path_, 0, "header size " + std::to_string(little_endian(header.header_size)) + ", expected " +
                                   std::to_string(sizeof(BinaryHeader)));
  if (header.flags != 0) throw TraceError(path_, 0, "unknown header flags");
  begin_ += sizeof(BinaryHeader);
}

BinaryTraceReader::~BinaryTraceReader() = default;

bool BinaryTraceReader::compressed() const { return input_->compression() != Compression::kNone; }

void BinaryTraceReader::fail(const std::string& what, std::uint64_t record) const {
  throw TraceError(path_, 0,
                   "record " + std::to_string(record) + " (byte " +
                       std::to_string(header_size_ + record * sizeof(BinaryRecord)) + "): " + what);
}

// Moves the unread tail to the front and appends more decompressed bytes; false at end of input.
bool BinaryTraceReader::refill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t got = 0;
  try {
    got = input_->read(buffer_.data() + end_, buffer_.size() - end_);
  } catch (const TraceError& e) {
    // Decompression failed (corrupt or truncated zstd/gzip): name the first record not read.
    const std::uint64_t whole = end_ / sizeof(BinaryRecord);
    fail(e.reason(), records_ + whole);
  }
  end_ += got;
  return got > 0;
}

bool BinaryTraceReader::next(TraceEvent& out) {
  if (end_ - begin_ < sizeof(BinaryRecord)) {
    while (end_ - begin_ < sizeof(BinaryRecord) && refill()) {
    }
    if (end_ == begin_) return false;
    if (end_ - begin_ < sizeof(BinaryRecord)) {
      // Consume the partial record so that a caller going on after the error (--skip-bad)
      // sees the end of the trace instead of the same error forever.
      const std::size_t partial = end_ - begin_;
      begin_ = end_;
      fail("truncated record (" + std::to_string(partial) + " of " + std::to_string(sizeof(BinaryRecord)) +
               " bytes)",
           records_);
    }
  }
  BinaryRecord record;
  std::memcpy(&record, buffer_.data() + begin_, sizeof(record));
  if (record_valid(record)) {
    fill_event(record, out);
  } else {
    const char* reason = "invalid field";
    decode_record(record, out, &reason);
    begin_ += sizeof(BinaryRecord);  // the bad record is consumed: --skip-bad goes on after it
    fail(std::string("corrupt record: ") + reason, records_++);
  }
  begin_ += sizeof(BinaryRecord);
  ++records_;
  return true;
}

std::optional<TraceEvent> BinaryTraceReader::next() {
  std::optional<TraceEvent> event(std::in_place);  // decoded in place, returned without a copy
  if (!next(*event)) return std::nullopt;
  return event;
}

std::string BinaryTraceReader::position() const {
  const std::uint64_t record = records_ == 0 ? 0 : records_ - 1;
  return path_ + "@record " + std::to_string(record) + " (byte " +
         std::to_string(header_size_ + record * sizeof(BinaryRecord)) + ")";
}

}  // namespace vtdsim::trace
