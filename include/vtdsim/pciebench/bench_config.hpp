// Configuration of a pcie-bench run (docs/configuration.md "pcie_bench"): the PCIe link, the root
// complex, host memory and the DMA-engine device, from the `pcie_bench:` section of a vtdsim YAML
// file; the IOMMU from its `iommu:` section as everywhere else. Defaults here and only here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/pciebench/pcie_link.hpp"

namespace vtdsim::pciebench {

struct RootComplexConfig {
  double latency_ns = 0;              // request ingress to memory request, and memory data to completion out
  std::uint32_t posted_credits = 32;  // posted-request header credits the root port advertises (TLPs)
  // Requests leave translation in arrival order: a request behind a miss waits for it (no
  // hit-under-miss across requests). Off: a hit passes a queued miss.
  bool in_order_translation = false;
  // Requests in translation at once (entered, not yet left; pciebench/translation_queue.hpp); a
  // request arriving when all are taken waits at the root complex. 0: no limit.
  std::uint32_t translation_slots = 0;
};

struct MemoryConfig {
  double latency_ns = 90;             // a DMA read's data (buffer not in the LLC) and a walk read
  double bandwidth_gbyte_per_s = 60;  // one FIFO server for DMA data
  double remote_extra_ns = 0;         // --memory remote: added to every DMA data access
  bool remote_walk_reads = false;     // ...and to walk reads (page tables on the buffer's socket)
};

struct DeviceConfig {
  std::uint32_t outstanding = 32;         // read-request tags the DMA engine has (non-posted reads in flight)
  double issue_ns = 0;                    // shortest gap between two DMA issues of the engine
  double latency_ns = 0;                  // device-internal time of one DMA (issue, completion receipt, timestamp)
  std::uint64_t warmup = 20000;           // DMAs before measuring
  std::uint64_t measure = 100000;         // DMAs measured (bandwidth runs)
  std::uint64_t latency_measure = 20000;  // DMAs measured one at a time (latency runs)
  std::uint64_t seed = 1;                 // random offsets
};

struct BenchConfig {
  LinkConfig link;
  RootComplexConfig root_complex;
  MemoryConfig memory;
  DeviceConfig device;
  config::UnitConfig iommu;
};

// Reads `pcie_bench:` (and `iommu:`) from a configuration tree. Throws config::ConfigError naming
// the key path. iommu.timing.memory_read must not be set: walk reads cost the memory's latency.
BenchConfig resolve_bench_config(const YAML::Node& root);
BenchConfig load_bench_config(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace vtdsim::pciebench
