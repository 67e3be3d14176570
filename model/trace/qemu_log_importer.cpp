#include "vtdsim/trace/qemu_log_importer.hpp"

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>


#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {

using core::InvalidationGranularity;
using core::InvalidationTarget;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses an optional "PID@SECONDS.MICROS:" prefix. On success sets `micros` and `rest`.
bool parse_prefix(const std::string& line, std::size_t& rest, bool& has_time, std::uint64_t& micros) {
  std::size_t i = 0;
  const std::size_t n = line.size();
  has_time = false;
  while (i < n && is_digit(line[i])) ++i;
  if (i == 0 || i >= n || line[i] != '@') {
    rest = 0;
    return true;  // no prefix
  }
  ++i;
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

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }

// Splits on spaces and tabs (no iostreams: this runs once per log line).
void split(const std::string& s, std::vector<std::string>& out) {
  out.clear();
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.emplace_back(s, i, j - i);
    i = j;
  }
}

}  // namespace

bool looks_like_qemu_log(const std::string& head) {
  std::istringstream in(head);
  std::string line;
  for (int i = 0; i < 50 && std::getline(in, line); ++i) {
    std::size_t rest = 0;
    bool has_time = false;
    std::uint64_t us = 0;
    if (!parse_prefix(line, rest, has_time, us)) continue;
    if (line.compare(rest, 4, "vtd_") == 0) return true;
  }
  return false;
}

QemuLogImporter::QemuLogImporter(const std::string& path) : input_(std::make_unique<CompressedInput>(path)) {}

QemuLogImporter::QemuLogImporter(std::unique_ptr<CompressedInput> input) : input_(std::move(input)) {}

std::string QemuLogImporter::position() const {
  return input_->display_name() + ":" + std::to_string(position_line_);
}

void QemuLogImporter::fail(const std::string& what) const {
  throw TraceError(input_->display_name(), input_->line_number(), what);
}

std::optional<TraceEvent> QemuLogImporter::next() {
  while (pending_.empty()) {
    if (!input_->read_line(line_)) return std::nullopt;
    ++stats_.lines;
    process_line(line_);
  }
  auto [event, line] = pending_.front();
  pending_.pop_front();
  position_line_ = line;
  ++stats_.events[static_cast<int>(event.kind)];
  return event;
}

void QemuLogImporter::emit(TraceEvent event) {
  event.time_ns = time_ns_;
  pending_.emplace_back(event, input_->line_number());
}

void QemuLogImporter::bind(SourceId source, const Binding& binding) {
  auto it = emitted_.find(source.value);
  if (it != emitted_.end() && it->second.domain == binding.domain && it->second.levels == binding.levels &&
      it->second.type == binding.type)
    return;
  emitted_[source.value] = binding;
  TraceEvent e;
  e.kind = EventKind::kContext;
  e.source = source;
  e.domain = binding.domain;
  e.levels = binding.levels;
  e.translation_type = binding.type;
  emit(e);
}

