// The pcie-bench method (Neugebauer et al., SIGCOMM 2018, section 4) on the model: a DMA-engine
// device issues DMA reads or writes of `transfer_bytes` at offsets aligned to the transfer size,
// random (or sequential) inside a host buffer of `window_bytes`, through a PCIe link, the root
// complex with the one iommu::Iommu (functional core + timing model), and host memory.
//
// A discrete-event simulation in plain C++; pciebench_sysc/systemc_bench.hpp runs the same
// bench on SystemC modules (docs/caches-timing-stats.md "pcie-bench", "Two engines"). Per DMA
// read, with every resource a FIFO server in time order:
//   device: takes one tag per read request (device.outstanding tags), waits device.issue_ns after
//           the previous issue, adds device.latency_ns;
//   link up: the MRd TLPs (PcieLink bytes), + link.latency_ns;
//   root complex: root_complex.latency_ns, then the translation stage (translation_queue.hpp:
//           with root_complex.translation_slots it may wait for a slot), then Iommu::dma: an
//           IOTLB hit costs the lookup, a miss a page walk whose reads cost the memory's latency
//           (local, or remote when memory.remote_walk_reads) on one of timing.walkers, queued
//           when all are busy;
//           with root_complex.in_order_translation a request also waits for the one before it;
//   memory: memory.latency_ns (+ remote_extra_ns) with a bandwidth server;
//   link down: the CplD TLPs, + link.latency_ns; the last completion frees the tags and ends
//           the DMA. Bandwidth runs keep `outstanding` tags busy, latency runs one DMA at a time.
// A DMA write sends posted MWr TLPs and takes no tag: it needs a posted credit at the root port
// (root_complex.posted_credits), held until the write is translated and committed to memory;
// posted writes commit in order (PCIe ordering, Base spec 2.4.1), so a write whose translation
// misses holds the later ones and nothing else. Its latency is issue to commit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "vtdsim/pciebench/bench_config.hpp"

namespace vtdsim::pciebench {

enum class Op : std::uint8_t { kRead, kWrite };
enum class IommuMode : std::uint8_t { kOff, k4K, k2M };
enum class Placement : std::uint8_t { kLocal, kRemote };
enum class Pattern : std::uint8_t { kRandom, kSequential };
enum class Measure : std::uint8_t { kBandwidth, kLatency };

const char* to_string(Op op);
const char* to_string(IommuMode mode);
const char* to_string(Placement placement);

struct BenchPoint {
  Op op = Op::kRead;
  IommuMode iommu = IommuMode::kOff;
  Placement memory = Placement::kLocal;
  Pattern pattern = Pattern::kRandom;
  std::uint64_t transfer_bytes = 64;
  std::uint64_t window_bytes = 4096;
};

// Throws std::invalid_argument: transfer zero or not a power of two, window smaller than the
// transfer or not a multiple of it.
void validate(const BenchPoint& point);
// ...and the point against the configuration: a DMA must fit the device's tags (reads: one per
// read request) or the root port's posted credits (writes: one per MWr).
void validate(const BenchConfig& config, const BenchPoint& point);

struct PhaseResult {
  std::uint64_t dmas = 0;
  double gbit_per_s = 0;  // DMA payload
  double lat_mean_ns = 0, lat_median_ns = 0;
  double iotlb_miss_rate = 0;  // translations that walked / translations (0 with the IOMMU off)
  double walker_queue_ns = 0;  // mean wait for a walker per walk
};

struct MeasureResult {
  PhaseResult warmup;
  PhaseResult measured;
  // The IOMMU's stats tree after the run, warm-up included (iommu::to_json, docs/stats.md): the
  // same schema as `vtdsim replay` and `vtdsim run`.
  std::optional<nlohmann::json> iommu;
};

// One run: `measure` decides whether the device keeps device.outstanding tags busy or issues one
// DMA at a time. Deterministic for a given configuration and point.
MeasureResult run_bench(const BenchConfig& config, const BenchPoint& point, Measure measure);

}  // namespace vtdsim::pciebench
