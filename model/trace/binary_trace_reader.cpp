// Binary trace reader: streams fixed-size records from a plain or compressed file (CompressedInput
// detects zstd/gzip by magic) in constant memory (a 256 KiB record buffer).
#include <cstddef>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/little_endian.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {

constexpr std::size_t kBufferBytes = 256 * 1024;
// A mapped file is consumed in windows of this many bytes; pages behind the reader are released
// at each window step.
constexpr std::size_t kMapWindowBytes = 8u << 20;

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
  if (r.access != static_cast<std::uint8_t>(Access::kRead) && r.access != static_cast<std::uint8_t>(Access::kWrite))
    return bad("access must be 1 (read) or 2 (write)");
  if (r.perms > 3) return bad("perms has bits other than read/write");
  if (r.translation_type > static_cast<std::uint8_t>(core::TranslationType::kBlocked))
    return bad("translation type out of range");
  if (r.inv_target > static_cast<std::uint8_t>(core::InvalidationTarget::kInterruptEntry))
    return bad("invalidation target out of range");
  if (r.inv_granularity > static_cast<std::uint8_t>(core::InvalidationGranularity::kPasid))
    return bad("invalidation granularity out of range");
  if (r.inv_flags > 7) return bad("invalidation flags have unknown bits");
  if (r.stage > static_cast<std::uint8_t>(ContextStage::kFirst)) return bad("context stage out of range");
  for (std::uint8_t b : r.reserved)
    if (b != 0) return bad("reserved bytes are not zero");

  // Plain field-by-field decode: the reference for fill_event (tests/core/binary_record_fast_path_test.cpp).
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
  e.stage = static_cast<ContextStage>(r.stage);
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
  return true;
}

// A plain regular file that starts with the binary magic, mapped read-only. open() returns
// nullptr for anything else (compressed files, pipes, stdin, empty or unreadable files), which
// then go through CompressedInput.
struct BinaryTraceReader::Mapping {
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  std::size_t released = 0;  // bytes [0, released) given back with MADV_DONTNEED

  ~Mapping() {
    if (data != nullptr) ::munmap(const_cast<unsigned char*>(data), size);
  }

  static std::unique_ptr<Mapping> open(const std::string& path) {
    if (path == "-") return nullptr;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    std::unique_ptr<Mapping> m;
    struct stat st {};
    char magic[sizeof(kBinaryMagic)];
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) >= sizeof(magic) &&
        ::pread(fd, magic, sizeof(magic), 0) == static_cast<ssize_t>(sizeof(magic)) &&
        is_binary_trace_magic(magic, sizeof(magic))) {
      const std::size_t size = static_cast<std::size_t>(st.st_size);
      void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (addr != MAP_FAILED) {
        ::madvise(addr, size, MADV_SEQUENTIAL);
        m = std::make_unique<Mapping>();
        m->data = static_cast<const unsigned char*>(addr);
        m->size = size;
      }
    }
    ::close(fd);
    return m;
  }

  // Gives back the whole pages before `offset` (they have been decoded).
  void release_before(std::size_t offset) {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t upto = offset / page * page;
    if (upto <= released) return;
    ::madvise(const_cast<unsigned char*>(data) + released, upto - released, MADV_DONTNEED);
    released = upto;
  }
};

BinaryTraceReader::BinaryTraceReader(const std::string& path) : map_(Mapping::open(path)) {
  if (map_) {
    path_ = path;
    data_ = cur_ = end_ = map_->data;
    read_header();
    return;
  }
  input_ = std::make_unique<CompressedInput>(path);
  buffer_.resize(kBufferBytes);
  data_ = cur_ = end_ = buffer_.data();
  path_ = input_->display_name();
  read_header();
}

BinaryTraceReader::BinaryTraceReader(std::unique_ptr<CompressedInput> input)
    : input_(std::move(input)), buffer_(kBufferBytes) {
  data_ = cur_ = end_ = buffer_.data();
  path_ = input_->display_name();
  read_header();
}

