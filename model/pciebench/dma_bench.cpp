#include "vtdsim/pciebench/dma_bench.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <queue>
#include <random>
#include <stdexcept>
#include <vector>

#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/iommu/iommu_json.hpp"
#include "vtdsim/pciebench/bench_host.hpp"
#include "vtdsim/pciebench/host_memory.hpp"
#include "vtdsim/pciebench/phase_summary.hpp"
#include "vtdsim/pciebench/translation_queue.hpp"

namespace vtdsim::pciebench {

const char* to_string(Op op) { return op == Op::kRead ? "read" : "write"; }
const char* to_string(IommuMode mode) {
  switch (mode) {
    case IommuMode::kOff: return "off";
    case IommuMode::k4K: return "4k";
    default: return "2m";
  }
}
const char* to_string(Placement placement) { return placement == Placement::kLocal ? "local" : "remote"; }

void validate(const BenchPoint& p) {
  if (p.transfer_bytes == 0 || (p.transfer_bytes & (p.transfer_bytes - 1)) != 0)
    throw std::invalid_argument("transfer size must be a power of two above zero, got " +
                                std::to_string(p.transfer_bytes));
  if (p.window_bytes < p.transfer_bytes)
    throw std::invalid_argument("window (" + std::to_string(p.window_bytes) + " B) is smaller than the transfer (" +
                                std::to_string(p.transfer_bytes) + " B)");
  if (p.window_bytes % p.transfer_bytes != 0)
    throw std::invalid_argument("window (" + std::to_string(p.window_bytes) +
                                " B) is not a multiple of the transfer (" + std::to_string(p.transfer_bytes) + " B)");
}

namespace {

std::uint32_t tlps_per_dma(const PcieLink& link, const BenchPoint& p) {
  const TlpSplit s = p.op == Op::kRead ? link.read_requests(0, p.transfer_bytes) : link.writes(0, p.transfer_bytes);
  return static_cast<std::uint32_t>(s.payloads.size());
}

}  // namespace

void validate(const BenchConfig& c, const BenchPoint& p) {
  validate(p);
  const std::uint32_t parts = tlps_per_dma(PcieLink(c.link), p);
  const std::uint32_t limit = p.op == Op::kRead ? c.device.outstanding : c.root_complex.posted_credits;
  if (parts > limit)
    throw std::invalid_argument(
        "a " + std::to_string(p.transfer_bytes) + " B " + to_string(p.op) + " needs " + std::to_string(parts) +
        " TLPs, more than " +
        (p.op == Op::kRead ? "pcie_bench.device.outstanding (" : "pcie_bench.root_complex.posted_credits (") +
        std::to_string(limit) + ")");
}

namespace {

constexpr SourceId kDevice = BenchHost::kDevice;
constexpr std::uint64_t kIovaBase = BenchHost::kIovaBase;
constexpr std::uint64_t kHostBase = BenchHost::kHostBase;

enum class Kind : std::uint8_t { kIssue, kAtRootComplex, kTranslated, kDataReady, kAtDevice, kCommitted };

struct Event {
  double t;
  std::uint64_t seq;
  Kind kind;
  std::uint32_t dma;   // index into the DMA table
  std::uint64_t addr;  // bus address of the TLP (IOVA, or host address with the IOMMU off)
  std::uint32_t size;  // payload of the request TLP
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

struct Dma {
  double issue = 0;
  std::uint32_t parts_left = 0;
};

class Engine {
 public:
  Engine(const BenchConfig& c, const BenchPoint& p, Measure m)
      : c_(c),
        p_(p),
        link_(c.link),
        rng_(c.device.seed),
        host_(std::make_unique<BenchHost>(c, p)),
        memory_(c.memory.bandwidth_gbyte_per_s, host_->data_ns),
        queue_(c.root_complex.translation_slots, c.root_complex.in_order_translation) {
    clock_ = host_->unit->config().timing.clock_ghz;
    tags_ = c.device.outstanding;
    free_tags_ = tags_;
    credits_ = c.root_complex.posted_credits;
    total_ = c.device.warmup + (m == Measure::kLatency ? c.device.latency_measure : c.device.measure);
    one_at_a_time_ = m == Measure::kLatency;
    parts_per_dma_ = tlps_per_dma(link_, p);
    lat_.reserve(total_);
  }

