#include "vtdsim/trace/text_trace.hpp"

#include <cctype>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {

using core::InvalidationGranularity;
using core::InvalidationTarget;
using core::TranslationType;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }

// Splits on spaces/tabs, stopping at '#'.
std::vector<std::string> tokenize(const std::string& line) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= n || line[i] == '#') break;
    std::size_t j = i;
    while (j < n && line[j] != ' ' && line[j] != '\t' && line[j] != '#') ++j;
    tokens.emplace_back(line, i, j - i);
    i = j;
  }
  return tokens;
}

// Decimal or 0x-hex unsigned 64-bit number.
std::uint64_t parse_u64(const std::string& tok, const char* what) {
  if (tok.empty()) bad(std::string("missing ") + what);
  int base = 10;
  std::size_t i = 0;
  if (tok.size() > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) base = 16, i = 2;
  if (i >= tok.size()) bad(std::string("bad ") + what + " '" + tok + "' (expected a decimal or 0x-hex number)");
  std::uint64_t v = 0;
  for (; i < tok.size(); ++i) {
    const char c = tok[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      bad(std::string("bad ") + what + " '" + tok + "' (expected a decimal or 0x-hex number)");
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / static_cast<unsigned>(base))
      bad(std::string(what) + " '" + tok + "' is out of range (more than 64 bits)");
    v = v * static_cast<unsigned>(base) + d;
  }
  return v;
}

std::uint64_t parse_bounded(const std::string& tok, const char* what, std::uint64_t max) {
  const std::uint64_t v = parse_u64(tok, what);
  if (v > max) bad(std::string(what) + " " + tok + " is out of range (maximum " + std::to_string(max) + ")");
  return v;
}

