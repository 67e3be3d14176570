// The IOMMU as both shells drive it (DESIGN.md "One functional core, two shells"): the remapping
// unit, the devices' ATS endpoints, the timing model and the statistics, and the one per-DMA path
// translate -> time -> record. trace::Replayer and sysc::IommuModule call only this, so a SystemC
// run and the replay of its recorded trace make the same decisions with the same timing.
//
//   iommu::Iommu iommu(config, memory);
//   const iommu::DmaCompletion c = iommu.dma(request, iommu.cycle_at_ns(time_ns),
//                                            [](const iommu::DmaPiece& p) { /* p.result.host */ });
//
// A DMA is split into its 4 KiB pieces (PCIe requests never cross a 4 KiB boundary, PCIe Base
// spec 2.2.7). Every piece issues at the request's issue cycle, as a device's back-to-back TLPs
// reach the unit: pieces that miss compete for the walkers in the timing model. Every piece is
// translated, recorded and timed even after one faulted (the hardware sees every TLP); the
// request completes when its last piece does.
// Times: the trace formats stamp events in whole nanoseconds, so an event's issue cycle is
// cycle_at_ns(time_ns) = time_ns * clock_ghz, truncated, on both shells.
#pragma once
#include <cstdint>
#include <memory>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/ats_endpoints.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/stats/stats_recorder.hpp"
#include "vtdsim/timing/timing_model.hpp"

namespace vtdsim::iommu {

// A device's DMA as it reaches the unit (before splitting).
struct DmaRequest {
  SourceId source;
  Pasid pasid;  // Pasid{}: no PASID prefix
  Iova iova;
  std::uint64_t size = 0;  // bytes; 0 is treated as 1 (a zero-length read still translates)
  Access access = Access::kRead;
  AddressType address_type = AddressType::kUntranslated;
};

// One translated 4 KiB piece, handed to the caller's callback as it is made.
struct DmaPiece {
  const core::TranslationRequest& request;
  const core::TranslationResult& result;
  std::uint64_t issue_cycle;
  std::uint64_t completion_cycle;
};

// What the request as a whole got.
struct DmaCompletion {
  spec::FaultReason fault = spec::FaultReason::kNone;  // the first faulting piece's reason
  std::uint64_t completion_cycle = 0;                  // the last piece's completion
  std::uint32_t pieces = 0;
  bool ok() const { return fault == spec::FaultReason::kNone; }
};

// Requests as a whole and register accesses (translations are counted by the recorder).
struct IommuCounters {
  std::uint64_t requests = 0;          // DMA requests (before splitting)
  std::uint64_t faulted_requests = 0;  // requests with at least one faulting piece
  std::uint64_t mmio_reads = 0, mmio_writes = 0;
};

class Iommu {
 public:
  // The unit reads its tables (and queue) from `memory`: SparseMemory, or a platform's memory over
  // TLM (sysc::TlmTableMemory). When the memory times its own accesses (PhysicalMemory::timed), the
  // time each translation's and queue run's accesses took is handed to the timing model, which
  // charges it in place of timing.memory_read. ATS endpoints exist from the start when
  // config.caches.device_tlb.enabled, else from enable_ats().
  Iommu(const config::UnitConfig& config, mem::PhysicalMemory& memory);
  ~Iommu();
  Iommu(const Iommu&) = delete;
  Iommu& operator=(const Iommu&) = delete;

  // A device with ATS on the platform: from now on requests go through the device-TLB endpoints
  // (each source's ATS off until set_ats_enabled).
  void enable_ats();
  void set_ats_enabled(SourceId source, bool enabled);

  std::uint64_t cycle_at_ns(std::uint64_t time_ns) const {
    if (whole_ghz_ != 0 && time_ns <= exact_ns_limit_) return time_ns * whole_ghz_;
    return static_cast<std::uint64_t>(static_cast<double>(time_ns) * config_.timing.clock_ghz);
  }

