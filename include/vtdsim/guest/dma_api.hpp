// The guest's DMA API for one device (Linux dma_map_single / dma_unmap_single, dma-iommu.c):
//  - kIommu: IOVA from the device's domain allocator, mapped in the second-level table; unmap
//    policy strict (page-selective invalidation + wait per unmap, then the IOVA is freed) or lazy
//    (Linux's flush queue: unmapped IOVAs wait until `lazy_batch` are queued or `lazy_timeout`
//    passed, then one domain-selective flush frees them all);
//  - kIdentity: pass-through (iommu=pt / identity domain): bus address = physical address;
//  - kDirect: no IOMMU for this device (dma-direct), bus address = physical address;
//  - kPhysical: the virtio driver bypasses the DMA API (no VIRTIO_F_ACCESS_PLATFORM): physical.
// Every buffer handed to the device is registered with the DMA monitor (intended host address).
#pragma once
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/guest/iova_allocator.hpp"
#include "vtdsim/guest/vtd_driver.hpp"
#include "vtdsim/platform/dma_monitor.hpp"

namespace vtdsim::guest {

enum class DmaMode : std::uint8_t { kIommu, kIdentity, kDirect, kPhysical };
enum class UnmapPolicy : std::uint8_t { kStrict, kLazy };
const char* to_string(DmaMode mode);
const char* to_string(UnmapPolicy policy);

enum class DmaDirection : std::uint8_t { kToDevice, kFromDevice, kBidirectional };

struct DmaApiConfig {
  DmaMode mode = DmaMode::kIommu;
  UnmapPolicy policy = UnmapPolicy::kStrict;
  std::uint32_t lazy_batch = 256;           // Linux IOVA_FQ_SIZE
  double lazy_timeout_us = 10000.0;         // Linux IOVA_FQ_TIMEOUT (10 ms)
  std::uint64_t iova_limit = 1ull << 32;    // PCI devices: 32-bit IOVAs first (no forcedac)
};

struct DmaApiCounters {
  std::uint64_t maps = 0, unmaps = 0, map_failures = 0, pages_mapped = 0;
  std::uint64_t strict_flushes = 0, lazy_flushes = 0, lazy_deferred = 0;
};

class DmaApi {
 public:
  DmaApi(const DmaApiConfig& config, SourceId source, DomainId domain, VtdDriver* vtd,
         platform::DmaMonitor* monitor);

  // Returns the bus address for [phys, phys + size), or 0 on failure (IOVA space exhausted).
  std::uint64_t map(std::uint64_t phys, std::uint64_t size, DmaDirection dir, tlm_utils::tlm_quantumkeeper& keeper);
  void unmap(std::uint64_t bus, std::uint64_t size, tlm_utils::tlm_quantumkeeper& keeper);
  // Lazy mode: flushes the queue if its oldest entry is older than the timeout.
  void poll(tlm_utils::tlm_quantumkeeper& keeper);
  void flush_queue(tlm_utils::tlm_quantumkeeper& keeper);

  DmaMode mode() const { return config_.mode; }
  const DmaApiConfig& config() const { return config_; }
  DomainId domain() const { return domain_; }
  const DmaApiCounters& counters() const { return counters_; }
  const IovaAllocator& iovas() const { return iova_; }

 private:
  struct Deferred {
    std::uint64_t pfn, pages;
  };
  DmaApiConfig config_;
  SourceId source_;
  DomainId domain_;
  VtdDriver* vtd_;
  platform::DmaMonitor* monitor_;
  IovaAllocator iova_;
  std::vector<Deferred> deferred_;
  sc_core::sc_time oldest_;
  DmaApiCounters counters_;
};

}  // namespace vtdsim::guest
