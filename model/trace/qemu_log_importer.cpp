#include "vtdsim/trace/qemu_log_importer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "vtdsim/core/invalidation_decoder.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/trace/qemu_log_prefix.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

namespace {

using core::InvalidationGranularity;
using core::InvalidationTarget;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// a[0, n) == b[0, n) for n >= 1, in 8-byte words (names are short: no call to memcmp).
bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n < 8) return std::memcmp(a, b, n) == 0;
  std::uint64_t x, y;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  std::memcpy(&x, a + n - 8, 8);  // the last word, overlapping the previous one
  std::memcpy(&y, b + n - 8, 8);
  return x == y;
}

// A hash of a trace-point name candidate: its length, its last 8 bytes and the 8 after "vtd_".
std::size_t name_hash(const char* p, std::size_t n) {
  std::uint64_t last = 0, middle = 0;
  if (n >= 8)
    std::memcpy(&last, p + n - 8, 8);
  else
    std::memcpy(&last, p, n);
  if (n >= 12) std::memcpy(&middle, p + 4, 8);
  const std::uint64_t h =
      (last * 0x9e3779b97f4a7c15ull) ^ (middle * 0xc2b2ae3d27d4eb4full) ^ (n * 0x165667b19e3779f9ull);
  return static_cast<std::size_t>(h >> 40);
}