  MeasureResult run() {
    push(0, Kind::kIssue, 0, 0, 0);
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      handle(e);
    }
    MeasureResult r;
    r.warmup = phase(0, std::min<std::uint64_t>(c_.device.warmup, done_order_.size()), 0);
    r.measured = phase(c_.device.warmup, done_order_.size(), 1);
    r.iommu = iommu::to_json(*host_->unit);
    return r;
  }

 private:
  void push(double t, Kind k, std::uint32_t dma, std::uint64_t addr, std::uint32_t size) {
    events_.push(Event{t, seq_++, k, dma, addr, size});
  }

  std::uint64_t next_offset() {
    const std::uint64_t slots = p_.window_bytes / p_.transfer_bytes;
    std::uint64_t slot;
    if (p_.pattern == Pattern::kSequential) {
      slot = seq_slot_;
      seq_slot_ = (seq_slot_ + 1) % slots;
    } else {
      slot = std::uniform_int_distribution<std::uint64_t>(0, slots - 1)(rng_);
    }
    return slot * p_.transfer_bytes;
  }

  bool can_issue() const {
    if (issued_ >= total_) return false;
    if (one_at_a_time_ && in_flight_ > 0) return false;
    if (p_.op == Op::kRead) return free_tags_ >= parts_per_dma_;
    return credits_ >= parts_per_dma_;
  }

  void handle(const Event& e) {
    switch (e.kind) {
      case Kind::kIssue: issue(e.t); break;
      case Kind::kAtRootComplex: at_root_complex(e); break;
      case Kind::kTranslated: translated(e); break;
      case Kind::kDataReady: data_ready(e); break;
      case Kind::kAtDevice: at_device(e); break;
      case Kind::kCommitted: committed(e); break;
    }
  }

  void try_issue(double t) {
    if (!issue_pending_ && can_issue()) {
      issue_pending_ = true;
      push(std::max(t, next_issue_), Kind::kIssue, 0, 0, 0);
    }
  }

  void issue(double t) {
    issue_pending_ = false;
    if (!can_issue()) return;
    const auto id = static_cast<std::uint32_t>(dmas_.size());
    dmas_.push_back(Dma{t, parts_per_dma_});
    ++issued_;
    ++in_flight_;
    next_issue_ = t + c_.device.issue_ns;
    const std::uint64_t base = (p_.iommu == IommuMode::kOff ? kHostBase : kIovaBase) + next_offset();
    const double ready = t + c_.device.latency_ns;
    std::uint64_t addr = base;
    if (p_.op == Op::kRead) {
      for (std::uint32_t n : link_.read_requests(base, p_.transfer_bytes).payloads) {
        --free_tags_;
        const double sent = link_.send_upstream(ready, link_.mrd_bytes());
        push(sent + c_.link.latency_ns, Kind::kAtRootComplex, id, addr, n);
        addr += n;
      }
    } else {
      for (std::uint32_t n : link_.writes(base, p_.transfer_bytes).payloads) {
        --credits_;
        const double sent = link_.send_upstream(ready, link_.mwr_bytes(n));
        push(sent + c_.link.latency_ns, Kind::kAtRootComplex, id, addr, n);
        addr += n;
      }
    }
    try_issue(t);
  }

  // Translation (IOMMU on) at the root complex: the time the piece's host address is known.
  double translate(double t, std::uint64_t addr, std::uint32_t size) {
    if (p_.iommu == IommuMode::kOff) return t;
    iommu::DmaRequest r;
    r.source = kDevice;
    r.iova = Iova(addr);
    r.size = size;
    r.access = p_.op == Op::kRead ? Access::kRead : Access::kWrite;
    const auto issue_cycle = static_cast<std::uint64_t>(t * clock_);
    bool walked = false;
    const iommu::DmaCompletion done = host_->unit->dma(r, issue_cycle, [&](const iommu::DmaPiece& piece) {
      if (piece.result.outcome.walk_start_level > 0 && !piece.result.outcome.iotlb_hit) walked = true;
    });
    if (!done.ok()) throw std::logic_error("pcie-bench: a DMA to the mapped buffer faulted");
    ++translations_;
    if (walked) ++walks_;
    return std::max(t, static_cast<double>(done.completion_cycle) / clock_);
  }

