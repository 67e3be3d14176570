// One measured phase of a pcie-bench run from its DMAs in completion order (both engines):
// bandwidth = DMA payload over the time from the previous phase's last completion to this phase's
// last completion, latency mean and median over the phase's DMAs.
#pragma once
#include <cstdint>
#include <vector>

#include "vtdsim/pciebench/dma_bench.hpp"

namespace vtdsim::pciebench {

// Positions [from, to) of done_ns / latency_ns (completion order). The IOTLB columns stay 0.
PhaseResult summarize_phase(const std::vector<double>& done_ns, const std::vector<double>& latency_ns,
                            std::uint64_t from, std::uint64_t to, std::uint64_t transfer_bytes);

}  // namespace vtdsim::pciebench
