#include "vtdsim/config/config_loader.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace vtdsim::config;

namespace {

// Resolves YAML text (+ overrides) and returns the ConfigError message ("" if accepted).
std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    YAML::Node root = load_config_text(yaml, "test.yaml", overrides);
    check_top_level_keys(root);
    resolve_unit_config(root);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST(ConfigLoader, EmptyConfigGivesHeaderDefaults) {
  const UnitConfig c = resolve_unit_config(load_config_text(""));
  const UnitConfig d;
  EXPECT_EQ(c.caches.iotlb.entries, d.caches.iotlb.entries);
  EXPECT_EQ(c.caches.iotlb.ways, d.caches.iotlb.ways);
  EXPECT_EQ(c.cap.sagaw, d.cap.sagaw);
  EXPECT_EQ(c.timing.memory_read, d.timing.memory_read);
  EXPECT_EQ(to_json(c), to_json(d));
}

TEST(ConfigLoader, ReadsEverySection) {
  const UnitConfig c = resolve_unit_config(load_config_text(R"(
iommu:
  cap: {sagaw: 0b1110, mgaw: 57, caching_mode: true, nd: 0x3}
  iotlb: {entries: 128, ways: full, policy: plru, organization: per_size, hit_latency: 3, seed: 7}
  iotlb_2m: {entries: 8, ways: 2, policy: fifo}
  context_cache: {entries: 4, ways: 1, enabled: false}
  psc: {pde: {entries: 8, ways: 8, policy: random}}
  timing: {memory_read: 250, clock_ghz: 1.5, merge_pending_walks: false}
platform: {anything: [1, 2, 3]}   # other owners' sections are left alone
)"));
  EXPECT_EQ(c.cap.sagaw, 0b1110);
  EXPECT_EQ(c.cap.mgaw, 57);
  EXPECT_TRUE(c.cap.caching_mode);
  EXPECT_EQ(c.cap.nd, 3);
  EXPECT_EQ(c.caches.iotlb.entries, 128u);
  EXPECT_EQ(c.caches.iotlb.ways, 128u);  // "full"
  EXPECT_EQ(c.caches.iotlb.policy, ReplacementPolicy::kPlru);
  EXPECT_EQ(c.caches.iotlb_organization, IotlbOrganization::kPerSize);
  EXPECT_EQ(c.caches.iotlb.hit_latency, 3u);
  EXPECT_EQ(c.caches.iotlb.seed, 7u);
  EXPECT_EQ(c.caches.iotlb_2m.ways, 2u);
  EXPECT_EQ(c.caches.iotlb_2m.policy, ReplacementPolicy::kFifo);
  EXPECT_FALSE(c.caches.context.enabled);
  EXPECT_EQ(c.caches.psc[0].entries, 8u);
  EXPECT_EQ(c.caches.psc[0].policy, ReplacementPolicy::kRandom);
  EXPECT_EQ(c.caches.psc[1].entries, UnitConfig{}.caches.psc[1].entries);
  EXPECT_EQ(c.timing.memory_read, 250u);
  EXPECT_DOUBLE_EQ(c.timing.clock_ghz, 1.5);
  EXPECT_FALSE(c.timing.merge_pending_walks);
}

TEST(ConfigLoader, OverridesApplyBeforeValidation) {
  YAML::Node root = load_config_text("iommu: {iotlb: {entries: 64, ways: 4}}", "t.yaml",
                                     {"iommu.iotlb.ways=8", "iommu.timing.walkers=2", "iommu.iotlb.policy=fifo"});
  UnitConfig c = resolve_unit_config(root);
  EXPECT_EQ(c.caches.iotlb.ways, 8u);
  EXPECT_EQ(c.timing.walkers, 2u);
  EXPECT_EQ(c.caches.iotlb.policy, ReplacementPolicy::kFifo);
  // Overrides create missing maps, and later ones win.
  c = resolve_unit_config(load_config_text("", "t", {"iommu.psc.pde.entries=64", "iommu.psc.pde.entries=16"}));
  EXPECT_EQ(c.caches.psc[0].entries, 16u);
  // The same validation applies to overridden values.
  EXPECT_EQ(error_of("", {"iommu.iotlb.ways=5"}), "iommu.iotlb.ways: must divide iommu.iotlb.entries (64), got 5");
  EXPECT_TRUE(starts_with(error_of("", {"iommu.iotlb.wayz=4"}), "iommu.iotlb.wayz: unknown key"));
  EXPECT_TRUE(starts_with(error_of("", {"iommu.iotlb"}), "--set expects KEY=VALUE"));
  EXPECT_TRUE(starts_with(error_of("iommu: {iotlb: 3}", {"iommu.iotlb.ways=4"}), "iommu.iotlb: --set"));
}

TEST(ConfigLoader, ErrorsNameTheKeyPathAndReason) {
  EXPECT_TRUE(starts_with(error_of("iommu: {iotlb: {entriess: 4}}"), "iommu.iotlb.entriess: unknown key (line 1)"));
  EXPECT_TRUE(starts_with(error_of("iommu: {iotlb: {entries: 0}}"), "iommu.iotlb.entries: must be at least 1"));
  EXPECT_EQ(error_of("iommu: {iotlb: {entries: 64, ways: 128}}"),
            "iommu.iotlb.ways: must not exceed iommu.iotlb.entries (64), got 128");
  EXPECT_EQ(error_of("iommu: {iotlb: {entries: 48, ways: 3, policy: plru}}"),
            "iommu.iotlb.ways: tree-PLRU needs a power-of-two number of ways, got 3");
  EXPECT_EQ(error_of("iommu:\n  iotlb:\n    hit_latency: -3\n"),
            "iommu.iotlb.hit_latency: must not be negative, got '-3' (line 3)");
  EXPECT_EQ(error_of("iommu: {timing: {memory_read: -1}}"),
            "iommu.timing.memory_read: must not be negative, got '-1' (line 1)");
  EXPECT_EQ(error_of("iommu: {iotlb: {entries: lots}}"),
            "iommu.iotlb.entries: expected an unsigned integer, got 'lots' (line 1)");
  EXPECT_EQ(error_of("iommu: {iotlb: {entries: [1]}}"),
            "iommu.iotlb.entries: expected an unsigned integer, got a list (line 1)");
  EXPECT_EQ(error_of("iommu: {iotlb: {policy: mru}}"),
            "iommu.iotlb.policy: expected one of lru, plru, fifo, random; got 'mru' (line 1)");
  EXPECT_EQ(error_of("iommu: {iotlb: {organization: banked}}"),
            "iommu.iotlb.organization: expected one of shared, per_size, qemu; got 'banked' (line 1)");
  EXPECT_EQ(error_of("iommu: {iotlb: {enabled: maybe}}"),
            "iommu.iotlb.enabled: expected true or false, got 'maybe' (line 1)");
  EXPECT_EQ(error_of("iommu: {iotlb: {entries: 99999999999}}"),
            "iommu.iotlb.entries: out of range (maximum 4294967295), got '99999999999' (line 1)");
  // Found by tools/fuzz.sh (config): a context cache of 2 billion entries was allocated, out of memory.
  EXPECT_EQ(error_of("iommu: {context_cache: {entries: 000000000002013385765, ways: full}}"),
            "iommu.context_cache.entries: must be at most 262144 (every entry is allocated up front), got "
            "2013385765");
  EXPECT_TRUE(
      starts_with(error_of("iommu: {psc: {pde: {entries: 262145}}}"), "iommu.psc.pde.entries: must be at most"));
  EXPECT_TRUE(
      starts_with(error_of("iommu: {device_tlb: {entries: 4000000}}"), "iommu.device_tlb.entries: must be at most"));
  EXPECT_TRUE(starts_with(error_of("iommu: {iotlb: {qemu_max_entries: 3000000000}}"),
                          "iommu.iotlb.qemu_max_entries: must be at most 262144"));
  EXPECT_EQ(error_of("iommu: {iotlb: {entries: 262144, ways: 4}}"), "");  // the maximum itself is fine
  EXPECT_TRUE(starts_with(error_of("iommu: {psc: {pte: {entries: 4}}}"), "iommu.psc.pte: unknown key"));
  EXPECT_TRUE(starts_with(error_of("iommu: {psc: {pde: {ways: 3}}}"), "iommu.psc.pde.ways: must divide"));
  EXPECT_TRUE(starts_with(error_of("iommu: {cap: {sagaw: 1}}"), "iommu.cap.sagaw: must advertise"));
  EXPECT_TRUE(starts_with(error_of("iommu: {cap: {nd: 7}}"), "iommu.cap.nd: out of range"));
  EXPECT_TRUE(starts_with(error_of("iommu: {timing: {clock_ghz: 0}}"), "iommu.timing.clock_ghz: must be positive"));
  EXPECT_TRUE(starts_with(error_of("iommu: {timing: {walkers: 0}}"), "iommu.timing.walkers: must be at least 1"));
  EXPECT_EQ(error_of("iommu: {timing: {walkers: 4000000000}}"),
            "iommu.timing.walkers: must be at most 4096, got 4000000000");
  EXPECT_TRUE(starts_with(error_of("iomu: {}"), "iomu: unknown key"));
  EXPECT_TRUE(starts_with(error_of("iommu: 3"), "iommu: expected a map"));
  EXPECT_TRUE(starts_with(error_of("iommu: {iotlb: {entries: 4}"), "test.yaml:1:"));  // syntax error
}

TEST(ConfigLoader, ShippedConfigsLoad) {
  const std::string dir = std::string(VTDSIM_SOURCE_DIR) + "/configs/";
  const UnitConfig def = load_unit_config(dir + "default.yaml");
  EXPECT_EQ(to_json(def), to_json(UnitConfig{}));  // default.yaml spells out the built-in defaults
  const UnitConfig qemu = load_unit_config(dir + "qemu.yaml");
  EXPECT_EQ(qemu.caches.iotlb_organization, IotlbOrganization::kQemu);
  EXPECT_EQ(qemu.caches.qemu_max_entries, 1024u);
  EXPECT_TRUE(qemu.cap.caching_mode);
  const UnitConfig hw = load_unit_config(dir + "hw-64x4.yaml");
  EXPECT_EQ(hw.caches.iotlb.entries, 64u);
  EXPECT_EQ(hw.caches.iotlb.ways, 4u);
  EXPECT_EQ(hw.caches.iotlb_organization, IotlbOrganization::kShared);
}

TEST(ConfigLoader, JsonEchoFeedsBackToTheSameConfig) {
  const UnitConfig c = resolve_unit_config(load_config_text("iommu: {iotlb: {entries: 32, ways: 2, policy: fifo}}"));
  nlohmann::json j = to_json(c);
  EXPECT_EQ(j["iotlb"]["entries"], 32);
  EXPECT_EQ(j["iotlb"]["policy"], "fifo");
  // JSON is YAML: the echo is a valid `iommu:` section.
  const UnitConfig back = resolve_unit_config(load_config_text("iommu: " + j.dump()));
  EXPECT_EQ(to_json(back), j);
}