// Characters of a trace-point name: [A-Za-z0-9_].
struct NameChars {
  bool table[256] = {};
  constexpr NameChars() {
    for (int c = 0; c < 256; ++c)
      table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
};
constexpr NameChars kNameChars;
bool is_name_char(char c) { return kNameChars.table[static_cast<unsigned char>(c)]; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// What `strtoull(v, &end, 0)` gives: the value, whether it used the whole token (*end == '\0')
// and whether it overflowed (ERANGE). The usual forms ("0x" and 1 to 16 hex digits, a decimal
// number without a leading zero) by hand; anything else through the C library itself, so odd
// tokens ("+1", "010", "0x", ...) are judged exactly as before.
struct CNumber {
  std::uint64_t value = 0;
  bool whole = false;
  bool overflow = false;
};
CNumber c_strtoull(std::string_view v) {
  CNumber r;
  if (v.size() > 2 && v.size() <= 18 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    std::uint64_t x = 0;
    std::size_t i = 2;
    for (; i < v.size(); ++i) {
      const int d = hex_value(v[i]);
      if (d < 0) break;
      x = (x << 4) | static_cast<std::uint64_t>(d);
    }
    if (i == v.size()) {
      r.value = x;
      r.whole = true;
      return r;
    }
  } else if (!v.empty() && v.size() <= 19 && v[0] >= '1' && v[0] <= '9') {
    std::uint64_t x = 0;
    std::size_t i = 0;
    for (; i < v.size() && is_digit(v[i]); ++i) x = x * 10 + static_cast<std::uint64_t>(v[i] - '0');
    if (i == v.size()) {
      r.value = x;
      r.whole = true;
      return r;
    }
  } else if (v.size() == 1 && v[0] == '0') {
    r.whole = true;
    return r;
  }
  const std::string s(v);
  char* end = nullptr;
  errno = 0;
  r.value = std::strtoull(s.c_str(), &end, 0);
  r.whole = *end == '\0';
  r.overflow = errno == ERANGE;
  return r;
}

// `sscanf(dev, "%x:%x.%x%c", &bus, &slot, &fn, &tail) == 3`: "B:D.F" with hex fields, by hand
// for plain hex digits, by sscanf for anything else.
bool parse_bdf(std::string_view dev, unsigned& bus, unsigned& slot, unsigned& fn) {
  unsigned* out[3] = {&bus, &slot, &fn};
  const char seps[3] = {':', '.', '\0'};
  std::size_t i = 0;
  bool plain = true;
  for (int f = 0; f < 3 && plain; ++f) {
    unsigned x = 0;
    const std::size_t start = i;
    for (; i < dev.size() && hex_value(dev[i]) >= 0; ++i) x = (x << 4) | static_cast<unsigned>(hex_value(dev[i]));
    if (i == start || i - start > 7) plain = false;
    *out[f] = x;
    if (f < 2) {
      if (i < dev.size() && dev[i] == seps[f])
        ++i;
      else
        plain = false;
    }
  }
  if (plain && i == dev.size()) return true;
  const std::string s(dev);
  char tail = 0;
  return std::sscanf(s.c_str(), "%x:%x.%x%c", &bus, &slot, &fn, &tail) == 3;
}

// Splits on spaces and tabs into views of `s`: out[0, count), count returned. `out` only grows,
// so there is no allocation per line.
std::size_t split(std::string_view s, std::vector<std::string_view>& out) {
  const std::size_t n = s.size();
  if (out.size() < 32) out.resize(32);
  std::string_view* o = out.data();
  std::size_t room = out.size();
  const char* p = s.data();
  std::size_t count = 0, i = 0;
  while (i < n) {
    while (i < n && (p[i] == ' ' || p[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < n && p[j] != ' ' && p[j] != '\t') ++j;
    if (j > i) {
      if (count == room) {
        out.resize(2 * room);
        o = out.data();
        room = out.size();
      }
      o[count++] = std::string_view(p + i, j - i);
    }
    i = j;
  }
  return count;
}

std::string quoted(std::string_view v) { return "'" + std::string(v) + "'"; }

// What decode_descriptor may accept: every type and field a scalable-mode unit can have, so that
// only the descriptor's own bits decide (QEMU checked them when it ran).
config::CapabilityConfig permissive_capabilities() {
  config::CapabilityConfig cap;
  cap.smts = cap.pasid = cap.dt = cap.ir = cap.psi = true;
  cap.nd = 6;  // 16 domain-id bits
  cap.mamv = 63;
  return cap;
}

}  // namespace

bool looks_like_qemu_log(const std::string& head) {
  std::istringstream in(head);
  std::string line;
  for (int i = 0; i < 50 && std::getline(in, line); ++i) {
    QemuLinePrefix prefix;
    if (!parse_qemu_prefix(line, prefix)) continue;
    if (line.compare(prefix.rest, 4, "vtd_") == 0) return true;
  }
  return false;
}

std::string qemu_release_shown(const QemuImportStats& s) {
  if (s.pasid_cache > 0 || s.skipped.count("vtd_pasid_cache_reset") ||
      s.skipped.count("vtd_inv_desc_pasid_cache_dsi") || s.skipped.count("vtd_inv_desc_pasid_cache_psi") ||
      s.skipped.count("vtd_inv_desc_pasid_cache_gsi"))
    return "10.2";
  if (s.iso_prefix_lines > 0) return "10.1";
  if (s.skipped.count("vtd_reset_exit") || s.pasid_iotlb_pasid + s.pasid_iotlb_page > 0) return "10.0";
  return "";
}

const char* to_string(QemuFlts flts) {
  switch (flts) {
    case QemuFlts::kAuto: return "auto";
    case QemuFlts::kOn: return "on";
    case QemuFlts::kOff: return "off";
  }
  return "?";
}

QemuFlts parse_qemu_flts(const std::string& name) {
  if (name == "auto") return QemuFlts::kAuto;
  if (name == "on") return QemuFlts::kOn;
  if (name == "off") return QemuFlts::kOff;
  throw std::invalid_argument("bad x-flts setting '" + name + "' (expected auto, on or off)");
}

QemuLogImporter::QemuLogImporter(const std::string& path) : input_(std::make_unique<CompressedInput>(path)) {}

QemuLogImporter::QemuLogImporter(std::unique_ptr<CompressedInput> input) : input_(std::move(input)) {}

std::string QemuLogImporter::position() const { return input_->display_name() + ":" + std::to_string(position_line_); }

void QemuLogImporter::fail(const std::string& what) const {
  throw TraceError(input_->display_name(), input_->line_number(), what);
}

bool QemuLogImporter::next_into(TraceEvent& out) {
  // Events wait while an invalidation in front of them has an undecided domain-id (scalable mode).
  static constexpr std::size_t kMaxHeld = 1u << 16;
  while (pending_.empty() || pending_.front().undecided || pending_.front().stage_undecided) {
    std::string_view line;
    if (pending_.size() >= kMaxHeld || !read_line_ending_on_failure(*input_, line, input_failed_)) {
      if (pending_.empty()) return false;
      domains_.decide_all(input_->line_number());
      apply_domain_decisions();
      if (pending_.front().stage_undecided) decide_stage(ContextStage::kSecond, 0);
      continue;
    }
    ++stats_.lines;
    process_line(line);
  }
  out = pending_.front().event;
  position_line_ = pending_.front().line;
  pending_.pop_front();
  ++stats_.events[static_cast<int>(out.kind)];
  return true;
}

std::optional<TraceEvent> QemuLogImporter::next() {
  TraceEvent event;
  if (!next_into(event)) return std::nullopt;
  return event;
}

void QemuLogImporter::emit(const TraceEvent& event) {
  pending_.push_back(Pending{event, input_->line_number(), false});
  pending_.back().event.time_ns = time_ns_;
}

DomainId QemuLogImporter::scalable_domain(SourceId source) {
  try {
    return domains_.domain_of(source);
  } catch (const std::length_error& e) {
    fail(e.what());
  }
}

void QemuLogImporter::emit_invalidation(TraceEvent e, std::uint16_t did, std::uint64_t first_page,
                                        std::uint64_t pages) {
  e.invalidation.domain = DomainId(did);
  if (!scalable_) {
    emit(e);
    return;
  }
  const ScalableDomains::Target t = domains_.invalidated(did, first_page, pages, input_->line_number());
  e.invalidation.domain = t.domain;
  emit(e);
  if (t.undecided) {
    pending_.back().undecided = true;
    ++undecided_held_;
  }
  apply_domain_decisions();
}

// Rewrites the held invalidations of each domain-id just decided (to the device's own domain, or
// to itself when it stays unknown or was learnt exactly).
void QemuLogImporter::apply_domain_decisions() {
  stats_.sm_domains_from_attach = domains_.from_attach();
  if (stats_.sm_domains_inferred.size() != domains_.inferred().size()) stats_.sm_domains_inferred = domains_.inferred();
  stats_.invalidations_of_unknown_domains = domains_.unknown_invalidations();
  const auto decisions = domains_.take_decisions();
  if (decisions.empty() || undecided_held_ == 0) return;
  for (Pending& p : pending_) {
    if (!p.undecided) continue;
    for (const auto& [did, domain] : decisions) {
      if (p.event.invalidation.domain.value != did) continue;
      p.event.invalidation.domain = DomainId(domain);
      p.undecided = false;
      --undecided_held_;
      break;
    }
  }
}

ContextStage QemuLogImporter::scalable_stage() const {
  if (flts_ == QemuFlts::kOn) return ContextStage::kFirst;
  if (flts_ == QemuFlts::kOff) return ContextStage::kSecond;
  return stage_decided_ ? stats_.sm_stage : ContextStage::kLegacy;
}

// Translated contexts of a scalable-mode log get their stage (stage=first: PGTT 001b, stage=second:
// PGTT 010b), so the replay walks the scalable structures QEMU read (VT-d spec 9.4-9.6: 256-bit
// context entry, PASID directory and table; QEMU vtd_dev_to_context_entry and
// vtd_ce_get_rid2pasid_entry); pass-through contexts carry it too and replay as PGTT 100b.
void QemuLogImporter::decide_stage(ContextStage stage, std::uint64_t line) {
  if (stage_decided_ || flts_ != QemuFlts::kAuto) return;
  stage_decided_ = true;
  stats_.sm_stage = stage;
  stats_.sm_stage_line = line;
  stats_.sm_stage_unknown = line == 0;
  for (Pending& p : pending_) {
    if (!p.stage_undecided) continue;
    p.stage_undecided = false;
    p.event.stage = stage;
  }
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
  if (!scalable_) {
    emit(e);
    return;
  }
  const ContextStage stage = scalable_stage();
  e.stage = stage;
  if (flts_ != QemuFlts::kAuto) {
    stats_.sm_stage = stage;
  }
  emit(e);
  if (stage == ContextStage::kLegacy) pending_.back().stage_undecided = true;
}

const std::pair<const std::string_view, QemuLogImporter::NameEntry>& QemuLogImporter::name_entry(
    std::string_view name) {
  auto it = names_.find(name);
  if (it != names_.end()) return *it;
  static const std::pair<const char*, LineKind> kUsed[] = {
      {"vtd_dmar_translate", LineKind::kTranslate},
      {"vtd_iotlb_cc_hit", LineKind::kContextCache},
      {"vtd_iotlb_cc_update", LineKind::kContextCache},
      {"vtd_inv_desc_iotlb_pages", LineKind::kInvIotlbPages},
      {"vtd_inv_desc_iotlb_domain", LineKind::kInvIotlbDomain},
      {"vtd_inv_desc_iotlb_global", LineKind::kInvIotlbGlobal},
      {"vtd_inv_desc_cc_global", LineKind::kInvContextGlobal},
      {"vtd_inv_desc_cc_domain", LineKind::kInvContextGlobal},
      {"vtd_inv_desc_cc_devices", LineKind::kInvContextDevices},
      {"vtd_context_cache_reset", LineKind::kContextCacheReset},
      {"vtd_inv_desc_iec", LineKind::kInvIec},
      {"vtd_dmar_enable", LineKind::kDmarEnable},
      {"vtd_reg_dmar_root", LineKind::kDmarRoot},
      {"vtd_inv_desc", LineKind::kInvDesc},
  };
  NameEntry entry;
  for (const auto& [used_name, kind] : kUsed)
    if (name == used_name) entry.kind = kind;
  // The counter lives in the stats map (nodes never move); the table's key views its key.
  auto& counts = entry.kind == LineKind::kSkip ? stats_.skipped : stats_.used;
  auto counter = counts.emplace(std::string(name), 0).first;
  entry.count = &counter->second;
  return *names_.emplace(std::string_view(counter->first), entry).first;
}

std::uint64_t QemuLogImporter::value(std::string_view name, std::string_view key, std::string_view v) const {
  const CNumber x = c_strtoull(v);
  if (v.empty() || !x.whole || x.overflow || v[0] == '-')
    fail(std::string(name) + ": bad value " + quoted(v) + " for " + quoted(key));
  return x.value;
}

std::uint64_t QemuLogImporter::field(std::string_view name, std::string_view key) const {
  // "key value" pairs: value after the first token `key`.
  const std::vector<std::string_view>& tok = tokens_;
  for (std::size_t i = 0; i + 1 < token_count_; ++i)
    if (tok[i] == key) return value(name, key, tok[i + 1]);
  fail(std::string(name) + ": missing " + quoted(key));
}

// QEMU's own layout of a line's arguments: `lead`, then "KEY VALUE" for each of `keys` in order,
// single spaces, every value starting with a digit, anything after the last value. The values go
// to values[]; they are what field() would find, as no token before a key can be that key (lead
// holds none, values start with a digit). Returns false for any other layout.
bool QemuLogImporter::fixed_fields(std::string_view args, std::string_view lead,
                                   std::initializer_list<std::string_view> keys, std::string_view* values) {
  if (args.compare(0, lead.size(), lead) != 0) return false;
  std::size_t pos = lead.size();
  std::size_t k = 0;
  for (std::string_view key : keys) {
    if (k > 0) {
      if (pos >= args.size() || args[pos] != ' ') return false;
      ++pos;
    }
    if (args.compare(pos, key.size(), key) != 0 || pos + key.size() >= args.size() || args[pos + key.size()] != ' ')
      return false;
    pos += key.size() + 1;
    const std::size_t start = pos;
    while (pos < args.size() && args[pos] != ' ' && args[pos] != '\t') ++pos;
    if (pos == start || !is_digit(args[start])) return false;
    values[k++] = args.substr(start, pos - start);
  }
  return true;
}

void QemuLogImporter::process_line(std::string_view line) {
  QemuLinePrefix prefix;
  if (!parse_qemu_prefix(line, prefix)) {
    ++stats_.not_trace_lines;
    return;
  }
  const std::size_t rest = prefix.rest;
  const bool has_time = prefix.has_time();
  const std::uint64_t micros = prefix.micros;
  // The name runs to the first space (or the end). A name seen before is found in the cache
  // from a hash of its length and two 8-byte words, without looking at each character; the
  // cache only holds valid names. Anything else is checked character by character.
  const char* base = line.data() + rest;
  const std::size_t avail = line.size() - rest;
  const void* space = std::memchr(base, ' ', avail);
  const std::size_t length = space ? static_cast<std::size_t>(static_cast<const char*>(space) - base) : avail;
  NameSlot& cached = name_cache_[name_hash(base, length) % (sizeof name_cache_ / sizeof name_cache_[0])];
  if (length == 0 || cached.name.size() != length || !same_bytes(cached.name.data(), base, length)) {
    std::size_t name_end = rest;
    while (name_end < line.size() && is_name_char(line[name_end])) ++name_end;
    if (name_end == rest || (name_end < line.size() && line[name_end] != ' ')) {
      ++stats_.not_trace_lines;
      return;
    }
    // Here name_end == rest + length: the name's characters up to the first space.
    const auto& known = name_entry(line.substr(rest, length));
    cached = NameSlot{known.first, &known.second};
  }
  const std::size_t name_end = rest + length;
  if (has_time) {
    if (!have_first_time_) {
      have_first_time_ = true;
      first_time_us_ = micros;
    }
    // Relative to the first stamped line; never going back (threads may log out of order).
    const std::uint64_t t = micros >= first_time_us_ ? (micros - first_time_us_) * 1000 : 0;
    if (t > time_ns_) time_ns_ = t;
  }
  const std::string_view name = cached.name;
  const NameEntry& entry = *cached.entry;
  ++*entry.count;
  if (prefix.kind == QemuPrefix::kIsoTime) ++stats_.iso_prefix_lines;
  if (entry.kind == LineKind::kSkip) return;  // most lines: no fields needed
  const std::string_view args = name_end < line.size() ? line.substr(name_end + 1) : std::string_view();
  // QEMU's layouts of the frequent kinds without splitting into tokens; any other by field().
  std::string_view fixed[4];
  bool have_fixed = false;
  if (entry.kind == LineKind::kTranslate) {
    if (translate_fast(args)) return;
  } else if (entry.kind == LineKind::kContextCache) {
    have_fixed = fixed_fields(args, "IOTLB context hit ", {"bus", "devfn", "high", "low"}, fixed) ||
                 fixed_fields(args, "IOTLB context update ", {"bus", "devfn", "high", "low"}, fixed);
  } else if (entry.kind == LineKind::kInvIotlbPages) {
    have_fixed = fixed_fields(args, "iotlb invalidate ", {"domain", "addr", "mask"}, fixed);
  }
  if (entry.kind == LineKind::kInvDesc) {  // as many as the invalidations: no tokens needed
    raw_descriptor(args);
    return;
  }
  if (!have_fixed) token_count_ = split(args, tokens_);
  // The value of key, the i-th of the fixed layout.
  auto get = [&](std::size_t i, std::string_view key) {
    return have_fixed ? value(name, key, fixed[i]) : field(name, key);
  };
  const std::vector<std::string_view>& tok = tokens_;

  auto inv = [&](InvalidationTarget target, InvalidationGranularity granularity) {
    TraceEvent e;
    e.kind = EventKind::kInvalidate;
    e.invalidation.target = target;
    e.invalidation.granularity = granularity;
    return e;
  };

  switch (entry.kind) {
    case LineKind::kSkip: break;
    case LineKind::kTranslate: translate_line(); break;
    case LineKind::kContextCache: {
      // Context entry high word (VT-d spec 9.3): AW bits 2:0, DID bits 23:8. Low word: TT bits 3:2.
      const std::uint64_t bus = get(0, "bus"), devfn = get(1, "devfn"), high = get(2, "high"), low = get(3, "low");
      if (bus > 0xff || devfn > 0xff) fail(std::string(name) + ": bus or devfn out of range");
      const SourceId source(static_cast<std::uint16_t>((bus << 8) | devfn));
      if (scalable_) {
        // Scalable-mode context entry (spec 9.4): RID_PASID in bits 83:64 (high 19:0); no DID, AW
        // or TT. The translation type and depth live in the PASID entry, which is not logged.
        if ((high & 0xfffff) != 0) ++stats_.nonzero_rid_pasid;
        Binding b;
        b.domain = scalable_domain(source);
        b.levels = 4;
        learned_[source.value] = b;
        bind(source, b);
        break;
      }
      Binding b;
      b.domain = DomainId(static_cast<std::uint16_t>((high >> 8) & 0xffff));
      const unsigned aw = static_cast<unsigned>(high & 7);
      b.levels = static_cast<std::uint8_t>(aw <= 3 ? aw + 2 : 4);
      if (b.levels < 3) b.levels = 3;
      const unsigned tt = static_cast<unsigned>((low >> 2) & 3);
      b.type = tt == 2   ? core::TranslationType::kPassThrough
               : tt == 1 ? core::TranslationType::kDeviceTlb
                         : core::TranslationType::kUntranslated;
      if (b.type != core::TranslationType::kPassThrough)
        stats_.legacy_context_levels |= static_cast<std::uint8_t>(1u << b.levels);
      learned_[source.value] = b;
      bind(source, b);
      break;
    }
    case LineKind::kInvIotlbPages: {
      TraceEvent e = inv(InvalidationTarget::kIotlb, InvalidationGranularity::kPage);
      const std::uint64_t did = get(0, "domain"), addr = get(1, "addr"), am = get(2, "mask");
      if (did > 0xffff) fail(std::string(name) + ": domain out of range");
      if (am > 52) fail(std::string(name) + ": address mask out of range");
      e.invalidation.addr = Iova(addr);
      e.invalidation.address_mask = static_cast<std::uint8_t>(am);
      if (sm_translated_) decide_stage(ContextStage::kSecond, input_->line_number());
      emit_invalidation(e, static_cast<std::uint16_t>(did), addr >> 12, 1ull << am);
      break;
    }
    case LineKind::kInvIotlbDomain: {
      if (token_count_ == 0) fail(std::string(name) + ": missing domain");
      const std::string_view last = tok[token_count_ - 1];
      TraceEvent e = inv(InvalidationTarget::kIotlb, InvalidationGranularity::kDomain);
      const CNumber did = c_strtoull(last);
      if (!did.whole || did.value > 0xffff) fail(std::string(name) + ": bad domain " + quoted(last));
      const auto d = static_cast<std::uint16_t>(did.value);
      if (scalable_) domains_.domain_flushed(d);
      if (sm_translated_) decide_stage(ContextStage::kSecond, input_->line_number());
      emit_invalidation(e, d, 0, 0);
      break;
    }
    case LineKind::kInvIotlbGlobal: emit(inv(InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal)); break;
    case LineKind::kInvContextGlobal:
      domains_.context_reset();
      emit(inv(InvalidationTarget::kContextCache, InvalidationGranularity::kGlobal));
      break;
    case LineKind::kInvContextDevices: {
      TraceEvent e = inv(InvalidationTarget::kContextCache, InvalidationGranularity::kDevice);
      const std::uint64_t sid = field(name, "sid"), fm = field(name, "fmask");
      if (sid > 0xffff || fm > 3) fail(std::string(name) + ": sid or fmask out of range");
      e.invalidation.source = SourceId(static_cast<std::uint16_t>(sid));
      e.invalidation.function_mask = static_cast<std::uint8_t>(fm);
      if (fm == 0) domains_.context_invalidated(e.invalidation.source);
      emit(e);
      break;
    }
    case LineKind::kContextCacheReset:
      domains_.context_reset();
      emit(inv(InvalidationTarget::kContextCache, InvalidationGranularity::kGlobal));
      emit(inv(InvalidationTarget::kIotlb, InvalidationGranularity::kGlobal));
      break;
    case LineKind::kInvIec: {
      const std::uint64_t g = field(name, "granularity"), index = field(name, "index"), mask = field(name, "mask");
      if (g == 0) {
        emit(inv(InvalidationTarget::kInterruptEntry, InvalidationGranularity::kGlobal));
      } else {
        TraceEvent e = inv(InvalidationTarget::kInterruptEntry, InvalidationGranularity::kPage);
        e.invalidation.addr = Iova(index);
        e.invalidation.address_mask = static_cast<std::uint8_t>(mask > 52 ? 52 : mask);
        emit(e);
      }
      break;
    }
    case LineKind::kDmarEnable: translation_enabled_ = field(name, "enable") != 0; break;
    case LineKind::kDmarRoot:
      scalable_ = field(name, "scalable") != 0;
      stats_.scalable_mode = scalable_;
      break;
    case LineKind::kInvDesc: break;  // above
  }
}

// "invalidate desc type T high H low L" (T may hold spaces: "page group response"). QEMU logs
// the descriptor's second quadword as high and its first as low (vtd_process_inv_desc).
void QemuLogImporter::raw_descriptor(std::string_view args) {
  static constexpr std::string_view kLead = "invalidate desc type ";
  // The frequent types that have lines of their own, without searching the line.
  for (std::string_view covered : {"wait high ", "iotlb high ", "context-cache high ", "iec high "})
    if (args.size() > kLead.size() + covered.size() && args.compare(kLead.size(), covered.size(), covered) == 0 &&
        args.compare(0, kLead.size(), kLead) == 0)
      return;
  const std::size_t high_at = args.rfind(" high ");
  const std::size_t low_at = args.rfind(" low ");
  if (args.compare(0, kLead.size(), kLead) != 0 || high_at == std::string_view::npos ||
      low_at == std::string_view::npos || low_at < high_at || high_at < kLead.size())
    fail("vtd_inv_desc: expected 'invalidate desc type T high H low L'");
  const std::string_view type = args.substr(kLead.size(), high_at - kLead.size());
  // Types with lines of their own (context-cache, iotlb, iec), or with no effect on any
  // translation cache (wait, page group response).
  if (type == "context-cache" || type == "iotlb" || type == "iec" || type == "wait" || type == "page group response")
    return;
  if (type != "p-iotlb" && type != "pasid-cache" && type != "device" && type != "device-piotlb") {
    ++stats_.undecoded_descriptors[std::string(type)];
    return;
  }
  const std::string_view hi_text = args.substr(high_at + 6, low_at - high_at - 6);
  const std::string_view lo_text = args.substr(low_at + 5);
  spec::qi::Descriptor d;
  d.qw[0] = value("vtd_inv_desc", "low", lo_text);
  d.qw[1] = value("vtd_inv_desc", "high", hi_text);
  static const config::CapabilityConfig kCap = permissive_capabilities();
  const core::DecodedDescriptor decoded = core::decode_descriptor(d, kCap, true, true);
  if (decoded.kind != core::DescriptorKind::kInvalidate) {
    ++stats_.rejected_descriptors;  // QEMU reports an invalid descriptor and applies nothing
    return;
  }
  TraceEvent e;
  e.kind = EventKind::kInvalidate;
  e.invalidation = decoded.request;
  using T = core::InvalidationTarget;
  if (e.invalidation.target == T::kPasidIotlb) {
    const bool page = e.invalidation.granularity == InvalidationGranularity::kPage;
    ++(page ? stats_.pasid_iotlb_page : stats_.pasid_iotlb_pasid);
    if (!page && scalable_) domains_.pasid_flushed(e.invalidation.domain.value, e.invalidation.pasid.value);
    if (sm_translated_) decide_stage(ContextStage::kFirst, input_->line_number());
    const std::uint64_t pages = page ? 1ull << e.invalidation.address_mask : 0;
    emit_invalidation(e, e.invalidation.domain.value, e.invalidation.addr.value >> 12, pages);
    return;
  }
  if (e.invalidation.target == T::kPasidCache) {
    ++stats_.pasid_cache;
    if (e.invalidation.granularity != InvalidationGranularity::kGlobal) {
      emit_invalidation(e, e.invalidation.domain.value, 0, 0);
      return;
    }
  } else {
    ++stats_.device_tlb;
  }
  emit(e);
}

// QEMU's own layout, "dev D iova I -> gpa G mask M" with single spaces and every value starting
// with a digit, without splitting into tokens. Anything else (returns false) goes through
// translate_line, which reads it the same way: no value can be taken for a key here.
bool QemuLogImporter::translate_fast(std::string_view args) {
  std::size_t pos = 0;
  auto literal = [&](std::string_view text) {
    if (args.compare(pos, text.size(), text) != 0) return false;
    pos += text.size();
    return true;
  };
  auto token = [&](std::string_view& out) {
    const std::size_t start = pos;
    while (pos < args.size() && args[pos] != ' ' && args[pos] != '\t') ++pos;
    out = args.substr(start, pos - start);
    return !out.empty() && is_digit(out[0]);
  };
  std::string_view dev, iova, gpa, mask;
  if (!(literal("dev ") && token(dev) && literal(" iova ") && token(iova) && literal(" -> gpa ") && token(gpa) &&
        literal(" mask ") && token(mask) && pos == args.size()))
    return false;
  const std::uint64_t iova_value = value("vtd_dmar_translate", "iova", iova);
  const std::uint64_t gpa_value = value("vtd_dmar_translate", "gpa", gpa);
  const std::uint64_t mask_value = value("vtd_dmar_translate", "mask", mask);
  translate(dev, iova_value, gpa_value, mask_value);
  return true;
}

void QemuLogImporter::translate_line() {
  // "dev 00:03.00 iova 0xffffb000 -> gpa 0x29e0000 mask 0xfff"; the last of each key counts.
  const std::vector<std::string_view>& t = tokens_;
  std::string_view dev;
  std::uint64_t iova = 0, gpa = 0, mask = 0;
  bool have_iova = false, have_gpa = false, have_mask = false;
  for (std::size_t i = 0; i + 1 < token_count_; ++i) {
    if (t[i] == "dev")
      dev = t[i + 1];
    else if (t[i] == "iova")
      iova = value("vtd_dmar_translate", t[i], t[i + 1]), have_iova = true;
    else if (t[i] == "gpa")
      gpa = value("vtd_dmar_translate", t[i], t[i + 1]), have_gpa = true;
    else if (t[i] == "mask")
      mask = value("vtd_dmar_translate", t[i], t[i + 1]), have_mask = true;
  }
  if (dev.empty() || !have_iova || !have_gpa || !have_mask)
    fail("vtd_dmar_translate: expected 'dev B:D.F iova I -> gpa G mask M'");
  translate(dev, iova, gpa, mask);
}

void QemuLogImporter::translate(std::string_view dev, std::uint64_t iova, std::uint64_t gpa, std::uint64_t mask) {
  unsigned bus = 0, slot = 0, fn = 0;
  if (!parse_bdf(dev, bus, slot, fn) || bus > 0xff || slot > 0x1f || fn > 7)
    fail("vtd_dmar_translate: bad device " + quoted(dev));
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
  if (scalable_) {
    // The domain may have been learnt after the context line (attach sequence, inference).
    binding.domain = scalable_domain(source);
    binding.levels = 4;
    if (learned == learned_.end()) ++stats_.unknown_domain_translations;
    sm_translated_ = true;
    domains_.translated(source, iova >> 12, input_->line_number());
    apply_domain_decisions();
  } else if (learned != learned_.end()) {
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
    auto& stale = stale_;
    stale.clear();
    for (; it != mappings_.end() && it->first.first == did && it->first.second < base + page_size; ++it) {
      if (it->first.second == base && it->second.size == page_size && it->second.host == host)
        same = true;
      else
        stale.push_back(it);
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
