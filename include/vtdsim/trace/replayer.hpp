// Trace replay without SystemC (DESIGN.md "The replay shell"): streams a TraceSource through one
// iommu::Iommu (the remapping unit, timing model and stats that the SystemC shell drives too) and a
// TableBuilder for the software events (map, unmap, context). Memory is constant in the trace length (only the page
// tables grow, with the pages the trace maps).
//
//   config::UnitConfig cfg = config::load_unit_config("configs/qemu.yaml");
//   trace::Replayer replayer(cfg);
//   replayer.set_translation_callback([&](const trace::TranslationObservation& o) {
//     hits.push_back(o.result.outcome.iotlb_hit);
//   });
//   trace::QemuLogImporter source("log.gz");
//   replayer.run(source);
//   nlohmann::json j = replayer.to_json();
//
// Set-up: the replayer allocates legacy-mode tables in a region of host memory at
// [2^(haw-1), 2^(haw-1) + 2^(haw-2)) (tables are only read by walks, so DMA targets may overlap),
// programs RTADDR, sets the root table pointer and enables translation through the registers.
// Event semantics (docs/trace-format.md):
//   dma      Iommu::dma issued at Iommu::cycle_at_ns(time_ns): one translation per 4 KiB page the
//            request touches, all issued at that cycle, each timed and recorded.
//   map      TableBuilder::map (creating the domain's table on first use: levels from the last
//            context event naming the domain, else 4 if CAP.SAGAW has it, else 3, else 5).
//   unmap    TableBuilder::unmap. Neither map nor unmap invalidates any cache.
//   context  TableBuilder::set_context / set_pass_through / set_blocked. No invalidation either.
//            A context with a stage (ContextStage::kSecond / kFirst) makes the replay scalable:
//            the first context decides (a new root table, RTADDR.TTM = 01b, SRTP again), and
//            every translated context then is a scalable-mode context entry whose RID_PASID (0)
//            PASID entry has PGTT 010b (the domain's second-level table) or 001b (the domain's
//            first-stage tables, DID = domain; its maps build IA-32e entries, TableBuilder::
//            map_fs), pass-through ones PGTT 100b. Mixing legacy and scalable contexts, a
//            first-stage context for a domain with second-level tables (or the reverse), and a
//            stage the configuration's ECAP does not offer (SMTS, FLTS, SLTS) are errors.
//   inv      Iommu::invalidate: applied, recorded, and timed as one descriptor.
// Device TLB (ATS): with caches.device_tlb.enabled, a `context ... devtlb` event enables ATS for
// the source (any other context type disables it and drops its device TLB); its DMAs then go
// through core::AtsEndpoints (device-TLB lookup, translation request on a miss) and `inv devtlb`
// reaches its device TLB. Disabled (the default): every DMA is an untranslated request.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/trace/trace_event.hpp"
#include "vtdsim/trace/trace_source.hpp"

namespace vtdsim::trace {

// One translation made for a DMA event (a DMA touching n pages gives n of these).
struct TranslationObservation {
  const TraceEvent& event;
  const core::TranslationRequest& request;
  const core::TranslationResult& result;
  std::uint64_t issue_cycle;
  std::uint64_t completion_cycle;
};
using TranslationCallback = std::function<void(const TranslationObservation&)>;

struct ReplayOptions {
  // run(): a bad event (malformed line, out-of-order time, an event the tables reject) is
  // counted, its message kept (the first max_bad_messages), and replay goes on. Otherwise the
  // first one throws TraceError("POSITION: what").
  bool skip_bad = false;
  std::size_t max_bad_messages = 20;
};

struct ReplayCounters {
  std::uint64_t events = 0;  // events applied
  std::uint64_t dma = 0, maps = 0, unmaps = 0, contexts = 0, invalidations = 0;
  std::uint64_t translations = 0;  // page-sized translations made for DMA events
  std::uint64_t bad_events = 0;    // skipped (skip_bad)
  std::uint64_t leaves_unmapped = 0;
  std::uint64_t first_time_ns = 0, last_time_ns = 0;
};

class Replayer {
 public:
  explicit Replayer(const config::UnitConfig& config, ReplayOptions options = {});
  ~Replayer();
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  // Called for every translation (optional; keep it cheap).
  void set_translation_callback(TranslationCallback callback) { callback_ = std::move(callback); }

  // Applies one event. Throws std::invalid_argument / std::runtime_error (no position) when the
  // tables reject it (e.g. a map over a mapped page, unmap splitting a superpage).
  void apply(const TraceEvent& event);

  // Streams `source` to its end; returns the number of events applied. `progress` (optional) is
  // called every 64 Ki events with the number applied so far.
  std::uint64_t run(TraceSource& source, const std::function<void(std::uint64_t)>& progress = {});

  const ReplayCounters& counters() const { return counters_; }
  const std::vector<std::string>& bad_messages() const { return bad_messages_; }
  const config::UnitConfig& config() const { return config_; }
  core::RemappingUnit& unit() { return iommu_->unit(); }
  const iommu::Iommu& iommu() const { return *iommu_; }
  const stats::StatsRecorder& recorder() const { return iommu_->recorder(); }
  const timing::TimingModel& timing() const { return iommu_->timing(); }

  // The full statistics (docs/stats.md): "iommu" (iommu::to_json: translations, iotlb, walks,
  // faults, latency, caches, timing, ...), "replay" (the counters above) and "config" (the
  // resolved configuration).
  nlohmann::json to_json() const;
  // The devices' side of ATS; nullptr unless caches.device_tlb.enabled.
  const core::AtsEndpoints* ats() const { return iommu_->ats(); }

 private:
  // apply() and the DMA part of it, inlined into the run loop.
  [[gnu::always_inline]] inline void apply_event(const TraceEvent& e);
  [[gnu::always_inline]] inline void apply_dma(const TraceEvent& e, std::uint64_t issue);
  [[gnu::noinline]] void apply_software_event(const TraceEvent& e, std::uint64_t issue);
  // run() over a source of a known type: BinaryTraceReader's next() is called directly (no
  // virtual call per event); other sources go through TraceSource::next_into.
  template <class Source>
  std::uint64_t run_from(Source& source, const std::function<void(std::uint64_t)>& progress);
  struct Tables;
  void ensure_domain(DomainId domain, unsigned levels_hint, bool from_context);
  void apply_context(const TraceEvent& e);
  void start_scalable_tables();
  enum class ContextFormat : std::uint8_t { kUndecided, kLegacy, kScalable };
  ContextFormat context_format_ = ContextFormat::kUndecided;

  config::UnitConfig config_;
  ReplayOptions options_;
  std::unique_ptr<mem::SparseMemory> memory_;
  std::unique_ptr<Tables> tables_;
  std::unique_ptr<iommu::Iommu> iommu_;
  TranslationCallback callback_;
  ReplayCounters counters_;
  std::vector<std::string> bad_messages_;
};

}  // namespace vtdsim::trace
