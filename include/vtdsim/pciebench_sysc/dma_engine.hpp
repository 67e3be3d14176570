// The pcie-bench DMA engine as a SystemC device (Neugebauer et al., SIGCOMM 2018, section 4): DMA
// reads or writes of transfer_bytes at offsets aligned to the transfer, random (or sequential)
// inside the window, through its TLM initiator socket (the PcieLinkModule). `slots` SC_THREADs
// each issue one DMA, wait for it (a read: until its data are back; a posted write: until it has
// been handed to the link, or with wait_for_commits until the link reports its commit), and
// issue the next: up to `slots` DMAs in flight for bandwidth, one for latency. Each call carries
// device.latency_ns as its annotated delay (the engine's internal time; the link waits it out
// after taking the tags) and is followed by wait() of what remains: no temporal decoupling.
// Offsets come from one std::mt19937_64 (device.seed) in issue order, as in the discrete-event
// engine. Every DMA's issue and completion time is kept, in completion order.
#pragma once
#include <cstdint>
#include <functional>
#include <systemc>
#include <vector>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <random>

#include "vtdsim/pciebench/bench_config.hpp"
#include "vtdsim/pciebench/dma_bench.hpp"
#include "vtdsim/pciebench_sysc/pcie_link_module.hpp"

namespace vtdsim::pciebench_sysc {

class DmaEngine : public sc_core::sc_module, public PostedCommitObserver {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> socket;

  // total: DMAs to issue (warm-up + measured); the first `warmup` to complete are the warm-up.
  DmaEngine(sc_core::sc_module_name name, const pciebench::DeviceConfig& device, const pciebench::BenchPoint& point,
            std::uint64_t bus_base, unsigned slots, std::uint64_t total, bool wait_for_commits);

  // Called once, when the warm-up's last DMA completes.
  void set_on_warmup_done(std::function<void()> hook) { on_warmup_done_ = std::move(hook); }
  void on_committed(std::uint64_t dma_id) override { complete(dma_id); }

  // In completion order.
  const std::vector<double>& done_ns() const { return done_ns_; }
  const std::vector<double>& latency_ns() const { return latency_ns_; }
  std::uint64_t max_in_flight() const { return max_in_flight_; }

 private:
  void slot();
  std::uint64_t next_offset();
  void complete(std::uint64_t id);

  pciebench::DeviceConfig device_;
  pciebench::BenchPoint point_;
  std::uint64_t bus_base_;
  std::uint64_t total_;
  bool wait_for_commits_;
  std::mt19937_64 rng_;
  std::uint64_t next_slot_ = 0;  // sequential pattern
  std::uint64_t issued_ = 0, in_flight_ = 0, max_in_flight_ = 0;
  double next_issue_ns_ = 0;
  std::vector<double> issue_ns_;
  std::vector<bool> completed_;
  std::vector<double> done_ns_, latency_ns_;
  sc_core::sc_event completed_event_;
  std::function<void()> on_warmup_done_;
};

}  // namespace vtdsim::pciebench_sysc
