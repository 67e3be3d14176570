#include "vtdsim/trace/qemu_log_prefix.hpp"

#include <cstring>

namespace vtdsim::trace {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Value of the 8 ASCII digits at p, or -1 if one of them is not a digit (little-endian SWAR).
std::int64_t eight_digits(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  const std::uint64_t d = v - 0x3030303030303030ull;
  if (((d | (v + 0x4646464646464646ull)) & 0x8080808080808080ull) != 0) return -1;  // < '0' or > '9'
  std::uint64_t x = d * 10 + (d >> 8);                                              // pairs
  x = (((x & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
       (((x >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
      32;
  return static_cast<std::int64_t>(x);
}

// The "PID@SECONDS.MICROS:" form (or none). On success sets `micros` and `rest`.
bool parse_pid_prefix(std::string_view line, std::size_t& rest, bool& has_time, std::uint64_t& micros) {
  std::size_t i = 0;
  const std::size_t n = line.size();
  has_time = false;
  while (i < n && is_digit(line[i])) ++i;
  if (i == 0 || i >= n || line[i] != '@') {
    rest = 0;
    return true;  // no prefix
  }
  ++i;
  // The usual form, "%zu.%06zu:" with 10 digits of seconds: 8 of them at once.
  if (i + 18 <= n && line[i + 10] == '.' && line[i + 17] == ':') {
    const std::int64_t high = eight_digits(line.data() + i);
    if (high >= 0 && is_digit(line[i + 8]) && is_digit(line[i + 9])) {
      std::uint64_t us = 0;
      std::size_t k = i + 11;
      for (; k < i + 17 && is_digit(line[k]); ++k) us = us * 10 + static_cast<unsigned>(line[k] - '0');
      if (k == i + 17) {
        const std::uint64_t secs = static_cast<std::uint64_t>(high) * 100 +
                                   static_cast<unsigned>(line[i + 8] - '0') * 10 +
                                   static_cast<unsigned>(line[i + 9] - '0');
        micros = secs * 1000000 + us;
        has_time = true;
        rest = i + 18;
        return true;
      }
    }
  }
  std::uint64_t secs = 0, us = 0;
  std::size_t s0 = i;
  while (i < n && is_digit(line[i])) secs = secs * 10 + static_cast<unsigned>(line[i++] - '0');
  if (i == s0 || i >= n || line[i] != '.' || i - s0 > 12) return false;
  ++i;
  std::size_t u0 = i;
  while (i < n && is_digit(line[i])) us = us * 10 + static_cast<unsigned>(line[i++] - '0');
  if (i == u0 || i - u0 > 6 || i >= n || line[i] != ':') return false;
  for (std::size_t k = i - u0; k < 6; ++k) us *= 10;  // ".5" = 500000 us
  micros = secs * 1000000 + us;
  has_time = true;
  rest = i + 1;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the civil-from-days
// inverse: eras of 400 years, March-based years so that the leap day comes last).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// n digits at line[i, i + n) as a number, or -1.
std::int64_t digits(std::string_view line, std::size_t i, std::size_t n) {
  if (i + n > line.size()) return -1;
  std::int64_t v = 0;
  for (std::size_t k = i; k < i + n; ++k) {
    if (!is_digit(line[k])) return -1;
    v = v * 10 + (line[k] - '0');
  }
  return v;
}

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) " (ISO 8601 as GLib writes it).
bool parse_iso_prefix(std::string_view line, QemuLinePrefix& out) {
  const std::int64_t year = digits(line, 0, 4), month = digits(line, 5, 2), day = digits(line, 8, 2);
  const std::int64_t hour = digits(line, 11, 2), minute = digits(line, 14, 2), second = digits(line, 17, 2);
  if (line.size() < 20 || line[4] != '-' || line[7] != '-' || line[10] != 'T' || line[13] != ':' || line[16] != ':')
    return false;
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60)
    return false;
  std::size_t i = 19;
  std::uint64_t micros = 0;
  if (line[i] == '.') {
    ++i;
    const std::size_t f0 = i;
    unsigned places = 0;
    while (i < line.size() && is_digit(line[i])) {
      if (places < 6) micros = micros * 10 + static_cast<unsigned>(line[i] - '0'), ++places;
      ++i;
    }
    if (i == f0) return false;
    for (; places < 6; ++places) micros *= 10;
  }
  std::int64_t offset_s = 0;
  if (i < line.size() && line[i] == 'Z') {
    ++i;
  } else if (i < line.size() && (line[i] == '+' || line[i] == '-')) {
    const std::int64_t oh = digits(line, i + 1, 2), om = digits(line, i + 4, 2);
    if (oh < 0 || om < 0 || i + 3 >= line.size() || line[i + 3] != ':') return false;
    offset_s = (oh * 3600 + om * 60) * (line[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return false;
  }
  if (i >= line.size() || line[i] != ' ') return false;
  const std::int64_t secs = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                            hour * 3600 + minute * 60 + second - offset_s;
  if (secs < 0) return false;
  out.kind = QemuPrefix::kIsoTime;
  out.micros = static_cast<std::uint64_t>(secs) * 1000000 + micros;
  out.rest = i + 1;
  return true;
}

}  // namespace

bool parse_qemu_prefix(std::string_view line, QemuLinePrefix& out) {
  out = QemuLinePrefix{};
  if (line.size() > 4 && line[4] == '-' && is_digit(line[0])) return parse_iso_prefix(line, out);
  bool has_time = false;
  if (!parse_pid_prefix(line, out.rest, has_time, out.micros)) return false;
  out.kind = has_time ? QemuPrefix::kPidTime : QemuPrefix::kNone;
  return true;
}

}  // namespace vtdsim::trace
