// Byte order of the binary trace format: little-endian on disk. A no-op on x86-64; swaps on a
// big-endian host. The same function converts in both directions.
#pragma once
#include <cstdint>

namespace vtdsim::trace {

template <typename T>
constexpr T little_endian(T v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
  if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
  if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(v));
#endif
  return v;
}

}  // namespace vtdsim::trace
