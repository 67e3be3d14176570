// The binary trace reader's per-record path, inline so that a replay loop calling
// BinaryTraceReader::next(TraceEvent&) directly compiles it into the loop (no call per record):
// the word-wide validity check of a record's byte fields and the decode of a valid record.
// Included at the end of binary_trace.hpp; include that header instead.
// decode_record (binary_trace_reader.cpp) is the reference for both: it checks the fields one at
// a time, names the one that is wrong, and decodes field by field
// (tests/core/binary_record_fast_path_test.cpp checks that they agree on every byte value).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/little_endian.hpp"

namespace vtdsim::trace {
namespace binary_fast {

// Loads one little-endian field of the record at p (no copy of the whole record).
template <typename T>
[[gnu::always_inline]] inline T field(const unsigned char* p, std::size_t offset) {
  T v;
  std::memcpy(&v, p + offset, sizeof(v));
  return little_endian(v);
}
#define VTDSIM_FIELD(T, name) field<T>(p, offsetof(BinaryRecord, name))

// Every enumerated field in range and the reserved bytes zero (the rules of decode_record, which
// names the field that is wrong), from the record's last 16 bytes as two words, one branch.
//
// The eight byte fields at 64..71 are the lanes of one little-endian word w (lane i = byte 64+i).
// A lane x with the rule "x <= L" (L < 0x80) is valid iff bit 7 is clear in both x and x + (0x7f - L):
// x >= 0x80 shows in x itself, L < x < 0x80 pushes x + 0x7f - L into 0x80..0xfe. Adding the
// constant to the whole word adds it to every lane at once; a lane can carry into the next one only
// if x + 0x7f - L > 0xff, i.e. x > 0x80 + L, and then x itself is already invalid with bit 7 set, so
// a carry can only spoil a record that is rejected anyway (and a carry into an invalid lane keeps
// its sum in 0x80..0xff). access must be 1 or 2: access - 1 <= 1, with the 1 subtracted from the
// word first (a borrow out of lane 1 happens only for access 0, which becomes 0xff: rejected).
// levels (lane 4) is not checked: 0 added, bit 7 not tested (a carry into it comes only from an
// invalid lane 3). In the word at 72..79, byte 2 (74) is the stage (<= 2, the same lane test) and
// the top five bytes (75..79) are reserved.
constexpr std::uint64_t lane(unsigned i, std::uint8_t v) { return std::uint64_t{v} << (8 * i); }
inline constexpr std::uint64_t kLaneTop = 0x80;
inline constexpr std::uint64_t kAccessBias = lane(1, 1);  // lane 1 holds access - 1
// 0x7f - L per checked lane; L: kind 4, access-1 1, perms 3, translation type 3, levels -,
// target 5, granularity 4, flags 7.
inline constexpr std::uint64_t kLaneAdd =
    lane(0, 0x7f - static_cast<std::uint8_t>(EventKind::kInvalidate)) | lane(1, 0x7f - 1) | lane(2, 0x7f - 3) |
    lane(3, 0x7f - static_cast<std::uint8_t>(core::TranslationType::kBlocked)) |
    lane(5, 0x7f - static_cast<std::uint8_t>(core::InvalidationTarget::kInterruptEntry)) |
    lane(6, 0x7f - static_cast<std::uint8_t>(core::InvalidationGranularity::kPasid)) | lane(7, 0x7f - 7);
inline constexpr std::uint64_t kLaneChecked = 0x8080'8000'8080'8080ull;  // bit 7 of every lane but levels
static_assert(static_cast<std::uint8_t>(Access::kRead) == 1 && static_cast<std::uint8_t>(Access::kWrite) == 2,
              "access - 1 <= 1");
static_assert(kLaneChecked == (kLaneTop * 0x0101'0101'0101'0101ull & ~lane(4, 0xff)), "all lanes but levels");

[[gnu::always_inline]] inline bool record_valid(const unsigned char* p) {
  static_assert(offsetof(BinaryRecord, kind) == 64 && offsetof(BinaryRecord, access) == 65 &&
                    offsetof(BinaryRecord, perms) == 66 && offsetof(BinaryRecord, translation_type) == 67 &&
                    offsetof(BinaryRecord, levels) == 68 && offsetof(BinaryRecord, inv_target) == 69 &&
                    offsetof(BinaryRecord, inv_granularity) == 70 && offsetof(BinaryRecord, inv_flags) == 71 &&
                    offsetof(BinaryRecord, stage) == 74 && offsetof(BinaryRecord, reserved) == 75 &&
                    sizeof(BinaryRecord) == 80,
                "byte fields at 64..71, stage at 74, reserved bytes at 75..79");
  const std::uint64_t x = field<std::uint64_t>(p, 64) - kAccessBias;
  const std::uint64_t tail = field<std::uint64_t>(p, 72);
  const std::uint64_t stage = (tail >> 16) & 0xff;  // byte 74
  constexpr std::uint64_t kStageAdd = 0x7f - static_cast<std::uint8_t>(ContextStage::kFirst);
  return (((x | (x + kLaneAdd)) & kLaneChecked) | ((stage | (stage + kStageAdd)) & kLaneTop) | (tail >> 24)) == 0;
}

// Bits 0..n-1 of a small value to n bools (bytes 0/1, bit 0 first): multiplying by
// 1 + 2^7 + 2^14 + ... adds copies of the value shifted by 0, 7, 14, ... bits, so bit i of copy i
// lands on bit 8i; for a value below 2^n (n <= 7) the copies do not overlap, so nothing carries,
// and masking with 0x..010101 keeps exactly those bits.
inline constexpr unsigned kSpread2 = 1u | 1u << 7;             // perms: read, write
inline constexpr unsigned kSpread3 = 1u | 1u << 7 | 1u << 14;  // inv_flags: hint, drain reads, drain writes
static_assert(sizeof(Perms) == 2 && offsetof(Perms, read) == 0 && offsetof(Perms, write) == 1,
              "Perms is the bytes read, write");
static_assert(
    offsetof(core::InvalidationRequest, invalidation_hint) == offsetof(core::InvalidationRequest, address_mask) + 1 &&
        offsetof(core::InvalidationRequest, drain_reads) == offsetof(core::InvalidationRequest, address_mask) + 2 &&
        offsetof(core::InvalidationRequest, drain_writes) == offsetof(core::InvalidationRequest, address_mask) + 3 &&
        sizeof(bool) == 1,
    "address_mask, invalidation_hint, drain_reads, drain_writes are four neighbouring bytes");

// Fields of a valid record (at p) into the event: the fast path (next). p and e do not overlap;
// saying so (restrict) lets the compiler keep loaded bytes in registers and merge neighbours.
[[gnu::always_inline]] inline void fill_event(const unsigned char* __restrict p, TraceEvent& __restrict e) {
  e.kind = static_cast<EventKind>(p[offsetof(BinaryRecord, kind)]);
  e.time_ns = VTDSIM_FIELD(std::uint64_t, time_ns);
  e.source = SourceId(VTDSIM_FIELD(std::uint16_t, source));
  e.pasid = Pasid(VTDSIM_FIELD(std::uint32_t, pasid));
  e.domain = DomainId(VTDSIM_FIELD(std::uint16_t, domain));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // iova and size are neighbours in both layouts: one 16-byte copy.
  static_assert(offsetof(BinaryRecord, size) == offsetof(BinaryRecord, iova) + 8 &&
                    offsetof(TraceEvent, size) == offsetof(TraceEvent, iova) + 8 && sizeof(Iova) == 8,
                "iova, size adjacent");
  std::memcpy(reinterpret_cast<unsigned char*>(&e.iova), p + offsetof(BinaryRecord, iova), 16);
#else
  e.iova = Iova(VTDSIM_FIELD(std::uint64_t, iova));
  e.size = VTDSIM_FIELD(std::uint64_t, size);
#endif
  e.access = static_cast<Access>(p[offsetof(BinaryRecord, access)]);
  e.host = HostAddr(VTDSIM_FIELD(std::uint64_t, host));
  // perms <= 3 (record_valid): bits 0/1 to the bools read/write with one multiply (see kSpread2).
  const std::uint16_t perms =
      little_endian(static_cast<std::uint16_t>(p[offsetof(BinaryRecord, perms)] * kSpread2 & 0x0101u));
  std::memcpy(reinterpret_cast<unsigned char*>(&e.perms), &perms, sizeof(perms));
  e.page_size = VTDSIM_FIELD(std::uint64_t, page_size);
  e.translation_type = static_cast<core::TranslationType>(p[offsetof(BinaryRecord, translation_type)]);
  e.levels = p[offsetof(BinaryRecord, levels)];
  e.stage = static_cast<ContextStage>(p[offsetof(BinaryRecord, stage)]);
  core::InvalidationRequest& inv = e.invalidation;
  inv.target = static_cast<core::InvalidationTarget>(p[offsetof(BinaryRecord, inv_target)]);
  inv.granularity = static_cast<core::InvalidationGranularity>(p[offsetof(BinaryRecord, inv_granularity)]);
  inv.domain = DomainId(VTDSIM_FIELD(std::uint16_t, inv_domain));
  inv.source = SourceId(VTDSIM_FIELD(std::uint16_t, inv_source));
  inv.function_mask = p[offsetof(BinaryRecord, inv_function_mask)];
  inv.pasid = Pasid(VTDSIM_FIELD(std::uint32_t, inv_pasid));
  inv.addr = Iova(VTDSIM_FIELD(std::uint64_t, inv_addr));
  // address_mask and the three flag bools (inv_flags <= 7) are four neighbouring bytes: one store.
  const std::uint32_t tail =
      little_endian(p[offsetof(BinaryRecord, inv_address_mask)] |
                    (p[offsetof(BinaryRecord, inv_flags)] * (kSpread3 << 8) & 0x0101'0100u));  // bools in bytes 1..3
  std::memcpy(reinterpret_cast<unsigned char*>(&inv) + offsetof(core::InvalidationRequest, address_mask), &tail,
              sizeof(tail));
}
#undef VTDSIM_FIELD

}  // namespace binary_fast

// Fast path: a whole valid record is buffered. Everything else (refills, the end, errors) is in
// next_slow, out of line, so this path stays short.
inline bool BinaryTraceReader::next(TraceEvent& out) {
  if (__builtin_expect(unread() >= sizeof(BinaryRecord), 1)) {
    const unsigned char* p = cur_;
    if (__builtin_expect(binary_fast::record_valid(p), 1)) {
      binary_fast::fill_event(p, out);
      cur_ = p + sizeof(BinaryRecord);
      return true;
    }
  }
  return next_slow(out);
}

}  // namespace vtdsim::trace