  // One DMA issued at issue_cycle; on_piece(const DmaPiece&) is called for every piece in address
  // order. Inline and allocation-free: this is the replay loop's hot path.
  template <class OnPiece>
  [[gnu::always_inline]] inline DmaCompletion dma(const DmaRequest& r, std::uint64_t issue_cycle, OnPiece&& on_piece);

  // A register access at issue_cycle (offset from the register base, VT-d spec 11.4); returns the
  // completion cycle: one cycle, plus the descriptor time of the queued invalidations it started.
  std::uint64_t write_register(std::uint32_t offset, unsigned size, std::uint64_t value, std::uint64_t issue_cycle);
  std::uint64_t read_register(std::uint32_t offset, unsigned size);
  // An invalidation applied directly (a trace's inv event), recorded and timed as one descriptor.
  // Returns the number of entries dropped.
  std::uint64_t invalidate(const core::InvalidationRequest& request, std::uint64_t issue_cycle);
  // A reset of the remapping unit (core::RemappingUnit::reset); statistics and timing are kept.
  void reset() { unit_->reset(); }

  core::RemappingUnit& unit() { return *unit_; }
  const core::RemappingUnit& unit() const { return *unit_; }
  const core::AtsEndpoints* ats() const { return ats_.get(); }
  timing::TimingModel& timing() { return timing_; }
  const timing::TimingModel& timing() const { return timing_; }
  const stats::StatsRecorder& recorder() const { return recorder_; }
  const IommuCounters& counters() const { return counters_; }
  const config::UnitConfig& config() const { return config_; }

 private:
  config::UnitConfig config_;
  mem::PhysicalMemory& memory_;
  bool memory_timed_ = false;  // memory_.timed(), read once
  std::unique_ptr<core::RemappingUnit> unit_;
  std::unique_ptr<core::AtsEndpoints> ats_;  // after unit_: unregisters its handler first
  timing::TimingModel timing_;
  stats::StatsRecorder recorder_;
  IommuCounters counters_;
  std::uint64_t whole_ghz_ = 0;  // clock_ghz when it is a whole number in [1, 1024], else 0
  std::uint64_t exact_ns_limit_ = 0;
};

template <class OnPiece>
inline DmaCompletion Iommu::dma(const DmaRequest& r, std::uint64_t issue_cycle, OnPiece&& on_piece) {
  ++counters_.requests;
  DmaCompletion c;
  c.completion_cycle = issue_cycle;
  core::TranslationRequest req;
  req.source = r.source;
  req.pasid = r.pasid;
  req.access = r.access;
  req.address_type = r.address_type;
  std::uint64_t addr = r.iova.value;
  std::uint64_t remaining = r.size ? r.size : 1;
  while (remaining > 0) {
    const std::uint64_t in_page = kPageSize4K - (addr & (kPageSize4K - 1));
    const std::uint64_t chunk = remaining < in_page ? remaining : in_page;
    req.iova = Iova(addr);
    req.size = static_cast<std::uint32_t>(chunk);
    const std::uint64_t memory_before = memory_timed_ ? memory_.elapsed_ps() : 0;
    const core::TranslationResult result = ats_ ? ats_->dma(req) : unit_->translate(req);
    const std::uint64_t memory_ps = memory_timed_ ? memory_.elapsed_ps() - memory_before : 0;
    const std::uint64_t done = timing_.complete(issue_cycle, req, result, memory_ps);
    recorder_.record(req, result, done - issue_cycle);
    if (done > c.completion_cycle) c.completion_cycle = done;
    if (!result.ok() && c.ok()) c.fault = result.fault;
    ++c.pieces;
    on_piece(DmaPiece{req, result, issue_cycle, done});
    remaining -= chunk;
    addr += chunk;
  }
  if (!c.ok()) ++counters_.faulted_requests;
  return c;
}

}  // namespace vtdsim::iommu
