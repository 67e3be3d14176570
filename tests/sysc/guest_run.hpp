// One run of a one-device platform (sysc/one_blk_platform.hpp) with --set overrides, and what the
// guest tests check of it: the event log as text lines (what `vtdsim run --trace-out` writes,
// without times and comments), fault / queue / data-error counts, the VT-d driver's counters.
#pragma once
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sysc/one_blk_platform.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/trace/text_trace.hpp"

namespace vtdsim::test {

inline platform::PlatformConfig load(const std::vector<std::string>& sets) {
  return platform::resolve_platform_config(config::load_config_text(kOneBlk, "test", sets));
}

inline std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct GuestRun {
  std::vector<std::string> lines;
  std::uint64_t faults = 0, queue_errors = 0, data_errors = 0, requests = 0;
  guest::VtdDriverCounters vtd;
  bool scalable = false, first_stage = false, nested = false;
  std::string policy;
  nlohmann::json stats;  // Platform::stats_json()
};
inline GuestRun run(const std::vector<std::string>& sets) {
  GuestRun r;
  std::ostringstream out;
  trace::TextTraceWriter writer(out);
  platform::Platform p(load(sets));
  p.event_log().set_writer(&writer);
  p.run();
  const auto j = p.stats_json();
  r.faults = j["iommu"]["faults"]["total"].get<std::uint64_t>();
  r.queue_errors = j["iommu"]["commands"]["queue_errors"].get<std::uint64_t>();
  r.data_errors = p.guest().devices()[0]->stats.data_errors;
  r.requests = p.guest().devices()[0]->stats.requests;
  r.vtd = p.guest().vtd()->counters();
  r.scalable = p.guest().vtd()->scalable();
  r.first_stage = p.guest().vtd()->first_stage();
  r.nested = p.guest().vtd()->nested();
  r.policy = j["guest"]["dma_policy_effective"].get<std::string>();
  r.stats = j;
  std::istringstream in(out.str());
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') r.lines.push_back(line.substr(line.find(' ') + 1));  // without the time
  return r;
}

inline std::vector<std::string> starting(const std::vector<std::string>& lines, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.rfind(prefix, 0) == 0) out.push_back(l);
  return out;
}

}  // namespace vtdsim::test
