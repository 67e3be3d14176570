#include "vtdsim/study/sweep.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/stats/stats_recorder.hpp"
#include "vtdsim/trace/replayer.hpp"

namespace vtdsim::study {

SweepPlan plan_sweep(const YAML::Node& base, const std::vector<GridAxis>& axes, Shard shard) {
  SweepPlan plan;
  plan.axes = axes;
  plan.points = shard_points(grid_size(axes), shard);
  for (const std::uint64_t point : plan.points) {
    YAML::Node tree = YAML::Clone(base);
    try {
      for (const auto& assignment : grid_assignments(axes, point)) config::apply_override(tree, assignment);
      plan.configs.push_back(config::resolve_unit_config(tree));
      plan.errors.emplace_back();
    } catch (const std::exception& e) {
      plan.configs.push_back(std::nullopt);
      plan.errors.emplace_back(e.what());
    }
  }
  return plan;
}

std::vector<SweepRow> run_sweep(const SweepPlan& plan, unsigned jobs, const PointRunner& runner,
                                const std::function<void(const SweepRow&)>& on_row) {
  const std::size_t n = plan.points.size();
  std::vector<SweepRow> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i].point = plan.points[i];
    rows[i].values = grid_point(plan.axes, plan.points[i]);
  }
  std::atomic<std::size_t> next{0};
  std::mutex report;
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      SweepRow& row = rows[i];
      if (!plan.configs[i]) {
        row.status = "error: " + plan.errors[i];
      } else {
        try {
          row.stats = runner(*plan.configs[i]);
          row.status = "ok";
        } catch (const std::exception& e) {
          row.stats = PointStats{};
          row.status = std::string("error: ") + e.what();
        }
      }
      if (on_row) {
        std::lock_guard<std::mutex> lock(report);
        on_row(row);
      }
    }
  };
  const unsigned threads =
      static_cast<unsigned>(std::min<std::size_t>(std::max(1u, jobs), std::max<std::size_t>(n, 1)));
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& t : pool) t.join();
  }
  return rows;
}

PointStats replay_point(const config::UnitConfig& config,
                        const std::function<std::unique_ptr<trace::TraceSource>()>& open_source) {
  trace::Replayer replayer(config);
  auto source = open_source();
  replayer.run(*source);
  const auto& caches = replayer.unit().caches().stats();
  const auto& rec = replayer.recorder().stats();
  PointStats s;
  s.translations = rec.translations;
  s.iotlb_hits = caches.iotlb.hits;
  s.iotlb_misses = caches.iotlb.misses;
  s.walks = rec.walks;
  s.walk_reads = rec.walk_reads;
  s.faults = rec.faults;
  s.mean_latency = rec.latency.mean();
  s.p99_latency = rec.latency.percentile(0.99);
  return s;
}

std::vector<std::string> sweep_csv_header(const std::vector<GridAxis>& axes) {
  std::vector<std::string> h{"point"};
  for (const auto& a : axes) h.push_back(a.key);
  for (const char* c : {"status", "translations", "iotlb_hits", "iotlb_misses", "iotlb_hit_rate", "walks", "walk_reads",
                        "faults", "mean_latency_cycles", "p99_latency_cycles"})
    h.push_back(c);
  return h;
}

std::vector<std::string> sweep_csv_row(const SweepRow& row) {
  std::vector<std::string> r{std::to_string(row.point)};
  r.insert(r.end(), row.values.begin(), row.values.end());
  r.push_back(row.status);
  if (row.status != "ok") {
    r.resize(r.size() + 9);
    return r;
  }
  const PointStats& s = row.stats;
  char rate[32], mean[32];
  std::snprintf(rate, sizeof(rate), "%.6f", s.hit_rate());
  std::snprintf(mean, sizeof(mean), "%.3f", s.mean_latency);
  for (const std::string& v :
       {std::to_string(s.translations), std::to_string(s.iotlb_hits), std::to_string(s.iotlb_misses), std::string(rate),
        std::to_string(s.walks), std::to_string(s.walk_reads), std::to_string(s.faults), std::string(mean),
        std::to_string(s.p99_latency)})
    r.push_back(v);
  return r;
}

}  // namespace vtdsim::study
