#include "vtdsim/trace/compressed_input.hpp"

#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <sys/stat.h>

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

struct CompressedInput::Decoder {
  // gzip
  z_stream z{};
  bool z_init = false;
  bool z_in_member = false;   // bytes of a member consumed, its end not seen yet
  // zstd
  ZSTD_DStream* zs = nullptr;
  std::size_t zs_last = 0;    // last ZSTD_decompressStream result: 0 = frame complete
  bool zs_started = false;
  ~Decoder() {
    if (z_init) inflateEnd(&z);
    if (zs) ZSTD_freeDStream(zs);
  }
};

CompressedInput::CompressedInput(const std::string& path)
    : path_(path), display_name_(path == "-" ? "<stdin>" : path) {
  if (path == "-") {
    file_ = stdin;
  } else {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) throw TraceError(display_name_, 0, std::string("cannot open: ") + std::strerror(errno));
    owns_file_ = true;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) raw_size_ = static_cast<std::uint64_t>(st.st_size);
  }
  raw_.resize(kRawBufferBytes);
  out_.resize(kOutBufferBytes);
  decoder_ = std::make_unique<Decoder>();
  detect();
}

CompressedInput::~CompressedInput() {
  if (owns_file_ && file_) std::fclose(file_);
}

void CompressedInput::fail(const std::string& what) const { throw TraceError(display_name_, 0, what); }

std::size_t CompressedInput::fill_raw() {
  if (raw_eof_) return 0;
  if (raw_pos_ > 0) {
    std::memmove(raw_.data(), raw_.data() + raw_pos_, raw_len_ - raw_pos_);
    raw_len_ -= raw_pos_;
    raw_pos_ = 0;
  }
  if (raw_len_ == raw_.size()) return 0;
  std::size_t n = std::fread(raw_.data() + raw_len_, 1, raw_.size() - raw_len_, file_);
  if (n == 0) {
    if (std::ferror(file_)) fail(std::string("read error: ") + std::strerror(errno));
    raw_eof_ = true;
  }
  raw_len_ += n;
  raw_bytes_read_ += n;
  return n;
}

void CompressedInput::detect() {
  while (raw_len_ < 4 && !raw_eof_) fill_raw();
  const unsigned char* b = raw_.data();
  if (raw_len_ >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
    compression_ = Compression::kGzip;
    // 15 + 16: zlib window of 32 KiB, gzip wrapper only (RFC 1952).
    if (inflateInit2(&decoder_->z, 15 + 16) != Z_OK) fail("cannot initialise zlib");
    decoder_->z_init = true;
  } else if (raw_len_ >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
    compression_ = Compression::kZstd;
    decoder_->zs = ZSTD_createDStream();
    if (!decoder_->zs) fail("cannot initialise zstd");
    ZSTD_initDStream(decoder_->zs);
  } else {
    compression_ = Compression::kNone;
  }
}

