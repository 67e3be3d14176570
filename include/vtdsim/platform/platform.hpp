// Builds and owns a whole SystemC platform from a resolved platform::PlatformConfig: host memory
// (one SparseMemory shared by the memory module, the remapping unit and the guest), the IOMMU,
// the root complex, the virtio devices and the guest OS, with every socket bound:
//
//   device.dma_socket -> rc.dma_in ; rc.to_iommu -> iommu.dma_in ; iommu.mem_out -> memory
//                                    rc.to_memory -> memory (bypass)
//   guest.mmio_socket -> rc.cpu_in ; rc.mmio_out[0] -> iommu.mmio ; rc.mmio_out[1+i] -> device i BAR
//
// The global quantum is set once here. One Platform per simulation context (SystemC allows one
// elaboration per process: see docs/sysc-platform.md).
#pragma once
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "vtdsim/guest/guest_os.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/platform/dma_monitor.hpp"
#include "vtdsim/platform/event_log.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/sysc/iommu_module.hpp"
#include "vtdsim/sysc/memory_module.hpp"
#include "vtdsim/sysc/root_complex.hpp"
#include "vtdsim/virtio/virtio_pci_device.hpp"

namespace vtdsim::platform {

class Platform {
 public:
  static constexpr std::uint64_t kGuestRamBase = 0x20000000ull;

  explicit Platform(const PlatformConfig& config);
  ~Platform();

  // Runs the simulation for the configured duration (or `duration`), once.
  void run();
  void run(const sc_core::sc_time& duration);

  // Per-device summary + IOMMU, guest and workload statistics, and the configuration echo.
  nlohmann::json stats_json() const;

  const platform::PlatformConfig& config() const { return config_; }
  mem::SparseMemory& memory() { return memory_; }
  core::RemappingUnit& unit() { return iommu_->unit(); }
  // The devices' side of ATS; nullptr unless a device has `ats: true`.
  const core::AtsEndpoints* ats() const { return iommu_->ats(); }
  // The IOMMU (unit, timing, stats) and its TLM shell.
  const iommu::Iommu& iommu() const { return *iommu_; }
  sysc::IommuModule& iommu_module() { return *iommu_module_; }
  sysc::RootComplex& root_complex() { return *rc_; }
  guest::GuestOs& guest() { return *guest_; }
  platform::DmaMonitor& monitor() { return monitor_; }
  platform::EventLog& event_log() { return log_; }
  virtio::VirtioPciDevice& device(std::size_t i) { return *devices_[i]; }
  std::size_t device_count() const { return devices_.size(); }
  double simulated_seconds() const { return simulated_; }

 private:
  platform::PlatformConfig config_;
  mem::SparseMemory memory_;
  std::unique_ptr<iommu::Iommu> iommu_;
  platform::EventLog log_;
  platform::DmaMonitor monitor_;
  std::unique_ptr<guest::GuestMemory> guest_memory_;
  std::unique_ptr<sysc::MemoryModule> mem_;
  std::unique_ptr<sysc::IommuModule> iommu_module_;
  std::unique_ptr<sysc::RootComplex> rc_;
  std::vector<std::unique_ptr<virtio::VirtioPciDevice>> devices_;
  std::unique_ptr<guest::GuestOs> guest_;
  double simulated_ = 0;
};

}  // namespace vtdsim::platform
