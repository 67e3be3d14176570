#include "vtdsim/spec/types.hpp"

#include <cstdio>
#include <cstdlib>

namespace vtdsim {

std::string SourceId::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x:%02x.%x", bus(), dev(), fn());
  return buf;
}

std::optional<SourceId> SourceId::parse(const std::string& text) {
  unsigned bus = 0, dev = 0, fn = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3) {
    if (bus > 0xff || dev > 0x1f || fn > 7) return std::nullopt;
    return SourceId::from_bdf(bus, dev, fn);
  }
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 0);
  if (end == nullptr || *end != '\0' || v > 0xffff || text[0] == '-') return std::nullopt;
  return SourceId(static_cast<std::uint16_t>(v));
}

}  // namespace vtdsim
