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

namespace {
std::variant<LruStackProfiler, SetAssocStackProfiler> make_profiler(std::uint32_t max_size, std::uint32_t sets) {
  if (sets == 0) return LruStackProfiler(max_size);
  return SetAssocStackProfiler(sets, max_size);
}
}  // namespace

IotlbMissRatioCurve::IotlbMissRatioCurve(config::IotlbOrganization organization, std::uint32_t max_size,
                                         std::uint32_t sets)
    : per_size_(organization == config::IotlbOrganization::kPerSize),
      sets_(sets),
      max_size_(max_size),
      profiler_(make_profiler(max_size, sets)) {
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
  // Which invalidations reach a first-stage or nested IOTLB entry depends on its stage
  // (cache/invalidation_scope.hpp), which the profilers' keys do not record: refuse rather than
  // give a curve that may disagree with the IOTLB.
  if (result.stage == core::TranslationStage::kFirst || result.stage == core::TranslationStage::kNested)
    throw std::invalid_argument(
        "mrc: a first-stage or nested translation (PASID entry PGTT 001b/011b); the one-pass curve models "
        "second-stage IOTLB entries only: replay each size instead (vtdsim sweep --grid iotlb.entries=...)");
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
  std::visit([&](auto& p) { p.access(key, hit || filled); }, profiler_);
}

void IotlbMissRatioCurve::on_invalidation(const core::InvalidationRequest& request) {
  std::visit([&](auto& p) { p.invalidate(request); }, profiler_);
}

std::uint64_t IotlbMissRatioCurve::hits_at(std::uint32_t size) const {
  return std::visit([size](const auto& p) { return p.hits_at(size); }, profiler_) + fixed_hits_;
}

std::size_t IotlbMissRatioCurve::live_keys() const {
  return std::visit([](const auto& p) { return p.live_keys(); }, profiler_);
}

std::vector<MrcPoint> IotlbMissRatioCurve::curve() const {
  const auto hits = std::visit([](const auto& p) { return p.hit_curve(); }, profiler_);
  std::vector<MrcPoint> out;
  out.reserve(hits.size());
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto size = static_cast<std::uint32_t>(i + 1);
    if (sets_ == 0)
      out.push_back(MrcPoint{size, lookups_, hits[i] + fixed_hits_, 0, size});
    else
      out.push_back(MrcPoint{sets_ * size, lookups_, hits[i] + fixed_hits_, sets_, size});
  }
  return out;
}

namespace {
// The feeding replay's IOTLB geometry does not change the stream of keys and fills (see the
// header), only what the pass costs: a small IOTLB walks more, a large one costs more per
// invalidation (TranslationCaches scans every entry). For a set-associative curve it gets half the
// capacity of the curve's largest point (sets x max_ways / 2 entries, LRU) in 4 ways (the fastest
// lookup of SetAssocCache), measured the best of the choices tried in bench/mrc_bench.cpp (largest
// capacity: 9-11x on the invalidation-heavy QEMU log; sets x 4: 9-11x on the walk-heavy synthetic
// trace; this: 12-14x on both). The fully associative curve keeps the given geometry.
config::UnitConfig feeding_config(const config::UnitConfig& config, std::uint32_t max_size, std::uint32_t sets) {
  config::UnitConfig feeding = config;
  constexpr std::uint64_t kMaxFeedingEntries = 262144;  // the configuration's own limit
  const std::uint64_t entries = std::uint64_t{sets} * (max_size > 1 ? max_size / 2 : 1);
  if (sets > 0 && entries <= kMaxFeedingEntries && feeding.caches.iotlb.enabled) {
    feeding.caches.iotlb.entries = static_cast<std::uint32_t>(entries);
    feeding.caches.iotlb.ways = entries % 4 == 0 ? 4 : 1;
    feeding.caches.iotlb.policy = config::ReplacementPolicy::kLru;
  }
  return feeding;
}
}  // namespace

IotlbMissRatioCurve compute_iotlb_mrc(const config::UnitConfig& config, trace::TraceSource& source,
                                      std::uint32_t max_size, std::uint32_t sets) {
  IotlbMissRatioCurve curve(config.caches.iotlb_organization, max_size, sets);
  trace::Replayer replayer(feeding_config(config, max_size, sets));
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
  const bool set_assoc = !curve.empty() && curve.front().sets > 0;
  out << (set_assoc ? "sets,ways," : "") << "entries,lookups,hits,misses,hit_rate,miss_ratio\n";
  char buf[64];
  for (const auto& p : curve) {
    if (set_assoc) out << p.sets << ',' << p.ways << ',';
    out << p.entries << ',' << p.lookups << ',' << p.hits << ',' << p.misses() << ',';
    std::snprintf(buf, sizeof(buf), "%.6f,%.6f", p.hit_rate(), p.lookups ? 1.0 - p.hit_rate() : 0.0);
    out << buf << '\n';
  }
}

}  // namespace vtdsim::study