  void at_root_complex(const Event& e) {
    // Posted writes commit in arrival order (a write waits for the previous one's commit); with
    // in_order_translation reads leave translation in arrival order too; with translation_slots
    // a request may wait for a slot before its translation starts.
    const double t = queue_.enter(e.t + c_.root_complex.latency_ns);
    const double translated = queue_.leave(translate(t, e.addr, e.size), p_.op == Op::kWrite);
    note_phase_stats(e.dma);
    // The memory server sees requests in the order their translations finish.
    push(translated, Kind::kTranslated, e.dma, e.addr, e.size);
  }

  void translated(const Event& e) {
    if (p_.op == Op::kRead) {
      push(memory_.read_ready(e.t, e.size), Kind::kDataReady, e.dma, e.addr, e.size);
    } else {
      push(memory_.write_committed(e.t, e.size), Kind::kCommitted, e.dma, e.addr, e.size);
    }
  }

  void data_ready(const Event& e) {
    double sent = e.t;
    for (std::uint32_t n : link_.completions(e.addr, e.size).payloads)
      sent = link_.send_downstream(e.t, link_.cpld_bytes(n));
    push(sent + c_.link.latency_ns, Kind::kAtDevice, e.dma, e.addr, e.size);
  }

  void at_device(const Event& e) {
    ++free_tags_;
    part_done(e.dma, e.t);
  }

  void committed(const Event& e) {
    ++credits_;  // the credit returns with an UpdateFC DLLP; its bytes are in the link's overhead
    part_done(e.dma, e.t);
  }

  void part_done(std::uint32_t id, double t) {
    Dma& d = dmas_[id];
    if (--d.parts_left == 0) {
      --in_flight_;
      done_order_.push_back(id);
      done_time_.push_back(t);
      lat_.push_back(t - d.issue);
    }
    try_issue(t);
  }

  // Translations are counted for the phase of the DMA they belong to.
  void note_phase_stats(std::uint32_t id) {
    const int ph = id < c_.device.warmup ? 0 : 1;
    phase_translations_[ph] += translations_ - last_translations_;
    phase_walks_[ph] += walks_ - last_walks_;
    last_translations_ = translations_;
    last_walks_ = walks_;
    const timing::TimingStats& s = host_->unit->timing().stats();
    phase_queue_cycles_[ph] += s.queue_cycles - last_queue_cycles_;
    last_queue_cycles_ = s.queue_cycles;
  }

  // DMAs completed in positions [from, to) of the completion order.
  PhaseResult phase(std::uint64_t from, std::uint64_t to, int ph) const {
    PhaseResult r = summarize_phase(done_time_, lat_, from, to, p_.transfer_bytes);
    if (to <= from) return r;
    if (phase_translations_[ph] > 0)
      r.iotlb_miss_rate = static_cast<double>(phase_walks_[ph]) / static_cast<double>(phase_translations_[ph]);
    if (phase_walks_[ph] > 0)
      r.walker_queue_ns = static_cast<double>(phase_queue_cycles_[ph]) / clock_ / static_cast<double>(phase_walks_[ph]);
    return r;
  }

  const BenchConfig& c_;
  BenchPoint p_;
  PcieLink link_;
  std::mt19937_64 rng_;
  std::unique_ptr<BenchHost> host_;
  HostMemory memory_;
  TranslationQueue queue_;
  double clock_ = 1;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::uint64_t seq_ = 0, seq_slot_ = 0;
  std::uint32_t tags_ = 1, free_tags_ = 1, credits_ = 1, parts_per_dma_ = 1;
  std::uint64_t total_ = 0, issued_ = 0, in_flight_ = 0;
  bool one_at_a_time_ = false, issue_pending_ = false;
  double next_issue_ = 0;
  std::vector<Dma> dmas_;
  std::vector<std::uint32_t> done_order_;
  std::vector<double> done_time_, lat_;
  std::uint64_t translations_ = 0, walks_ = 0, last_translations_ = 0, last_walks_ = 0, last_queue_cycles_ = 0;
  std::uint64_t phase_translations_[2] = {0, 0}, phase_walks_[2] = {0, 0}, phase_queue_cycles_[2] = {0, 0};
};

}  // namespace

MeasureResult run_bench(const BenchConfig& config, const BenchPoint& point, Measure measure) {
  validate(config, point);
  Engine engine(config, point, measure);
  return engine.run();
}

}  // namespace vtdsim::pciebench
