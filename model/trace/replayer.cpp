#include "vtdsim/trace/replayer.hpp"

#include <stdexcept>
#include <type_traits>

#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/core/ats_endpoints.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/stats/ats_endpoints_json.hpp"
#include "vtdsim/stats/stats_recorder.hpp"
#include "vtdsim/timing/timing_model.hpp"
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

Replayer::Replayer(const config::UnitConfig& config, ReplayOptions options)
    : config_(config), options_(options) {
  const double ghz = config_.timing.clock_ghz;
  if (ghz >= 1 && ghz <= 1024 && ghz == static_cast<double>(static_cast<std::uint64_t>(ghz))) {
    whole_ghz_ = static_cast<std::uint64_t>(ghz);
    exact_ns_limit_ = (1ull << 53) / whole_ghz_;  // product below 2^53: exact in a double
  }
  memory_ = std::make_unique<mem::SparseMemory>();
  const unsigned haw = config_.cap.haw;
  const std::uint64_t base = 1ull << (haw - 1);
  tables_ = std::make_unique<Tables>(*memory_, base, 1ull << (haw - 2), haw);
  unit_ = std::make_unique<core::RemappingUnit>(config_, *memory_);
  timing_ = std::make_unique<timing::TimingModel>(config_.timing);
  recorder_ = std::make_unique<stats::StatsRecorder>();
  timing_->share_latency(recorder_->stats().latency);  // apply_dma records each latency there
  if (config_.caches.device_tlb.enabled) ats_ = std::make_unique<core::AtsEndpoints>(*unit_, config_.caches.device_tlb);
  // Program the unit as a driver would (VT-d spec 11.4.5 RTADDR_REG, 11.4.4 GCMD_REG: SRTP, then TE).
  unit_->write_register(spec::reg::kRtaddr, 8, tables_->builder.rtaddr());
  unit_->write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp);
  unit_->write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe);
  if (!unit_->registers().translation_enabled())
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
  const std::uint64_t issue = issue_cycle(e.time_ns);
  if (e.kind == EventKind::kDma) {
    apply_dma(e, issue);
  } else {
    apply_software_event(e, issue);
  }
  ++counters_.events;
}

// One DMA: a translation per 4 KiB page it touches, each through the timing model and the recorder.
inline void Replayer::apply_dma(const TraceEvent& e, std::uint64_t issue) {
  ++counters_.dma;
  core::TranslationRequest req;
  req.source = e.source;
  req.pasid = e.pasid;
  req.access = e.access;
  std::uint64_t addr = e.iova.value;
  std::uint64_t remaining = e.size ? e.size : 1;
  while (remaining > 0) {
    const std::uint64_t in_page = kPageSize4K - (addr & (kPageSize4K - 1));
    const std::uint64_t chunk = remaining < in_page ? remaining : in_page;
    req.iova = Iova(addr);
    req.size = static_cast<std::uint32_t>(chunk);
    const core::TranslationResult result = ats_ ? ats_->dma(req) : unit_->translate(req);
    const std::uint64_t done = timing_->complete(issue, req, result);
    recorder_->record(req, result, done - issue);
    ++counters_.translations;
    if (callback_) callback_(TranslationObservation{e, req, result, issue, done});
    remaining -= chunk;
    addr += chunk;
  }
}

// Maps, unmaps, contexts and invalidations: what software changes in the tables and caches.
void Replayer::apply_software_event(const TraceEvent& e, std::uint64_t issue) {
  core::TableBuilder& b = tables_->builder;
  switch (e.kind) {
    case EventKind::kDma:
      break;  // apply_dma
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
        case core::TranslationType::kPassThrough:
          b.set_pass_through(e.source, e.domain, false, e.levels);
          break;
        case core::TranslationType::kBlocked:
          b.set_blocked(e.source);
          break;
      }
      if (ats_) ats_->set_enabled(e.source, e.translation_type == core::TranslationType::kDeviceTlb);
      ++counters_.contexts;
      break;
    case EventKind::kInvalidate: {
      const std::uint64_t dropped = unit_->invalidate(e.invalidation);
      recorder_->record_invalidation(e.invalidation, dropped);
      timing_->complete_invalidation(issue, 1, 0);
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
  nlohmann::json j = stats::to_json(recorder_->stats());
  j["caches"] = stats::to_json(unit_->caches().stats());
  j["timing"] = stats::to_json(*timing_);
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
  if (ats_) j["device_tlb"].update(stats::to_json(*ats_));
  j["config"] = config::to_json(config_);
  return j;
}

}  // namespace vtdsim::trace
