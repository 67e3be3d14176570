#include "vtdsim/config/config_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vtdsim::config {

const std::vector<std::string> kTopLevelSections = {"iommu", "platform", "guest",  "workload",
                                                    "sweep", "study",    "replay", "pcie_bench"};

namespace {

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string where(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return "";
  return " (line " + std::to_string(mark.line + 1) + ")";
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "nothing";
}

[[noreturn]] void bad(const YAML::Node& node, const std::string& path, const std::string& reason) {
  throw ConfigError(path, reason + where(node));
}

ReplacementPolicy parse_policy(const YAML::Node& node, const std::string& path) {
  const std::string s = parse_string(node, path);
  if (s == "lru") return ReplacementPolicy::kLru;
  if (s == "plru") return ReplacementPolicy::kPlru;
  if (s == "fifo") return ReplacementPolicy::kFifo;
  if (s == "random") return ReplacementPolicy::kRandom;
  bad(node, path, "expected one of lru, plru, fifo, random; got '" + s + "'");
}

IotlbOrganization parse_organization(const YAML::Node& node, const std::string& path) {
  const std::string s = parse_string(node, path);
  if (s == "shared") return IotlbOrganization::kShared;
  if (s == "per_size") return IotlbOrganization::kPerSize;
  if (s == "qemu") return IotlbOrganization::kQemu;
  bad(node, path, "expected one of shared, per_size, qemu; got '" + s + "'");
}

constexpr std::uint64_t kU32 = 0xffffffffull;

void parse_geometry(const YAML::Node& node, const std::string& path, RawCacheGeometry& g,
                    RawUnitConfig* iotlb_extras = nullptr) {
  std::vector<std::string> known = {"entries", "ways", "policy", "enabled", "hit_latency", "seed"};
  if (iotlb_extras) {
    known.push_back("organization");
    known.push_back("qemu_max_entries");
    known.push_back("qemu_inv_mask_bits");
    known.push_back("qemu_piotlb");
    known.push_back("qemu_first_stage");
  }
  check_keys(node, path, known);
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string p = join(path, key);
    const YAML::Node& v = kv.second;
    if (key == "entries")
      g.entries = static_cast<std::uint32_t>(parse_uint(v, p, kU32));
    else if (key == "ways") {
      if (v.IsScalar() && v.Scalar() == "full") {
        g.ways_full = true;
        g.ways.reset();
      } else {
        g.ways = static_cast<std::uint32_t>(parse_uint(v, p, kU32));
        g.ways_full = false;
      }
    } else if (key == "policy")
      g.policy = parse_policy(v, p);
    else if (key == "enabled")
      g.enabled = parse_bool(v, p);
    else if (key == "hit_latency")
      g.hit_latency = static_cast<std::uint32_t>(parse_uint(v, p, kU32));
    else if (key == "seed")
      g.seed = parse_uint(v, p, ~0ull);
    else if (key == "organization")
      iotlb_extras->iotlb_organization = parse_organization(v, p);
    else if (key == "qemu_max_entries")
      iotlb_extras->qemu_max_entries = static_cast<std::uint32_t>(parse_uint(v, p, kU32));
    else if (key == "qemu_inv_mask_bits") {
      const std::uint64_t bits = parse_uint(v, p, 64);
      if (bits != 8 && bits != 64) bad(v, p, "must be 8 (QEMU 7.2's uint8_t mask) or 64, got '" + v.Scalar() + "'");
      iotlb_extras->qemu_inv_mask_bits = static_cast<std::uint8_t>(bits);
    } else if (key == "qemu_piotlb") {
      const std::string s = parse_string(v, p);
      if (s == "ignore")
        iotlb_extras->qemu_piotlb = QemuPasidIotlb::kIgnore;
      else if (s == "qemu-10.0")
        iotlb_extras->qemu_piotlb = QemuPasidIotlb::kV10;
      else
        bad(v, p, "expected ignore (QEMU before 10.0) or qemu-10.0; got '" + s + "'");
    } else if (key == "qemu_first_stage") {
      if (v.IsScalar() && v.Scalar() == "auto")
        iotlb_extras->qemu_first_stage = QemuStage::kAuto;
      else
        iotlb_extras->qemu_first_stage = parse_bool(v, p) ? QemuStage::kFirst : QemuStage::kSecond;
    }
  }
}

