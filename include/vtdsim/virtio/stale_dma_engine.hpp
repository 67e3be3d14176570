// A modelled device bug: use after unmap. After the device completes a buffer (adds its chain to
// the used ring) this engine keeps issuing DMAs to the chain's buffers at their bus addresses, as
// virtio-pci StaleDmaConfig says (virtio_device_config.hpp): one DMA per buffer every interval,
// for a count or a time. It shares the device's DMA socket and source-id (its own DmaPort and
// quantum keeper, issuing at exact times) and ignores every error, as a buggy device would. A
// StaleDmaSink (the platform's DMA monitor) is told about each completion and each stale DMA so
// that it can classify what the DMA reached.
#pragma once
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/sysc/dma_port.hpp"
#include "vtdsim/virtio/split_virtqueue.hpp"
#include "vtdsim/virtio/virtio_device_config.hpp"

namespace vtdsim::virtio {

class StaleDmaSink {
 public:
  virtual ~StaleDmaSink() = default;
  // The device completed the buffer at `bus`: returns a ticket naming the guest mapping it used.
  virtual std::uint64_t buffer_completed(SourceId source, std::uint64_t bus) = 0;
  // Brackets one stale DMA of `source` to `bus` for the buffer completed with `ticket`.
  virtual void begin_stale(SourceId source, std::uint64_t bus, std::uint64_t ticket) = 0;
  virtual void end_stale(SourceId source) = 0;
};

struct StaleDmaCounters {
  std::uint64_t followed = 0;  // buffers followed after their completion
  std::uint64_t issued = 0;    // stale DMAs issued
  std::uint64_t errors = 0;    // of those, error responses (faults)
  std::uint64_t dropped = 0;   // buffers not followed: kMaxActive already followed
};

class StaleDmaEngine : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(StaleDmaEngine);
  StaleDmaEngine(sc_core::sc_module_name name, tlm::tlm_initiator_socket<>& socket, SourceId source,
                 const StaleDmaConfig& config, std::uint32_t max_payload);

  void set_sink(StaleDmaSink* sink) { sink_ = sink; }
  void set_access_platform(bool value) { port_.set_access_platform(value); }
  // The device thread pushed `chain` to the used ring at its local time offset `local`.
  void completed(const DescChain& chain, const sc_core::sc_time& local);
  const StaleDmaCounters& counters() const { return counters_; }
  const StaleDmaConfig& config() const { return config_; }

 private:
  struct Entry {
    std::uint64_t bus = 0;
    std::uint32_t len = 0;
    std::uint64_t ticket = 0;
    std::uint64_t left = 0;  // DMAs still to issue (count-bounded)
    bool write = false;
    sc_core::sc_time next, end;
  };
  using HeapItem = std::pair<sc_core::sc_time, unsigned>;  // next issue time, slot
  void thread();

  StaleDmaConfig config_;
  SourceId source_;
  tlm_utils::tlm_quantumkeeper keeper_;
  sysc::DmaPort port_;
  StaleDmaSink* sink_ = nullptr;
  std::vector<Entry> slots_;
  std::vector<unsigned> free_;
  std::vector<HeapItem> heap_;  // min-heap on the issue time
  std::uint64_t chains_ = 0;
  sc_core::sc_event added_;
  std::array<unsigned char, 4096> buf_{};
  StaleDmaCounters counters_;
};

}  // namespace vtdsim::virtio