void QemuLogImporter::process_line(const std::string& line) {
  std::size_t rest = 0;
  bool has_time = false;
  std::uint64_t micros = 0;
  if (!parse_prefix(line, rest, has_time, micros)) {
    ++stats_.not_trace_lines;
    return;
  }
  std::size_t name_end = rest;
  while (name_end < line.size() && is_name_char(line[name_end])) ++name_end;
  if (name_end == rest || (name_end < line.size() && line[name_end] != ' ')) {
    ++stats_.not_trace_lines;
    return;
  }
  if (has_time) {
    if (!have_first_time_) {
      have_first_time_ = true;
      first_time_us_ = micros;
    }
    // Relative to the first stamped line; never going back (threads may log out of order).
    const std::uint64_t t = micros >= first_time_us_ ? (micros - first_time_us_) * 1000 : 0;
    if (t > time_ns_) time_ns_ = t;
  }
  const std::string name = line.substr(rest, name_end - rest);
  const std::string args = name_end < line.size() ? line.substr(name_end + 1) : std::string();
  std::vector<std::string>& tok = tokens_;
  split(args, tok);

  // "key value" pairs: value after the token `key`.
  auto field = [&](const char* key) -> std::uint64_t {
    for (std::size_t i = 0; i + 1 < tok.size(); ++i) {
      if (tok[i] == key) {
        const std::string& v = tok[i + 1];
        char* end = nullptr;
        errno = 0;
        const unsigned long long x = std::strtoull(v.c_str(), &end, 0);
        if (v.empty() || *end != '\0' || errno == ERANGE || v[0] == '-')
          fail(name + ": bad value '" + v + "' for '" + key + "'");
        return x;
      }
    }
    fail(name + ": missing '" + key + "'");
  };
  auto used = [&] { ++stats_.used[name]; };
  auto inv = [&](InvalidationTarget target, InvalidationGranularity granularity) {
    TraceEvent e;
    e.kind = EventKind::kInvalidate;
    e.invalidation.target = target;
    e.invalidation.granularity = granularity;
    return e;
  };

  if (name == "vtd_dmar_translate") {
    used();
    translate_line(tok);
  } else if (name == "vtd_iotlb_cc_hit" || name == "vtd_iotlb_cc_update") {
    // Context entry high word (VT-d spec 9.3): AW bits 2:0, DID bits 23:8. Low word: TT bits 3:2.
    used();
    const std::uint64_t bus = field("bus"), devfn = field("devfn"), high = field("high"), low = field("low");
    if (bus > 0xff || devfn > 0xff) fail(name + ": bus or devfn out of range");
    Binding b;
    b.domain = DomainId(static_cast<std::uint16_t>((high >> 8) & 0xffff));
    const unsigned aw = static_cast<unsigned>(high & 7);
    b.levels = static_cast<std::uint8_t>(aw <= 3 ? aw + 2 : 4);
    if (b.levels < 3) b.levels = 3;
    const unsigned tt = static_cast<unsigned>((low >> 2) & 3);
    b.type = tt == 2 ? core::TranslationType::kPassThrough
                     : tt == 1 ? core::TranslationType::kDeviceTlb : core::TranslationType::kUntranslated;
    const SourceId source(static_cast<std::uint16_t>((bus << 8) | devfn));
    learned_[source.value] = b;
    bind(source, b);
  } else if (name == "vtd_inv_desc_iotlb_pages") {
    used();
    TraceEvent e = inv(InvalidationTarget::kIotlb, InvalidationGranularity::kPage);
    const std::uint64_t did = field("domain"), addr = field("addr"), am = field("mask");
    if (did > 0xffff) fail(name + ": domain out of range");
    if (am > 52) fail(name + ": address mask out of range");
    e.invalidation.domain = DomainId(static_cast<std::uint16_t>(did));
    e.invalidation.addr = Iova(addr);
    e.invalidation.address_mask = static_cast<std::uint8_t>(am);
    emit(e);
  } else if (name == "vtd_inv_desc_iotlb_domain") {
    used();
    if (tok.empty()) fail(name + ": missing domain");
    TraceEvent e = inv(InvalidationTarget::kIotlb, InvalidationGranularity::kDomain);
    char* end = nullptr;
    const unsigned long long did = std::strtoull(tok.back().c_str(), &end, 0);
    if (*end != '\0' || did > 0xffff) fail(name + ": bad domain '" + tok.back() + "'");
    e.invalidation.domain = DomainId(static_cast<std::uint16_t>(did));
    emit(e);
  } else if (name == "vtd_inv_desc_iotlb_global") {
    used();
    emit(inv(InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal));
  } else if (name == "vtd_inv_desc_cc_global" || name == "vtd_inv_desc_cc_domain") {
    used();
    emit(inv(InvalidationTarget::kContextCache, InvalidationGranularity::kGlobal));
  } else if (name == "vtd_inv_desc_cc_devices") {
    used();
    TraceEvent e = inv(InvalidationTarget::kContextCache, InvalidationGranularity::kDevice);
    const std::uint64_t sid = field("sid"), fm = field("fmask");
    if (sid > 0xffff || fm > 3) fail(name + ": sid or fmask out of range");
    e.invalidation.source = SourceId(static_cast<std::uint16_t>(sid));
    e.invalidation.function_mask = static_cast<std::uint8_t>(fm);
    emit(e);
  } else if (name == "vtd_context_cache_reset") {
    used();
    emit(inv(InvalidationTarget::kContextCache, InvalidationGranularity::kGlobal));
    emit(inv(InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal));
  } else if (name == "vtd_inv_desc_iec") {
    used();
    const std::uint64_t g = field("granularity"), index = field("index"), mask = field("mask");
    if (g == 0) {
      emit(inv(InvalidationTarget::kInterruptEntry, InvalidationGranularity::kGlobal));
    } else {
      TraceEvent e = inv(InvalidationTarget::kInterruptEntry, InvalidationGranularity::kPage);
      e.invalidation.addr = Iova(index);
      e.invalidation.address_mask = static_cast<std::uint8_t>(mask > 52 ? 52 : mask);
      emit(e);
    }
  } else if (name == "vtd_dmar_enable") {
    used();
    translation_enabled_ = field("enable") != 0;
  } else {
    ++stats_.skipped[name];
  }
}

