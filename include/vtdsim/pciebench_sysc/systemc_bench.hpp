// The pcie-bench method on the SystemC platform (`vtdsim pcie-bench --engine systemc`): the same
// BenchConfig, BenchPoint and MeasureResult as the discrete-event engine (pciebench/dma_bench.hpp),
// run as TLM-2.0 modules:
//
//   DmaEngine ──► PcieLinkModule ──► sysc::IommuModule (dma_in ... mem_out) ──► HostMemoryModule
//   (device)      (link + root port)  (the one iommu::Iommu; skipped with the IOMMU off)
//
// with the host (page tables, programmed IOMMU) of pciebench::BenchHost. Loosely timed, blocking,
// no temporal decoupling: one SC_THREAD per DMA slot, each wait()s after every transaction, so the
// calls reach the IOMMU's timing model (walkers) and the FIFO servers (link, memory) in time
// order. docs/caches-timing-stats.md "pcie-bench" compares the two engines.
#pragma once
#include "vtdsim/pciebench/dma_bench.hpp"

namespace vtdsim::pciebench_sysc {

// One run. SystemC elaborates once per process, so the simulation runs in a forked child whose
// result comes back through a pipe: callable any number of times from a process that never
// elaborates SystemC itself. Throws std::invalid_argument for a bad point (validate), and
// std::runtime_error when the child failed (its message).
pciebench::MeasureResult run_bench_systemc(const pciebench::BenchConfig& config, const pciebench::BenchPoint& point,
                                           pciebench::Measure measure);

}  // namespace vtdsim::pciebench_sysc
