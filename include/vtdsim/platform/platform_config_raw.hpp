// The platform description as the file said it (nullopt: not given), the first half of loading
// platform:, guest: and workload: the same way the unit configuration is loaded
// (config/config_loader.hpp): YAML tree -> these plain structs (known keys, types and signs checked,
// with the key path) -> resolve() into PlatformConfig, whose defaults are the initialisers of the
// resolved structs (platform_config.hpp and the SystemC-free module headers it includes), with
// every range and cross-field check (device names, workloads that fit the device, ATS needs).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vtdsim/guest/guest_config.hpp"
#include "vtdsim/spec/types.hpp"
#include "vtdsim/sysc/dma_route.hpp"
#include "vtdsim/virtio/virtio_device_config.hpp"

namespace vtdsim::platform {

struct RawWorkloadConfig {
  std::string path;  // where it was given (errors in resolve name it)
  std::optional<guest::WorkloadKind> kind;
  std::string kind_name;  // as written, for messages
  std::optional<std::uint32_t> packet_size, response_size, block_size, queue_depth, segment_pages;
  std::optional<double> rate_gbps, interval_us;
  std::optional<std::uint64_t> count;
};

struct RawNetDeviceConfig {
  std::optional<double> line_rate_gbps, rx_rate_gbps, peer_latency_ns;
  std::optional<std::uint16_t> mtu;
  std::optional<virtio::NetPeerMode> peer;
  std::optional<std::uint32_t> rx_packet_size, response_size;
  std::optional<std::uint64_t> rx_packets;
};

struct RawBlkDeviceConfig {
  std::optional<std::uint64_t> capacity_sectors;
  std::optional<double> latency_us, bandwidth_gbps;
};

// platform.devices[].stale_dma (virtio::StaleDmaConfig): given at all, and its fields.
struct RawStaleDmaConfig {
  bool given = false;
  std::optional<std::uint64_t> count, every, bytes;
  std::optional<double> after_complete_ns, interval_ns;
  std::optional<virtio::StaleDmaConfig::Access> access;
};

struct RawDeviceConfig {
  std::string path;  // platform.devices[i]
  std::string name;  // required
  guest::DeviceType type = guest::DeviceType::kVirtioNet;
  SourceId source;  // required
  std::optional<sysc::DmaRoute> route;
  std::optional<bool> ats, in_dmar_scope, pass_through_context, access_platform, require_access_platform,
      iommu_passthrough, event_idx, indirect;
  std::optional<std::uint64_t> iommu_passthrough_bit, queue_size, max_payload;
  RawNetDeviceConfig net;
  RawBlkDeviceConfig blk;
  RawStaleDmaConfig stale_dma;
};

struct RawGuestConfig {
  std::optional<guest::DmaPolicyRequest> dma_policy;
  std::optional<guest::TranslationStageRequest> translation_stage;
  std::optional<guest::ScalableModeRequest> scalable_mode;
  std::optional<bool> default_lazy, force_dma_api;
  std::optional<std::uint64_t> cpus, lazy_batch, iova_limit_bits;
  std::optional<double> lazy_timeout_us;
  std::vector<std::string> refuse_access_platform;  // device names, in file order
  std::vector<std::string> iommu_bypass;            // device names, in file order
};

// workload.devices.<name>: one workload, or blk phases run one after the other.
struct RawDeviceWorkload {
  std::string device;
  std::string path;
  bool as_phases = false;
  std::vector<RawWorkloadConfig> phases;
};

struct RawPlatformConfig {
  std::optional<double> quantum_ns, memory_latency_ns, memory_bandwidth_gbps, hop_latency_ns, duration_us;
  std::optional<std::uint64_t> ram_mib, iommu_base, seed;
  std::vector<RawDeviceConfig> devices;
  bool nested = false;                                 // platform.nested given
  std::optional<std::uint64_t> nested_host_page_size;  // platform.nested.host_page_size
  RawGuestConfig guest;
  std::vector<RawDeviceWorkload> workloads;
};

// Reads platform:, guest: and workload: of the tree (iommu: is config::parse_unit_config's).
// Throws config::ConfigError with the key path.
RawPlatformConfig parse_platform_config(const YAML::Node& root);

}  // namespace vtdsim::platform
