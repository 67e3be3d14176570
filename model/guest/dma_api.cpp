#include "vtdsim/guest/dma_api.hpp"

namespace vtdsim::guest {

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

DmaApi::DmaApi(const DmaApiConfig& config, SourceId source, DomainId domain, VtdDriver* vtd,
               platform::DmaMonitor* monitor)
    : config_(config), source_(source), domain_(domain), vtd_(vtd), monitor_(monitor),
      iova_(1, (config.iova_limit >> 12) - 1) {
  if (config_.mode == DmaMode::kIommu && vtd_ == nullptr) config_.mode = DmaMode::kDirect;
  deferred_.reserve(config_.lazy_batch + 1);
}

std::uint64_t DmaApi::map(std::uint64_t phys, std::uint64_t size, DmaDirection dir,
                          tlm_utils::tlm_quantumkeeper& keeper) {
  (void)keeper;
  ++counters_.maps;
  if (size == 0) size = 1;
  if (config_.mode != DmaMode::kIommu) {
    if (monitor_) monitor_->add_intent(source_, phys, size, phys);
    return phys;
  }
  const std::uint64_t offset = phys & 0xfff;
  const std::uint64_t pages = (offset + size + 4095) / 4096;
  const std::uint64_t pfn = iova_.alloc(pages);
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
  const std::uint64_t bus = (pfn << 12) | offset;
  if (monitor_) monitor_->add_intent(source_, bus, size, phys);
  return bus;
}

void DmaApi::unmap(std::uint64_t bus, std::uint64_t size, tlm_utils::tlm_quantumkeeper& keeper) {
  ++counters_.unmaps;
  if (size == 0) size = 1;
  if (monitor_) monitor_->remove_intent(source_, bus);
  if (config_.mode != DmaMode::kIommu) return;
  const std::uint64_t offset = bus & 0xfff;
  const std::uint64_t pages = (offset + size + 4095) / 4096;
  const std::uint64_t pfn = bus >> 12;
  vtd_->unmap(domain_, pfn << 12, pages * 4096);
  if (config_.policy == UnmapPolicy::kStrict) {
    vtd_->flush_pages(domain_, pfn << 12, pages, keeper);
    ++counters_.strict_flushes;
    iova_.free(pfn, pages);
    return;
  }
  if (deferred_.empty()) oldest_ = sc_core::sc_time_stamp() + keeper.get_local_time();
  deferred_.push_back(Deferred{pfn, pages});
  ++counters_.lazy_deferred;
  if (deferred_.size() >= config_.lazy_batch) flush_queue(keeper);
  else poll(keeper);
}

void DmaApi::poll(tlm_utils::tlm_quantumkeeper& keeper) {
  if (deferred_.empty()) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp() + keeper.get_local_time();
  if (now - oldest_ >= sc_core::sc_time(config_.lazy_timeout_us, sc_core::SC_US)) flush_queue(keeper);
}

void DmaApi::flush_queue(tlm_utils::tlm_quantumkeeper& keeper) {
  if (deferred_.empty()) return;
  vtd_->flush_domain(domain_, keeper);
  ++counters_.lazy_flushes;
  for (const Deferred& d : deferred_) iova_.free(d.pfn, d.pages);
  deferred_.clear();
}

}  // namespace vtdsim::guest
