#include "vtdsim/timing/timing_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace vtdsim::timing {

TimingModel::TimingModel(const config::TimingConfig& config) : config_(config) {
  if (config.walkers == 0 || config.walkers > config::kMaxWalkers)
    throw std::invalid_argument("timing.walkers must be in 1.." + std::to_string(config::kMaxWalkers));
  if (!(config.clock_ghz > 0)) throw std::invalid_argument("timing.clock_ghz must be > 0");
  walker_free_.assign(config.walkers, 0);
}

void TimingModel::reset() {
  std::fill(walker_free_.begin(), walker_free_.end(), 0);
  inflight_ = {};
  inflight_max_done_ = 0;
  stats_ = {};
  latency_.clear();
  any_issue_ = false;
}

const TimingModel::Inflight* TimingModel::find_inflight(std::uint64_t issue, std::uint16_t domain, std::uint32_t pasid,
                                                        std::uint64_t iova) const {
  if (issue >= inflight_max_done_) return nullptr;  // every fill completed by `issue` (or none)
  const Inflight* best = nullptr;
  for (const Inflight& f : inflight_) {
    if (f.valid && f.done > issue && f.domain == domain && f.pasid == pasid && iova >= f.base &&
        iova - f.base < f.size) {
      if (best == nullptr || f.done < best->done) best = &f;
    }
  }
  return best;
}

void TimingModel::add_inflight(std::uint64_t issue, const Inflight& fill) {
  Inflight* slot = &inflight_[0];
  for (Inflight& f : inflight_) {
    if (!f.valid || f.done <= issue) {
      slot = &f;
      break;
    }
    if (f.done < slot->done) slot = &f;
  }
  *slot = fill;
  if (fill.valid && fill.done > inflight_max_done_) inflight_max_done_ = fill.done;
}

std::uint64_t TimingModel::complete_walk(std::uint64_t issue, std::uint64_t ready, bool page_lookup,
                                         const core::TranslationRequest& request, const core::TranslationResult& result,
                                         std::uint64_t memory_ps) {
  const core::CacheOutcome& o = result.outcome;
  const Inflight* pending = nullptr;
  if (config_.merge_pending_walks && page_lookup) {
    pending = find_inflight(issue, result.domain.value, request.pasid.value, request.iova.value);
  }
  if (pending != nullptr) {
    ++stats_.merged;
    return std::max(ready, pending->done);
  }
  if (result.walk.count == 0) return ready;
  auto walker = std::min_element(walker_free_.begin(), walker_free_.end());
  const std::uint64_t start = std::max(ready, *walker);
  const std::uint64_t busy = walk_cycles(result.walk.count, memory_ps);
  const std::uint64_t done = start + busy;
  *walker = done;
  ++stats_.walks;
  stats_.walk_reads += result.walk.count;
  stats_.walker_busy_cycles += busy;
  if (start > ready) {
    ++stats_.queued;
    stats_.queue_cycles += start - ready;
    stats_.max_queue_cycles = std::max(stats_.max_queue_cycles, start - ready);
  }
  if (o.walk_start_level > 0) {
    Inflight f;
    f.size = result.page_size ? result.page_size : kPageSize4K;
    f.base = request.iova.value & ~(f.size - 1);
    f.done = done;
    f.pasid = request.pasid.value;
    f.domain = result.domain.value;
    f.valid = true;
    add_inflight(issue, f);
  }
  return done;
}

std::uint64_t TimingModel::memory_cycles(std::uint64_t ps) const {
  if (ps == 0) return 0;
  // 1e-6 cycles of slack: a delay that is a whole number of cycles (40 ns at 1 GHz) stays whole.
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(ps) * config_.clock_ghz / 1000.0 - 1e-6));
}

std::uint64_t TimingModel::complete_invalidation(std::uint64_t issue, std::uint32_t descriptors, std::uint32_t waits,
                                                 std::uint64_t memory_ps) {
  std::uint64_t done = issue + std::uint64_t{descriptors} * config_.invalidation_descriptor +
                       std::uint64_t{waits} * config_.wait_descriptor + memory_cycles(memory_ps);
  if (waits > 0) {
    for (std::uint64_t w : walker_free_) done = std::max(done, w);
  }
  for (Inflight& f : inflight_) f.valid = false;
  inflight_max_done_ = 0;
  ++stats_.invalidation_batches;
  stats_.invalidation_descriptors += descriptors;
  stats_.wait_descriptors += waits;
  stats_.invalidation_cycles += done - issue;
  stats_.last_completion = std::max(stats_.last_completion, done);
  return done;
}

double TimingModel::walker_occupancy() const {
  if (stats_.last_completion <= stats_.first_issue) return 0.0;
  const double span = static_cast<double>(stats_.last_completion - stats_.first_issue);
  return static_cast<double>(stats_.walker_busy_cycles) / (span * static_cast<double>(walker_free_.size()));
}

}  // namespace vtdsim::timing