void parse_cap(const YAML::Node& node, const std::string& path, RawCapabilityConfig& c) {
  struct UintField {
    const char* name;
    std::optional<std::uint64_t> RawCapabilityConfig::*field;
    std::uint64_t max;
  };
  struct BoolField {
    const char* name;
    std::optional<bool> RawCapabilityConfig::*field;
  };
  const UintField uints[] = {{"sagaw", &RawCapabilityConfig::sagaw, 0x1f}, {"mgaw", &RawCapabilityConfig::mgaw, 64},
                             {"haw", &RawCapabilityConfig::haw, 64},       {"nfr", &RawCapabilityConfig::nfr, 256},
                             {"sllps", &RawCapabilityConfig::sllps, 3},    {"mamv", &RawCapabilityConfig::mamv, 63},
                             {"nd", &RawCapabilityConfig::nd, 6},          {"fl1gp", &RawCapabilityConfig::fl1gp, 1},
                             {"pss", &RawCapabilityConfig::pss, 19},       {"iro", &RawCapabilityConfig::iro, 0x3ff0},
                             {"fro", &RawCapabilityConfig::fro, 0x3ff0}};
  const BoolField bools[] = {{"psi", &RawCapabilityConfig::psi},   {"caching_mode", &RawCapabilityConfig::caching_mode},
                             {"zlr", &RawCapabilityConfig::zlr},   {"rwbf", &RawCapabilityConfig::rwbf},
                             {"plmr", &RawCapabilityConfig::plmr}, {"phmr", &RawCapabilityConfig::phmr},
                             {"drd", &RawCapabilityConfig::drd},   {"dwd", &RawCapabilityConfig::dwd},
                             {"qi", &RawCapabilityConfig::qi},     {"dt", &RawCapabilityConfig::dt},
                             {"ir", &RawCapabilityConfig::ir},     {"eim", &RawCapabilityConfig::eim},
                             {"pt", &RawCapabilityConfig::pt},     {"sc", &RawCapabilityConfig::sc},
                             {"smts", &RawCapabilityConfig::smts}, {"pasid", &RawCapabilityConfig::pasid},
                             {"slts", &RawCapabilityConfig::slts}, {"flts", &RawCapabilityConfig::flts},
                             {"nest", &RawCapabilityConfig::nest}, {"ecs", &RawCapabilityConfig::ecs}};
  std::vector<std::string> known;
  for (const auto& f : uints) known.push_back(f.name);
  for (const auto& f : bools) known.push_back(f.name);
  check_keys(node, path, known);
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    for (const auto& f : uints)
      if (key == f.name) c.*(f.field) = parse_uint(kv.second, join(path, key), f.max);
    for (const auto& f : bools)
      if (key == f.name) c.*(f.field) = parse_bool(kv.second, join(path, key));
  }
}

void parse_timing(const YAML::Node& node, const std::string& path, RawTimingConfig& t) {
  struct UintField {
    const char* name;
    std::optional<std::uint32_t> RawTimingConfig::*field;
  };
  const UintField uints[] = {{"iotlb_hit", &RawTimingConfig::iotlb_hit},
                             {"context_cache_hit", &RawTimingConfig::context_cache_hit},
                             {"context_cache_miss", &RawTimingConfig::context_cache_miss},
                             {"memory_read", &RawTimingConfig::memory_read},
                             {"per_read", &RawTimingConfig::per_read},
                             {"psc_hit", &RawTimingConfig::psc_hit},
                             {"invalidation_descriptor", &RawTimingConfig::invalidation_descriptor},
                             {"wait_descriptor", &RawTimingConfig::wait_descriptor},
                             {"walkers", &RawTimingConfig::walkers}};
  std::vector<std::string> known = {"clock_ghz", "merge_pending_walks"};
  for (const auto& f : uints) known.push_back(f.name);
  check_keys(node, path, known);
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string p = join(path, key);
    if (key == "clock_ghz")
      t.clock_ghz = parse_double(kv.second, p);
    else if (key == "merge_pending_walks")
      t.merge_pending_walks = parse_bool(kv.second, p);
    for (const auto& f : uints)
      if (key == f.name) t.*(f.field) = static_cast<std::uint32_t>(parse_uint(kv.second, p, kU32));
  }
}

const char* const kPscNames[4] = {"pde", "pdpe", "pml4e", "pml5e"};

