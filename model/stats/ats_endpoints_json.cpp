#include "vtdsim/stats/ats_endpoints_json.hpp"

namespace vtdsim::stats {

namespace {

struct Totals {
  cache::CacheCounters tlb;
  core::AtsDeviceCounters ats;
  std::uint64_t entries = 0;
};

nlohmann::json device_json(const cache::CacheCounters& t, const core::AtsDeviceCounters& a, std::uint64_t entries) {
  return {{"lookups", t.lookups},
          {"hits", t.hits},
          {"misses", t.misses},
          {"fills", t.fills},
          {"evictions", t.evictions},
          {"invalidated", t.invalidated},
          {"entries", entries},
          {"dma", a.dma},
          {"translation_requests", a.translation_requests},
          {"translated_requests", a.translated_requests},
          {"permission_refetches", a.permission_refetches},
          {"translation_faults", a.translation_faults},
          {"translated_faults", a.translated_faults},
          {"invalidation_requests", a.invalidation_requests}};
}

}  // namespace

nlohmann::json to_json(const core::AtsEndpoints& endpoints) {
  nlohmann::json devices = nlohmann::json::object();
  Totals sum;
  std::uint64_t enabled = 0;
  for (const core::AtsEndpoints::Device& d : endpoints.devices()) {
    const cache::CacheCounters& t = d.tlb.stats();
    const core::AtsDeviceCounters& a = d.counters;
    nlohmann::json j = device_json(t, a, d.tlb.size());
    j["enabled"] = d.enabled;
    devices[d.source.to_string()] = std::move(j);
    if (d.enabled) ++enabled;
    sum.tlb.lookups += t.lookups;
    sum.tlb.hits += t.hits;
    sum.tlb.misses += t.misses;
    sum.tlb.fills += t.fills;
    sum.tlb.evictions += t.evictions;
    sum.tlb.invalidated += t.invalidated;
    sum.entries += d.tlb.size();
    sum.ats.dma += a.dma;
    sum.ats.translation_requests += a.translation_requests;
    sum.ats.translated_requests += a.translated_requests;
    sum.ats.permission_refetches += a.permission_refetches;
    sum.ats.translation_faults += a.translation_faults;
    sum.ats.translated_faults += a.translated_faults;
    sum.ats.invalidation_requests += a.invalidation_requests;
  }
  return {{"devices", std::move(devices)},
          {"devices_enabled", enabled},
          {"total", device_json(sum.tlb, sum.ats, sum.entries)}};
}

}  // namespace vtdsim::stats
