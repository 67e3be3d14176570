#include "vtdsim/study/iotlb_mrc.hpp"

#include <cstdio>
#include <stdexcept>

#include "vtdsim/study/csv_table.hpp"
#include "vtdsim/trace/replayer.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::study {

namespace {
constexpr unsigned kShifts[3] = {12, 21, 30};
}

IotlbMissRatioCurve::IotlbMissRatioCurve(config::IotlbOrganization organization, std::uint32_t max_entries)
    : per_size_(organization == config::IotlbOrganization::kPerSize), profiler_(max_entries) {
  if (organization == config::IotlbOrganization::kQemu)
    throw std::invalid_argument(
        "miss-ratio curve: iotlb organization 'qemu' is not an LRU cache (use shared or per_size)");
}

IotlbMissRatioCurve::Counters IotlbMissRatioCurve::snapshot(const cache::CacheStats& stats) {
  Counters c;
  c.lookups = stats.iotlb.lookups;
  c.hits = stats.iotlb.hits;
  c.fills = stats.iotlb.fills;
  for (int s = 0; s < 3; ++s) {
    c.size_hits[s] = stats.iotlb_by_size[s].hits;
    c.size_fills[s] = stats.iotlb_by_size[s].fills;
  }
  return c;
}

void IotlbMissRatioCurve::set_baseline(const cache::CacheStats& stats) { last_ = snapshot(stats); }

void IotlbMissRatioCurve::on_translation(const core::TranslationRequest& request, const core::TranslationResult& result,
                                         const cache::CacheStats& after) {
  const Counters now = snapshot(after);
  const Counters before = last_;
  last_ = now;
  if (now.lookups == before.lookups) return;  // the IOTLB was not consulted
  ++lookups_;
  const bool hit = now.hits != before.hits;
  const bool filled = now.fills != before.fills;
  unsigned shift = 12;
  for (int s = 0; s < 3; ++s) {
    if ((hit && now.size_hits[s] != before.size_hits[s]) ||
        (!hit && filled && now.size_fills[s] != before.size_fills[s]))
      shift = kShifts[s];
  }
  if (per_size_ && shift != 12) {
    // 2M/1G arrays are not sized by the curve: the feeding replay's outcome holds at every size.
    if (hit) ++fixed_hits_;
    return;
  }
  IotlbPageKey key;
  key.shift = static_cast<std::uint8_t>(shift);
  key.iova_base = request.iova.value & ~((1ull << shift) - 1);
  key.pasid = request.pasid.value;
  // The IOTLB is only looked up once the context gave the domain; faults after that keep it.
  key.domain = result.domain.value;
  profiler_.access(key, hit || filled);
}

void IotlbMissRatioCurve::on_invalidation(const core::InvalidationRequest& request) { profiler_.invalidate(request); }

std::uint64_t IotlbMissRatioCurve::hits_at(std::uint32_t entries) const {
  return profiler_.hits_at(entries) + fixed_hits_;
}

std::vector<MrcPoint> IotlbMissRatioCurve::curve() const {
  const auto hits = profiler_.hit_curve();
  std::vector<MrcPoint> out;
  out.reserve(hits.size());
  for (std::size_t i = 0; i < hits.size(); ++i)
    out.push_back(MrcPoint{static_cast<std::uint32_t>(i + 1), lookups_, hits[i] + fixed_hits_});
  return out;
}

IotlbMissRatioCurve compute_iotlb_mrc(const config::UnitConfig& config, trace::TraceSource& source,
                                      std::uint32_t max_entries) {
  IotlbMissRatioCurve curve(config.caches.iotlb_organization, max_entries);
  trace::Replayer replayer(config);
  const cache::TranslationCaches& caches = replayer.unit().caches();
  curve.set_baseline(caches.stats());
  replayer.set_translation_callback([&curve, &caches](const trace::TranslationObservation& o) {
    curve.on_translation(o.request, o.result, caches.stats());
  });
  while (auto event = source.next()) {
    // Seen just before the replayer applies it: after every translation of earlier events.
    if (event->kind == trace::EventKind::kInvalidate) curve.on_invalidation(event->invalidation);
    try {
      replayer.apply(*event);
    } catch (const trace::TraceError&) {
      throw;
    } catch (const std::exception& e) {
      throw trace::TraceError(source.position(), 0, e.what());
    }
  }
  return curve;
}

void write_mrc_csv(std::ostream& out, const std::vector<MrcPoint>& curve) {
  out << "entries,lookups,hits,misses,hit_rate,miss_ratio\n";
  char buf[64];
  for (const auto& p : curve) {
    out << p.entries << ',' << p.lookups << ',' << p.hits << ',' << p.misses() << ',';
    std::snprintf(buf, sizeof(buf), "%.6f,%.6f", p.hit_rate(), p.lookups ? 1.0 - p.hit_rate() : 0.0);
    out << buf << '\n';
  }
}

}  // namespace vtdsim::study
