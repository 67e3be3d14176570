// Binary trace writer: encodes events into fixed-size records, buffers 256 KiB at a time and,
// for BinaryCompression::kZstd, streams them through one zstd frame (constant memory).
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/little_endian.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {

constexpr std::size_t kBufferBytes = 256 * 1024;

}  // namespace

BinaryHeader binary_trace_header() {
  BinaryHeader header;
  std::memcpy(header.magic, kBinaryMagic, sizeof(header.magic));
  header.version = little_endian(kBinaryVersion);
  header.header_size = little_endian(static_cast<std::uint16_t>(sizeof(BinaryHeader)));
  header.record_size = little_endian(static_cast<std::uint16_t>(sizeof(BinaryRecord)));
  header.flags = 0;
  return header;
}

BinaryRecord encode_record(const TraceEvent& e) {
  BinaryRecord r;
  std::memset(&r, 0, sizeof(r));
  r.time_ns = little_endian(e.time_ns);
  r.iova = little_endian(e.iova.value);
  r.size = little_endian(e.size);
  r.host = little_endian(e.host.value);
  r.page_size = little_endian(e.page_size);
  r.pasid = little_endian(e.pasid.value);
  r.source = little_endian(e.source.value);
  r.domain = little_endian(e.domain.value);
  r.kind = static_cast<std::uint8_t>(e.kind);
  r.access = static_cast<std::uint8_t>(e.access);
  r.perms = static_cast<std::uint8_t>((e.perms.read ? 1 : 0) | (e.perms.write ? 2 : 0));
  r.translation_type = static_cast<std::uint8_t>(e.translation_type);
  r.levels = e.levels;
  r.stage = static_cast<std::uint8_t>(e.stage);
  const core::InvalidationRequest& inv = e.invalidation;
  r.inv_addr = little_endian(inv.addr.value);
  r.inv_pasid = little_endian(inv.pasid.value);
  r.inv_domain = little_endian(inv.domain.value);
  r.inv_source = little_endian(inv.source.value);
  r.inv_target = static_cast<std::uint8_t>(inv.target);
  r.inv_granularity = static_cast<std::uint8_t>(inv.granularity);
  r.inv_flags = static_cast<std::uint8_t>((inv.invalidation_hint ? 1 : 0) | (inv.drain_reads ? 2 : 0) |
                                          (inv.drain_writes ? 4 : 0));
  r.inv_function_mask = inv.function_mask;
  r.inv_address_mask = inv.address_mask;
  return r;
}

struct BinaryTraceWriter::Output {
  std::FILE* file = nullptr;
  ZSTD_CStream* zstd = nullptr;
  std::vector<unsigned char> chunk;  // compressed output
  ~Output() {
    if (zstd) ZSTD_freeCStream(zstd);
    if (file) std::fclose(file);
  }
};

BinaryTraceWriter::BinaryTraceWriter(const std::string& path, BinaryCompression compression, int zstd_level)
    : path_(path), output_(std::make_unique<Output>()), buffer_(kBufferBytes) {
  output_->file = std::fopen(path.c_str(), "wb");
  if (!output_->file) throw TraceError(path, 0, std::string("cannot create: ") + std::strerror(errno));
  if (compression == BinaryCompression::kZstd) {
    output_->zstd = ZSTD_createCStream();
    if (!output_->zstd) throw TraceError(path, 0, std::string("cannot create zstd compressor"));
    // A content checksum lets the reader detect corrupt frames (RFC 8878, 3.1.1 Content_Checksum).
    for (const std::size_t ret : {ZSTD_CCtx_setParameter(output_->zstd, ZSTD_c_compressionLevel, zstd_level),
                                  ZSTD_CCtx_setParameter(output_->zstd, ZSTD_c_checksumFlag, 1)})
      if (ZSTD_isError(ret)) throw TraceError(path, 0, std::string("zstd: ") + ZSTD_getErrorName(ret));
    output_->chunk.resize(ZSTD_CStreamOutSize());
  }
  const BinaryHeader header = binary_trace_header();
  put(&header, sizeof(header));
}

BinaryTraceWriter::~BinaryTraceWriter() {
  try {
    close();
  } catch (...) {
  }
}

void BinaryTraceWriter::write(const TraceEvent& event) {
  if (closed_) throw TraceError(path_, 0, std::string("write after close"));
  const BinaryRecord record = encode_record(event);
  put(&record, sizeof(record));
  ++records_;
}

void BinaryTraceWriter::put(const void* data, std::size_t size) {
  if (buffer_.size() - used_ < size) flush_buffer();
  std::memcpy(buffer_.data() + used_, data, size);
  used_ += size;
}

void BinaryTraceWriter::flush_buffer() {
  Output& out = *output_;
  if (!out.zstd) {
    if (used_ > 0 && std::fwrite(buffer_.data(), 1, used_, out.file) != used_)
      throw TraceError(path_, 0, std::string("write error: ") + std::strerror(errno));
    used_ = 0;
    return;
  }
  ZSTD_inBuffer in{buffer_.data(), used_, 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer ob{out.chunk.data(), out.chunk.size(), 0};
    const std::size_t ret = ZSTD_compressStream2(out.zstd, &ob, &in, ZSTD_e_continue);
    if (ZSTD_isError(ret)) throw TraceError(path_, 0, std::string("zstd: ") + ZSTD_getErrorName(ret));
    if (ob.pos > 0 && std::fwrite(out.chunk.data(), 1, ob.pos, out.file) != ob.pos)
      throw TraceError(path_, 0, std::string("write error: ") + std::strerror(errno));
  }
  used_ = 0;
}

void BinaryTraceWriter::close() {
  if (closed_) return;
  closed_ = true;
  flush_buffer();
  Output& out = *output_;
  if (out.zstd) {
    std::size_t remaining;
    do {
      ZSTD_outBuffer ob{out.chunk.data(), out.chunk.size(), 0};
      ZSTD_inBuffer none{nullptr, 0, 0};
      remaining = ZSTD_compressStream2(out.zstd, &ob, &none, ZSTD_e_end);
      if (ZSTD_isError(remaining)) throw TraceError(path_, 0, std::string("zstd: ") + ZSTD_getErrorName(remaining));
      if (ob.pos > 0 && std::fwrite(out.chunk.data(), 1, ob.pos, out.file) != ob.pos)
        throw TraceError(path_, 0, std::string("write error: ") + std::strerror(errno));
    } while (remaining != 0);
  }
  const bool bad = std::fflush(out.file) != 0 || std::ferror(out.file);
  std::fclose(out.file);
  out.file = nullptr;
  if (bad) throw TraceError(path_, 0, std::string("write error: ") + std::strerror(errno));
}

}  // namespace vtdsim::trace
