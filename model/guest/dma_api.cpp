#include "vtdsim/guest/dma_api.hpp"

#include <algorithm>

namespace vtdsim::guest {

namespace {
constexpr std::uint64_t kMsiFirstPfn = 0xfee00;  // IOAPIC_RANGE_START >> 12
constexpr std::uint64_t kMsiLastPfn = 0xfeeff;   // IOAPIC_RANGE_END >> 12

double now_us(const tlm_utils::tlm_quantumkeeper& k) {
  return (sc_core::sc_time_stamp() + k.get_local_time()).to_seconds() * 1e6;
}
std::uint64_t now_ns(const tlm_utils::tlm_quantumkeeper& k) {
  return (sc_core::sc_time_stamp() + k.get_local_time()).value() / sc_core::sc_time(1, sc_core::SC_NS).value();
}
}  // namespace

const char* to_string(DmaMode mode) {
  switch (mode) {
    case DmaMode::kIommu: return "iommu";
    case DmaMode::kIdentity: return "identity";
    case DmaMode::kDirect: return "direct";
    case DmaMode::kPhysical: return "physical";
  }
  return "?";
}

const char* to_string(UnmapPolicy policy) { return policy == UnmapPolicy::kStrict ? "strict" : "lazy"; }

DmaApi::DmaApi(const DmaApiConfig& config, SourceId source, DomainId domain, VtdDriver* vtd, DmaIntentSink* monitor)
    : config_(config),
      source_(source),
      domain_(domain),
      vtd_(vtd),
      monitor_(monitor),
      iova_(1, (config.iova_limit >> 12) - 1, config.cpus == 0 ? 1 : config.cpus),
      fq_(config.cpus == 0 ? 1 : config.cpus, std::max<std::uint32_t>(config.lazy_batch, 2)) {
  if (config_.cpus == 0) config_.cpus = 1;
  if (config_.mode == DmaMode::kIommu && vtd_ == nullptr) config_.mode = DmaMode::kDirect;
  if (config_.iova_limit > (kMsiLastPfn << 12)) iova_.reserve(kMsiFirstPfn, kMsiLastPfn);
}

std::uint64_t DmaApi::alloc_iova(std::uint64_t pages, unsigned cpu) {
  // iommu_dma_alloc_iova (dma-iommu.c): a PCI device whose limit is above 32 bits first tries
  // below 4 GiB without flushing the caches, then the whole range.
  const std::uint64_t limit_pfn = (config_.iova_limit >> 12) - 1;
  std::uint64_t pfn = 0;
  if (config_.pci && limit_pfn > IovaAllocator::kDma32Pfn - 1)
    pfn = iova_.alloc(pages, IovaAllocator::kDma32Pfn - 1, cpu, false);
  if (pfn == 0) pfn = iova_.alloc(pages, limit_pfn, cpu, true);
  return pfn;
}

std::uint64_t DmaApi::map(std::uint64_t phys, std::uint64_t size, DmaDirection dir,
                          tlm_utils::tlm_quantumkeeper& keeper, unsigned cpu) {
  ++counters_.maps;
  if (size == 0) size = 1;
  if (config_.mode != DmaMode::kIommu) {
    if (monitor_) monitor_->add_intent(source_, phys, size, phys);
    return phys;
  }
  cpu %= config_.cpus;
  const std::uint64_t offset = phys & 0xfff;
  const std::uint64_t pages = (offset + size + 4095) / 4096;
  const std::uint64_t pfn = alloc_iova(pages, cpu);
  if (pfn == 0) {
    ++counters_.map_failures;
    return 0;
  }
  // intel_iommu: DMA_TO_DEVICE maps read-only, DMA_FROM_DEVICE write-only (VT-d 9.8 R/W bits).
  Perms perms;
  perms.read = dir != DmaDirection::kFromDevice;
  perms.write = dir != DmaDirection::kToDevice;
  vtd_->map(domain_, pfn << 12, phys & ~0xfffull, pages * 4096, perms);
  counters_.pages_mapped += pages;
  // Counted before the flush: a thread can be suspended inside it when the run ends.
  if (vtd_->flushes_after_map()) ++counters_.map_flushes;
  vtd_->notify_mapped(domain_, pfn << 12, pages, keeper);
  const std::uint64_t bus = (pfn << 12) | offset;
  if (monitor_) monitor_->add_intent(source_, bus, size, phys);
  return bus;
}

void DmaApi::unmap(std::uint64_t bus, std::uint64_t size, tlm_utils::tlm_quantumkeeper& keeper, unsigned cpu) {
  ++counters_.unmaps;
  if (size == 0) size = 1;
  if (monitor_) monitor_->remove_intent(source_, bus);
  if (config_.mode != DmaMode::kIommu) return;
  cpu %= config_.cpus;
  const std::uint64_t offset = bus & 0xfff;
  const std::uint64_t pages = (offset + size + 4095) / 4096;
  const std::uint64_t pfn = bus >> 12;
  const std::uint64_t unmap_ns = now_ns(keeper);
  vtd_->unmap(domain_, pfn << 12, pages * 4096);
  if (config_.policy == UnmapPolicy::kStrict) {
    // __iommu_dma_unmap without a flush queue: iommu_iotlb_sync -> intel_iommu_tlb_sync, then
    // the IOVA goes back to this CPU's magazine.
    ++counters_.strict_flushes;
    vtd_->flush_pages(domain_, pfn << 12, pages, keeper);
    exposure_ns_.record(now_ns(keeper) - unmap_ns);
    iova_.free(pfn, pages, cpu);
    return;
  }
  queue_iova(pfn, pages, cpu, unmap_ns, keeper);
}

void DmaApi::release(unsigned ring, unsigned free_cpu) {
  fq_.release_flushed(ring, [&](const FlushQueue::Entry& e) { iova_.free(e.pfn, e.pages, free_cpu); });
}

void DmaApi::flush_fq(tlm_utils::tlm_quantumkeeper& keeper) {
  // fq_flush_iotlb: start count, flush_iotlb_all (intel_flush_iotlb_all: domain-selective), finish count.
  fq_.flush_started();
  vtd_->flush_domain(domain_, keeper);
  fq_.flush_finished();
  const std::uint64_t done = now_ns(keeper);
  fq_.for_each_first_covered([&](const FlushQueue::Entry& e) { exposure_ns_.record(done - e.queued_ns); });
}

void DmaApi::queue_iova(std::uint64_t pfn, std::uint64_t pages, unsigned cpu, std::uint64_t unmap_ns,
                        tlm_utils::tlm_quantumkeeper& keeper) {
  // queue_iova (dma-iommu.c): release what finished flushes cover, flush synchronously if the
  // ring is still full, add the entry, arm the timer if it is off.
  release(cpu, cpu);
  if (fq_.full(cpu)) {
    ++counters_.fq_full_flushes;
    flush_fq(keeper);
    release(cpu, cpu);
  }
  fq_.add(cpu, pfn, pages, unmap_ns);
  ++counters_.fq_queued;
  if (!fq_.timer_on) {
    fq_.timer_on = true;
    fq_.timer_deadline = now_us(keeper) + config_.lazy_timeout_us;
    fq_.timer_cpu = cpu;
    if (timer_armed_) timer_armed_->notify(sc_core::SC_ZERO_TIME);
  }
}

void DmaApi::fire_timer(tlm_utils::tlm_quantumkeeper& keeper) {
  // fq_flush_timeout: timer off, flush the domain, release every CPU's covered entries (their
  // IOVAs go to the magazines of the CPU the timer runs on).
  if (!fq_.timer_on) return;
  fq_.timer_on = false;
  ++counters_.fq_timer_flushes;
  flush_fq(keeper);
  for (unsigned c = 0; c < fq_.cpus(); ++c) release(c, fq_.timer_cpu);
}

}  // namespace vtdsim::guest
