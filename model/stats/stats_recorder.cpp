#include "vtdsim/stats/stats_recorder.hpp"

#include <cstdio>
#include <string>
#include <nlohmann/json.hpp>

#include "vtdsim/spec/fault_reason.hpp"

namespace vtdsim::stats {
namespace {

constexpr std::size_t kIdSpace = 65536;
constexpr std::size_t kReserved = 64;

const char* const kSizeNames[4] = {"4k", "2m", "1g", "none"};
const char* const kKindNames[4] = {"root", "context", "pasid_dir", "pasid_table"};

std::uint64_t sub(std::uint64_t a, std::uint64_t b) { return a >= b ? a - b : 0; }

FlowCounters sub(const FlowCounters& a, const FlowCounters& b) {
  FlowCounters r;
  r.translations = sub(a.translations, b.translations);
  r.faults = sub(a.faults, b.faults);
  r.bytes = sub(a.bytes, b.bytes);
  r.iotlb_hits = sub(a.iotlb_hits, b.iotlb_hits);
  r.iotlb_misses = sub(a.iotlb_misses, b.iotlb_misses);
  r.walks = sub(a.walks, b.walks);
  r.walk_reads = sub(a.walk_reads, b.walk_reads);
  return r;
}

cache::CacheCounters sub(const cache::CacheCounters& a, const cache::CacheCounters& b) {
  cache::CacheCounters r;
  r.lookups = sub(a.lookups, b.lookups);
  r.hits = sub(a.hits, b.hits);
  r.misses = sub(a.misses, b.misses);
  r.fills = sub(a.fills, b.fills);
  r.evictions = sub(a.evictions, b.evictions);
  r.invalidated = sub(a.invalidated, b.invalidated);
  return r;
}

template <std::size_t N>
std::array<std::uint64_t, N> sub(const std::array<std::uint64_t, N>& a, const std::array<std::uint64_t, N>& b) {
  std::array<std::uint64_t, N> r{};
  for (std::size_t i = 0; i < N; ++i) r[i] = sub(a[i], b[i]);
  return r;
}

nlohmann::json flow_json(const FlowCounters& f) {
  return {
      {"translations", f.translations}, {"faults", f.faults}, {"bytes", f.bytes},          {"iotlb_hits", f.iotlb_hits},
      {"iotlb_misses", f.iotlb_misses}, {"walks", f.walks},   {"walk_reads", f.walk_reads}};
}

nlohmann::json counters_json(const cache::CacheCounters& c) {
  return {{"lookups", c.lookups}, {"hits", c.hits},           {"misses", c.misses},
          {"fills", c.fills},     {"evictions", c.evictions}, {"invalidated", c.invalidated}};
}

}  // namespace

const FlowCounters* TranslationStats::device(SourceId s) const {
  for (const auto& d : devices) {
    if (d.first == s) return &d.second;
  }
  return nullptr;
}
const FlowCounters* TranslationStats::domain(DomainId id) const {
  for (const auto& d : domains) {
    if (d.first == id) return &d.second;
  }
  return nullptr;
}

StatsRecorder::StatsRecorder() : device_index_(kIdSpace, 0), domain_index_(kIdSpace, 0) {
  stats_.devices.reserve(kReserved);
  stats_.domains.reserve(kReserved);
}

void StatsRecorder::reset() {
  stats_ = TranslationStats();
  stats_.devices.reserve(kReserved);
  stats_.domains.reserve(kReserved);
  std::fill(device_index_.begin(), device_index_.end(), 0);
  std::fill(domain_index_.begin(), domain_index_.end(), 0);
}

FlowCounters& StatsRecorder::add_device(SourceId s) {
  stats_.devices.emplace_back(s, FlowCounters{});
  device_index_[s.value] = static_cast<std::uint32_t>(stats_.devices.size());
  return stats_.devices.back().second;
}

FlowCounters& StatsRecorder::add_domain(DomainId d) {
  stats_.domains.emplace_back(d, FlowCounters{});
  domain_index_[d.value] = static_cast<std::uint32_t>(stats_.domains.size());
  return stats_.domains.back().second;
}

void StatsRecorder::record_general(const core::TranslationRequest& req, const core::TranslationResult& res,
                                   std::uint64_t latency) {
  TranslationStats& s = stats_;
  const core::CacheOutcome& o = res.outcome;
  const bool fault = res.fault != spec::FaultReason::kNone;
  const bool walked = o.walk_start_level > 0;
  const bool hit = o.iotlb_hit;
  const bool miss = !hit && walked;
  s.remapped += o.translated;
  if (fault) ++s.faults_by_reason[static_cast<std::uint8_t>(res.fault)];
  if (hit) {
    ++s.iotlb_hits_by_size[size_slot(res.page_size)];
  } else if (miss) {
    ++s.iotlb_misses_by_size[fault ? 3 : size_slot(res.page_size)];
  }
  s.device_tlb_hits += o.device_tlb_hit;

  bool context_reads = false;
  const std::uint64_t reads = res.walk.count;
  for (const core::WalkRead& rd : res.walk) {
    if (rd.kind == core::WalkReadKind::kPagingEntry) {
      ++s.reads_by_level[rd.level <= 5 ? rd.level : 0];
      s.first_stage_reads += rd.first_stage;
    } else {
      context_reads = true;
      const auto kind = static_cast<std::size_t>(rd.kind);
      if (kind < s.reads_by_kind.size()) ++s.reads_by_kind[kind];
    }
  }
  if (o.context_cache_hit || o.pasid_cache_hit) {
    ++s.context_hits;
  } else if (context_reads) {
    ++s.context_misses;
  }
  if (walked) {
    if (o.psc_hit_level >= 2 && o.psc_hit_level <= 5) {
      ++s.psc_hits[o.psc_hit_level - 2];
    } else {
      ++s.psc_misses;
    }
  }
  s.latency.record(latency);

  FlowCounters* flows[2] = {&device_slot(req.source), &domain_slot(res.domain)};
  for (FlowCounters* f : flows) {
    ++f->translations;
    f->bytes += req.size;
    f->faults += fault;
    f->iotlb_hits += hit;
    f->iotlb_misses += miss;
    f->walks += walked;
    f->walk_reads += reads;
  }
}

void StatsRecorder::sync_totals() const {
  if (totals_synced_) return;
  TranslationStats& s = stats_;
  FlowCounters sum;
  for (const auto& d : s.devices) {
    sum.translations += d.second.translations;
    sum.bytes += d.second.bytes;
    sum.faults += d.second.faults;
    sum.iotlb_hits += d.second.iotlb_hits;
    sum.iotlb_misses += d.second.iotlb_misses;
    sum.walks += d.second.walks;
    sum.walk_reads += d.second.walk_reads;
  }
  s.translations = sum.translations;
  s.bytes = sum.bytes;
  s.faults = sum.faults;
  s.iotlb_hits = sum.iotlb_hits;
  s.iotlb_misses = sum.iotlb_misses;
  s.walks = sum.walks;
  s.walk_reads = sum.walk_reads;
  totals_synced_ = true;
}

void StatsRecorder::record_invalidation(const core::InvalidationRequest& r, std::uint64_t dropped) {
  const auto t = static_cast<std::size_t>(r.target);
  const auto g = static_cast<std::size_t>(r.granularity);
  if (t < kInvalidationTargets && g < kInvalidationGranularities) {
    ++stats_.invalidations[t][g].count;
    stats_.invalidations[t][g].dropped += dropped;
  }
  ++stats_.invalidations_total.count;
  stats_.invalidations_total.dropped += dropped;
}

TranslationStats difference(const TranslationStats& a, const TranslationStats& b) {
  TranslationStats r;
  r.translations = sub(a.translations, b.translations);
  r.remapped = sub(a.remapped, b.remapped);
  r.bytes = sub(a.bytes, b.bytes);
  r.faults = sub(a.faults, b.faults);
  r.faults_by_reason = sub(a.faults_by_reason, b.faults_by_reason);
  r.iotlb_hits = sub(a.iotlb_hits, b.iotlb_hits);
  r.iotlb_misses = sub(a.iotlb_misses, b.iotlb_misses);
  r.iotlb_hits_by_size = sub(a.iotlb_hits_by_size, b.iotlb_hits_by_size);
  r.iotlb_misses_by_size = sub(a.iotlb_misses_by_size, b.iotlb_misses_by_size);
  r.device_tlb_hits = sub(a.device_tlb_hits, b.device_tlb_hits);
  r.context_hits = sub(a.context_hits, b.context_hits);
  r.context_misses = sub(a.context_misses, b.context_misses);
  r.psc_hits = sub(a.psc_hits, b.psc_hits);
  r.psc_misses = sub(a.psc_misses, b.psc_misses);
  r.walks = sub(a.walks, b.walks);
  r.reads_by_kind = sub(a.reads_by_kind, b.reads_by_kind);
  r.reads_by_level = sub(a.reads_by_level, b.reads_by_level);
  r.first_stage_reads = sub(a.first_stage_reads, b.first_stage_reads);
  r.walk_reads = sub(a.walk_reads, b.walk_reads);
  r.latency = a.latency;
  r.latency.subtract(b.latency);
  r.invalidations_total = {sub(a.invalidations_total.count, b.invalidations_total.count),
                           sub(a.invalidations_total.dropped, b.invalidations_total.dropped)};
  for (std::size_t t = 0; t < kInvalidationTargets; ++t) {
    for (std::size_t g = 0; g < kInvalidationGranularities; ++g) {
      r.invalidations[t][g] = {sub(a.invalidations[t][g].count, b.invalidations[t][g].count),
                               sub(a.invalidations[t][g].dropped, b.invalidations[t][g].dropped)};
    }
  }
  for (const auto& d : a.devices) {
    const FlowCounters* old = b.device(d.first);
    r.devices.emplace_back(d.first, old ? sub(d.second, *old) : d.second);
  }
  for (const auto& d : a.domains) {
    const FlowCounters* old = b.domain(d.first);
    r.domains.emplace_back(d.first, old ? sub(d.second, *old) : d.second);
  }
  return r;
}

cache::CacheStats difference(const cache::CacheStats& a, const cache::CacheStats& b) {
  cache::CacheStats r;
  r.context = sub(a.context, b.context);
  r.pasid = sub(a.pasid, b.pasid);
  r.iotlb = sub(a.iotlb, b.iotlb);
  for (std::size_t i = 0; i < r.iotlb_by_size.size(); ++i)
    r.iotlb_by_size[i] = sub(a.iotlb_by_size[i], b.iotlb_by_size[i]);
  for (std::size_t i = 0; i < r.psc.size(); ++i) r.psc[i] = sub(a.psc[i], b.psc[i]);
  r.qemu_flushes = sub(a.qemu_flushes, b.qemu_flushes);
  return r;
}

timing::TimingStats difference(const timing::TimingStats& a, const timing::TimingStats& b) {
  timing::TimingStats r;
  r.translations = sub(a.translations, b.translations);
  r.walks = sub(a.walks, b.walks);
  r.walk_reads = sub(a.walk_reads, b.walk_reads);
  r.merged = sub(a.merged, b.merged);
  r.queued = sub(a.queued, b.queued);
  r.queue_cycles = sub(a.queue_cycles, b.queue_cycles);
  r.max_queue_cycles = a.max_queue_cycles;  // not recoverable for the window; whole-run maximum
  r.walker_busy_cycles = sub(a.walker_busy_cycles, b.walker_busy_cycles);
  r.first_issue = b.last_completion > a.first_issue ? b.last_completion : a.first_issue;
  r.last_completion = a.last_completion;
  r.invalidation_batches = sub(a.invalidation_batches, b.invalidation_batches);
  r.invalidation_descriptors = sub(a.invalidation_descriptors, b.invalidation_descriptors);
  r.wait_descriptors = sub(a.wait_descriptors, b.wait_descriptors);
  r.invalidation_cycles = sub(a.invalidation_cycles, b.invalidation_cycles);
  r.late_walks = sub(a.late_walks, b.late_walks);
  r.gap_fills = sub(a.gap_fills, b.gap_fills);
  r.early_hits = sub(a.early_hits, b.early_hits);
  r.behind_horizon = sub(a.behind_horizon, b.behind_horizon);
  return r;
}

const char* invalidation_target_name(core::InvalidationTarget t) {
  switch (t) {
    case core::InvalidationTarget::kContextCache: return "context_cache";
    case core::InvalidationTarget::kIotlb: return "iotlb";
    case core::InvalidationTarget::kPasidCache: return "pasid_cache";
    case core::InvalidationTarget::kPasidIotlb: return "pasid_iotlb";
    case core::InvalidationTarget::kDeviceTlb: return "device_tlb";
    case core::InvalidationTarget::kInterruptEntry: return "interrupt_entry";
  }
  return "unknown";
}

const char* invalidation_granularity_name(core::InvalidationGranularity g) {
  switch (g) {
    case core::InvalidationGranularity::kGlobal: return "global";
    case core::InvalidationGranularity::kDomain: return "domain";
    case core::InvalidationGranularity::kDevice: return "device";
    case core::InvalidationGranularity::kPage: return "page";
    case core::InvalidationGranularity::kPasid: return "pasid";
  }
  return "unknown";
}

nlohmann::json to_json(const timing::LatencyHistogram& h) {
  return {{"count", h.count()},
          {"min", h.min()},
          {"mean", h.mean()},
          {"p50", h.percentile(0.5)},
          {"p90", h.percentile(0.9)},
          {"p99", h.percentile(0.99)},
          {"max", h.max()}};
}

nlohmann::json to_json(const TranslationStats& s) {
  using nlohmann::json;
  json j;
  j["translations"] = s.translations;
  j["remapped"] = s.remapped;
  j["bytes"] = s.bytes;
  json by_reason = json::object();
  for (std::size_t i = 0; i < s.faults_by_reason.size(); ++i) {
    if (s.faults_by_reason[i] == 0) continue;
    const char* name = spec::fault_reason_name(static_cast<spec::FaultReason>(i));
    std::string key = name ? name : "";
    if (key.empty() || key == "unknown") {
      char buf[24];  // "0x" + up to 16 hex digits
      std::snprintf(buf, sizeof buf, "0x%02zx", i);
      key = buf;
    }
    by_reason[key] = s.faults_by_reason[i];
  }
  j["faults"] = {{"total", s.faults}, {"by_reason", by_reason}};
  json by_size = json::object();
  for (int i = 0; i < 4; ++i) {
    by_size[kSizeNames[i]] = {{"hits", s.iotlb_hits_by_size[i]}, {"misses", s.iotlb_misses_by_size[i]}};
  }
  j["iotlb"] = {{"hits", s.iotlb_hits},
                {"misses", s.iotlb_misses},
                {"lookups", s.iotlb_hits + s.iotlb_misses},
                {"by_size", by_size}};
  j["device_tlb"] = {{"hits", s.device_tlb_hits}};
  j["context_cache"] = {
      {"hits", s.context_hits}, {"misses", s.context_misses}, {"lookups", s.context_hits + s.context_misses}};
  json psc = {{"misses", s.psc_misses}};
  std::uint64_t psc_hits = 0;
  for (int i = 0; i < 4; ++i) {
    psc["l" + std::to_string(i + 2)] = {{"hits", s.psc_hits[i]}};
    psc_hits += s.psc_hits[i];
  }
  psc["hits"] = psc_hits;
  j["psc"] = psc;
  j["walks"] = s.walks;
  json reads = {{"total", s.walk_reads}};
  for (int i = 0; i < 4; ++i) reads[kKindNames[i]] = s.reads_by_kind[i];
  for (int l = 1; l <= 5; ++l) reads["l" + std::to_string(l)] = s.reads_by_level[l];
  std::uint64_t table_reads = 0, paging_reads = 0;
  for (std::uint64_t n : s.reads_by_kind) table_reads += n;
  for (std::uint64_t n : s.reads_by_level) paging_reads += n;
  const auto part = [&](std::uint64_t n) {
    return json{
        {"reads", n},
        {"per_translation", s.translations ? static_cast<double>(n) / static_cast<double>(s.translations) : 0.0}};
  };
  j["walk"] = {{"reads", reads},
               {"by_stage",
                {{"tables", part(table_reads)},
                 {"first_stage", part(s.first_stage_reads)},
                 {"second_stage", part(paging_reads - s.first_stage_reads)}}}};
  j["latency"] = to_json(s.latency);
  json dev = json::object();
  for (const auto& d : s.devices) dev[d.first.to_string()] = flow_json(d.second);
  j["device"] = dev;
  json dom = json::object();
  for (const auto& d : s.domains) dom[std::to_string(d.first.value)] = flow_json(d.second);
  j["domain"] = dom;
  json inv = {{"total", {{"count", s.invalidations_total.count}, {"dropped", s.invalidations_total.dropped}}}};
  for (std::size_t t = 0; t < kInvalidationTargets; ++t) {
    for (std::size_t g = 0; g < kInvalidationGranularities; ++g) {
      const CountDropped& c = s.invalidations[t][g];
      if (c.count == 0) continue;
      inv[invalidation_target_name(static_cast<core::InvalidationTarget>(t))][invalidation_granularity_name(
          static_cast<core::InvalidationGranularity>(g))] = {{"count", c.count}, {"dropped", c.dropped}};
    }
  }
  j["invalidations"] = inv;
  return j;
}

nlohmann::json to_json(const cache::CacheStats& s) {
  nlohmann::json iotlb = counters_json(s.iotlb);
  iotlb["4k"] = counters_json(s.iotlb_by_size[0]);
  iotlb["2m"] = counters_json(s.iotlb_by_size[1]);
  iotlb["1g"] = counters_json(s.iotlb_by_size[2]);
  nlohmann::json psc;
  for (int i = 0; i < 4; ++i) psc["l" + std::to_string(i + 2)] = counters_json(s.psc[i]);
  return {{"context", counters_json(s.context)},
          {"pasid", counters_json(s.pasid)},
          {"iotlb", iotlb},
          {"psc", psc},
          {"qemu_flushes", s.qemu_flushes}};
}

namespace {
nlohmann::json timing_counters_json(const timing::TimingStats& s, std::uint32_t walkers) {
  double occupancy = 0.0;
  if (s.last_completion > s.first_issue && walkers > 0) {
    occupancy =
        static_cast<double>(s.walker_busy_cycles) / (static_cast<double>(s.last_completion - s.first_issue) * walkers);
  }
  return {{"translations", s.translations},
          {"walks", s.walks},
          {"walk_reads", s.walk_reads},
          {"merged", s.merged},
          {"walkers",
           {{"count", walkers},
            {"busy_cycles", s.walker_busy_cycles},
            {"occupancy", occupancy},
            {"queued", s.queued},
            {"queue_cycles", s.queue_cycles},
            {"max_queue_cycles", s.max_queue_cycles}}},
          {"cycles", {{"first_issue", s.first_issue}, {"last_completion", s.last_completion}}},
          {"invalidation",
           {{"batches", s.invalidation_batches},
            {"descriptors", s.invalidation_descriptors},
            {"wait_descriptors", s.wait_descriptors},
            {"cycles", s.invalidation_cycles}}}};
}
}  // namespace

nlohmann::json to_json(const timing::TimingStats& s, std::uint32_t walkers) {
  nlohmann::json j = timing_counters_json(s, walkers);
  // Only when requests arrived out of time order (never in the replay of a sorted trace): the
  // causal booking's work and what it could not do exactly (docs/stats.md).
  if (s.late_walks + s.gap_fills + s.early_hits + s.behind_horizon > 0) {
    j["causal"] = {{"late_walks", s.late_walks},
                   {"gap_fills", s.gap_fills},
                   {"early_hits", s.early_hits},
                   {"behind_horizon", s.behind_horizon}};
  }
  return j;
}

nlohmann::json to_json(const timing::TimingModel& m) {
  nlohmann::json j = to_json(m.stats(), m.config().walkers);
  j["latency"] = to_json(m.latency());
  return j;
}

}  // namespace vtdsim::stats
