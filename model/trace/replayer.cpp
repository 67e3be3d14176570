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
      ensure_domain(e.domain, default_levels(config_.cap), false);
      b.map(e.domain, e.iova, e.host, e.size, e.perms, e.page_size);
      ++counters_.maps;
      break;
    case EventKind::kUnmap:
      if (!b.has_domain(e.domain))
        throw std::invalid_argument("unmap in domain " + std::to_string(e.domain.value) + ", which has no tables");
      counters_.leaves_unmapped += b.unmap(e.domain, e.iova, e.size);
      ++counters_.unmaps;
      break;
    case EventKind::kContext:
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
