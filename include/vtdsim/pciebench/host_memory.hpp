// Host memory as the pcie-bench engines see it (both use this one arithmetic): one FIFO server
// for DMA data in 64 B lines at memory.bandwidth_gbyte_per_s; a read's data are ready the
// access latency after its lines have been served, a posted write is committed when its lines
// have been served (the root complex owns it from then on).
#pragma once
#include <algorithm>
#include <cstdint>

namespace vtdsim::pciebench {

class HostMemory {
 public:
  static constexpr std::uint32_t kLine = 64;  // memory access granule

  HostMemory(double bandwidth_gbyte_per_s, double latency_ns)
      : ns_per_byte_(1.0 / bandwidth_gbyte_per_s), latency_ns_(latency_ns) {}

  // An access of `size` bytes that reaches memory at t (ns): when its lines have been served.
  double serve(double t, std::uint32_t size) {
    const std::uint32_t lines = (size + kLine - 1) / kLine;
    free_ns_ = std::max(t, free_ns_) + lines * kLine * ns_per_byte_;  // bytes / (GB/s) = ns
    return free_ns_;
  }
  double read_ready(double t, std::uint32_t size) { return serve(t, size) + latency_ns_; }
  double write_committed(double t, std::uint32_t size) { return serve(t, size); }
  double latency_ns() const { return latency_ns_; }

 private:
  double ns_per_byte_;
  double latency_ns_;
  double free_ns_ = 0;
};

}  // namespace vtdsim::pciebench
