// The platform's devices and the guest's settings as the guest OS model reads them (platform:
// and guest: of the platform YAML, loaded by platform/platform_config). SystemC-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vtdsim/guest/dma_policy.hpp"
#include "vtdsim/sysc/dma_route.hpp"
#include "vtdsim/virtio/virtio_device_config.hpp"

namespace vtdsim::guest {

enum class DeviceType : std::uint8_t { kVirtioNet, kVirtioBlk };

enum class WorkloadKind : std::uint8_t {
  kNone,
  kNetTxStream,
  kNetRxStream,
  kNetRequestResponse,
  kBlkReadSeq,
  kBlkReadRandom,
  kBlkWriteSeq,
  kBlkWriteRandom,
};
const char* to_string(WorkloadKind kind);

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::kNone;
  std::uint32_t packet_size = 1500;  // net: frame bytes (without virtio_net_hdr)
  double rate_gbps = 10.0;           // net tx stream: offered rate; 0 = as fast as the ring allows
  std::uint64_t count = 0;           // packets / transactions / requests; 0 = until the end
  std::uint32_t response_size = 64;  // net rr
  std::uint32_t block_size = 4096;   // blk
  std::uint32_t queue_depth = 8;     // blk: requests in flight
  double interval_us = 0;            // net rr: pause after each response before the next request (ping -i)
  std::uint32_t segment_pages = 0;   // blk: data mapped in segments of this many pages (0 = one segment)
};

struct DeviceConfig {
  std::string name;
  DeviceType type = DeviceType::kVirtioNet;
  sysc::DmaRoute route = sysc::DmaRoute::kIommu;  // what the platform does ("translated:")
  bool in_dmar_scope = true;                      // what it advertises to the guest
  bool pass_through_context = false;              // guest programs TT=10b for this device
  bool refuse_access_platform = false;            // guest driver refuses VIRTIO_F_ACCESS_PLATFORM
  bool guest_bypass = false;                      // guest.iommu_bypass: the guest's IOMMU code treats
                                                  // the device as bypassing (out-of-band list)
  bool ats = false;                               // PCIe ATS: the device has a device TLB (geometry
                                                  // iommu.device_tlb); the guest uses it (TT = 01b)
                                                  // when it gives the device a translated context
  std::uint64_t bar_base = 0;                     // assigned by the loader
  virtio::VirtioPciConfig pci;
  virtio::NetDeviceConfig net;
  virtio::BlkDeviceConfig blk;
  WorkloadConfig workload;
  std::vector<WorkloadConfig> later_phases;  // blk: run one after the other after `workload`
};

// guest.translation_stage: which tables the VT-d driver gives DMA domains. kAuto: as Linux 6.x
// (first_level_by_default in drivers/iommu/intel/iommu.c of 6.1 and 6.12): in scalable mode,
// first-stage tables when the unit offers first-stage translation (ECAP.FLTS; with SLTS too
// DMA-API domains still get first stage), else second-stage tables (PGTT 010b); in legacy mode
// second-stage tables. kFirst / kSecond force one (kFirst needs scalable mode).
enum class TranslationStageRequest : std::uint8_t { kAuto, kFirst, kSecond };
const char* to_string(TranslationStageRequest r);

// guest.scalable_mode: the kernel's intel_iommu=sm_on / sm_off. kOn: scalable-mode tables when
// the unit offers them (sm_supported: ECAP.SMTS), with first- or second-stage DMA domains as
// translation_stage says; kOff: legacy tables. kAuto: on when translation_stage is first or
// platform.nested is given (both need scalable-mode tables), else off (as a kernel built without
// CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON, whose Kconfig default is n: the recorded scalable-
// mode logs in traces/qemu needed sm_on).
enum class ScalableModeRequest : std::uint8_t { kAuto, kOn, kOff };
const char* to_string(ScalableModeRequest r);

// platform.nested: the guest runs in a VM and its DMA domains are translated nested (PGTT 011b,
// VT-d spec 3.8 and 9.6), as with iommufd's nested domains: the guest's first-stage tables, in
// guest-physical memory, on a host second stage that maps the guest's RAM. The host maps guest
// RAM one to one (guest-physical = host-physical; an offset would change no read or cache
// decision) with pages of host_page_size in a 4-level table, and each PASID entry carries the
// guest domain's DID (intel_pasid_setup_nested in Linux 6.12 drivers/iommu/intel/pasid.c).
struct NestedHostConfig {
  bool enabled = false;
  std::uint64_t host_page_size = 2ull << 20;  // 4 KiB, 2 MiB or 1 GiB
};

struct GuestConfig {
  // The kernel argument (iommu.strict=1 / iommu.strict=0 / iommu=pt / none); the policy in force
  // is Linux's decision from it and CAP (guest/dma_policy.hpp), made at boot.
  guest::DmaPolicyRequest dma_policy = guest::DmaPolicyRequest::kAuto;
  bool default_lazy = true;          // kernel_default_dma: CONFIG_IOMMU_DEFAULT_DMA_LAZY (x86, Debian)
  unsigned cpus = 1;                 // guest CPUs: per-CPU IOVA magazines and flush-queue rings
  std::uint32_t lazy_batch = 256;    // IOVA_FQ_SIZE: slots per CPU ring (one stays empty)
  double lazy_timeout_us = 10000.0;  // IOVA_FQ_TIMEOUT
  bool force_dma_api = false;        // platform quirk (Xen-like)
  unsigned iova_limit_bits = 48;     // dma_limit: 64-bit DMA mask capped by the 4-level domain aperture
  TranslationStageRequest translation_stage = TranslationStageRequest::kAuto;
  ScalableModeRequest scalable_mode = ScalableModeRequest::kAuto;
  NestedHostConfig nested;  // platform.nested (the host's part, set up at boot with the guest's)
  bool pass_through() const { return dma_policy == guest::DmaPolicyRequest::kPassthrough; }
  // The kernel's sm_on, kAuto resolved as above.
  bool wants_scalable_mode() const {
    if (scalable_mode != ScalableModeRequest::kAuto) return scalable_mode == ScalableModeRequest::kOn;
    return translation_stage == TranslationStageRequest::kFirst || nested.enabled;
  }
};

}  // namespace vtdsim::guest
