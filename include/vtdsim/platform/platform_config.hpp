// Platform description of a SystemC run (sections platform:, guest:, workload: of the one YAML
// configuration; iommu: is the core's). It says what the platform really does with each device's
// DMA (translated by the IOMMU, bypassing it, or "auto" = as QEMU's virtio: translated iff
// VIRTIO_F_ACCESS_PLATFORM was negotiated) separately from what it advertises to the guest (the
// device is in a DMAR device scope / INCLUDE_PCI_ALL, so the guest's IOMMU driver owns it), plus
// per-device pass-through contexts and virtio flags. Layout and defaults: docs/sysc-platform.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/guest/guest_config.hpp"
#include "vtdsim/sysc/memory_timing.hpp"

namespace vtdsim::platform {

// The devices and the guest, as the guest reads them too (guest/guest_config.hpp).
using guest::DeviceConfig;
using guest::DeviceType;
using guest::GuestConfig;
using guest::to_string;
using guest::WorkloadConfig;
using guest::WorkloadKind;

struct PlatformConfig {
  config::UnitConfig unit;
  sysc::MemoryTiming memory;
  std::uint64_t ram_bytes = 8ull << 30;
  double hop_latency_ns = 20.0;
  double quantum_ns = 1000.0;
  std::uint64_t iommu_base = 0xfed90000ull;
  GuestConfig guest;
  double duration_us = 1000.0;
  std::uint64_t seed = 1;
  std::vector<DeviceConfig> devices;
};

struct RawPlatformConfig;  // platform_config_raw.hpp: what the file said

// Defaults (the initialisers above and in the module headers), ranges and cross-field rules.
PlatformConfig resolve(const RawPlatformConfig& raw, const config::UnitConfig& unit);
// Loads platform:, guest:, workload: as the unit configuration is loaded: parse_platform_config
// (platform_config_raw.hpp) then resolve(), with iommu: through config::resolve_unit_config.
// Throws config::ConfigError with the key path on bad input.
PlatformConfig resolve_platform_config(const YAML::Node& root);
nlohmann::json to_json(const PlatformConfig& config);

}  // namespace vtdsim::platform
