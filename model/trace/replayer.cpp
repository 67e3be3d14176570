#include "vtdsim/trace/replayer.hpp"

#include <stdexcept>
#include <type_traits>

#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/iommu/iommu_json.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/trace/binary_trace.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

struct Replayer::Tables {
  core::TableBuilder builder;
  Tables(mem::SparseMemory& memory, std::uint64_t base, std::uint64_t size, unsigned haw)
      : builder(memory, base, size, core::TableFormat::kLegacy, haw) {}
};

namespace {
// Default paging levels for a domain no context event described: 4 if CAP.SAGAW offers 48-bit
// tables, else 3 (39-bit), else 5 (57-bit). VT-d spec 11.4.2 (SAGAW bits 1..3).
unsigned default_levels(const config::CapabilityConfig& cap) {
  if (cap.sagaw & 0b0100) return 4;
  if (cap.sagaw & 0b0010) return 3;
  return 5;
}
}  // namespace

Replayer::Replayer(const config::UnitConfig& config, ReplayOptions options) : config_(config), options_(options) {
  memory_ = std::make_unique<mem::SparseMemory>();
  const unsigned haw = config_.cap.haw;
  const std::uint64_t base = 1ull << (haw - 1);
  tables_ = std::make_unique<Tables>(*memory_, base, 1ull << (haw - 2), haw);
  iommu_ = std::make_unique<iommu::Iommu>(config_, *memory_);
  // Program the unit as a driver would (VT-d spec 11.4.5 RTADDR_REG, 11.4.4 GCMD_REG: SRTP, then
  // TE), straight to the unit: set-up is not part of the trace's register traffic or time.
  core::RemappingUnit& unit = iommu_->unit();
  unit.write_register(spec::reg::kRtaddr, 8, tables_->builder.rtaddr());
  unit.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp);
  unit.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe);
  if (!unit.registers().translation_enabled())
    throw std::logic_error("replayer: the remapping unit did not enable translation");
}

Replayer::~Replayer() = default;

void Replayer::ensure_domain(DomainId domain, unsigned levels, bool from_context) {
  core::TableBuilder& b = tables_->builder;
  if (!b.has_domain(domain)) {
    b.create_domain(domain, levels);
    return;
  }
  if (from_context && b.domain_levels(domain) != levels)
    throw std::invalid_argument("domain " + std::to_string(domain.value) + " already has " +
                                std::to_string(b.domain_levels(domain)) + "-level tables, context asks for " +
                                std::to_string(levels));
}

// The first context with a stage: a scalable-mode root table instead of the legacy one (nothing
// has used the legacy one yet: no context was set), programmed as at start.
void Replayer::start_scalable_tables() {
  if (!config_.cap.smts)
    throw std::invalid_argument(
        "a context with stage= needs scalable mode, but iommu.cap.smts is false (ECAP.SMTS, VT-d spec 11.4.3); "
        "--set iommu.cap.smts=true");
  core::TableBuilder& b = tables_->builder;
  b.restart_root(core::TableFormat::kScalable);
  core::RemappingUnit& unit = iommu_->unit();
  unit.write_register(spec::reg::kRtaddr, 8, b.rtaddr());
  unit.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp | spec::reg::gcmd::kTe);
}