void resolve_geometry(const RawCacheGeometry& raw, CacheGeometry& g, const std::string& path) {
  if (raw.entries) g.entries = *raw.entries;
  if (raw.ways) g.ways = *raw.ways;
  // ways: full, or default ways of a cache made smaller than them.
  if (raw.ways_full || (!raw.ways && raw.entries && g.ways > g.entries)) g.ways = g.entries;
  if (raw.policy) g.policy = *raw.policy;
  if (raw.enabled) g.enabled = *raw.enabled;
  if (raw.hit_latency) g.hit_latency = *raw.hit_latency;
  if (raw.seed) g.seed = *raw.seed;
  if (g.entries == 0)
    throw ConfigError(path + ".entries", "must be at least 1 (use enabled: false to turn the cache off)");
  if (g.entries > kMaxCacheEntries)
    throw ConfigError(path + ".entries", "must be at most " + std::to_string(kMaxCacheEntries) +
                                             " (every entry is allocated up front), got " + std::to_string(g.entries));
  if (g.ways == 0) throw ConfigError(path + ".ways", "must be at least 1 (or \"full\")");
  if (g.ways > g.entries)
    throw ConfigError(path + ".ways", "must not exceed " + path + ".entries (" + std::to_string(g.entries) + "), got " +
                                          std::to_string(g.ways));
  if (g.entries % g.ways != 0)
    throw ConfigError(path + ".ways", "must divide " + path + ".entries (" + std::to_string(g.entries) + "), got " +
                                          std::to_string(g.ways));
  if (g.policy == ReplacementPolicy::kPlru && (g.ways & (g.ways - 1)) != 0)
    throw ConfigError(path + ".ways", "tree-PLRU needs a power-of-two number of ways, got " + std::to_string(g.ways));
}

}  // namespace

// ---------------------------------------------------------------- scalar parsers

std::uint64_t parse_uint(const YAML::Node& node, const std::string& path, std::uint64_t max) {
  if (!node.IsScalar()) bad(node, path, "expected an unsigned integer, got " + scalar_text(node));
  std::string s = node.Scalar();
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());  // 1_000_000
  if (s.empty()) bad(node, path, "expected an unsigned integer, got ''");
  if (s[0] == '-') bad(node, path, "must not be negative, got '" + node.Scalar() + "'");
  int base = 10;
  std::size_t start = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    base = 16, start = 2;
  else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
    base = 2, start = 2;
  const std::string digits = s.substr(start);
  const bool ok_chars = !digits.empty() && std::all_of(digits.begin(), digits.end(), [base](char c) {
    if (base == 16) return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (base == 2) return c == '0' || c == '1';
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (!ok_chars) bad(node, path, "expected an unsigned integer, got '" + node.Scalar() + "'");
  errno = 0;
  const unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE || v > max)
    bad(node, path, "out of range (maximum " + std::to_string(max) + "), got '" + node.Scalar() + "'");
  return v;
}

double parse_double(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) bad(node, path, "expected a number, got " + scalar_text(node));
  const std::string& s = node.Scalar();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    bad(node, path, "expected a number, got '" + s + "'");
  if (v <= 0) bad(node, path, "must be positive, got '" + s + "'");
  return v;
}

bool parse_bool(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  bad(node, path, "expected true or false, got " + scalar_text(node));
}

std::string parse_string(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) bad(node, path, "expected a string, got " + scalar_text(node));
  return node.Scalar();
}

void check_keys(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known) {
  if (node.IsNull()) return;  // "iotlb:" with nothing under it
  if (!node.IsMap()) bad(node, path, "expected a map, got " + scalar_text(node));
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw ConfigError(join(path, key), "unknown key" + where(kv.first) + " (known here: " + list + ")");
    }
  }
}

// ---------------------------------------------------------------- tree

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("", "--set expects KEY=VALUE (e.g. iommu.iotlb.ways=8), got '" + assignment + "'");
  const std::string key = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string part; std::getline(ss, part, '.');) {
    if (part.empty()) throw ConfigError(key, "--set: empty component in key '" + key + "'");
    parts.push_back(part);
  }
  if (parts.empty()) throw ConfigError("", "--set: empty key in '" + assignment + "'");
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(key, "--set: value is not valid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node cur = root;
  std::string path;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    path = join(path, parts[i]);
    YAML::Node next = cur[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = cur[parts[i]];
    } else if (!next.IsMap()) {
      throw ConfigError(path, "--set " + key + ": " + path + " is not a map");
    }
    cur.reset(next);
  }
  cur[parts.back()] = value;
}

