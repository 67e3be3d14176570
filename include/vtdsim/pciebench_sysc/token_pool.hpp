// A counted resource that SystemC threads wait for: the device's read-request tags (PCIe Base
// spec 2.2.6.2: a requester has as many non-posted requests outstanding as it has tags) or the
// root port's posted-request header credits (2.6.1 flow control). acquire(n) takes n at once when
// n are free (a DMA's TLPs all leave together, as in the discrete-event engine).
#pragma once
#include <cstdint>
#include <systemc>

namespace vtdsim::pciebench_sysc {

class TokenPool {
 public:
  explicit TokenPool(std::uint32_t tokens) : free_(tokens) {}

  // From an SC_THREAD: waits until n tokens are free, then takes them.
  void acquire(std::uint32_t n) {
    while (free_ < n) sc_core::wait(released_);
    free_ -= n;
  }
  void release(std::uint32_t n) {
    free_ += n;
    released_.notify();  // immediate: a waiting thread takes them in this evaluation phase
  }
  std::uint32_t free() const { return free_; }

 private:
  std::uint32_t free_;
  sc_core::sc_event released_;
};

}  // namespace vtdsim::pciebench_sysc
