#include "vtdsim/virtio/virtio_net_device.hpp"

#include <algorithm>

namespace vtdsim::virtio {

namespace {
// Ethernet overhead on the wire per frame: preamble + SFD (8), FCS (4), inter-frame gap (12).
constexpr std::uint64_t kWireOverhead = 24;
constexpr unsigned kTxBurst = 64;  // chains per used-idx publish (QEMU tx_burst style batching)
}  // namespace

VirtioNetDevice::VirtioNetDevice(sc_core::sc_module_name name, const VirtioPciConfig& pci, const NetDeviceConfig& net)
    : VirtioPciDevice(name, pci, net::kDeviceId, 2, feature_bit(net::kFMac) | feature_bit(net::kFMtu)),
      net_(net),
      tx_dma_(dma_socket, tx_keeper_, pci.source, pci.max_payload),
      rx_dma_(dma_socket, rx_keeper_, pci.source, pci.max_payload),
      tx_buf_(65536 + net::kHdrSize),
      rx_buf_(65536 + net::kHdrSize),
      tx_wire_free_(sc_core::SC_ZERO_TIME),
      rx_wire_free_(sc_core::SC_ZERO_TIME) {
  SC_THREAD(tx_thread);
  SC_THREAD(rx_thread);
}

sysc::DmaPortCounters VirtioNetDevice::dma_counters() const {
  sysc::DmaPortCounters c = tx_dma_.counters();
  const sysc::DmaPortCounters& r = rx_dma_.counters();
  c.requests += r.requests;
  c.errors += r.errors;
  c.read_bytes += r.read_bytes;
  c.write_bytes += r.write_bytes;
  return c;
}

std::uint64_t VirtioNetDevice::read_device_config(std::uint32_t offset, unsigned size) {
  // 5.1.4 struct virtio_net_config: u8 mac[6]; le16 status; le16 max_virtqueue_pairs; le16 mtu.
  unsigned char cfg[12] = {0x52,
                           0x54,
                           0x00,
                           0x12,
                           0x34,
                           static_cast<unsigned char>(config_.source.value),
                           1,
                           0,  // status: VIRTIO_NET_S_LINK_UP
                           1,
                           0,  // one queue pair
                           static_cast<unsigned char>(net_.mtu),
                           static_cast<unsigned char>(net_.mtu >> 8)};
  std::uint64_t v = 0;
  for (unsigned i = 0; i < size && offset + i < sizeof cfg; ++i)
    v |= static_cast<std::uint64_t>(cfg[offset + i]) << (8 * i);
  return v;
}

void VirtioNetDevice::on_features_ok() {
  configure_port(tx_dma_);
  configure_port(rx_dma_);
}

sc_core::sc_time VirtioNetDevice::wire_time(std::uint64_t bytes) const {
  return sc_core::sc_time(static_cast<double>((bytes + kWireOverhead) * 8) / net_.line_rate_gbps, sc_core::SC_NS);
}

void VirtioNetDevice::tx_thread() {
  SplitVirtqueue& vq = queue(net::kTxQueue);
  unsigned burst = 0;
  while (true) {
    if (!driver_ok() || !vq.ready()) {
      tx_keeper_.sync();
      sc_core::wait(state_event());
      tx_keeper_.reset();
      burst = 0;
      continue;
    }
    const std::uint64_t gen = generation();
    clear_kick(net::kTxQueue);
    const PopResult r = vq.pop(tx_dma_, tx_chain_);
    if (gen != generation()) continue;
    if (r == PopResult::kEmpty || burst == kTxBurst) {
      if (burst != 0) {
        burst = 0;
        if (vq.publish(tx_dma_) && vq.should_interrupt(tx_dma_))
          raise_queue_interrupt(net::kTxQueue, tx_keeper_.get_local_time());
        if (r == PopResult::kChain) {
          // fall through and transmit the chain taken above
        } else {
          continue;  // re-check after publishing
        }
      } else {
        if (vq.enable_notification(tx_dma_)) continue;
        tx_keeper_.sync();
        wait_for_kick(net::kTxQueue);
        tx_keeper_.reset();
        continue;
      }
    }
    if (r == PopResult::kDmaError || r == PopResult::kMalformed) {
      ++counters_.tx_errors;
      set_needs_reset(tx_keeper_.get_local_time());
      continue;  // driver_ok() is now false: wait for a reset
    }
    // The transmit FIFO holds one frame: fetching the next frame overlaps the wire time of the
    // current one, but the device does not run more than one frame ahead of the wire.
    {
      const sc_core::sc_time now = sc_core::sc_time_stamp() + tx_keeper_.get_local_time();
      const sc_core::sc_time one_frame = wire_time(net_.mtu + 14u);
      if (tx_wire_free_ > now + one_frame) {
        tx_keeper_.set(tx_wire_free_ - one_frame - sc_core::sc_time_stamp());
        if (tx_keeper_.need_sync()) tx_keeper_.sync();
      }
    }
    // Gather the device-readable part: virtio_net_hdr followed by the frame (5.1.6.2).
    std::size_t total = 0;
    bool ok = true;
    for (unsigned i = 0; i < tx_chain_.count && ok; ++i) {
      const DescBuffer& b = tx_chain_.buffers[i];
      if (b.device_writable) break;
      const std::size_t n = std::min<std::size_t>(b.len, tx_buf_.size() - total);
      ok = tx_dma_.read(b.addr, tx_buf_.data() + total, n);
      total += n;
    }
    if (gen != generation()) continue;
    if (!ok) {
      ++counters_.tx_errors;
      set_needs_reset(tx_keeper_.get_local_time());
      continue;
    }
    const std::uint64_t frame = total > net::kHdrSize ? total - net::kHdrSize : 0;
    const sc_core::sc_time now = sc_core::sc_time_stamp() + tx_keeper_.get_local_time();
    tx_wire_free_ = std::max(now, tx_wire_free_) + wire_time(frame);
    ++counters_.tx_packets;
    counters_.tx_bytes += frame;
    vq.push(tx_dma_, tx_chain_.head, 0);
    buffer_completed(tx_chain_, tx_keeper_.get_local_time());
    ++burst;
    if (net_.peer == NetPeerMode::kRequestResponse) {
      if (pending_count_ == kMaxPending) {
        ++pending_dropped_;
      } else {
        const sc_core::sc_time arrival = tx_wire_free_ + sc_core::sc_time(net_.peer_latency_ns, sc_core::SC_NS);
        pending_[(pending_head_ + pending_count_) % kMaxPending] = arrival;
        ++pending_count_;
        response_event_.notify(arrival - sc_core::sc_time_stamp());
      }
    }
    if (tx_keeper_.need_sync()) tx_keeper_.sync();
  }
}

bool VirtioNetDevice::receive_one(std::uint64_t seq, std::uint32_t size) {
  SplitVirtqueue& vq = queue(net::kRxQueue);
  clear_kick(net::kRxQueue);
  PopResult r = vq.pop(rx_dma_, rx_chain_);
  if (r == PopResult::kEmpty && vq.enable_notification(rx_dma_)) r = vq.pop(rx_dma_, rx_chain_);
  if (r == PopResult::kEmpty) {
    ++counters_.rx_dropped_no_buffer;
    return true;
  }
  if (r != PopResult::kChain) {
    ++counters_.rx_errors;
    set_needs_reset(rx_keeper_.get_local_time());
    return false;
  }
  // 5.1.6.4: virtio_net_hdr (flags 0, gso none, num_buffers = 1) then the frame.
  const std::size_t total = net::kHdrSize + size;
  std::fill(rx_buf_.begin(), rx_buf_.begin() + net::kHdrSize, 0);
  rx_buf_[net::kHdrNumBuffersOffset] = 1;
  for (std::uint32_t i = 0; i < size; ++i) rx_buf_[net::kHdrSize + i] = static_cast<unsigned char>(seq + i);
  std::size_t written = 0;
  bool ok = true;
  for (unsigned i = 0; i < rx_chain_.count && written < total && ok; ++i) {
    const DescBuffer& b = rx_chain_.buffers[i];
    if (!b.device_writable) continue;
    const std::size_t n = std::min<std::size_t>(b.len, total - written);
    ok = rx_dma_.write(b.addr, rx_buf_.data() + written, n);
    written += n;
  }
  if (!ok) {
    ++counters_.rx_errors;
    set_needs_reset(rx_keeper_.get_local_time());
    return false;
  }
  if (written < total) ++counters_.rx_truncated;
  ++counters_.rx_packets;
  counters_.rx_bytes += size;
  vq.push(rx_dma_, rx_chain_.head, static_cast<std::uint32_t>(written));
  buffer_completed(rx_chain_, rx_keeper_.get_local_time());
  if (vq.publish(rx_dma_) && vq.should_interrupt(rx_dma_))
    raise_queue_interrupt(net::kRxQueue, rx_keeper_.get_local_time());
  return true;
}

void VirtioNetDevice::rx_thread() {
  SplitVirtqueue& vq = queue(net::kRxQueue);
  std::uint64_t seq = 0;
  const double rate = net_.rx_rate_gbps > 0 ? std::min(net_.rx_rate_gbps, net_.line_rate_gbps) : net_.line_rate_gbps;
  const sc_core::sc_time gap(static_cast<double>((net_.rx_packet_size + kWireOverhead) * 8) / rate, sc_core::SC_NS);
  sc_core::sc_time next_arrival = sc_core::SC_ZERO_TIME;
  while (true) {
    if (net_.peer == NetPeerMode::kNone || !driver_ok() || !vq.ready()) {
      rx_keeper_.sync();
      sc_core::wait(state_event());
      rx_keeper_.reset();
      continue;
    }
    sc_core::sc_time arrival;
    std::uint32_t size;
    if (net_.peer == NetPeerMode::kStream) {
      if (net_.rx_packets != 0 && seq >= net_.rx_packets) {
        rx_keeper_.sync();
        sc_core::wait(state_event());
        rx_keeper_.reset();
        continue;
      }
      if (next_arrival < sc_core::sc_time_stamp()) next_arrival = sc_core::sc_time_stamp();
      arrival = next_arrival;
      next_arrival += gap;
      size = net_.rx_packet_size;
    } else {
      if (pending_count_ == 0) {
        rx_keeper_.sync();
        sc_core::wait(response_event_ | state_event());
        rx_keeper_.reset();
        continue;
      }
      arrival = pending_[pending_head_];
      pending_head_ = (pending_head_ + 1) % kMaxPending;
      --pending_count_;
      size = net_.response_size;
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp() + rx_keeper_.get_local_time();
    if (arrival > now) {
      if (arrival - sc_core::sc_time_stamp() > tlm_utils::tlm_quantumkeeper::get_global_quantum()) {
        rx_keeper_.sync();
        sc_core::wait(arrival - sc_core::sc_time_stamp());
        rx_keeper_.reset();
      } else {
        rx_keeper_.set(arrival - sc_core::sc_time_stamp());
      }
    }
    const std::uint64_t gen = generation();
    receive_one(seq++, size);
    if (gen != generation()) continue;
    if (rx_keeper_.need_sync()) rx_keeper_.sync();
  }
}

}  // namespace vtdsim::virtio
