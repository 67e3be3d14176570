#include "vtdsim/trace/compressed_input.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {
constexpr std::size_t kRawBufferBytes = 1u << 16;
constexpr std::size_t kOutBufferBytes = 1u << 18;
}  // namespace

const char* to_string(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

// The file, its raw (compressed) buffer and the decoder. Used by one thread at a time: the
// reader's until the read-ahead thread starts, then only that thread (raw_bytes_read is atomic
// for progress reports). Plain POSIX read(2) rather than stdio, so that a read-ahead thread left
// blocked on a pipe holds no stdio lock.
struct CompressedInput::Source {
  std::string name;  // for messages
  int fd = -1;
  bool owns_fd = false;
  bool regular = false;  // a regular file: reads never block for long
  Compression compression = Compression::kNone;
  std::vector<unsigned char> raw;
  std::size_t raw_pos = 0, raw_len = 0;
  bool raw_eof = false;
  std::atomic<std::uint64_t> raw_bytes_read{0};
  std::string error;  // set by the first failure; every later decode fails the same way
  // gzip
  z_stream z{};
  bool z_init = false;
  bool z_in_member = false;  // bytes of a member consumed, its end not seen yet
  // zstd
  ZSTD_DStream* zs = nullptr;
  std::size_t zs_last = 0;  // last ZSTD_decompressStream result: 0 = frame complete
  bool zs_started = false;

  ~Source() {
    if (z_init) inflateEnd(&z);
    if (zs) ZSTD_freeDStream(zs);
    if (owns_fd && fd >= 0) ::close(fd);
  }

  [[noreturn]] void fail(const std::string& what) {
    if (error.empty()) error = what;
    throw TraceError(name, 0, what);
  }

  // A failure after `produced` bytes of this decode: those bytes first (so that what comes before
  // the damage does not depend on buffer sizes), the failure on the next call.
  std::size_t fail_after(std::size_t produced, const std::string& what) {
    if (produced == 0) fail(what);
    if (error.empty()) error = what;
    return produced;
  }

  // Reads more raw bytes (one read(2)); returns the count, 0 at end of file or if the buffer is full.
  std::size_t fill_raw() {
    if (raw_eof) return 0;
    if (raw_pos > 0) {
      std::memmove(raw.data(), raw.data() + raw_pos, raw_len - raw_pos);
      raw_len -= raw_pos;
      raw_pos = 0;
    }
    if (raw_len == raw.size()) return 0;
    const std::size_t n = read_fd(raw.data() + raw_len, raw.size() - raw_len);
    if (n == 0) raw_eof = true;
    raw_len += n;
    return n;
  }

  std::size_t read_fd(unsigned char* dst, std::size_t size) {
    ssize_t n;
    do {
      n = ::read(fd, dst, size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) fail(std::string("read error: ") + std::strerror(errno));
    raw_bytes_read.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    return static_cast<std::size_t>(n);
  }

  void detect() {
    while (raw_len < 4 && !raw_eof) fill_raw();
    const unsigned char* b = raw.data();
    if (raw_len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
      compression = Compression::kGzip;
      // 15 + 16: zlib window of 32 KiB, gzip wrapper only (RFC 1952).
      if (inflateInit2(&z, 15 + 16) != Z_OK) fail("cannot initialise zlib");
      z_init = true;
    } else if (raw_len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
      compression = Compression::kZstd;
      zs = ZSTD_createDStream();
      if (!zs) fail("cannot initialise zstd");
      ZSTD_initDStream(zs);
    } else {
      compression = Compression::kNone;
    }
  }

  bool raw_buffered() const { return raw_pos < raw_len; }

  // Decodes at least one byte into dst (up to cap); returns the count, 0 at the end of the input.
  // Throws TraceError on truncated or corrupt data and on read errors.
  std::size_t decode(unsigned char* dst, std::size_t cap) {
    if (!error.empty()) throw TraceError(name, 0, error);
    std::size_t produced = 0;
    while (produced == 0) {
      if (raw_pos == raw_len && !raw_eof) fill_raw();
      const std::size_t avail = raw_len - raw_pos;
      switch (compression) {
        case Compression::kNone: {
          if (avail == 0) return 0;
          produced = std::min(avail, cap);
          std::memcpy(dst, raw.data() + raw_pos, produced);
          raw_pos += produced;
          break;
        }
        case Compression::kGzip: {
          if (avail == 0) {
            if (z_in_member) fail("gzip data is truncated (unexpected end of file)");
            return 0;
          }
          z.next_in = raw.data() + raw_pos;
          z.avail_in = static_cast<uInt>(avail);
          z.next_out = dst;
          z.avail_out = static_cast<uInt>(std::min<std::size_t>(cap, 1u << 30));
          const uInt out_before = z.avail_out;
          z_in_member = true;
          const int ret = inflate(&z, Z_NO_FLUSH);
          raw_pos += avail - z.avail_in;
          produced = out_before - z.avail_out;
          if (ret == Z_STREAM_END) {
            z_in_member = false;
            inflateReset(&z);  // a concatenated member may follow
          } else if (ret == Z_BUF_ERROR) {
            // No progress: needs more input. At end of file that is a truncated member.
            if (raw_eof && raw_pos == raw_len) fail("gzip data is truncated (unexpected end of file)");
          } else if (ret != Z_OK) {
            return fail_after(produced, std::string("gzip data is corrupt: ") + (z.msg ? z.msg : "inflate error"));
          }
          break;
        }
        case Compression::kZstd: {
          ZSTD_inBuffer in{raw.data(), raw_len, raw_pos};
          ZSTD_outBuffer out{dst, cap, 0};
          if (avail == 0 && raw_eof) {
            // Flush what the decoder still holds; nothing left means end (or truncation).
            const std::size_t ret = ZSTD_decompressStream(zs, &out, &in);
            if (ZSTD_isError(ret)) fail(std::string("zstd data is corrupt: ") + ZSTD_getErrorName(ret));
            produced = out.pos;
            if (produced == 0) {
              if (zs_started && zs_last != 0) fail("zstd data is truncated (unexpected end of file)");
              return 0;
            }
            break;
          }
          const std::size_t ret = ZSTD_decompressStream(zs, &out, &in);
          if (ZSTD_isError(ret))
            return fail_after(out.pos, std::string("zstd data is corrupt: ") + ZSTD_getErrorName(ret));
          zs_started = true;
          zs_last = ret;
          raw_pos = in.pos;
          produced = out.pos;
          break;
        }
      }
    }
    return produced;
  }

  // Plain input only: buffered raw bytes, then straight from the file into dst, until size bytes
  // or the end of the file.
  std::size_t read_plain(unsigned char* dst, std::size_t size) {
    std::size_t done = std::min(size, raw_len - raw_pos);
    std::memcpy(dst, raw.data() + raw_pos, done);
    raw_pos += done;
    while (done < size && !raw_eof) {
      const std::size_t n = read_fd(dst + done, size - done);
      if (n == 0) raw_eof = true;
      done += n;
    }
    return done;
  }
};

// The read-ahead ring: `chunks` fixed buffers. The thread fills slot (head + filled) % n while
// filled < n; the reader holds slot head while it reads it and gives it back (head + 1, filled - 1)
// when it moves on. The thread publishes each chunk as a whole, so a slot is only ever touched by
// one side at a time.
struct CompressedInput::Ring {
  std::mutex mutex;
  std::condition_variable filled_cv;  // reader waits: filled > 0 || done
  std::condition_variable free_cv;    // thread waits: filled < n || stop
  std::vector<std::vector<unsigned char>> slots;
  std::vector<std::size_t> lens;
  std::size_t head = 0;
  std::size_t filled = 0;
  bool done = false;         // the thread has published its last chunk
  bool stop = false;         // the reader is gone
  std::exception_ptr error;  // why the thread stopped early (after its last chunk)
  std::thread thread;

  static void run(const std::shared_ptr<Source>& source, const std::shared_ptr<Ring>& ring) {
    Ring& r = *ring;
    const std::size_t n = r.slots.size();
    for (;;) {
      std::size_t slot;
      {
        std::unique_lock<std::mutex> lock(r.mutex);
        r.free_cv.wait(lock, [&] { return r.stop || r.filled < n; });
        if (r.stop) return;
        slot = (r.head + r.filled) % n;
      }
      unsigned char* dst = r.slots[slot].data();
      const std::size_t cap = r.slots[slot].size();
      std::size_t len = 0;
      bool end = false;
      std::exception_ptr error;
      try {
        // A whole chunk from a regular file; from a pipe, whatever is there without waiting.
        while (len < cap && (len == 0 || source->regular || source->raw_buffered())) {
          const std::size_t got = source->decode(dst + len, cap - len);
          if (got == 0) {
            end = true;
            break;
          }
          len += got;
        }
      } catch (...) {
        error = std::current_exception();
        end = true;
      }
      {
        std::lock_guard<std::mutex> lock(r.mutex);
        r.lens[slot] = len;
        if (len > 0) ++r.filled;
        if (end) {
          r.done = true;
          r.error = error;
        }
      }
      r.filled_cv.notify_one();
      if (end) return;
    }
  }
};

CompressedInput::CompressedInput(const std::string& path, const InputOptions& options)
    : path_(path), display_name_(path == "-" ? "<stdin>" : path), options_(options) {
  options_.chunk_bytes = std::max<std::size_t>(options_.chunk_bytes, 1);
  options_.chunks = std::max<std::size_t>(options_.chunks, 2);
  source_ = std::make_shared<Source>();
  Source& s = *source_;
  s.name = display_name_;
  if (path == "-") {
    s.fd = STDIN_FILENO;
  } else {
    s.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (s.fd < 0) throw TraceError(display_name_, 0, std::string("cannot open: ") + std::strerror(errno));
    s.owns_fd = true;
  }
  struct stat st {};
  if (::fstat(s.fd, &st) == 0 && S_ISREG(st.st_mode)) {
    s.regular = true;
    if (path != "-") raw_size_ = static_cast<std::uint64_t>(st.st_size);
  }
  s.raw.resize(kRawBufferBytes);
  out_.resize(std::min(kOutBufferBytes, std::max<std::size_t>(options_.chunk_bytes, 1u << 16)));
  s.detect();
  compression_ = s.compression;
}

CompressedInput::~CompressedInput() {
  if (!ring_) return;
  {
    std::lock_guard<std::mutex> lock(ring_->mutex);
    ring_->stop = true;
  }
  ring_->free_cv.notify_all();
  // A regular file: the thread finishes its chunk and returns at once. A pipe may keep it blocked
  // in read(2) indefinitely: leave it; it owns what it uses (shared_ptr) and ends with the input.
  if (source_->regular)
    ring_->thread.join();
  else
    ring_->thread.detach();
}

std::uint64_t CompressedInput::raw_bytes_read() const {
  return source_->raw_bytes_read.load(std::memory_order_relaxed);
}

bool CompressedInput::start_read_ahead() {
  auto ring = std::make_shared<Ring>();
  ring->slots.assign(options_.chunks, std::vector<unsigned char>(options_.chunk_bytes));
  ring->lens.assign(options_.chunks, 0);
  try {
    std::shared_ptr<Source> source = source_;
    ring->thread = std::thread([source, ring] { Ring::run(source, ring); });
  } catch (const std::system_error&) {
    return false;  // no thread to be had: decode in this thread
  }
  ring_ = std::move(ring);
  return true;
}

bool CompressedInput::next_chunk() {
  if (eof_) return false;
  if (!ring_ && options_.read_ahead != ReadAhead::kNever) {
    // The bytes decoded here (for peek) are used up: the rest may come from the thread.
    const bool want = options_.read_ahead == ReadAhead::kAlways ||
                      (options_.read_ahead == ReadAhead::kAuto && compression_ != Compression::kNone &&
                       std::thread::hardware_concurrency() != 1);
    if (want && source_->error.empty()) {
      if (start_read_ahead())
        out_ = std::vector<unsigned char>();  // not needed any more
      else
        options_.read_ahead = ReadAhead::kNever;
    }
  }
  if (ring_) {
    Ring& r = *ring_;
    std::unique_lock<std::mutex> lock(r.mutex);
    if (ring_slot_held_) {
      r.head = (r.head + 1) % r.slots.size();
      --r.filled;
      ring_slot_held_ = false;
      cur_ = nullptr;
      cur_pos_ = cur_len_ = 0;
      r.free_cv.notify_one();
    }
    r.filled_cv.wait(lock, [&] { return r.filled > 0 || r.done; });
    if (r.filled == 0) {
      if (r.error) std::rethrow_exception(r.error);
      eof_ = true;
      return false;
    }
    cur_ = r.slots[r.head].data();
    cur_pos_ = 0;
    cur_len_ = r.lens[r.head];
    ring_slot_held_ = true;
    return true;
  }
  const std::size_t n = source_->decode(out_.data(), out_.size());
  if (n == 0) {
    eof_ = true;
    return false;
  }
  cur_ = out_.data();
  cur_pos_ = 0;
  cur_len_ = n;
  return true;
}

std::size_t CompressedInput::read(void* dst, std::size_t size) {
  carry_.clear();
  auto* p = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  while (done < size) {
    if (cur_pos_ == cur_len_) {
      if (!ring_ && compression_ == Compression::kNone && options_.read_ahead != ReadAhead::kAlways) {
        // Plain file: no staging copy (the bytes already buffered came first).
        done += source_->read_plain(p + done, size - done);
        break;
      }
      if (!next_chunk()) break;
    }
    const std::size_t n = std::min(size - done, cur_len_ - cur_pos_);
    std::memcpy(p + done, cur_ + cur_pos_, n);
    cur_pos_ += n;
    done += n;
  }
  return done;
}

bool CompressedInput::read_exact(void* dst, std::size_t size, std::size_t* got) {
  std::size_t n = read(dst, size);
  if (got) *got = n;
  return n == size;
}

bool CompressedInput::read_line_view(std::string_view& line) {
  carry_.clear();
  for (;;) {
    if (cur_pos_ == cur_len_ && !next_chunk()) {
      if (carry_.empty()) return false;  // (a last line without "\n" is in carry_)
      line = carry_;
      break;
    }
    const char* start = reinterpret_cast<const char*>(cur_) + cur_pos_;
    const std::size_t avail = cur_len_ - cur_pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - start) : avail;
    if (carry_.size() + take > kMaxLineBytes) {
      carry_.clear();
      throw TraceError(display_name_, line_number_ + 1, "line is longer than 1 MiB (not a text trace?)");
    }
    if (nl) {
      cur_pos_ += take + 1;
      if (carry_.empty()) {
        line = std::string_view(start, take);  // the common case: no copy
      } else {
        carry_.append(start, take);
        line = carry_;
      }
      break;
    }
    carry_.append(start, take);
    cur_pos_ = cur_len_;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++line_number_;
  return true;
}

bool CompressedInput::read_line(std::string& line) {
  std::string_view view;
  if (!read_line_view(view)) {
    line.clear();
    return false;
  }
  line.assign(view.data(), view.size());
  return true;
}

std::string CompressedInput::peek(std::size_t size) {
  if (ring_) {
    const std::size_t n = std::min(size, cur_len_ - cur_pos_);
    return std::string(reinterpret_cast<const char*>(cur_) + cur_pos_, n);
  }
  size = std::min(size, out_.size());
  // Keep the unread bytes at the front of out_ and decode more behind them.
  if (cur_ != nullptr && cur_pos_ > 0) {
    std::memmove(out_.data(), out_.data() + cur_pos_, cur_len_ - cur_pos_);
    cur_len_ -= cur_pos_;
    cur_pos_ = 0;
  }
  cur_ = out_.data();
  while (cur_len_ < size && !eof_) {
    const std::size_t n = source_->decode(out_.data() + cur_len_, out_.size() - cur_len_);
    if (n == 0) eof_ = true;
    cur_len_ += n;
  }
  return std::string(reinterpret_cast<const char*>(cur_), std::min(size, cur_len_));
}

}  // namespace vtdsim::trace
