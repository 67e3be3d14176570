// The guest's DMA API for one device (Linux 6.1 dma_map_page / dma_unmap_page through
// drivers/iommu/dma-iommu.c and drivers/iommu/intel/iommu.c):
//  - kIommu: IOVA from the domain's allocator (iommu_dma_alloc_iova: below 4 GiB first for a PCI
//    device, then up to the DMA limit), mapped in the second-stage table, then the map notify of
//    intel_iommu_iotlb_sync_map -> __mapping_notify_one: with CAP.CM=1 a page-selective IOTLB
//    invalidation of the new range (VT-d spec 6.1 "Caching Mode": hardware may cache not-present
//    entries), else a write-buffer flush if CAP.RWBF. Unmap policy strict (page-selective
//    invalidation + wait per unmap, then the IOVA is freed) or lazy (the flush queue:
//    flush_queue.hpp; whole-domain flushes from a full ring or the 10 ms timer, IOVAs freed only
//    after the flush that covers them);
//  - kIdentity: pass-through (iommu=pt / identity domain): bus address = physical address;
//  - kDirect: no IOMMU for this device (dma-direct), bus address = physical address;
//  - kPhysical: the virtio driver bypasses the DMA API (no VIRTIO_F_ACCESS_PLATFORM): physical.
// Every call names the guest CPU it runs on: IOVA magazines and flush-queue rings are per CPU.
// Every buffer handed to the device is registered with the DMA monitor (intended host address).
#pragma once
#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/guest/flush_queue.hpp"
#include "vtdsim/guest/iova_allocator.hpp"
#include "vtdsim/guest/vtd_driver.hpp"
#include "vtdsim/guest/dma_intent_sink.hpp"
#include "vtdsim/timing/latency_histogram.hpp"

namespace vtdsim::guest {

enum class DmaMode : std::uint8_t { kIommu, kIdentity, kDirect, kPhysical };
enum class UnmapPolicy : std::uint8_t { kStrict, kLazy };
const char* to_string(DmaMode mode);
const char* to_string(UnmapPolicy policy);

enum class DmaDirection : std::uint8_t { kToDevice, kFromDevice, kBidirectional };

struct DmaApiConfig {
  DmaMode mode = DmaMode::kIommu;
  UnmapPolicy policy = UnmapPolicy::kStrict;          // the policy in force (dma_policy.hpp decides it)
  std::uint32_t lazy_batch = FlushQueue::kRingSlots;  // IOVA_FQ_SIZE: slots per CPU ring (255 usable)
  double lazy_timeout_us = 10000.0;                   // IOVA_FQ_TIMEOUT (10 ms)
  unsigned cpus = 1;                                  // guest CPUs (per-CPU magazines and rings)
  std::uint64_t iova_limit = 1ull << 48;              // dma_limit: the device's DMA mask capped by
                                                      // the domain aperture (exclusive bound)
  bool pci = true;                                    // PCI device: 32-bit IOVAs first (no forcedac)
};

struct DmaApiCounters {
  std::uint64_t maps = 0, unmaps = 0, map_failures = 0, pages_mapped = 0;
  std::uint64_t strict_flushes = 0;    // page-selective flush per unmap (strict)
  std::uint64_t map_flushes = 0;       // page-selective flush per map (CAP.CM=1)
  std::uint64_t fq_queued = 0;         // unmaps deferred to the flush queue (lazy)
  std::uint64_t fq_full_flushes = 0;   // whole-domain flushes forced by a full ring
  std::uint64_t fq_timer_flushes = 0;  // whole-domain flushes from the flush-queue timer
  std::uint64_t lazy_flushes() const { return fq_full_flushes + fq_timer_flushes; }
};

class DmaApi {
 public:
  // The MSI window 0xfee00000-0xfeefffff is reserved in the IOVA space (intel_iommu_get_resv_regions,
  // IOMMU_RESV_MSI; iova_reserve_iommu_regions).
  DmaApi(const DmaApiConfig& config, SourceId source, DomainId domain, VtdDriver* vtd, DmaIntentSink* monitor);

  // Returns the bus address for [phys, phys + size), or 0 on failure (IOVA space exhausted).
  std::uint64_t map(std::uint64_t phys, std::uint64_t size, DmaDirection dir, tlm_utils::tlm_quantumkeeper& keeper,
                    unsigned cpu = 0);
  void unmap(std::uint64_t bus, std::uint64_t size, tlm_utils::tlm_quantumkeeper& keeper, unsigned cpu = 0);

  // Lazy mode: the flush-queue timer (fq_timer_on) and its expiry; fire_timer is fq_flush_timeout.
  bool timer_pending() const { return fq_.timer_on; }
  sc_core::sc_time timer_deadline() const { return sc_core::sc_time(fq_.timer_deadline, sc_core::SC_US); }
  void fire_timer(tlm_utils::tlm_quantumkeeper& keeper);
  // Notified (delta) whenever the timer is armed, so a timer thread can wait for it.
  void set_timer_event(sc_core::sc_event* armed) { timer_armed_ = armed; }

  DmaMode mode() const { return config_.mode; }
  const DmaApiConfig& config() const { return config_; }
  DomainId domain() const { return domain_; }
  const DmaApiCounters& counters() const { return counters_; }
  const IovaAllocator& iovas() const { return iova_; }
  const FlushQueue& flush_queue() const { return fq_; }
  // The exposure window of every unmap whose IOTLB invalidation completed (ns): from the unmap
  // (page-table entry cleared) to the end of the invalidation that covers it (its wait descriptor
  // done): strict, the page-selective flush right after; lazy, the flush-queue flush (full ring or
  // timer). Only in kIommu mode (otherwise nothing ever protects the buffer). Unmaps still
  // waiting for a flush: open_windows().
  const timing::LatencyHistogram& exposure_ns() const { return exposure_ns_; }
  std::size_t open_windows() const { return fq_.uncovered(); }

 private:
  std::uint64_t alloc_iova(std::uint64_t pages, unsigned cpu);  // iommu_dma_alloc_iova
  void queue_iova(std::uint64_t pfn, std::uint64_t pages, unsigned cpu, std::uint64_t unmap_ns,
                  tlm_utils::tlm_quantumkeeper& keeper);
  void flush_fq(tlm_utils::tlm_quantumkeeper& keeper);  // fq_flush_iotlb
  void release(unsigned ring, unsigned free_cpu);       // fq_ring_free

  DmaApiConfig config_;
  SourceId source_;
  DomainId domain_;
  VtdDriver* vtd_;
  DmaIntentSink* monitor_;
  IovaAllocator iova_;
  FlushQueue fq_;
  sc_core::sc_event* timer_armed_ = nullptr;
  DmaApiCounters counters_;
  timing::LatencyHistogram exposure_ns_;
};

}  // namespace vtdsim::guest