// A context event: legacy context entries (spec 9.3), or, once the trace's first context had a
// stage, scalable-mode ones with a RID_PASID PASID entry (spec 9.4, 9.6).
void Replayer::apply_context(const TraceEvent& e) {
  core::TableBuilder& b = tables_->builder;
  const bool translated = e.translation_type == core::TranslationType::kUntranslated ||
                          e.translation_type == core::TranslationType::kDeviceTlb;
  if (context_format_ == ContextFormat::kUndecided) {
    if (e.stage != ContextStage::kLegacy) start_scalable_tables();
    context_format_ = e.stage != ContextStage::kLegacy ? ContextFormat::kScalable : ContextFormat::kLegacy;
  } else if (translated && (e.stage != ContextStage::kLegacy) != (context_format_ == ContextFormat::kScalable)) {
    throw std::invalid_argument(
        context_format_ == ContextFormat::kScalable
            ? "a legacy context (no stage=) in a trace whose contexts are scalable-mode ones: one unit has one "
              "root-table format (RTADDR.TTM, VT-d spec 11.4.5); give it stage=second or stage=first"
            : "a context with stage= in a trace whose first context was a legacy one: one unit has one root-table "
              "format (RTADDR.TTM, VT-d spec 11.4.5); give every translated context a stage=");
  }
  if (context_format_ == ContextFormat::kLegacy) {
    switch (e.translation_type) {
      case core::TranslationType::kUntranslated:
      case core::TranslationType::kDeviceTlb: {
        ensure_domain(e.domain, e.levels, true);
        core::LegacyContextOptions o;
        o.device_tlb = e.translation_type == core::TranslationType::kDeviceTlb;
        b.set_context(e.source, e.domain, o);
        break;
      }
      case core::TranslationType::kPassThrough: b.set_pass_through(e.source, e.domain, false, e.levels); break;
      case core::TranslationType::kBlocked: b.set_blocked(e.source); break;
    }
    return;
  }
  if (e.translation_type == core::TranslationType::kBlocked) {
    b.set_blocked(e.source);
    return;
  }
  core::ScalableContextOptions o;
  o.device_tlb = e.translation_type == core::TranslationType::kDeviceTlb;
  b.set_scalable_context(e.source, o);
  const Pasid rid_pasid(o.rid_pasid);
  if (e.translation_type == core::TranslationType::kPassThrough) {
    b.set_pasid_entry(e.source, rid_pasid, core::TableBuilder::PasidMode::kPassThrough, e.domain);
    return;
  }
  const core::FsSpaceId space(e.domain.value);
  if (e.stage == ContextStage::kFirst) {
    if (!config_.cap.flts)
      throw std::invalid_argument(
          "a first-stage context (stage=first: PGTT 001b) but iommu.cap.flts is false (ECAP.FLTS, VT-d spec "
          "11.4.3); --set iommu.cap.flts=true");
    if (b.has_domain(e.domain))
      throw std::invalid_argument("domain " + std::to_string(e.domain.value) +
                                  " has second-level tables, this context asks for first-stage ones (stage=first)");
    if (!b.has_fs_space(space)) {
      b.create_fs_space(space, e.levels);
    } else if (b.fs_levels(space) != e.levels) {
      throw std::invalid_argument("domain " + std::to_string(e.domain.value) + " already has " +
                                  std::to_string(b.fs_levels(space)) + "-level first-stage tables, context asks for " +
                                  std::to_string(e.levels));
    }
    b.set_pasid_entry_first_stage(e.source, rid_pasid, space, e.domain);
    return;
  }
  if (!config_.cap.slts)
    throw std::invalid_argument(
        "a second-stage scalable-mode context (stage=second: PGTT 010b) but iommu.cap.slts is false (ECAP.SLTS, "
        "VT-d spec 11.4.3); --set iommu.cap.slts=true");
  if (b.has_fs_space(space))
    throw std::invalid_argument("domain " + std::to_string(e.domain.value) +
                                " has first-stage tables, this context asks for second-level ones (stage=second)");
  ensure_domain(e.domain, e.levels, true);
  b.set_pasid_entry(e.source, rid_pasid, core::TableBuilder::PasidMode::kSecondLevel, e.domain);
}

void Replayer::apply(const TraceEvent& e) { apply_event(e); }

inline void Replayer::apply_event(const TraceEvent& e) {
  if (counters_.events == 0) counters_.first_time_ns = e.time_ns;
  counters_.last_time_ns = e.time_ns;
  const std::uint64_t issue = iommu_->cycle_at_ns(e.time_ns);
  if (e.kind == EventKind::kDma) {
    apply_dma(e, issue);
  } else {
    apply_software_event(e, issue);
  }
  ++counters_.events;
}

// One DMA: Iommu::dma (a translation per 4 KiB page it touches, each timed and recorded).
inline void Replayer::apply_dma(const TraceEvent& e, std::uint64_t issue) {
  ++counters_.dma;
  iommu::DmaRequest r;
  r.source = e.source;
  r.pasid = e.pasid;
  r.iova = e.iova;
  r.size = e.size;
  r.access = e.access;
  const iommu::DmaCompletion c = iommu_->dma(r, issue, [&](const iommu::DmaPiece& p) {
    if (callback_) callback_(TranslationObservation{e, p.request, p.result, p.issue_cycle, p.completion_cycle});
  });
  counters_.translations += c.pieces;
}