void BinaryTraceReader::read_header() {
  while (unread() < sizeof(BinaryHeader) && refill()) {
  }
  const std::size_t have = unread();
  if (have >= sizeof(kBinaryMagic) && !is_binary_trace_magic(cur_, have))
    throw TraceError(path_, 0, "not a vtdsim binary trace (bad magic)");
  if (have < sizeof(BinaryHeader))
    throw TraceError(path_, 0,
                     "truncated binary trace header (" + std::to_string(have) + " of " +
                         std::to_string(sizeof(BinaryHeader)) + " bytes)");
  BinaryHeader header;
  std::memcpy(&header, cur_, sizeof(header));
  if (little_endian(header.version) < kBinaryOldestVersion || little_endian(header.version) > kBinaryVersion)
    throw TraceError(path_, 0,
                     "unsupported binary trace version " + std::to_string(little_endian(header.version)) +
                         " (this build reads versions " + std::to_string(kBinaryOldestVersion) + " to " +
                         std::to_string(kBinaryVersion) + ")");
  if (little_endian(header.record_size) != sizeof(BinaryRecord))
    throw TraceError(path_, 0,
                     "record size " + std::to_string(little_endian(header.record_size)) + ", expected " +
                         std::to_string(sizeof(BinaryRecord)));
  if (little_endian(header.header_size) != sizeof(BinaryHeader))
    throw TraceError(path_, 0,
                     "header size " + std::to_string(little_endian(header.header_size)) + ", expected " +
                         std::to_string(sizeof(BinaryHeader)));
  if (header.flags != 0) throw TraceError(path_, 0, "unknown header flags");
  cur_ += sizeof(BinaryHeader);
}

BinaryTraceReader::~BinaryTraceReader() = default;

bool BinaryTraceReader::compressed() const { return input_ && input_->compression() != Compression::kNone; }

void BinaryTraceReader::fail(const std::string& what, std::uint64_t record) const {
  throw TraceError(path_, 0,
                   "record " + std::to_string(record) + " (byte " +
                       std::to_string(header_size_ + record * sizeof(BinaryRecord)) + "): " + what);
}

// Mapped: releases the pages behind the reader and widens the window. Otherwise: moves the
// unread tail to the front and appends more decompressed bytes. False at end of input.
bool BinaryTraceReader::refill() {
  if (map_) {
    const std::size_t end = static_cast<std::size_t>(end_ - data_);
    if (end >= map_->size) return false;
    map_->release_before(static_cast<std::size_t>(cur_ - data_));
    end_ = data_ + (map_->size - end > kMapWindowBytes ? end + kMapWindowBytes : map_->size);
    return true;
  }
  if (cur_ != data_) {
    const std::size_t unread_bytes = unread();
    std::memmove(buffer_.data(), cur_, unread_bytes);
    dropped_ += static_cast<std::size_t>(cur_ - data_);
    cur_ = data_;
    end_ = data_ + unread_bytes;
  }
  if (input_failed_) return false;
  const std::size_t used = static_cast<std::size_t>(end_ - data_);
  std::size_t got = 0;
  try {
    got = input_->read(buffer_.data() + used, buffer_.size() - used);
  } catch (const TraceError& e) {
    // Decompression failed (corrupt or truncated zstd/gzip): name the first record not read.
    // The input would fail the same way forever, so a caller going on after the error (as
    // --skip-bad and the fuzzers do) sees the end of the trace next.
    input_failed_ = true;
    const std::uint64_t whole = used / sizeof(BinaryRecord);
    fail(e.reason(), records_read() + whole);
  }
  end_ += got;
  return got > 0;
}

bool BinaryTraceReader::next_slow(TraceEvent& out) {
  if (unread() < sizeof(BinaryRecord)) {
    while (unread() < sizeof(BinaryRecord) && refill()) {
    }
    if (end_ == cur_) return false;
    if (unread() < sizeof(BinaryRecord)) {
      // Consume the partial record so that a caller going on after the error (--skip-bad)
      // sees the end of the trace instead of the same error forever.
      const std::size_t partial = unread();
      const std::uint64_t record = records_read();
      cur_ = end_;
      fail("truncated record (" + std::to_string(partial) + " of " + std::to_string(sizeof(BinaryRecord)) + " bytes)",
           record);
    }
  }
  const unsigned char* p = cur_;
  if (binary_fast::record_valid(p)) {
    binary_fast::fill_event(p, out);
  } else {
    BinaryRecord record;
    std::memcpy(&record, p, sizeof(record));
    const char* reason = "invalid field";
    decode_record(record, out, &reason);
    const std::uint64_t index = records_read();
    cur_ += sizeof(BinaryRecord);  // the bad record is consumed: --skip-bad goes on after it
    fail(std::string("corrupt record: ") + reason, index);
  }
  cur_ += sizeof(BinaryRecord);
  return true;
}

std::optional<TraceEvent> BinaryTraceReader::next() {
  std::optional<TraceEvent> event(std::in_place);  // decoded in place, returned without a copy
  if (!next(*event)) return std::nullopt;
  return event;
}

std::string BinaryTraceReader::position() const {
  const std::uint64_t records = records_read();
  const std::uint64_t record = records == 0 ? 0 : records - 1;
  return path_ + "@record " + std::to_string(record) + " (byte " +
         std::to_string(header_size_ + record * sizeof(BinaryRecord)) + ")";
}

}  // namespace vtdsim::trace
