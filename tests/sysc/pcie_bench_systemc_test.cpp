// The pcie-bench method on the SystemC modules (pciebench_sysc/systemc_bench.hpp): the same
// hand-computed link and tag numbers as the discrete-event engine's tests
// (tests/pciebench/dma_bench_test.cpp), agreement with that engine on the Broadwell preset, and
// the structural knee property. Each run forks its own SystemC child (run_bench_systemc).
#include <gtest/gtest.h>

#include <cmath>

#include "vtdsim/pciebench/dma_bench.hpp"
#include "vtdsim/pciebench_sysc/systemc_bench.hpp"

namespace vtdsim::pciebench_sysc {
namespace {

using namespace pciebench;

const std::string kSrc = VTDSIM_SOURCE_DIR;

// Zero fixed latencies, memory fast and wide: only what a test sets matters.
BenchConfig bare() {
  BenchConfig c;
  c.link.latency_ns = 0;
  c.root_complex.latency_ns = 0;
  c.memory.latency_ns = 0;
  c.memory.bandwidth_gbyte_per_s = 1000;
  c.device.latency_ns = 0;
  c.device.outstanding = 256;
  c.device.warmup = 2000;
  c.device.measure = 20000;
  c.device.latency_measure = 2000;
  return c;
}

BenchPoint point(Op op, IommuMode iommu, std::uint64_t window, std::uint64_t transfer = 64) {
  BenchPoint p;
  p.op = op;
  p.iommu = iommu;
  p.window_bytes = window;
  p.transfer_bytes = transfer;
  return p;
}

constexpr double kTlpGbps = 57.8847;  // Gen3 x8 after DLLP and SKIP overhead (pcie_link_test)

TEST(PcieBenchSystemc, ReadsOfManyTagsAreLinkBound) {
  // 64 B reads: 24 B MRd up, 84 B CplD down: 57.8847 x 64 / 84 = 44.1027 Gbit/s of payload.
  const MeasureResult r = run_bench_systemc(bare(), point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(r.measured.gbit_per_s, 44.1027, 0.01);
  // Posted writes: 88 B MWr up, nothing down: 57.8847 x 64 / 88 = 42.0980 Gbit/s.
  const MeasureResult w = run_bench_systemc(bare(), point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(w.measured.gbit_per_s, 42.0980, 0.01);
}

TEST(PcieBenchSystemc, OutstandingTagsBoundReads) {
  BenchConfig c = bare();
  c.device.outstanding = 4;
  c.device.latency_ns = 100;
  c.memory.latency_ns = 300;
  // One read: 100 + 24 B up + 300 + 84 B down + the line's 0.064 ns at 1000 GB/s = 414.99 ns.
  const double lat = 100 + 24 * 8 / kTlpGbps + 300 + 84 * 8 / kTlpGbps + 0.064;
  const MeasureResult one = run_bench_systemc(c, point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kLatency);
  EXPECT_NEAR(one.measured.lat_mean_ns, lat, 0.01);
  // 4 tags: 4 reads of 512 bit per latency; 8 tags twice that.
  const MeasureResult bw = run_bench_systemc(c, point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(bw.measured.gbit_per_s, 4 * 512 / lat, 0.05);
  c.device.outstanding = 8;
  const MeasureResult bw8 = run_bench_systemc(c, point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(bw8.measured.gbit_per_s, 8 * 512 / lat, 0.1);
  // A 4 KiB read is 8 MRds of 512 B (MRRS) and needs 8 tags: with 8 tags the 8 slot threads
  // still get one DMA in flight, so the bandwidth run is one DMA per latency.
  const BenchPoint big = point(Op::kRead, IommuMode::kOff, 1 << 20, 4096);
  const MeasureResult one4k = run_bench_systemc(c, big, Measure::kLatency);
  const MeasureResult bw4k = run_bench_systemc(c, big, Measure::kBandwidth);
  EXPECT_NEAR(bw4k.measured.gbit_per_s, 4096 * 8 / one4k.measured.lat_mean_ns, 0.01);
  EXPECT_NEAR(bw4k.measured.gbit_per_s, run_bench(c, big, Measure::kBandwidth).measured.gbit_per_s, 0.01);
}

TEST(PcieBenchSystemc, PostedWritesDoNotWaitForCompletions) {
  BenchConfig c = bare();
  c.device.outstanding = 4;
  c.device.latency_ns = 100;
  c.memory.latency_ns = 300;
  // Writes take no tag and wait for nothing downstream: link-bound despite 4 tags and 300 ns.
  const MeasureResult w = run_bench_systemc(c, point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(w.measured.gbit_per_s, 42.0980, 0.05);
  // Issue to commit: 100 + 88 B up + the line's memory occupancy; no memory latency.
  const MeasureResult wl = run_bench_systemc(c, point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kLatency);
  EXPECT_NEAR(wl.measured.lat_mean_ns, 100 + 88 * 8 / kTlpGbps + 0.064, 0.01);
  // One posted credit, held from issue to commit, does limit them.
  c.root_complex.posted_credits = 1;
  const MeasureResult w1 = run_bench_systemc(c, point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(w1.measured.gbit_per_s, 512 / (100 + 88 * 8 / kTlpGbps + 0.064), 0.01);
}

// The Broadwell preset with fewer DMAs (the same for both engines).
BenchConfig short_preset() {
  BenchConfig c = load_bench_config(kSrc + "/configs/pcie-bench-bdw.yaml");
  c.device.warmup = 5000;
  c.device.measure = 20000;
  c.device.latency_measure = 5000;
  return c;
}

TEST(PcieBenchSystemc, AgreesWithTheDiscreteEventEngineOnThePreset) {
  // Same offsets (one generator in issue order), same IOMMU, link and memory arithmetic: the two
  // engines differ only in how time is kept. Measured: bandwidth within 0.1 %, latency within
  // 0.5 ns (IommuModule times a translation from the whole nanosecond it issued at), miss rates
  // equal. Stated tolerance: 1 % for bandwidth and latency, 0.005 for the miss rate.
  const BenchConfig c = short_preset();
  for (IommuMode mode : {IommuMode::kOff, IommuMode::k4K}) {
    for (std::uint64_t w : {std::uint64_t{4} << 10, std::uint64_t{1} << 20, std::uint64_t{64} << 20}) {
      if (mode == IommuMode::kOff && w != (1u << 20)) continue;
      const BenchPoint p = point(Op::kRead, mode, w);
      for (Measure m : {Measure::kBandwidth, Measure::kLatency}) {
        const PhaseResult des = run_bench(c, p, m).measured;
        const PhaseResult sc = run_bench_systemc(c, p, m).measured;
        const std::string what = std::string(to_string(mode)) + " window " + std::to_string(w) +
                                 (m == Measure::kBandwidth ? " bandwidth" : " latency");
        EXPECT_EQ(sc.dmas, des.dmas) << what;
        EXPECT_NEAR(sc.gbit_per_s, des.gbit_per_s, 0.01 * des.gbit_per_s) << what;
        EXPECT_NEAR(sc.lat_mean_ns, des.lat_mean_ns, 0.01 * des.lat_mean_ns) << what;
        EXPECT_NEAR(sc.iotlb_miss_rate, des.iotlb_miss_rate, 0.005) << what;
      }
    }
  }
}

// The first power-of-two window whose one-at-a-time mean latency rose above hit + 25 % of the
// miss cost, and the first whose bandwidth ratio (on / off) fell below 0.9 (as in
// tests/pciebench/dma_bench_test.cpp, on the SystemC engine).
struct Knee {
  std::uint64_t latency_window = 0, bandwidth_window = 0;
};
Knee knee(std::uint32_t iotlb_entries) {
  BenchConfig c = bare();
  c.device.outstanding = 32;
  c.device.latency_ns = 300;
  c.memory.latency_ns = 80;
  c.device.measure = 10000;
  c.iommu.caches.iotlb.entries = iotlb_entries;
  c.iommu.caches.iotlb.ways = iotlb_entries;
  for (auto& g : c.iommu.caches.psc) g.enabled = false;  // every miss: 4 reads
  c.iommu.timing.walkers = 4;
  Knee k;
  const double hit =
      run_bench_systemc(c, point(Op::kRead, IommuMode::k4K, 4096), Measure::kLatency).measured.lat_mean_ns;
  const double off =
      run_bench_systemc(c, point(Op::kRead, IommuMode::kOff, 4096), Measure::kBandwidth).measured.gbit_per_s;
  const double miss_cost = 4 * (80 + c.iommu.timing.per_read / c.iommu.timing.clock_ghz);
  for (std::uint64_t w = 128u << 10; w <= (8u << 20); w *= 2) {
    const BenchPoint on = point(Op::kRead, IommuMode::k4K, w);
    if (k.latency_window == 0 &&
        run_bench_systemc(c, on, Measure::kLatency).measured.lat_mean_ns > hit + 0.25 * miss_cost)
      k.latency_window = w;
    if (k.bandwidth_window == 0 && run_bench_systemc(c, on, Measure::kBandwidth).measured.gbit_per_s / off < 0.9)
      k.bandwidth_window = w;
    if (k.latency_window && k.bandwidth_window) break;
  }
  return k;
}

TEST(PcieBenchSystemc, KneeMovesOneWindowStepWhenTheIotlbDoubles) {
  // 64 entries cover 256 KiB: at 512 KiB half the pages miss. 128 entries cover 512 KiB.
  const Knee k64 = knee(64);
  const Knee k128 = knee(128);
  EXPECT_EQ(k64.latency_window, 512u << 10);
  EXPECT_EQ(k128.latency_window, 1u << 20);
  EXPECT_NE(k64.bandwidth_window, 0u);
  EXPECT_EQ(k128.bandwidth_window, 2 * k64.bandwidth_window);
}

TEST(PcieBenchSystemc, RejectsBadPointsBeforeForking) {
  EXPECT_THROW(run_bench_systemc(bare(), point(Op::kRead, IommuMode::kOff, 4096, 48), Measure::kLatency),
               std::invalid_argument);
  EXPECT_THROW(run_bench_systemc(bare(), point(Op::kRead, IommuMode::kOff, 32, 64), Measure::kLatency),
               std::invalid_argument);
}

}  // namespace
}  // namespace vtdsim::pciebench_sysc
