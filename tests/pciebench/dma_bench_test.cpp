// The pcie-bench engine: link-bound and tag-bound throughput with hand-computed numbers, posted
// writes against non-posted reads, and the IOTLB knee moving by one window step when the IOTLB
// doubles (a structural property: coverage = entries x 4 KiB).
#include <gtest/gtest.h>

#include "vtdsim/pciebench/dma_bench.hpp"

namespace vtdsim::pciebench {
namespace {

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

TEST(DmaBench, ReadsOfManyTagsAreLinkBound) {
  // 64 B reads at Gen3 x8: each needs a 24 B MRd up and an 84 B CplD down. TLP bandwidth
  // 57.8847 Gbit/s (pcie_link_test), so the downstream carries 57.8847 x 64 / 84 = 44.1027 Gbit/s
  // of payload (pcie-bench paper figure 1: ~44 Gbit/s for 64 B reads on Gen3 x8).
  const MeasureResult r = run_bench(bare(), point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(r.measured.gbit_per_s, 44.1027, 0.01);
  // Writes: 88 B MWr up, nothing down: 57.8847 x 64 / 88 = 42.0980 Gbit/s.
  const MeasureResult w = run_bench(bare(), point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(w.measured.gbit_per_s, 42.0980, 0.01);
}

TEST(DmaBench, OutstandingTagsBoundReads) {
  BenchConfig c = bare();
  c.device.outstanding = 4;
  c.device.latency_ns = 100;
  c.memory.latency_ns = 300;
  // One read: 100 (device) + 24 B up (3.3170 ns) + 300 (memory) + 84 B down (11.6091 ns)
  // = 414.9261 ns, plus the 64 B line's memory occupancy 64 B / 1000 GB/s = 0.064 ns.
  const double lat = 100 + 24 * 8 / 57.8847 + 300 + 84 * 8 / 57.8847 + 0.064;
  const MeasureResult one = run_bench(c, point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kLatency);
  EXPECT_NEAR(one.measured.lat_mean_ns, lat, 0.01);
  // 4 tags: 4 reads of 512 bit per latency (the wires are far from busy).
  const MeasureResult bw = run_bench(c, point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(bw.measured.gbit_per_s, 4 * 512 / lat, 0.05);
  c.device.outstanding = 8;
  const MeasureResult bw8 = run_bench(c, point(Op::kRead, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(bw8.measured.gbit_per_s, 8 * 512 / lat, 0.1);
}

TEST(DmaBench, PostedWritesDoNotWaitForCompletions) {
  BenchConfig c = bare();
  c.device.outstanding = 4;
  c.device.latency_ns = 100;
  c.memory.latency_ns = 300;
  // Writes take no tag and wait for nothing downstream: link-bound despite 4 tags and 300 ns.
  const MeasureResult w = run_bench(c, point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(w.measured.gbit_per_s, 42.0980, 0.05);
  // A write's latency is issue to commit at the root complex: 100 + 88 B up (12.1618 ns) + the
  // line's memory occupancy; the memory latency is not waited for.
  const MeasureResult wl = run_bench(c, point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kLatency);
  EXPECT_NEAR(wl.measured.lat_mean_ns, 100 + 88 * 8 / 57.8847 + 0.064, 0.01);
  // Few posted credits do limit writes: 1 credit, held from issue to commit.
  c.root_complex.posted_credits = 1;
  const MeasureResult w1 = run_bench(c, point(Op::kWrite, IommuMode::kOff, 1 << 20), Measure::kBandwidth);
  EXPECT_NEAR(w1.measured.gbit_per_s, 512 / (100 + 88 * 8 / 57.8847 + 0.064), 0.01);
}

// The first power-of-two window whose one-at-a-time mean latency rose above hit + 25 % of the
// miss cost, and the first whose bandwidth ratio (on / off) fell below 0.9.
struct Knee {
  std::uint64_t latency_window = 0, bandwidth_window = 0;
};
Knee knee(std::uint32_t iotlb_entries) {
  BenchConfig c = bare();
  c.device.outstanding = 32;
  c.device.latency_ns = 300;
  c.memory.latency_ns = 80;
  c.iommu.caches.iotlb.entries = iotlb_entries;
  c.iommu.caches.iotlb.ways = iotlb_entries;
  for (auto& g : c.iommu.caches.psc) g.enabled = false;  // every miss: 4 reads
  c.iommu.timing.walkers = 4;
  Knee k;
  const double hit = run_bench(c, point(Op::kRead, IommuMode::k4K, 4096), Measure::kLatency).measured.lat_mean_ns;
  const double miss_cost = 4 * (80 + c.iommu.timing.per_read / c.iommu.timing.clock_ghz);
  for (std::uint64_t w = 4096; w <= (64u << 20); w *= 2) {
    const BenchPoint on = point(Op::kRead, IommuMode::k4K, w);
    const double lat = run_bench(c, on, Measure::kLatency).measured.lat_mean_ns;
    if (k.latency_window == 0 && lat > hit + 0.25 * miss_cost) k.latency_window = w;
    const double ratio = run_bench(c, on, Measure::kBandwidth).measured.gbit_per_s /
                         run_bench(c, point(Op::kRead, IommuMode::kOff, w), Measure::kBandwidth).measured.gbit_per_s;
    if (k.bandwidth_window == 0 && ratio < 0.9) k.bandwidth_window = w;
    if (k.latency_window && k.bandwidth_window) break;
  }
  return k;
}

TEST(DmaBench, KneeMovesOneWindowStepWhenTheIotlbDoubles) {
  // 64 entries cover 256 KiB: at 512 KiB half the pages miss. 128 entries cover 512 KiB.
  const Knee k64 = knee(64);
  const Knee k128 = knee(128);
  EXPECT_EQ(k64.latency_window, 512u << 10);
  EXPECT_EQ(k128.latency_window, 1u << 20);
  EXPECT_EQ(k128.latency_window, 2 * k64.latency_window);
  EXPECT_EQ(k128.bandwidth_window, 2 * k64.bandwidth_window);
}

TEST(DmaBench, InOrderTranslationMakesHitsWaitBehindMisses) {
  BenchConfig c = bare();
  c.device.outstanding = 32;
  c.device.latency_ns = 300;
  c.memory.latency_ns = 80;
  c.iommu.caches.iotlb.entries = 64;
  c.iommu.caches.iotlb.ways = 64;
  // 512 KiB: half the DMAs miss. Out of order the hits pass the queued misses and keep the tags
  // turning; in order they wait, so the bandwidth is lower. The one-at-a-time latency is the same.
  const BenchPoint p = point(Op::kRead, IommuMode::k4K, 512u << 10);
  const MeasureResult ooo = run_bench(c, p, Measure::kBandwidth);
  const double ooo_lat = run_bench(c, p, Measure::kLatency).measured.lat_mean_ns;
  c.root_complex.in_order_translation = true;
  const MeasureResult ino = run_bench(c, p, Measure::kBandwidth);
  EXPECT_LT(ino.measured.gbit_per_s, 0.95 * ooo.measured.gbit_per_s);
  EXPECT_DOUBLE_EQ(run_bench(c, p, Measure::kLatency).measured.lat_mean_ns, ooo_lat);
  // Without misses the order changes nothing.
  const BenchPoint small = point(Op::kRead, IommuMode::k4K, 64u << 10);
  const double a = run_bench(c, small, Measure::kBandwidth).measured.gbit_per_s;
  c.root_complex.in_order_translation = false;
  EXPECT_DOUBLE_EQ(run_bench(c, small, Measure::kBandwidth).measured.gbit_per_s, a);
}

TEST(DmaBench, TwoMegabytePagesHaveNoKneeUpTo64MiB) {
  BenchConfig c = bare();
  c.device.latency_ns = 300;
  c.memory.latency_ns = 80;
  const MeasureResult r = run_bench(c, point(Op::kRead, IommuMode::k2M, 64u << 20), Measure::kLatency);
  EXPECT_LT(r.measured.iotlb_miss_rate, 0.01);  // 32 superpage entries fit the default IOTLB
  const MeasureResult r4 = run_bench(c, point(Op::kRead, IommuMode::k4K, 64u << 20), Measure::kLatency);
  EXPECT_GT(r4.measured.iotlb_miss_rate, 0.99);
}

TEST(DmaBench, RejectsBadPoints) {
  EXPECT_THROW(run_bench(bare(), point(Op::kRead, IommuMode::kOff, 4096, 0), Measure::kLatency), std::invalid_argument);
  EXPECT_THROW(run_bench(bare(), point(Op::kRead, IommuMode::kOff, 4096, 48), Measure::kLatency),
               std::invalid_argument);
  EXPECT_THROW(run_bench(bare(), point(Op::kRead, IommuMode::kOff, 32, 64), Measure::kLatency), std::invalid_argument);
  BenchConfig c = bare();
  c.device.outstanding = 2;  // a 4 KiB read is 8 requests of 512 B
  EXPECT_THROW(run_bench(c, point(Op::kRead, IommuMode::kOff, 8192, 4096), Measure::kBandwidth), std::invalid_argument);
}

}  // namespace
}  // namespace vtdsim::pciebench
