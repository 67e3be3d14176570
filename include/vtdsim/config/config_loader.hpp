// Loading a configuration: YAML file (+ --set overrides) -> YAML tree -> plain optional structs
// (RawUnitConfig) -> one resolve() into the validated config::UnitConfig, defaults from
// unit_config.hpp only. Layout in docs/configuration.md.
//
// The tree may hold other top-level sections (platform:, guest:, workload:, sweep:, ...) which
// their owners parse and validate themselves from the same YAML::Node; this loader only reads
// `iommu:`. check_top_level_keys() rejects misspelled sections.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::config {

// Top-level sections a vtdsim configuration may have (owners parse their own section).
extern const std::vector<std::string> kTopLevelSections;

// Reads path (empty: an empty tree, i.e. all defaults) and applies the overrides in order.
// Each override is "a.b.c=VALUE"; VALUE is parsed as YAML ("64", "full", "true", "[1, 2]").
// Throws ConfigError (syntax errors name the file, line and column).
YAML::Node load_config_tree(const std::string& path, const std::vector<std::string>& overrides = {});
// Parses YAML text (tests, embedded configs); `name` is used in messages.
YAML::Node load_config_text(const std::string& text, const std::string& name = "<config>",
                            const std::vector<std::string>& overrides = {});
// Applies one "a.b.c=VALUE" override to the tree (creating maps as needed).
void apply_override(YAML::Node& root, const std::string& assignment);
// Rejects top-level keys not in `allowed` (default kTopLevelSections).
void check_top_level_keys(const YAML::Node& root, const std::vector<std::string>& allowed = kTopLevelSections);

// ---- plain structs: what the file said (nullopt: not given) ----
struct RawCacheGeometry {
  std::optional<std::uint32_t> entries;
  std::optional<std::uint32_t> ways;  // "full" is stored as ways_full
  bool ways_full = false;
  std::optional<ReplacementPolicy> policy;
  std::optional<bool> enabled;
  std::optional<std::uint32_t> hit_latency;
  std::optional<std::uint64_t> seed;
};

struct RawCapabilityConfig {
  std::optional<std::uint64_t> sagaw, mgaw, haw, nfr, sllps, mamv, nd, fl1gp, pss, iro, fro;
  std::optional<bool> psi, caching_mode, zlr, rwbf, plmr, phmr, drd, dwd;
  std::optional<bool> qi, dt, ir, eim, pt, sc, smts, pasid, slts, flts, nest, ecs;
};

struct RawTimingConfig {
  std::optional<double> clock_ghz;
  std::optional<std::uint32_t> iotlb_hit, context_cache_hit, context_cache_miss, memory_read, per_read, psc_hit,
      invalidation_descriptor, wait_descriptor, walkers;
  std::optional<bool> merge_pending_walks;
};

struct RawUnitConfig {
  RawCapabilityConfig cap;
  std::optional<IotlbOrganization> iotlb_organization;
  std::optional<std::uint32_t> qemu_max_entries;
  std::optional<std::uint8_t> qemu_inv_mask_bits;
  std::optional<QemuPasidIotlb> qemu_piotlb;
  std::optional<QemuStage> qemu_first_stage;
  RawCacheGeometry iotlb, iotlb_2m, iotlb_1g, context_cache, pasid_cache, device_tlb;
  RawCacheGeometry psc[4];  // pde, pdpe, pml4e, pml5e
  RawTimingConfig timing;
};

// Reads the `iommu:` section of the tree into the plain structs (types and known keys checked).
RawUnitConfig parse_unit_config(const YAML::Node& root);
// Defaults from unit_config.hpp + cross-field validation (geometry, widths, latencies).
UnitConfig resolve(const RawUnitConfig& raw);
// parse_unit_config + resolve.
UnitConfig resolve_unit_config(const YAML::Node& root);
// File + overrides -> resolved unit configuration (checks top-level keys too).
UnitConfig load_unit_config(const std::string& path, const std::vector<std::string>& overrides = {});

// The resolved configuration in the same layout as the YAML `iommu:` section (so it can be fed
// back); stats JSON echoes it under "config".
nlohmann::json to_json(const UnitConfig& config);

// Parsers shared with other sections' loaders: full key path in every error.
std::uint64_t parse_uint(const YAML::Node& node, const std::string& path, std::uint64_t max);
double parse_double(const YAML::Node& node, const std::string& path);
bool parse_bool(const YAML::Node& node, const std::string& path);
std::string parse_string(const YAML::Node& node, const std::string& path);
// Rejects keys of a map not in `known`; throws if node is not a map.
void check_keys(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known);

}  // namespace vtdsim::config
