// A PCIe link between a device and the root complex, as the pcie-bench model counts bytes
// (Neugebauer et al., "Understanding PCIe performance for end host networking", SIGCOMM 2018,
// section 3; their model is github.com/pcie-bench/pcie-model, model/pcie.py):
//   raw bandwidth  = GT/s x lanes x encoding (8b/10b for Gen1/2, 128b/130b for Gen3-5: PCIe Base
//                    spec 4.2.2), per direction;
//   TLP bandwidth  = raw - the share taken by ACK and flow-control-update DLLPs (8 B each, one per
//                    "Ack limit" bytes: PCIe Base spec rev 5.0 tables 3-7..3-9 and 2-46..2-48,
//                    as pcie-model tabulates them) and SKIP ordered sets (4 B per 1538 B);
//   bytes on the wire of one TLP = 2 B framing + 6 B data-link layer (sequence number, LCRC)
//                    + 4 B common header + 8 B (32-bit address) or 12 B (64-bit) for MRd/MWr,
//                    8 B for CplD, + 4 B ECRC digest if enabled, + payload.
// A DMA read of n bytes is split into read requests of at most MRRS bytes that do not cross a
// 4 KiB boundary (PCIe Base spec 2.2.7), each answered by completions split at the Read
// Completion Boundary and at most MPS long; a write into MWr TLPs of at most MPS bytes.
// Each direction is a FIFO server: a TLP starts when it is ready and the previous one has left.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vtdsim::pciebench {

struct LinkConfig {
  unsigned gen = 3;          // 1..5
  unsigned lanes = 8;        // 1, 2, 4, 8, 16
  std::uint32_t mps = 256;   // Max Payload Size (bytes)
  std::uint32_t mrrs = 512;  // Max Read Request Size (bytes)
  std::uint32_t rcb = 64;    // Read Completion Boundary (bytes)
  bool addr64 = true;        // 64-bit addresses: 4-DW MRd/MWr headers
  bool ecrc = false;         // TLP digest
  double latency_ns = 0;     // one-way time of flight through both ports' PHY and DLL pipelines
};

// Throws std::invalid_argument naming the field when a value is not one PCIe defines.
void validate(const LinkConfig& config);

// Sizes of the TLPs of one transfer.
struct TlpSplit {
  std::vector<std::uint32_t> payloads;  // payload bytes of each TLP, in order
};

class PcieLink {
 public:
  explicit PcieLink(const LinkConfig& config);

  const LinkConfig& config() const { return config_; }
  double raw_gbit_per_s() const { return raw_gbps_; }  // per direction
  double tlp_gbit_per_s() const { return tlp_gbps_; }  // after DLLP and SKIP overhead
  // Bytes on the wire (framing, DLL, header, digest, payload) of one TLP.
  std::uint32_t mrd_bytes() const { return overhead_ + request_header_; }
  std::uint32_t mwr_bytes(std::uint32_t payload) const { return overhead_ + request_header_ + payload; }
  std::uint32_t cpld_bytes(std::uint32_t payload) const { return overhead_ + kCplDHeader + payload; }
  // Nanoseconds one direction is busy with `bytes` of TLPs.
  double wire_ns(std::uint32_t bytes) const { return static_cast<double>(bytes) * 8.0 / tlp_gbps_; }

  // Read requests of a DMA read of `size` bytes at `address` (MRRS, 4 KiB boundaries), and the
  // completions of one read request (RCB-aligned pieces of at most MPS).
  TlpSplit read_requests(std::uint64_t address, std::uint64_t size) const;
  TlpSplit completions(std::uint64_t address, std::uint32_t size) const;
  // Posted write TLPs of a DMA write (MPS, 4 KiB boundaries).
  TlpSplit writes(std::uint64_t address, std::uint64_t size) const;

  // FIFO servers, one per direction: a TLP ready at ready_ns leaves at the returned time.
  double send_upstream(double ready_ns, std::uint32_t bytes) { return send(up_free_ns_, ready_ns, bytes); }
  double send_downstream(double ready_ns, std::uint32_t bytes) { return send(down_free_ns_, ready_ns, bytes); }
  double upstream_busy_ns() const { return up_busy_ns_; }
  double downstream_busy_ns() const { return down_busy_ns_; }

  static constexpr std::uint32_t kCplDHeader = 4 + 8;  // common header + completer/requester fields

 private:
  double send(double& free_ns, double ready_ns, std::uint32_t bytes);

  LinkConfig config_;
  double raw_gbps_ = 0, tlp_gbps_ = 0;
  std::uint32_t overhead_ = 0;        // framing + DLL (+ digest)
  std::uint32_t request_header_ = 0;  // common header + address part
  double up_free_ns_ = 0, down_free_ns_ = 0;
  double up_busy_ns_ = 0, down_busy_ns_ = 0;
};

}  // namespace vtdsim::pciebench
