// virtio-net (virtio 1.2 section 5.1): receiveq1 (0) and transmitq1 (1). The transmit thread takes
// each chain (virtio_net_hdr + packet), reads it by DMA and puts it on a wire of the configured
// line rate; a chain is completed once its frame is fetched, and fetching overlaps the wire time
// of the previous frame (one-frame transmit FIFO). The receive side is fed by a traffic source on the far end of the
// wire: a stream (packet size, rate) or the peer of a request-response exchange (one response per transmitted request
// after a peer latency). Received packets are written into the driver's buffers by DMA with a header whose num_buffers
// = 1; payload byte i of packet n is (n + i) & 0xff.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "vtdsim/virtio/virtio_pci_device.hpp"

namespace vtdsim::virtio {

struct NetDeviceCounters {
  std::uint64_t tx_packets = 0, tx_bytes = 0, tx_errors = 0;
  std::uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped_no_buffer = 0, rx_errors = 0;
  std::uint64_t rx_truncated = 0;
};

class VirtioNetDevice : public VirtioPciDevice {
 public:
  SC_HAS_PROCESS(VirtioNetDevice);
  VirtioNetDevice(sc_core::sc_module_name name, const VirtioPciConfig& pci, const NetDeviceConfig& net);

  const NetDeviceConfig& net_config() const { return net_; }
  const NetDeviceCounters& net_counters() const { return counters_; }
  sysc::DmaPortCounters dma_counters() const override;

 private:
  std::uint64_t read_device_config(std::uint32_t offset, unsigned size) override;
  void on_features_ok() override;
  void tx_thread();
  void rx_thread();
  bool receive_one(std::uint64_t seq, std::uint32_t size);
  sc_core::sc_time wire_time(std::uint64_t bytes) const;

  NetDeviceConfig net_;
  NetDeviceCounters counters_;
  tlm_utils::tlm_quantumkeeper tx_keeper_, rx_keeper_;
  sysc::DmaPort tx_dma_, rx_dma_;
  DescChain tx_chain_, rx_chain_;
  std::vector<unsigned char> tx_buf_, rx_buf_;
  sc_core::sc_time tx_wire_free_, rx_wire_free_;
  // Pending responses of the request-response peer (absolute arrival times), fixed capacity.
  static constexpr std::size_t kMaxPending = 4096;
  std::array<sc_core::sc_time, kMaxPending> pending_{};
  std::size_t pending_head_ = 0, pending_count_ = 0;
  std::uint64_t pending_dropped_ = 0;
  sc_core::sc_event response_event_;
};

}  // namespace vtdsim::virtio
