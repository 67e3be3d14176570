// Loading the platform description in two steps, like the unit configuration: the raw structs
// hold exactly what the file said, resolve() adds the defaults and checks ranges and cross-field
// rules, each error naming its key path.
#include <gtest/gtest.h>

#include <string>

#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/platform/platform_config_raw.hpp"

namespace {

using namespace vtdsim;

const char* const kOneNic = R"(
platform:
  devices:
    - {name: nic, type: virtio-net, bdf: "00:03.0"}
)";

// The message of the ConfigError that resolving `text` throws ("" when none).
std::string error_of(const std::string& text) {
  try {
    platform::resolve_platform_config(config::load_config_text(text));
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PlatformConfigLoad, RawHoldsOnlyWhatTheFileSaid) {
  const platform::RawPlatformConfig raw = platform::parse_platform_config(
      config::load_config_text(std::string(kOneNic) + "  quantum_ns: 10\nguest:\n  cpus: 4\n"));
  ASSERT_EQ(raw.devices.size(), 1u);
  EXPECT_EQ(raw.devices[0].name, "nic");
  EXPECT_EQ(raw.devices[0].path, "platform.devices[0]");
  EXPECT_EQ(raw.quantum_ns, 10.0);
  EXPECT_EQ(raw.guest.cpus, 4u);
  EXPECT_FALSE(raw.ram_mib.has_value());
  EXPECT_FALSE(raw.devices[0].queue_size.has_value());
  EXPECT_FALSE(raw.guest.lazy_batch.has_value());
  EXPECT_TRUE(raw.workloads.empty());
}

TEST(PlatformConfigLoad, ResolveFillsTheStructDefaults) {
  const platform::PlatformConfig c = platform::resolve_platform_config(config::load_config_text(kOneNic));
  const platform::PlatformConfig defaults;
  const guest::DeviceConfig device_defaults;
  EXPECT_EQ(c.quantum_ns, defaults.quantum_ns);
  EXPECT_EQ(c.ram_bytes, defaults.ram_bytes);
  EXPECT_EQ(c.guest.lazy_batch, defaults.guest.lazy_batch);
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].pci.max_queue_size, device_defaults.pci.max_queue_size);
  EXPECT_EQ(c.devices[0].pci.name, "nic");
  EXPECT_EQ(c.devices[0].bar_base, 0xfe000000u);
}

TEST(PlatformConfigLoad, CrossFieldErrorsNameTheirKey) {
  EXPECT_NE(error_of(std::string(kOneNic) + "    - {name: nic, type: virtio-blk, bdf: \"00:04.0\"}\n")
                .find("platform.devices[1].name"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kOneNic) + "workload:\n  devices:\n    disk: {kind: blk_read_seq}\n")
                .find("workload.devices.disk"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kOneNic) + "workload:\n  devices:\n    nic: {kind: blk_read_seq}\n")
                .find("does not fit the device type"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kOneNic) + "guest:\n  refuse_access_platform: [disk]\n")
                .find("guest.refuse_access_platform[0]"),
            std::string::npos);
  EXPECT_NE(error_of("platform:\n  devices:\n    - {name: nic, bdf: \"00:03.0\", ats: true}\n")
                .find("needs iommu.device_tlb.enabled"),
            std::string::npos);
  EXPECT_NE(error_of("platform:\n  devices:\n    - {name: nic, bdf: \"00:03.0\", queue_size: 100}\n")
                .find("platform.devices[0].queue_size"),
            std::string::npos);
  EXPECT_NE(error_of("platform:\n  devices:\n    - {name: d, type: virtio-blk, bdf: \"00:04.0\"}\n"
                     "workload:\n  devices:\n    d: [{kind: blk_read_seq}, {kind: blk_write_seq}]\n")
                .find("workload.devices.d[0].count"),
            std::string::npos);
  EXPECT_NE(
      error_of("platform:\n  ram_mib: 512\n  devices:\n    - {name: nic, bdf: \"00:03.0\"}\n").find("platform.ram_mib"),
      std::string::npos);
  EXPECT_EQ(error_of(kOneNic), "");
}

}  // namespace
