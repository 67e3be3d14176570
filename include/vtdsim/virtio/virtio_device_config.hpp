// What the platform description sets for a virtio-pci device (SystemC-free: configuration
// loading includes it): the transport's offers and limits, and the net and blk back-ends.
#pragma once
#include <cstdint>
#include <string>

#include "vtdsim/spec/types.hpp"
#include "vtdsim/virtio/virtio_spec.hpp"

namespace vtdsim::virtio {

// A buggy (or malicious) device: after completing a buffer (adding it to the used ring) it keeps
// issuing DMAs to that buffer's bus address -- use after unmap. One DMA of `bytes` (within the
// buffer's first page) every `interval_ns`, starting `interval_ns` after the completion, until
// `count` DMAs were issued or `after_complete_ns` elapsed (whichever is set; both: the first
// reached), for every `every`-th completed chain (each of its buffers). At most kMaxActive buffers are followed at once
// (the oldest is dropped). The platform's DMA monitor classifies each such DMA ("safety").
struct StaleDmaConfig {
  static constexpr unsigned kMaxActive = 4096;
  bool enabled = false;
  std::uint64_t count = 0;       // DMAs per buffer; 0 = bounded by time only
  double after_complete_ns = 0;  // how long after the completion; 0 = bounded by count only
  double interval_ns = 1000.0;   // between two stale DMAs to one buffer
  std::uint32_t every = 1;       // follow every N-th completed buffer
  std::uint32_t bytes = 64;      // per DMA (clipped to the buffer and its first page)
  enum class Access : std::uint8_t { kSame, kRead, kWrite };
  Access access = Access::kSame;  // kSame: as the device used the buffer (writes 0xdb bytes to a
                                  // device-writable buffer, reads a device-readable one)
};

struct VirtioPciConfig {
  std::string name = "virtio";
  SourceId source;                       // bus:dev.fn
  bool offer_access_platform = true;     // VIRTIO_F_ACCESS_PLATFORM (6)
  bool require_access_platform = false;  // fail FEATURES_OK when offered but not accepted (6.1 "MAY")
  bool offer_iommu_passthrough = false;  // proposed VIRTIO_F_IOMMU_PASSTHROUGH (never merged): the
                                         // hypervisor ignores the IOMMU for this device
  unsigned iommu_passthrough_bit = kFIommuPassthroughDefault;
  bool offer_event_idx = true;
  bool offer_indirect = true;
  std::uint16_t max_queue_size = 256;
  std::uint32_t max_payload = 4096;  // bytes per DMA request (PCIe MPS / MRRS)
  StaleDmaConfig stale_dma;
};

enum class NetPeerMode : std::uint8_t { kNone, kStream, kRequestResponse };

struct NetDeviceConfig {
  double line_rate_gbps = 10.0;
  std::uint16_t mtu = 1500;
  NetPeerMode peer = NetPeerMode::kNone;
  std::uint32_t rx_packet_size = 1500;  // stream: bytes per received packet (without virtio hdr)
  double rx_rate_gbps = 0.0;            // stream: 0 = line rate
  std::uint64_t rx_packets = 0;         // stream: 0 = unbounded
  std::uint32_t response_size = 64;     // request-response: bytes per response
  double peer_latency_ns = 5000.0;      // request-response: wire + peer processing
};

struct BlkDeviceConfig {
  std::uint64_t capacity_sectors = 1ull << 21;  // 1 GiB
  double latency_us = 20.0;                     // per request
  double bandwidth_gbps = 2.0;                  // GB/s; 0 = unlimited
};

}  // namespace vtdsim::virtio