SourceId parse_source(const std::string& tok) {
  unsigned bus = 0, dev = 0, fn = 0;
  char tail = 0;
  if (std::sscanf(tok.c_str(), "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3 || tok[0] == '-')
    bad("bad source-id '" + tok + "' (expected bb:dd.f in hex, e.g. 00:03.0)");
  if (dev > 0x1f || fn > 7) bad("source-id '" + tok + "' is out of range (device <= 1f, function <= 7)");
  return SourceId::from_bdf(bus, dev, fn);
}

// "key=value" -> value, or nullopt if tok does not start with key=.
std::optional<std::string> keyed(const std::string& tok, const char* key) {
  const std::size_t k = std::char_traits<char>::length(key);
  if (tok.size() > k && tok.compare(0, k, key) == 0 && tok[k] == '=') return tok.substr(k + 1);
  return std::nullopt;
}

void need_count(const std::vector<std::string>& t, std::size_t min, std::size_t max, const char* usage) {
  if (t.size() < min) bad(std::string("too few fields; expected: ") + usage);
  if (t.size() > max) bad("unexpected '" + t[max] + "'; expected: " + usage);
}

std::uint64_t page_size_of(const std::string& v) {
  if (v == "4k") return kPageSize4K;
  if (v == "2m") return kPageSize2M;
  if (v == "1g") return kPageSize1G;
  bad("bad page size '" + v + "' (expected 4k, 2m or 1g)");
}

const char* page_size_name(std::uint64_t size) {
  return size == kPageSize1G ? "1g" : size == kPageSize2M ? "2m" : "4k";
}

void check_range(std::uint64_t base, std::uint64_t size, const char* what) {
  if (size == 0) bad(std::string(what) + " size must not be 0");
  if (base + size - 1 < base) bad(std::string(what) + " range wraps past 2^64");
}

struct TargetName {
  const char* name;
  InvalidationTarget target;
};
constexpr TargetName kTargets[] = {
    {"context", InvalidationTarget::kContextCache}, {"iotlb", InvalidationTarget::kIotlb},
    {"pasid", InvalidationTarget::kPasidCache},     {"piotlb", InvalidationTarget::kPasidIotlb},
    {"devtlb", InvalidationTarget::kDeviceTlb},     {"iec", InvalidationTarget::kInterruptEntry}};
struct GranularityName {
  const char* name;
  InvalidationGranularity granularity;
};
constexpr GranularityName kGranularities[] = {{"global", InvalidationGranularity::kGlobal},
                                              {"domain", InvalidationGranularity::kDomain},
                                              {"device", InvalidationGranularity::kDevice},
                                              {"page", InvalidationGranularity::kPage},
                                              {"pasid", InvalidationGranularity::kPasid}};

// Which keys each (target, granularity) takes: required, optional. Flags ih/dr/dw are optional
// keys written without a value. VT-d spec 6.5.2.1-6.5.2.7 (descriptor fields).
struct InvForm {
  InvalidationTarget target;
  InvalidationGranularity granularity;
  const char* required;  // space-separated
  const char* optional;
};
constexpr InvForm kInvForms[] = {
    {InvalidationTarget::kContextCache, InvalidationGranularity::kGlobal, "", ""},
    {InvalidationTarget::kContextCache, InvalidationGranularity::kDomain, "did", ""},
    {InvalidationTarget::kContextCache, InvalidationGranularity::kDevice, "sid", "did fm"},
    {InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal, "", "dr dw"},
    {InvalidationTarget::kIotlb, InvalidationGranularity::kDomain, "did", "dr dw"},
    {InvalidationTarget::kIotlb, InvalidationGranularity::kPage, "did addr", "am ih dr dw"},
    {InvalidationTarget::kPasidCache, InvalidationGranularity::kGlobal, "", ""},
    {InvalidationTarget::kPasidCache, InvalidationGranularity::kDomain, "did", ""},
    {InvalidationTarget::kPasidCache, InvalidationGranularity::kPasid, "did pasid", ""},
    {InvalidationTarget::kPasidIotlb, InvalidationGranularity::kDomain, "did", ""},
    {InvalidationTarget::kPasidIotlb, InvalidationGranularity::kPasid, "did pasid", ""},
    {InvalidationTarget::kPasidIotlb, InvalidationGranularity::kPage, "did pasid addr", "am ih"},
    {InvalidationTarget::kDeviceTlb, InvalidationGranularity::kGlobal, "", ""},
    {InvalidationTarget::kDeviceTlb, InvalidationGranularity::kDevice, "sid", "pasid"},
    {InvalidationTarget::kDeviceTlb, InvalidationGranularity::kPage, "sid addr", "am pasid"},
    {InvalidationTarget::kInterruptEntry, InvalidationGranularity::kGlobal, "", ""},
    {InvalidationTarget::kInterruptEntry, InvalidationGranularity::kPage, "addr", "am"},
};

bool in_list(const char* list, const std::string& key) {
  std::istringstream s(list);
  for (std::string k; s >> k;)
    if (k == key) return true;
  return false;
}

const char* target_name(InvalidationTarget t) {
  for (const auto& n : kTargets)
    if (n.target == t) return n.name;
  return "?";
}
const char* granularity_name(InvalidationGranularity g) {
  for (const auto& n : kGranularities)
    if (n.granularity == g) return n.name;
  return "?";
}

const InvForm* find_form(InvalidationTarget t, InvalidationGranularity g) {
  for (const auto& f : kInvForms)
    if (f.target == t && f.granularity == g) return &f;
  return nullptr;
}

void parse_invalidation(const std::vector<std::string>& t, TraceEvent& e) {
  const char* usage = "<time> inv <target> <granularity> [key=value ...]";
  need_count(t, 4, 13, usage);
  core::InvalidationRequest r{};
  bool found = false;
  for (const auto& n : kTargets)
    if (t[2] == n.name) r.target = n.target, found = true;
  if (!found) bad("unknown invalidation target '" + t[2] + "' (expected context, iotlb, pasid, piotlb, devtlb or iec)");
  found = false;
  for (const auto& n : kGranularities)
    if (t[3] == n.name) r.granularity = n.granularity, found = true;
  if (!found) bad("unknown granularity '" + t[3] + "' (expected global, domain, device, page or pasid)");
  const InvForm* form = find_form(r.target, r.granularity);
  if (!form) bad("'inv " + t[2] + " " + t[3] + "' is not an invalidation the hardware has");
  std::string seen;
  for (std::size_t i = 4; i < t.size(); ++i) {
    const std::string& tok = t[i];
    const auto eq = tok.find('=');
    const std::string key = tok.substr(0, eq);
    const bool flag = key == "ih" || key == "dr" || key == "dw";
    if (!in_list(form->required, key) && !in_list(form->optional, key))
      bad("'" + key + "' does not apply to 'inv " + t[2] + " " + t[3] + "'");
    if (in_list(seen.c_str(), key)) bad("'" + key + "' given twice");
    seen += " " + key;
    if (flag) {
      if (eq != std::string::npos) bad("'" + key + "' is a flag and takes no value");
      if (key == "ih") r.invalidation_hint = true;
      if (key == "dr") r.drain_reads = true;
      if (key == "dw") r.drain_writes = true;
      continue;
    }
    if (eq == std::string::npos) bad("expected key=value, got '" + tok + "'");
    const std::string v = tok.substr(eq + 1);
    if (key == "did")
      r.domain = DomainId(static_cast<std::uint16_t>(parse_bounded(v, "domain-id", 0xffff)));
    else if (key == "sid")
      r.source = parse_source(v);
    else if (key == "fm")
      r.function_mask = static_cast<std::uint8_t>(parse_bounded(v, "function mask", 3));
    else if (key == "pasid")
      r.pasid = Pasid(static_cast<std::uint32_t>(parse_bounded(v, "pasid", 0xfffff)));
    else if (key == "addr")
      r.addr = Iova(parse_u64(v, "address"));
    else if (key == "am")
      r.address_mask = static_cast<std::uint8_t>(parse_bounded(v, "address mask", 52));
  }
  std::istringstream req(form->required);
  for (std::string k; req >> k;)
    if (!in_list(seen.c_str(), k)) bad("'inv " + t[2] + " " + t[3] + "' needs " + k + "=");
  e.invalidation = r;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

bool parse_text_event(const std::string& line, TraceEvent& e) {
  const std::vector<std::string> t = tokenize(line);
  if (t.empty()) return false;
  e = TraceEvent{};
  e.time_ns = parse_u64(t[0], "time");
  if (t.size() < 2) bad("missing event kind after the time (dma, map, unmap, context or inv)");
  const std::string& kind = t[1];
  if (kind == "dma") {
    const char* usage = "<time> dma <bb:dd.f> [pasid=N] <r|w> <iova> <size>";
    e.kind = EventKind::kDma;
    need_count(t, 6, 7, usage);
    e.source = parse_source(t[2]);
    std::size_t i = 3;
    if (auto p = keyed(t[3], "pasid")) {
      e.pasid = Pasid(static_cast<std::uint32_t>(parse_bounded(*p, "pasid", 0xfffff)));
      ++i;
    }
    if (t.size() != i + 3) bad(std::string("wrong number of fields; expected: ") + usage);
    if (t[i] == "r")
      e.access = Access::kRead;
    else if (t[i] == "w")
      e.access = Access::kWrite;
    else
      bad("bad access '" + t[i] + "' (expected r or w)");
    e.iova = Iova(parse_u64(t[i + 1], "iova"));
    e.size = parse_bounded(t[i + 2], "size", 0xffffffffull);
    check_range(e.iova.value, e.size, "DMA");
  } else if (kind == "map") {
    const char* usage = "<time> map <domain> <iova> <host> <size> <r|w|rw> [page=4k|2m|1g]";
    e.kind = EventKind::kMap;
    need_count(t, 7, 8, usage);
    e.domain = DomainId(static_cast<std::uint16_t>(parse_bounded(t[2], "domain", 0xffff)));
    e.iova = Iova(parse_u64(t[3], "iova"));
    e.host = HostAddr(parse_u64(t[4], "host address"));
    e.size = parse_u64(t[5], "size");
    if (t[6] == "r")
      e.perms = Perms{true, false};
    else if (t[6] == "w")
      e.perms = Perms{false, true};
    else if (t[6] == "rw")
      e.perms = Perms{true, true};
    else
      bad("bad permissions '" + t[6] + "' (expected r, w or rw)");
    e.page_size = kPageSize4K;
    if (t.size() == 8) {
      auto p = keyed(t[7], "page");
      if (!p) bad("unexpected '" + t[7] + "'; expected: " + usage);
      e.page_size = page_size_of(*p);
    }
    check_range(e.iova.value, e.size, "map");
    check_range(e.host.value, e.size, "map host");
    const std::uint64_t m = e.page_size - 1;
    if ((e.iova.value & m) || (e.host.value & m) || (e.size & m))
      bad(std::string("iova, host and size of a map must be multiples of the page size (") +
          page_size_name(e.page_size) + ")");
    if (e.host.value + e.size - 1 >= (1ull << 52)) bad("host address beyond 2^52 (VT-d maximum host width)");
  } else if (kind == "unmap") {
    const char* usage = "<time> unmap <domain> <iova> <size>";
    e.kind = EventKind::kUnmap;
    need_count(t, 5, 5, usage);
    e.domain = DomainId(static_cast<std::uint16_t>(parse_bounded(t[2], "domain", 0xffff)));
    e.iova = Iova(parse_u64(t[3], "iova"));
    e.size = parse_u64(t[4], "size");
    check_range(e.iova.value, e.size, "unmap");
    if ((e.iova.value | e.size) & (kPageSize4K - 1)) bad("iova and size of an unmap must be multiples of 4 KiB");
  } else if (kind == "context") {
    const char* usage =
        "<time> context <bb:dd.f> <domain> <translated|passthrough|blocked|devtlb> [levels=3|4|5] "
        "[stage=first|second]";
    e.kind = EventKind::kContext;
    need_count(t, 5, 7, usage);
    e.source = parse_source(t[2]);
    e.domain = DomainId(static_cast<std::uint16_t>(parse_bounded(t[3], "domain", 0xffff)));
    if (t[4] == "translated")
      e.translation_type = TranslationType::kUntranslated;
    else if (t[4] == "passthrough")
      e.translation_type = TranslationType::kPassThrough;
    else if (t[4] == "blocked")
      e.translation_type = TranslationType::kBlocked;
    else if (t[4] == "devtlb")
      e.translation_type = TranslationType::kDeviceTlb;
    else
      bad("bad translation type '" + t[4] + "' (expected translated, passthrough, blocked or devtlb)");
    e.levels = 4;
    bool have_levels = false, have_stage = false;
    for (std::size_t i = 5; i < t.size(); ++i) {
      if (auto p = keyed(t[i], "levels"); p && !have_levels) {
        const std::uint64_t l = parse_u64(*p, "levels");
        if (l < 3 || l > 5) bad("levels must be 3, 4 or 5, got " + *p);
        e.levels = static_cast<std::uint8_t>(l);
        have_levels = true;
      } else if (auto q = keyed(t[i], "stage"); q && !have_stage) {
        if (*q == "first")
          e.stage = ContextStage::kFirst;
        else if (*q == "second")
          e.stage = ContextStage::kSecond;
        else
          bad("bad stage '" + *q + "' (expected first or second)");
        have_stage = true;
      } else {
        bad("unexpected '" + t[i] + "'; expected: " + usage);
      }
    }
    if (have_stage && e.translation_type != TranslationType::kUntranslated &&
        e.translation_type != TranslationType::kDeviceTlb)
      bad("stage= applies to translated and devtlb contexts only");
    if (e.stage == ContextStage::kFirst && e.levels != 4 && e.levels != 5)
      bad("first-stage tables have 4 or 5 levels (spec 9.7), got levels=" + std::to_string(e.levels));
  } else if (kind == "inv") {
    e.kind = EventKind::kInvalidate;
    parse_invalidation(t, e);
  } else {
    bad("unknown event kind '" + kind + "' (expected dma, map, unmap, context or inv)");
  }
  return true;
}

std::string format_text_event(const TraceEvent& e) {
  std::string s = std::to_string(e.time_ns);
  switch (e.kind) {
    case EventKind::kDma:
      s += " dma " + e.source.to_string();
      if (e.pasid.present()) s += " pasid=" + std::to_string(e.pasid.value);
      s += e.access == Access::kWrite ? " w " : " r ";
      s += hex(e.iova.value) + " " + std::to_string(e.size);
      break;
    case EventKind::kMap:
      s += " map " + std::to_string(e.domain.value) + " " + hex(e.iova.value) + " " + hex(e.host.value) + " " +
           hex(e.size) + " " +
           (e.perms.read && e.perms.write ? "rw"
            : e.perms.write               ? "w"
                                          : "r");
      if (e.page_size != kPageSize4K) s += std::string(" page=") + page_size_name(e.page_size);
      break;
    case EventKind::kUnmap:
      s += " unmap " + std::to_string(e.domain.value) + " " + hex(e.iova.value) + " " + hex(e.size);
      break;
    case EventKind::kContext: {
      s += " context " + e.source.to_string() + " " + std::to_string(e.domain.value) + " ";
      switch (e.translation_type) {
        case TranslationType::kUntranslated: s += "translated"; break;
        case TranslationType::kPassThrough: s += "passthrough"; break;
        case TranslationType::kBlocked: s += "blocked"; break;
        case TranslationType::kDeviceTlb: s += "devtlb"; break;
      }
      s += " levels=" + std::to_string(e.levels);
      if (e.stage == ContextStage::kFirst) s += " stage=first";
      if (e.stage == ContextStage::kSecond) s += " stage=second";
      break;
    }
    case EventKind::kInvalidate: {
      const core::InvalidationRequest& r = e.invalidation;
      s += std::string(" inv ") + target_name(r.target) + " " + granularity_name(r.granularity);
      const InvForm* form = find_form(r.target, r.granularity);
      if (!form) break;  // not representable: the reader will reject it
      auto takes = [&](const char* k) { return in_list(form->required, k) || in_list(form->optional, k); };
      auto req = [&](const char* k) { return in_list(form->required, k); };
      if (takes("did") && (req("did") || r.domain.value)) s += " did=" + std::to_string(r.domain.value);
      if (takes("sid")) s += " sid=" + r.source.to_string();
      if (takes("fm") && r.function_mask) s += " fm=" + std::to_string(r.function_mask);
      if (takes("pasid") && r.pasid.present()) s += " pasid=" + std::to_string(r.pasid.value);
      if (takes("addr")) s += " addr=" + hex(r.addr.value);
      if (takes("am") && r.address_mask) s += " am=" + std::to_string(r.address_mask);
      if (takes("ih") && r.invalidation_hint) s += " ih";
      if (takes("dr") && r.drain_reads) s += " dr";
      if (takes("dw") && r.drain_writes) s += " dw";
      break;
    }
  }
  return s;
}

bool looks_like_text_trace(const std::string& head) {
  std::istringstream in(head);
  std::string line;
  bool complete = false;
  while (std::getline(in, line)) {
    complete = !in.eof();  // the last piece of `head` may be a cut line
    TraceEvent e;
    try {
      if (parse_text_event(line, e)) return true;
    } catch (const std::invalid_argument&) {
      return false;
    }
    (void)complete;
  }
  return false;
}

TextTraceReader::TextTraceReader(const std::string& path) : input_(std::make_unique<CompressedInput>(path)) {}

TextTraceReader::TextTraceReader(std::unique_ptr<CompressedInput> input) : input_(std::move(input)) {}

std::optional<TraceEvent> TextTraceReader::next() {
  TraceEvent e;
  while (read_line_ending_on_failure(*input_, line_, input_failed_)) {
    try {
      if (!parse_text_event(line_, e)) continue;
    } catch (const std::invalid_argument& err) {
      throw TraceError(input_->display_name(), input_->line_number(), err.what());
    }
    if (e.time_ns < last_time_)
      throw TraceError(input_->display_name(), input_->line_number(),
                       "time " + std::to_string(e.time_ns) + " is earlier than the previous event's time " +
                           std::to_string(last_time_) + " (events must be in time order)");
    last_time_ = e.time_ns;
    return e;
  }
  return std::nullopt;
}

std::string TextTraceReader::position() const {
  return input_->display_name() + ":" + std::to_string(input_->line_number());
}

TextTraceWriter::TextTraceWriter(std::ostream& out, bool header) : out_(out) {
  if (header) out_ << "# vtdsim text trace (docs/trace-format.md)\n";
}

void TextTraceWriter::write(const TraceEvent& event) {
  out_ << format_text_event(event) << '\n';
  ++events_;
}

void TextTraceWriter::comment(const std::string& text) { out_ << "# " << text << '\n'; }

}  // namespace vtdsim::trace