bool CompressedInput::refill_out() {
  if (out_eof_) return false;
  if (out_pos_ > 0) {
    std::memmove(out_.data(), out_.data() + out_pos_, out_len_ - out_pos_);
    out_len_ -= out_pos_;
    out_pos_ = 0;
  }
  if (out_len_ == out_.size()) return true;  // full already (peek of a huge prefix)
  const std::size_t before = out_len_;
  Decoder& d = *decoder_;
  while (out_len_ == before) {
    if (raw_pos_ == raw_len_ && !raw_eof_) fill_raw();
    const std::size_t avail = raw_len_ - raw_pos_;
    switch (compression_) {
      case Compression::kNone: {
        if (avail == 0) { out_eof_ = true; return false; }
        std::size_t n = std::min(avail, out_.size() - out_len_);
        std::memcpy(out_.data() + out_len_, raw_.data() + raw_pos_, n);
        raw_pos_ += n;
        out_len_ += n;
        break;
      }
      case Compression::kGzip: {
        if (avail == 0) {
          if (d.z_in_member) fail("gzip data is truncated (unexpected end of file)");
          out_eof_ = true;
          return false;
        }
        d.z.next_in = raw_.data() + raw_pos_;
        d.z.avail_in = static_cast<uInt>(avail);
        d.z.next_out = out_.data() + out_len_;
        d.z.avail_out = static_cast<uInt>(out_.size() - out_len_);
        d.z_in_member = true;
        int ret = inflate(&d.z, Z_NO_FLUSH);
        raw_pos_ += avail - d.z.avail_in;
        out_len_ = out_.size() - d.z.avail_out;
        if (ret == Z_STREAM_END) {
          d.z_in_member = false;
          inflateReset(&d.z);  // a concatenated member may follow
        } else if (ret == Z_BUF_ERROR) {
          // No progress: needs more input. At end of file that is a truncated member.
          if (raw_eof_ && raw_pos_ == raw_len_) fail("gzip data is truncated (unexpected end of file)");
        } else if (ret != Z_OK) {
          fail(std::string("gzip data is corrupt: ") + (d.z.msg ? d.z.msg : "inflate error"));
        }
        break;
      }
      case Compression::kZstd: {
        ZSTD_inBuffer in{raw_.data(), raw_len_, raw_pos_};
        ZSTD_outBuffer out{out_.data(), out_.size(), out_len_};
        if (avail == 0 && raw_eof_) {
          // Flush what the decoder still holds; nothing left means end (or truncation).
          std::size_t ret = ZSTD_decompressStream(d.zs, &out, &in);
          if (ZSTD_isError(ret)) fail(std::string("zstd data is corrupt: ") + ZSTD_getErrorName(ret));
          out_len_ = out.pos;
          if (out_len_ == before) {
            if (d.zs_started && d.zs_last != 0) fail("zstd data is truncated (unexpected end of file)");
            out_eof_ = true;
            return false;
          }
          break;
        }
        std::size_t ret = ZSTD_decompressStream(d.zs, &out, &in);
        if (ZSTD_isError(ret)) fail(std::string("zstd data is corrupt: ") + ZSTD_getErrorName(ret));
        d.zs_started = true;
        d.zs_last = ret;
        raw_pos_ = in.pos;
        out_len_ = out.pos;
        break;
      }
    }
  }
  return true;
}

std::size_t CompressedInput::read(void* dst, std::size_t size) {
  auto* p = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  if (compression_ == Compression::kNone) {
    // Plain file: no staging copy. Bytes already buffered (by detect/peek/read_line) come first,
    // in order: out_, then raw_; the rest is read from the file straight into dst.
    std::size_t n = std::min(size, out_len_ - out_pos_);
    std::memcpy(p, out_.data() + out_pos_, n);
    out_pos_ += n;
    done += n;
    n = std::min(size - done, raw_len_ - raw_pos_);
    std::memcpy(p + done, raw_.data() + raw_pos_, n);
    raw_pos_ += n;
    done += n;
    while (done < size && !raw_eof_) {
      n = std::fread(p + done, 1, size - done, file_);
      if (n == 0) {
        if (std::ferror(file_)) fail(std::string("read error: ") + std::strerror(errno));
        raw_eof_ = true;
        break;
      }
      raw_bytes_read_ += n;
      done += n;
    }
    return done;
  }
  while (done < size) {
    if (out_pos_ == out_len_ && !refill_out()) break;
    std::size_t n = std::min(size - done, out_len_ - out_pos_);
    std::memcpy(p + done, out_.data() + out_pos_, n);
    out_pos_ += n;
    done += n;
  }
  return done;
}

bool CompressedInput::read_exact(void* dst, std::size_t size, std::size_t* got) {
  std::size_t n = read(dst, size);
  if (got) *got = n;
  return n == size;
}

bool CompressedInput::read_line(std::string& line) {
  line.clear();
  bool any = false;
  for (;;) {
    if (out_pos_ == out_len_ && !refill_out()) break;
    any = true;
    const unsigned char* start = out_.data() + out_pos_;
    const std::size_t avail = out_len_ - out_pos_;
    const void* nl = std::memchr(start, '\n', avail);
    std::size_t take = nl ? static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - start) : avail;
    if (line.size() + take > kMaxLineBytes)
      throw TraceError(display_name_, line_number_ + 1, "line is longer than 1 MiB (not a text trace?)");
    line.append(reinterpret_cast<const char*>(start), take);
    out_pos_ += take;
    if (nl) {
      ++out_pos_;
      break;
    }
  }
  if (!any) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
}

std::string CompressedInput::peek(std::size_t size) {
  size = std::min(size, out_.size());
  while (out_len_ - out_pos_ < size) {
    std::size_t had = out_len_ - out_pos_;
    if (!refill_out() || out_len_ - out_pos_ == had) break;
  }
  std::size_t n = std::min(size, out_len_ - out_pos_);
  return std::string(reinterpret_cast<const char*>(out_.data() + out_pos_), n);
}

}  // namespace vtdsim::trace
