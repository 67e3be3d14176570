#include "vtdsim/timing/timing_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace vtdsim::timing {

namespace {
std::uint32_t checked_walkers(const config::TimingConfig& config) {
  if (config.walkers == 0 || config.walkers > config::kMaxWalkers)
    throw std::invalid_argument("timing.walkers must be in 1.." + std::to_string(config::kMaxWalkers));
  return config.walkers;
}
}  // namespace

TimingModel::TimingModel(const config::TimingConfig& config) : config_(config), walkers_(checked_walkers(config)) {
  if (!(config.clock_ghz > 0)) throw std::invalid_argument("timing.clock_ghz must be > 0");
}

void TimingModel::reset() {
  walkers_.reset();
  inflight_ = {};
  inflight_max_done_ = 0;
  reused_fill_done_ = 0;
  last_walk_issue_ = 0;
  stats_ = {};
  latency_.clear();
  any_issue_ = false;
}

const TimingModel::Inflight* TimingModel::find_inflight(std::uint64_t issue, std::uint16_t domain, std::uint32_t pasid,
                                                        std::uint64_t iova, const Inflight** future) const {
  *future = nullptr;
  if (issue >= inflight_max_done_) return nullptr;  // every fill completed by `issue` (or none)
  const Inflight* best = nullptr;
  for (const Inflight& f : inflight_) {
    if (f.valid && f.done > issue && f.domain == domain && f.pasid == pasid && iova >= f.base &&
        iova - f.base < f.size) {
      if (f.issue > issue) {  // walked later in simulated time: not in flight at `issue`
        if (*future == nullptr || f.issue < (*future)->issue) *future = &f;
      } else if (best == nullptr || f.done < best->done) {
        best = &f;
      }
    }
  }
  return best;
}

void TimingModel::add_inflight(std::uint64_t issue, const Inflight& fill) {
  // A free slot, else the fill that completes first. (In time order any completed fill's slot is
  // as good as another: no later request can join it.)
  Inflight* slot = nullptr;
  for (Inflight& f : inflight_) {
    if (!f.valid) {
      slot = &f;
      break;
    }
    if (slot == nullptr || f.done < slot->done) slot = &f;
  }
  // A request called later but issued before that fill's end could still have joined it (out of
  // time order): remembered for behind_horizon.
  if (slot->valid && slot->done <= issue) reused_fill_done_ = std::max(reused_fill_done_, slot->done);
  *slot = fill;
  if (fill.valid && fill.done > inflight_max_done_) inflight_max_done_ = fill.done;
}

std::uint64_t TimingModel::complete_walk(std::uint64_t issue, std::uint64_t ready, bool page_lookup,
                                         const core::TranslationRequest& request, const core::TranslationResult& result,
                                         std::uint64_t memory_ps) {
  const core::CacheOutcome& o = result.outcome;
  const Inflight* pending = nullptr;
  const Inflight* future = nullptr;
  if (config_.merge_pending_walks && page_lookup) {
    pending = find_inflight(issue, result.domain.value, request.pasid.value, request.iova.value, &future);
  }
  if (pending != nullptr) {
    ++stats_.merged;
    return std::max(ready, pending->done);
  }
  std::uint32_t reads = result.walk.count;
  std::uint64_t busy = walk_cycles(reads, memory_ps);
  if (reads == 0 && future != nullptr && o.iotlb_hit) {
    // The IOTLB entry comes from a walk later in simulated time: at its own cycle this request
    // missed and walked the same tables (and, timed memory, waited as long for them).
    ++stats_.early_hits;
    reads = future->reads;
    busy = future->busy;
  } else if (reads == 0 && page_lookup && issue < reused_fill_done_) {
    ++stats_.behind_horizon;  // might have joined a fill whose slot was reused: timed as a hit
  }
  if (reads == 0) return ready;
  if (issue < last_walk_issue_) ++stats_.late_walks;
  last_walk_issue_ = std::max(last_walk_issue_, issue);
  const WalkerPool::Stats before = walkers_.stats();
  const std::uint64_t start = walkers_.book(issue, ready, busy);
  stats_.gap_fills += walkers_.stats().gap_fills - before.gap_fills;
  stats_.behind_horizon += walkers_.stats().behind_horizon - before.behind_horizon;
  const std::uint64_t done = start + busy;
  ++stats_.walks;
  stats_.walk_reads += reads;
  stats_.walker_busy_cycles += busy;
  if (start > ready) {
    ++stats_.queued;
    stats_.queue_cycles += start - ready;
    stats_.max_queue_cycles = std::max(stats_.max_queue_cycles, start - ready);
  }
  if (o.walk_start_level > 0 || reads != result.walk.count) {
    Inflight f;
    f.size = result.page_size ? result.page_size : kPageSize4K;
    f.base = request.iova.value & ~(f.size - 1);
    f.done = done;
    f.issue = issue;
    f.reads = reads;
    f.busy = busy;
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
  if (waits > 0) done = std::max(done, walkers_.drain_end(issue));
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
  return static_cast<double>(stats_.walker_busy_cycles) / (span * static_cast<double>(walkers_.size()));
}

}  // namespace vtdsim::timing
