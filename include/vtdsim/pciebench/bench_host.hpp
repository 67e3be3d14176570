// The host side of a pcie-bench run, shared by both engines (dma_bench.hpp's discrete-event one and
// pciebench_sysc's SystemC one): memory holding the page tables, the one iommu::Iommu programmed as
// a driver does (VT-d spec 11.4.5 RTADDR_REG, 11.4.4 GCMD_REG SRTP then TE), the buffer mapped in
// one domain in pages of the point's size (or not at all: IOMMU off), and the memory latencies a
// DMA's data and a walk read cost for the point's placement.
#pragma once
#include <cstdint>
#include <memory>

#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/pciebench/bench_config.hpp"
#include "vtdsim/pciebench/dma_bench.hpp"

namespace vtdsim::pciebench {

struct BenchHost {
  static constexpr SourceId kDevice{0x0300};              // 03:00.0
  static constexpr DomainId kDomain{1};                   //
  static constexpr std::uint64_t kIovaBase = 1ull << 32;  // the buffer's IOVA (1 GiB aligned)
  static constexpr std::uint64_t kHostBase = 1ull << 33;  // and its host-physical address

  // iommu.timing.memory_read is set from the walk latency: walk reads cost the memory's latency.
  BenchHost(const BenchConfig& config, const BenchPoint& point);

  // Bus address of the buffer's first byte: its IOVA, or its host address with the IOMMU off.
  std::uint64_t bus_base() const { return translated_ ? kIovaBase : kHostBase; }
  bool translated() const { return translated_; }

  double data_ns = 0;  // a DMA's data access: memory.latency_ns (+ remote_extra_ns when remote)
  double walk_ns = 0;  // a walk read: + remote_extra_ns only when remote and memory.remote_walk_reads
  mem::SparseMemory memory;
  std::unique_ptr<core::TableBuilder> tables;
  std::unique_ptr<iommu::Iommu> unit;

 private:
  bool translated_ = false;
};

}  // namespace vtdsim::pciebench