void QemuLogImporter::translate_line(const std::vector<std::string>& t) {
  // "dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff"
  std::string dev;
  std::uint64_t iova = 0, gpa = 0, mask = 0;
  bool have_iova = false, have_gpa = false, have_mask = false;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    auto num = [&](std::uint64_t& out, bool& have) {
      const std::string& v = t[i + 1];
      char* end = nullptr;
      errno = 0;
      out = std::strtoull(v.c_str(), &end, 0);
      if (v.empty() || *end != '\0' || errno == ERANGE || v[0] == '-')
        fail("vtd_dmar_translate: bad value '" + v + "' for '" + t[i] + "'");
      have = true;
    };
    if (t[i] == "dev") dev = t[i + 1];
    else if (t[i] == "iova") num(iova, have_iova);
    else if (t[i] == "gpa") num(gpa, have_gpa);
    else if (t[i] == "mask") num(mask, have_mask);
  }
  if (dev.empty() || !have_iova || !have_gpa || !have_mask)
    fail("vtd_dmar_translate: expected 'dev B:D.F iova I -> gpa G mask M'");
  unsigned bus = 0, slot = 0, fn = 0;
  char tail = 0;
  if (std::sscanf(dev.c_str(), "%x:%x.%x%c", &bus, &slot, &fn, &tail) != 3 || bus > 0xff || slot > 0x1f || fn > 7)
    fail("vtd_dmar_translate: bad device '" + dev + "'");
  std::uint64_t page_size = mask + 1;
  if (mask != kPageSize4K - 1 && mask != kPageSize2M - 1 && mask != kPageSize1G - 1)
    fail("vtd_dmar_translate: mask " + std::to_string(mask) + " is not a 4 KiB, 2 MiB or 1 GiB page");
  if (gpa + page_size > (1ull << 52)) fail("vtd_dmar_translate: gpa beyond 2^52");
  if (!translation_enabled_) {
    ++stats_.translations_while_disabled;
    return;
  }
  const SourceId source = SourceId::from_bdf(bus, slot, fn);
  auto learned = learned_.find(source.value);
  Binding binding;
  if (learned != learned_.end()) {
    binding = learned->second;
  } else {
    ++stats_.unknown_domain_translations;
    binding.domain = DomainId(kQemuUnknownDomain);
    binding.levels = 3;  // QEMU's default aw-bits=39: 3-level tables
  }
  bind(source, binding);
  const std::uint64_t base = iova & ~mask;
  const std::uint64_t host = gpa & ~mask;
  if (binding.type != core::TranslationType::kPassThrough) {
    const std::uint16_t did = binding.domain.value;
    // Mappings overlapping [base, base + page_size) in this domain.
    auto it = mappings_.lower_bound({did, base});
    if (it != mappings_.begin()) {
      auto prev = std::prev(it);
      if (prev->first.first == did && prev->first.second + prev->second.size > base) it = prev;
    }
    bool same = false;
    std::vector<std::map<std::pair<std::uint16_t, std::uint64_t>, Mapping>::iterator> stale;
    for (; it != mappings_.end() && it->first.first == did && it->first.second < base + page_size; ++it) {
      if (it->first.second == base && it->second.size == page_size && it->second.host == host) same = true;
      else stale.push_back(it);
    }
    if (!same) {
      for (auto s : stale) {
        TraceEvent u;
        u.kind = EventKind::kUnmap;
        u.domain = binding.domain;
        u.iova = Iova(s->first.second);
        u.size = s->second.size;
        emit(u);
        mappings_.erase(s);
      }
      if (!stale.empty()) ++stats_.remaps;
      TraceEvent m;
      m.kind = EventKind::kMap;
      m.domain = binding.domain;
      m.iova = Iova(base);
      m.host = HostAddr(host);
      m.size = page_size;
      m.page_size = page_size;
      m.perms = Perms{true, true};
      emit(m);
      mappings_[{did, base}] = Mapping{page_size, host};
    }
  }
  TraceEvent d;
  d.kind = EventKind::kDma;
  d.source = source;
  d.iova = Iova(base);
  d.size = 4;
  d.access = Access::kRead;
  emit(d);
}

}  // namespace vtdsim::trace
