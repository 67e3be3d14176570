#include "vtdsim/pciebench/pcie_link.hpp"

#include <algorithm>
#include <stdexcept>

namespace vtdsim::pciebench {

namespace {

constexpr std::uint32_t kPage = 4096;
constexpr std::uint32_t kDllpBytes = 8;      // 2 B framing + 4 B DLLP + 2 B DLLP CRC
constexpr double kSkipShare = 4.0 / 1538.0;  // SKIP ordered sets for clock compensation

bool power_of_two_in(std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
  return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

unsigned lane_index(unsigned lanes) {
  switch (lanes) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    default: return 4;  // 16
  }
}

unsigned mps_index(std::uint32_t mps) {
  unsigned i = 0;
  for (std::uint32_t v = 128; v < mps; v <<= 1) ++i;
  return i;
}

// Bytes between ACK DLLPs (and between flow-control updates: the two tables agree for x1..x16),
// PCIe Base spec rev 5.0 tables 3-7..3-9 and 2-46..2-48, as in pcie-model's Ack_Limits/FC_Guide.
// [generation class][lanes x1,x2,x4,x8,x16][MPS 128..4096].
constexpr std::uint32_t kAckLimit[3][5][6] = {
    {{237, 416, 559, 1071, 2095, 4143},
     {128, 217, 289, 545, 1057, 2081},
     {73, 118, 154, 282, 538, 1050},
     {67, 107, 86, 150, 278, 534},
     {48, 72, 86, 150, 278, 534}},
    {{288, 467, 610, 1122, 2146, 4194},
     {179, 268, 340, 596, 1108, 2132},
     {124, 169, 205, 333, 589, 1101},
     {118, 158, 137, 201, 329, 585},
     {99, 123, 137, 201, 329, 585}},
    {{333, 512, 655, 1167, 2191, 4239},  // Gen3 (pcie-model uses the same for Gen4/5)
     {224, 313, 385, 641, 1153, 2177},
     {169, 214, 250, 378, 634, 1146},
     {163, 203, 182, 246, 374, 630},
     {144, 168, 182, 246, 374, 630}},
};

}  // namespace

void validate(const LinkConfig& c) {
  if (c.gen < 1 || c.gen > 5) throw std::invalid_argument("link.gen must be 1..5, got " + std::to_string(c.gen));
  if (!power_of_two_in(c.lanes, 1, 16))
    throw std::invalid_argument("link.lanes must be 1, 2, 4, 8 or 16, got " + std::to_string(c.lanes));
  if (!power_of_two_in(c.mps, 128, 4096))
    throw std::invalid_argument("link.mps must be a power of two in 128..4096, got " + std::to_string(c.mps));
  if (!power_of_two_in(c.mrrs, 128, 4096))
    throw std::invalid_argument("link.mrrs must be a power of two in 128..4096, got " + std::to_string(c.mrrs));
  if (!power_of_two_in(c.rcb, 64, 128))
    throw std::invalid_argument("link.rcb must be 64 or 128, got " + std::to_string(c.rcb));
  if (!(c.latency_ns >= 0)) throw std::invalid_argument("link.latency_ns must be >= 0");
}

PcieLink::PcieLink(const LinkConfig& config) : config_(config) {
  validate(config_);
  const double gts = config_.gen == 1 ? 2.5 : config_.gen == 2 ? 5.0 : 8.0 * double(1u << (config_.gen - 3));
  const double encoding = config_.gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;
  raw_gbps_ = gts * encoding * config_.lanes;
  const unsigned klass = config_.gen >= 3 ? 2 : config_.gen - 1;
  const double ack = double(kDllpBytes) / kAckLimit[klass][lane_index(config_.lanes)][mps_index(config_.mps)];
  tlp_gbps_ = raw_gbps_ * (1.0 - 2.0 * ack - kSkipShare);  // ACKs + FC updates + SKIPs
  overhead_ = 2 + 6 + (config_.ecrc ? 4 : 0);
  request_header_ = 4 + (config_.addr64 ? 12 : 8);
}

TlpSplit PcieLink::read_requests(std::uint64_t address, std::uint64_t size) const {
  TlpSplit s;
  while (size > 0) {
    const std::uint64_t to_page = kPage - (address & (kPage - 1));
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>({size, to_page, config_.mrrs}));
    s.payloads.push_back(n);
    address += n;
    size -= n;
  }
  return s;
}

TlpSplit PcieLink::completions(std::uint64_t address, std::uint32_t size) const {
  // The completer may return up to MPS per CplD, in pieces that end on RCB boundaries (PCIe Base
  // spec 2.3.1.1): the first piece ends at the next RCB boundary if the start is not aligned.
  TlpSplit s;
  while (size > 0) {
    std::uint32_t n = std::min<std::uint32_t>(size, config_.mps);
    const std::uint64_t end = address + n;
    if (n < size && (end & (config_.rcb - 1)) != 0) n -= static_cast<std::uint32_t>(end & (config_.rcb - 1));
    s.payloads.push_back(n);
    address += n;
    size -= n;
  }
  return s;
}

TlpSplit PcieLink::writes(std::uint64_t address, std::uint64_t size) const {
  TlpSplit s;
  while (size > 0) {
    const std::uint64_t to_page = kPage - (address & (kPage - 1));
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>({size, to_page, config_.mps}));
    s.payloads.push_back(n);
    address += n;
    size -= n;
  }
  return s;
}

double PcieLink::send(double& free_ns, double ready_ns, std::uint32_t bytes) {
  const double start = std::max(free_ns, ready_ns);
  const double busy = wire_ns(bytes);
  free_ns = start + busy;
  (&free_ns == &up_free_ns_ ? up_busy_ns_ : down_busy_ns_) += busy;
  return free_ns;
}

}  // namespace vtdsim::pciebench
