#include "vtdsim/pciebench/bench_config.hpp"

#include <stdexcept>

#include "vtdsim/config/config_loader.hpp"

namespace vtdsim::pciebench {

namespace {

using config::ConfigError;
using config::parse_bool;
using config::parse_double;
using config::parse_uint;

// A time that may be zero (config::parse_double wants a positive number).
double parse_nonneg(const YAML::Node& v, const std::string& p) {
  if (v.IsScalar() && (v.Scalar() == "0" || v.Scalar() == "0.0")) return 0.0;
  return parse_double(v, p);
}

void parse_link(const YAML::Node& n, const std::string& path, LinkConfig& c) {
  config::check_keys(n, path, {"gen", "lanes", "mps", "mrrs", "rcb", "addr64", "ecrc", "latency_ns"});
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    const std::string p = path + "." + key;
    const YAML::Node& v = kv.second;
    if (key == "gen") c.gen = static_cast<unsigned>(parse_uint(v, p, 5));
    if (key == "lanes") c.lanes = static_cast<unsigned>(parse_uint(v, p, 16));
    if (key == "mps") c.mps = static_cast<std::uint32_t>(parse_uint(v, p, 4096));
    if (key == "mrrs") c.mrrs = static_cast<std::uint32_t>(parse_uint(v, p, 4096));
    if (key == "rcb") c.rcb = static_cast<std::uint32_t>(parse_uint(v, p, 128));
    if (key == "addr64") c.addr64 = parse_bool(v, p);
    if (key == "ecrc") c.ecrc = parse_bool(v, p);
    if (key == "latency_ns") c.latency_ns = parse_nonneg(v, p);
  }
  try {
    validate(c);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("", std::string("pcie_bench.") + e.what());
  }
}

void parse_root_complex(const YAML::Node& n, const std::string& path, RootComplexConfig& c) {
  config::check_keys(n, path, {"latency_ns", "posted_credits", "in_order_translation", "translation_slots"});
  if (n["translation_slots"])
    c.translation_slots =
        static_cast<std::uint32_t>(parse_uint(n["translation_slots"], path + ".translation_slots", 4096));
  if (n["in_order_translation"])
    c.in_order_translation = parse_bool(n["in_order_translation"], path + ".in_order_translation");
  if (n["latency_ns"]) c.latency_ns = parse_nonneg(n["latency_ns"], path + ".latency_ns");
  if (n["posted_credits"])
    c.posted_credits = static_cast<std::uint32_t>(parse_uint(n["posted_credits"], path + ".posted_credits", 4096));
  if (c.posted_credits == 0) throw ConfigError(path + ".posted_credits", "must be at least 1");
}

void parse_memory(const YAML::Node& n, const std::string& path, MemoryConfig& c) {
  config::check_keys(n, path, {"latency_ns", "bandwidth_gbyte_per_s", "remote_extra_ns", "remote_walk_reads"});
  if (n["latency_ns"]) c.latency_ns = parse_nonneg(n["latency_ns"], path + ".latency_ns");
  if (n["bandwidth_gbyte_per_s"])
    c.bandwidth_gbyte_per_s = parse_double(n["bandwidth_gbyte_per_s"], path + ".bandwidth_gbyte_per_s");
  if (!(c.bandwidth_gbyte_per_s > 0)) throw ConfigError(path + ".bandwidth_gbyte_per_s", "must be > 0");
  if (n["remote_extra_ns"]) c.remote_extra_ns = parse_nonneg(n["remote_extra_ns"], path + ".remote_extra_ns");
  if (n["remote_walk_reads"]) c.remote_walk_reads = parse_bool(n["remote_walk_reads"], path + ".remote_walk_reads");
}

void parse_device(const YAML::Node& n, const std::string& path, DeviceConfig& c) {
  config::check_keys(n, path,
                     {"outstanding", "issue_ns", "latency_ns", "warmup", "measure", "latency_measure", "seed"});
  if (n["outstanding"])
    c.outstanding = static_cast<std::uint32_t>(parse_uint(n["outstanding"], path + ".outstanding", 4096));
  if (c.outstanding == 0) throw ConfigError(path + ".outstanding", "must be at least 1");
  if (n["issue_ns"]) c.issue_ns = parse_nonneg(n["issue_ns"], path + ".issue_ns");
  if (n["latency_ns"]) c.latency_ns = parse_nonneg(n["latency_ns"], path + ".latency_ns");
  if (n["warmup"]) c.warmup = parse_uint(n["warmup"], path + ".warmup", 1ull << 32);
  if (n["measure"]) c.measure = parse_uint(n["measure"], path + ".measure", 1ull << 32);
  if (n["latency_measure"]) c.latency_measure = parse_uint(n["latency_measure"], path + ".latency_measure", 1ull << 32);
  if (c.measure == 0) throw ConfigError(path + ".measure", "must be at least 1");
  if (c.latency_measure == 0) throw ConfigError(path + ".latency_measure", "must be at least 1");
  if (n["seed"]) c.seed = parse_uint(n["seed"], path + ".seed", ~0ull);
}

}  // namespace

BenchConfig resolve_bench_config(const YAML::Node& root) {
  BenchConfig c;
  const YAML::Node iommu = root["iommu"];
  if (iommu && iommu.IsMap() && iommu["timing"] && iommu["timing"].IsMap() && iommu["timing"]["memory_read"])
    throw ConfigError("iommu.timing.memory_read",
                      "pcie-bench derives the walk-read latency from pcie_bench.memory.latency_ns; remove this key");
  c.iommu = config::resolve_unit_config(root);
  const YAML::Node s = root["pcie_bench"];
  if (!s || s.IsNull()) return c;
  const std::string path = "pcie_bench";
  config::check_keys(s, path, {"link", "root_complex", "memory", "device"});
  if (s["link"]) parse_link(s["link"], path + ".link", c.link);
  if (s["root_complex"]) parse_root_complex(s["root_complex"], path + ".root_complex", c.root_complex);
  if (s["memory"]) parse_memory(s["memory"], path + ".memory", c.memory);
  if (s["device"]) parse_device(s["device"], path + ".device", c.device);
  return c;
}

BenchConfig load_bench_config(const std::string& path, const std::vector<std::string>& overrides) {
  const YAML::Node root = config::load_config_tree(path, overrides);
  config::check_top_level_keys(root);
  return resolve_bench_config(root);
}

}  // namespace vtdsim::pciebench
