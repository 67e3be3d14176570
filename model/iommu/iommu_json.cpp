#include "vtdsim/iommu/iommu_json.hpp"

#include "vtdsim/stats/ats_endpoints_json.hpp"

namespace vtdsim::iommu {

nlohmann::json to_json(const Iommu& iommu) {
  // Per translation (the recorder): translations, iotlb, walks, faults, latency, device.*, ...
  nlohmann::json j = stats::to_json(iommu.recorder().stats());
  const IommuCounters& c = iommu.counters();
  j["requests"] = {{"total", c.requests}, {"faulted", c.faulted_requests}};
  j["mmio"] = {{"reads", c.mmio_reads}, {"writes", c.mmio_writes}};
  // The caches' own counters, less the IOTLB totals the recorder has (iotlb.hits/misses/lookups).
  nlohmann::json caches = stats::to_json(iommu.unit().caches().stats());
  for (const char* k : {"hits", "misses", "lookups"}) caches["iotlb"].erase(k);
  j["caches"] = std::move(caches);
  // The timing model's own counters, less what the recorder has (translations, latency).
  nlohmann::json timing = stats::to_json(iommu.timing().stats(), iommu.timing().config().walkers);
  timing.erase("translations");
  timing["walkers"]["walks"] = timing["walks"];
  timing["walkers"]["reads"] = timing["walk_reads"];
  timing.erase("walks");
  timing.erase("walk_reads");
  j["timing"] = std::move(timing);
  // The command interface (queued and register invalidation; what they applied is invalidations.*).
  const core::CommandCounters& q = iommu.unit().commands();
  j["commands"] = {{"descriptors", q.descriptors},
                   {"wait_descriptors", q.wait_descriptors},
                   {"queue_errors", q.queue_errors},
                   {"register_commands", q.register_commands},
                   {"rejected_commands", q.rejected_commands},
                   {"status_writes", q.status_writes},
                   {"wait_interrupts", q.wait_interrupts}};
  if (iommu.ats()) j["device_tlb"].update(stats::to_json(*iommu.ats()));
  return j;
}

}  // namespace vtdsim::iommu