YAML::Node load_config_text(const std::string& text, const std::string& name,
                            const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("", name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                              ": YAML syntax error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigError("", name + ": the configuration must be a map of sections (iommu:, ...)");
  for (const auto& o : overrides) apply_override(root, o);
  return root;
}

YAML::Node load_config_tree(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return load_config_text("", "<defaults>", overrides);
  std::ifstream in(path);
  if (!in) throw ConfigError("", path + ": cannot open configuration file");
  std::stringstream buf;
  buf << in.rdbuf();
  return load_config_text(buf.str(), path, overrides);
}

void check_top_level_keys(const YAML::Node& root, const std::vector<std::string>& allowed) {
  check_keys(root, "", allowed);
}

// ---------------------------------------------------------------- iommu section

RawUnitConfig parse_unit_config(const YAML::Node& root) {
  RawUnitConfig raw;
  if (!root.IsMap()) return raw;
  const YAML::Node iommu = root["iommu"];
  if (!iommu.IsDefined() || iommu.IsNull()) return raw;
  const std::string base = "iommu";
  check_keys(iommu, base,
             {"cap", "iotlb", "iotlb_2m", "iotlb_1g", "context_cache", "pasid_cache", "psc", "device_tlb", "timing"});
  for (const auto& kv : iommu) {
    const std::string key = kv.first.Scalar();
    const std::string p = join(base, key);
    const YAML::Node& v = kv.second;
    if (key == "cap")
      parse_cap(v, p, raw.cap);
    else if (key == "iotlb")
      parse_geometry(v, p, raw.iotlb, &raw);
    else if (key == "iotlb_2m")
      parse_geometry(v, p, raw.iotlb_2m);
    else if (key == "iotlb_1g")
      parse_geometry(v, p, raw.iotlb_1g);
    else if (key == "context_cache")
      parse_geometry(v, p, raw.context_cache);
    else if (key == "pasid_cache")
      parse_geometry(v, p, raw.pasid_cache);
    else if (key == "device_tlb")
      parse_geometry(v, p, raw.device_tlb);
    else if (key == "timing")
      parse_timing(v, p, raw.timing);
    else if (key == "psc") {
      check_keys(v, p, {"pde", "pdpe", "pml4e", "pml5e"});
      for (int i = 0; i < 4; ++i)
        if (v.IsMap() && v[kPscNames[i]]) parse_geometry(v[kPscNames[i]], join(p, kPscNames[i]), raw.psc[i]);
    }
  }
  return raw;
}

UnitConfig resolve(const RawUnitConfig& raw) {
  UnitConfig c;  // defaults: unit_config.hpp
  // Capabilities.
  const RawCapabilityConfig& rc = raw.cap;
  CapabilityConfig& cap = c.cap;
  if (rc.sagaw) cap.sagaw = static_cast<std::uint8_t>(*rc.sagaw);
  if (rc.mgaw) cap.mgaw = static_cast<std::uint8_t>(*rc.mgaw);
  if (rc.haw) cap.haw = static_cast<std::uint8_t>(*rc.haw);
  if (rc.nfr) cap.nfr = static_cast<std::uint16_t>(*rc.nfr);
  if (rc.sllps) cap.sllps = static_cast<std::uint8_t>(*rc.sllps);
  if (rc.mamv) cap.mamv = static_cast<std::uint8_t>(*rc.mamv);
  if (rc.nd) cap.nd = static_cast<std::uint8_t>(*rc.nd);
  if (rc.fl1gp) cap.fl1gp = static_cast<std::uint8_t>(*rc.fl1gp);
  if (rc.pss) cap.pss = static_cast<std::uint8_t>(*rc.pss);
  if (rc.iro) cap.iro = static_cast<std::uint16_t>(*rc.iro);
  if (rc.fro) cap.fro = static_cast<std::uint16_t>(*rc.fro);
  auto set_bool = [](bool& dst, const std::optional<bool>& v) {
    if (v) dst = *v;
  };
  set_bool(cap.psi, rc.psi);
  set_bool(cap.caching_mode, rc.caching_mode);
  set_bool(cap.zlr, rc.zlr);
  set_bool(cap.rwbf, rc.rwbf);
  set_bool(cap.plmr, rc.plmr);
  set_bool(cap.phmr, rc.phmr);
  set_bool(cap.drd, rc.drd);
  set_bool(cap.dwd, rc.dwd);
  set_bool(cap.qi, rc.qi);
  set_bool(cap.dt, rc.dt);
  set_bool(cap.ir, rc.ir);
  set_bool(cap.eim, rc.eim);
  set_bool(cap.pt, rc.pt);
  set_bool(cap.sc, rc.sc);
  set_bool(cap.smts, rc.smts);
  set_bool(cap.pasid, rc.pasid);
  set_bool(cap.slts, rc.slts);
  set_bool(cap.flts, rc.flts);
  set_bool(cap.nest, rc.nest);
  set_bool(cap.ecs, rc.ecs);
  // VT-d spec 11.4.2 (CAP_REG): SAGAW bits 1..3 = 39/48/57-bit; MGAW at most 64; ND 0..6.
  if ((cap.sagaw & 0b01110) == 0)
    throw ConfigError("iommu.cap.sagaw",
                      "must advertise at least one of 39-bit (0b0010), 48-bit (0b0100), "
                      "57-bit (0b1000) second-level widths");
  if (cap.mgaw < 30) throw ConfigError("iommu.cap.mgaw", "must be at least 30, got " + std::to_string(cap.mgaw));
  if (cap.haw < 32 || cap.haw > 52)
    throw ConfigError("iommu.cap.haw", "must be in 32..52, got " + std::to_string(cap.haw));
  if (cap.nfr == 0) throw ConfigError("iommu.cap.nfr", "must be at least 1");
  if (cap.iro % 16 || cap.iro == 0) throw ConfigError("iommu.cap.iro", "must be a non-zero multiple of 16");
  if (cap.fro % 16 || cap.fro == 0) throw ConfigError("iommu.cap.fro", "must be a non-zero multiple of 16");

  // Caches.
  CachesConfig& k = c.caches;
  if (raw.iotlb_organization) k.iotlb_organization = *raw.iotlb_organization;
  if (raw.qemu_max_entries) k.qemu_max_entries = *raw.qemu_max_entries;
  if (raw.qemu_inv_mask_bits) k.qemu_inv_mask_bits = *raw.qemu_inv_mask_bits;
  if (raw.qemu_piotlb) k.qemu_piotlb = *raw.qemu_piotlb;
  if (raw.qemu_first_stage) k.qemu_first_stage = *raw.qemu_first_stage;
  if (k.qemu_max_entries == 0) throw ConfigError("iommu.iotlb.qemu_max_entries", "must be at least 1");
  if (k.qemu_max_entries > kMaxCacheEntries)
    throw ConfigError("iommu.iotlb.qemu_max_entries", "must be at most " + std::to_string(kMaxCacheEntries) + ", got " +
                                                          std::to_string(k.qemu_max_entries));
  resolve_geometry(raw.iotlb, k.iotlb, "iommu.iotlb");
  resolve_geometry(raw.iotlb_2m, k.iotlb_2m, "iommu.iotlb_2m");
  resolve_geometry(raw.iotlb_1g, k.iotlb_1g, "iommu.iotlb_1g");
  resolve_geometry(raw.context_cache, k.context, "iommu.context_cache");
  resolve_geometry(raw.pasid_cache, k.pasid, "iommu.pasid_cache");
  resolve_geometry(raw.device_tlb, k.device_tlb, "iommu.device_tlb");
  for (int i = 0; i < 4; ++i) resolve_geometry(raw.psc[i], k.psc[i], std::string("iommu.psc.") + kPscNames[i]);

  // Timing.
  const RawTimingConfig& rt = raw.timing;
  TimingConfig& t = c.timing;
  if (rt.clock_ghz) t.clock_ghz = *rt.clock_ghz;
  if (rt.iotlb_hit) t.iotlb_hit = *rt.iotlb_hit;
  if (rt.context_cache_hit) t.context_cache_hit = *rt.context_cache_hit;
  if (rt.context_cache_miss) t.context_cache_miss = *rt.context_cache_miss;
  if (rt.memory_read) t.memory_read = *rt.memory_read;
  if (rt.per_read) t.per_read = *rt.per_read;
  if (rt.psc_hit) t.psc_hit = *rt.psc_hit;
  if (rt.invalidation_descriptor) t.invalidation_descriptor = *rt.invalidation_descriptor;
  if (rt.wait_descriptor) t.wait_descriptor = *rt.wait_descriptor;
  if (rt.walkers) t.walkers = *rt.walkers;
  if (rt.merge_pending_walks) t.merge_pending_walks = *rt.merge_pending_walks;
  if (t.walkers == 0) throw ConfigError("iommu.timing.walkers", "must be at least 1");
  if (t.walkers > kMaxWalkers)
    throw ConfigError("iommu.timing.walkers",
                      "must be at most " + std::to_string(kMaxWalkers) + ", got " + std::to_string(t.walkers));
  return c;
}

UnitConfig resolve_unit_config(const YAML::Node& root) { return resolve(parse_unit_config(root)); }

UnitConfig load_unit_config(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node root = load_config_tree(path, overrides);
  check_top_level_keys(root);
  return resolve_unit_config(root);
}

// ---------------------------------------------------------------- JSON echo

namespace {
nlohmann::json geometry_json(const CacheGeometry& g) {
  return {{"entries", g.entries},         {"ways", g.ways}, {"policy", to_string(g.policy)}, {"enabled", g.enabled},
          {"hit_latency", g.hit_latency}, {"seed", g.seed}};
}
}  // namespace

nlohmann::json to_json(const UnitConfig& c) {
  const CapabilityConfig& cap = c.cap;
  nlohmann::json j;
  j["cap"] = {{"sagaw", cap.sagaw}, {"mgaw", cap.mgaw}, {"haw", cap.haw},   {"nfr", cap.nfr},
              {"sllps", cap.sllps}, {"psi", cap.psi},   {"mamv", cap.mamv}, {"caching_mode", cap.caching_mode},
              {"nd", cap.nd},       {"zlr", cap.zlr},   {"rwbf", cap.rwbf}, {"plmr", cap.plmr},
              {"phmr", cap.phmr},   {"drd", cap.drd},   {"dwd", cap.dwd},   {"fl1gp", cap.fl1gp},
              {"qi", cap.qi},       {"dt", cap.dt},     {"ir", cap.ir},     {"eim", cap.eim},
              {"pt", cap.pt},       {"sc", cap.sc},     {"smts", cap.smts}, {"pasid", cap.pasid},
              {"slts", cap.slts},   {"flts", cap.flts}, {"nest", cap.nest}, {"ecs", cap.ecs},
              {"pss", cap.pss},     {"iro", cap.iro},   {"fro", cap.fro}};
  const CachesConfig& k = c.caches;
  j["iotlb"] = geometry_json(k.iotlb);
  j["iotlb"]["organization"] = to_string(k.iotlb_organization);
  j["iotlb"]["qemu_max_entries"] = k.qemu_max_entries;
  j["iotlb"]["qemu_inv_mask_bits"] = k.qemu_inv_mask_bits;
  j["iotlb"]["qemu_piotlb"] = to_string(k.qemu_piotlb);
  // As written in YAML: true / false, or "auto".
  if (k.qemu_first_stage == QemuStage::kAuto)
    j["iotlb"]["qemu_first_stage"] = "auto";
  else
    j["iotlb"]["qemu_first_stage"] = k.qemu_first_stage == QemuStage::kFirst;
  j["iotlb_2m"] = geometry_json(k.iotlb_2m);
  j["iotlb_1g"] = geometry_json(k.iotlb_1g);
  j["context_cache"] = geometry_json(k.context);
  j["pasid_cache"] = geometry_json(k.pasid);
  j["device_tlb"] = geometry_json(k.device_tlb);
  for (int i = 0; i < 4; ++i) j["psc"][kPscNames[i]] = geometry_json(k.psc[i]);
  const TimingConfig& t = c.timing;
  j["timing"] = {{"clock_ghz", t.clock_ghz},
                 {"iotlb_hit", t.iotlb_hit},
                 {"context_cache_hit", t.context_cache_hit},
                 {"context_cache_miss", t.context_cache_miss},
                 {"memory_read", t.memory_read},
                 {"per_read", t.per_read},
                 {"psc_hit", t.psc_hit},
                 {"invalidation_descriptor", t.invalidation_descriptor},
                 {"wait_descriptor", t.wait_descriptor},
                 {"walkers", t.walkers},
                 {"merge_pending_walks", t.merge_pending_walks}};
  return j;
}

}  // namespace vtdsim::config