// Maps, unmaps, contexts and invalidations: what software changes in the tables and caches.
void Replayer::apply_software_event(const TraceEvent& e, std::uint64_t issue) {
  core::TableBuilder& b = tables_->builder;
  switch (e.kind) {
    case EventKind::kDma: break;  // apply_dma
    case EventKind::kMap:
      if (b.has_fs_space(core::FsSpaceId(e.domain.value))) {
        // First-stage leaves (spec 9.7) have no read bit: present means readable.
        if (!e.perms.read)
          throw std::invalid_argument("map in first-stage domain " + std::to_string(e.domain.value) +
                                      " without read permission: first-stage entries cannot be write-only");
        // The entries Linux writes (__domain_mapping with use_first_level, pfn_to_dma_pte): XD,
        // A, and D on writable pages set, A in new tables, so walks write no A/D bits.
        core::FsPerms fs;
        fs.write = e.perms.write;
        fs.execute = false;
        fs.accessed = true;
        fs.dirty = e.perms.write;
        fs.tables_accessed = true;
        b.map_fs(core::FsSpaceId(e.domain.value), e.iova, e.host.value, e.size, fs, e.page_size);
      } else {
        ensure_domain(e.domain, default_levels(config_.cap), false);
        b.map(e.domain, e.iova, e.host, e.size, e.perms, e.page_size);
      }
      ++counters_.maps;
      break;
    case EventKind::kUnmap:
      if (b.has_fs_space(core::FsSpaceId(e.domain.value))) {
        counters_.leaves_unmapped += b.unmap_fs(core::FsSpaceId(e.domain.value), e.iova, e.size);
      } else {
        if (!b.has_domain(e.domain))
          throw std::invalid_argument("unmap in domain " + std::to_string(e.domain.value) + ", which has no tables");
        counters_.leaves_unmapped += b.unmap(e.domain, e.iova, e.size);
      }
      ++counters_.unmaps;
      break;
    case EventKind::kContext:
      apply_context(e);
      iommu_->set_ats_enabled(e.source, e.translation_type == core::TranslationType::kDeviceTlb);
      ++counters_.contexts;
      break;
    case EventKind::kInvalidate: {
      iommu_->invalidate(e.invalidation, issue);
      ++counters_.invalidations;
      break;
    }
  }
}

std::uint64_t Replayer::run(TraceSource& source, const std::function<void(std::uint64_t)>& progress) {
  if (auto* binary = dynamic_cast<BinaryTraceReader*>(&source)) return run_from(*binary, progress);
  return run_from(source, progress);
}

template <class Source>
std::uint64_t Replayer::run_from(Source& source, const std::function<void(std::uint64_t)>& progress) {
  const std::uint64_t start = counters_.events;
  auto bad = [&](const std::string& message) {
    ++counters_.bad_events;
    if (bad_messages_.size() < options_.max_bad_messages) bad_messages_.push_back(message);
  };
  TraceEvent event;  // reused: next_into overwrites it (no per-event optional)
  for (;;) {
    bool more = false;
    try {
      if constexpr (std::is_same_v<Source, BinaryTraceReader>) {
        more = source.next(event);
      } else {
        more = source.next_into(event);
      }
    } catch (const TraceError& err) {
      // Only line errors can be skipped: the reader has consumed the bad line. Errors of the
      // input itself (corrupt compressed data, I/O) would repeat forever.
      if (!options_.skip_bad || err.line() == 0) throw;
      bad(err.what());
      continue;
    }
    if (!more) break;
    try {
      apply_event(event);
    } catch (const std::exception& err) {
      const std::string message = source.position() + ": " + err.what();
      if (!options_.skip_bad) throw TraceError(message);
      bad(message);
      continue;
    }
    if (progress && ((counters_.events - start) & 0xffff) == 0) progress(counters_.events - start);
  }
  return counters_.events - start;
}

nlohmann::json Replayer::to_json() const {
  nlohmann::json j;
  j["iommu"] = iommu::to_json(*iommu_);
  j["replay"] = {{"events", counters_.events},
                 {"dma", counters_.dma},
                 {"maps", counters_.maps},
                 {"unmaps", counters_.unmaps},
                 {"contexts", counters_.contexts},
                 {"invalidations", counters_.invalidations},
                 {"translations", counters_.translations},
                 {"bad_events", counters_.bad_events},
                 {"leaves_unmapped", counters_.leaves_unmapped},
                 {"first_time_ns", counters_.first_time_ns},
                 {"last_time_ns", counters_.last_time_ns},
                 {"table_pages", tables_->builder.pages_allocated()}};
  j["config"] = config::to_json(config_);
  return j;
}

}  // namespace vtdsim::trace
