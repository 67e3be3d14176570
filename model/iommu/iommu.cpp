#include "vtdsim/iommu/iommu.hpp"

namespace vtdsim::iommu {

Iommu::Iommu(const config::UnitConfig& config, mem::PhysicalMemory& memory)
    : config_(config),
      memory_(memory),
      memory_timed_(memory.timed()),
      unit_(std::make_unique<core::RemappingUnit>(config_, memory)),
      timing_(config_.timing) {
  timing_.set_memory_timed(memory_timed_);
  const double ghz = config_.timing.clock_ghz;
  if (ghz >= 1 && ghz <= 1024 && ghz == static_cast<double>(static_cast<std::uint64_t>(ghz))) {
    whole_ghz_ = static_cast<std::uint64_t>(ghz);
    exact_ns_limit_ = (1ull << 53) / whole_ghz_;  // product below 2^53: exact in a double
  }
  timing_.share_latency(recorder_.stats().latency);  // dma() records each latency there
  unit_->set_invalidation_observer(
      [this](const core::InvalidationRequest& r, std::uint64_t dropped) { recorder_.record_invalidation(r, dropped); });
  if (config_.caches.device_tlb.enabled) enable_ats();
}

Iommu::~Iommu() = default;

void Iommu::enable_ats() {
  if (!ats_) ats_ = std::make_unique<core::AtsEndpoints>(*unit_, config_.caches.device_tlb);
}

void Iommu::set_ats_enabled(SourceId source, bool enabled) {
  if (ats_) ats_->set_enabled(source, enabled);
}

std::uint64_t Iommu::read_register(std::uint32_t offset, unsigned size) {
  ++counters_.mmio_reads;
  return unit_->read_register(offset, size);
}

std::uint64_t Iommu::write_register(std::uint32_t offset, unsigned size, std::uint64_t value,
                                    std::uint64_t issue_cycle) {
  ++counters_.mmio_writes;
  const core::CommandCounters before = unit_->commands();
  const std::uint64_t memory_before = memory_timed_ ? memory_.elapsed_ps() : 0;
  unit_->write_register(offset, size, value);
  const std::uint64_t memory_ps = memory_timed_ ? memory_.elapsed_ps() - memory_before : 0;
  // A tail write makes the unit fetch and run descriptors (VT-d spec 6.5.2): their time.
  const core::CommandCounters& after = unit_->commands();
  const auto descriptors = static_cast<std::uint32_t>(after.descriptors - before.descriptors);
  const auto waits = static_cast<std::uint32_t>(after.wait_descriptors - before.wait_descriptors);
  const std::uint64_t accepted = issue_cycle + 1;
  if (descriptors == 0) return accepted;
  return timing_.complete_invalidation(accepted, descriptors, waits, memory_ps);
}

std::uint64_t Iommu::invalidate(const core::InvalidationRequest& request, std::uint64_t issue_cycle) {
  const std::uint64_t dropped = unit_->invalidate(request);  // recorded by the observer
  timing_.complete_invalidation(issue_cycle, 1, 0);
  return dropped;
}

}  // namespace vtdsim::iommu
