// The truth table of the 2016 virtio/IOMMU thread: who tells the guest whether a device's DMA is
// translated -- the platform (DMAR device scope), the device (VIRTIO_F_ACCESS_PLATFORM, bit 33,
// merged as VIRTIO_F_IOMMU_PLATFORM and renamed in virtio 1.1; the proposed and never merged
// VIRTIO_F_IOMMU_PASSTHROUGH) or an out-of-band bypass list in the guest's IOMMU code -- against
// what the platform really does. One case sets every device of a base configuration the same way;
// `vtdsim truth-table` runs each case as a short platform simulation and classifies each device's
// outcome from the run's stats JSON (devices.<name>). SystemC-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vtdsim/platform/platform_config.hpp"

namespace vtdsim::platform {

struct TruthCase {
  bool translated = true;          // what the platform does (platform.devices[].translated)
  bool in_dmar_scope = true;       // what it advertises
  bool access_platform = true;     // the device offers VIRTIO_F_ACCESS_PLATFORM
  bool iommu_passthrough = false;  // the device offers the proposed VIRTIO_F_IOMMU_PASSTHROUGH
  bool guest_bypass = false;       // the device is on the guest's out-of-band bypass list
  guest::DmaPolicyRequest policy = guest::DmaPolicyRequest::kStrict;
};

// All 2^5 * 3 cases, translated varying slowest and the policy (strict, lazy, passthrough) fastest.
std::vector<TruthCase> all_truth_cases();
// The base configuration with the case applied to every device.
PlatformConfig apply(const PlatformConfig& base, const TruthCase& c);

struct TruthOutcome {
  std::string device;
  std::string mode, context;       // the guest's DMA mode and the context it programmed
  std::string outcome;             // works | wrong_host_address | faults | device_refused | driver_failed | no_progress
  std::uint64_t count = 0;         // wrong host addresses / faults; DMAs when it works
  std::string detail;              // fault reasons, stray DMAs
  bool iommu_protected = false;    // works, and the IOMMU translates the guest's IOVAs
  std::vector<std::string> wrong;  // the parties whose claim was false
  std::vector<std::string> blamed;  // of those, the ones the guest acted on (when it did not work)
};

// `device` is devices.<name> of Platform::stats_json.
TruthOutcome classify(const TruthCase& c, const std::string& name, const nlohmann::json& device);

std::string truth_csv_header();
std::string truth_csv_row(const TruthCase& c, const std::string& effective_policy, const TruthOutcome& o);

}  // namespace vtdsim::platform
