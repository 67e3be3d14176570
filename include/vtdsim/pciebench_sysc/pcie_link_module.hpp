// The PCIe link between the pcie-bench DMA engine and the root complex, as a TLM-2.0 module
// (loosely timed, blocking, no temporal decoupling: every stage wait()s to the time it acts, so
// the order of calls into the IOMMU and memory is their time order). The byte counting is the
// discrete-event engine's (pciebench::PcieLink: TLP and DLLP overheads, 128b/130b, MRRS / MPS /
// RCB splitting, one FIFO server per direction), the timing the same as dma_bench.hpp describes:
//   read of n bytes (non-posted): takes one device tag per MRd (all at once, TokenPool), waits the
//     device's annotated delay (its internal latency), sends the MRds upstream, each reaching the
//     root complex link.latency_ns + root_complex.latency_ns after it left; there, in arrival
//     order, each MRd enters the root complex's translation stage (pciebench::TranslationQueue,
//     shared with the HostMemoryModule where requests leave it: it may wait for a slot) and goes
//     down host_side as a payload of its own (IommuModule::dma_in, or memory when the IOMMU is
//     off) and its data come back after the returned delay; its completions (CplD, split at RCB
//     and MPS) queue on the downstream direction, and when the last reaches the device (+ link
//     latency) the tag is free. b_transport returns when every part's data have arrived.
//   write of n bytes (posted, PCIe Base spec 2.4.1): takes one root-port posted credit per MWr,
//     waits the device's delay, queues the MWrs upstream and returns at once: the device does not
//     wait for the write. The root port handles posted TLPs in arrival order (its own thread,
//     through the same translation stage),
//     and a credit returns when its MWr is committed (the delay host_side returned); the DMA's
//     last commit is reported to the PostedCommitObserver with the DMA's DmaIdExtension.
// Every forwarded payload carries a sysc::DmaExtension with the link's source-id.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <vector>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/pciebench/bench_config.hpp"
#include "vtdsim/pciebench/pcie_link.hpp"
#include "vtdsim/pciebench/translation_queue.hpp"
#include "vtdsim/pciebench_sysc/token_pool.hpp"
#include "vtdsim/sysc/dma_extension.hpp"

namespace vtdsim::pciebench_sysc {

// Which DMA of the device a payload is (set by the device; the link reports posted commits by it).
class DmaIdExtension : public tlm::tlm_extension<DmaIdExtension> {
 public:
  std::uint64_t id = 0;
  tlm::tlm_extension_base* clone() const override { return new DmaIdExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override { id = static_cast<const DmaIdExtension&>(other).id; }
};

class PostedCommitObserver {
 public:
  virtual ~PostedCommitObserver() = default;
  virtual void on_committed(std::uint64_t dma_id) = 0;  // at the simulation time of the commit
};

struct LinkCounters {
  std::uint64_t mrd = 0, cpld = 0, mwr = 0;  // TLPs
  // TLPs the IOMMU translated, and those whose translation walked (an IOTLB miss: the
  // DmaExtension's outcome, the discrete-event engine's definition).
  std::uint64_t translated = 0, walked = 0;
};

class PcieLinkModule : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PcieLinkModule> device_side;   // the DMA engine
  tlm_utils::simple_initiator_socket<PcieLinkModule> host_side;  // IommuModule::dma_in, or memory

  SC_HAS_PROCESS(PcieLinkModule);
  // tags: the device's read-request tags (pcie_bench.device.outstanding).
  // queue: the root complex's translation stage (the HostMemoryModule calls its leave()).
  PcieLinkModule(sc_core::sc_module_name name, const pciebench::LinkConfig& link,
                 const pciebench::RootComplexConfig& root_complex, std::uint32_t tags, SourceId source,
                 pciebench::TranslationQueue& queue);

  void set_posted_observer(PostedCommitObserver* observer) { observer_ = observer; }
  const pciebench::PcieLink& link() const { return link_; }
  const LinkCounters& counters() const { return counters_; }
  std::uint32_t free_tags() const { return tags_.free(); }
  std::uint32_t free_credits() const { return credits_.free(); }

 private:
  struct Piece {
    tlm::tlm_generic_payload payload;
    sysc::DmaExtension* ext = nullptr;  // owned by payload
    std::vector<unsigned char> data;    // a posted write's bytes (the device's buffer is reused)
  };
  struct Posted {
    Piece* piece;
    std::uint64_t ticket;  // arrival order at the root complex
    double at_ns;          // reaches the root complex's translation / commit (arrival, then commit)
    std::uint64_t dma;
    bool last;  // the DMA's last MWr
  };

  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void read(tlm::tlm_generic_payload& payload, const pciebench::TlpSplit& requests);
  void write(tlm::tlm_generic_payload& payload, const pciebench::TlpSplit& writes);
  // One TLP down host_side now: the delay it took (translation + memory). Throws on an error.
  // The TLP with the next ticket: the next one's turn comes after it.
  double forward(Piece& piece);
  void posted_thread();  // the root port's posted queue, in arrival order
  void commit_thread();  // credits back at each commit
  Piece& take_piece();
  void give_back(Piece& piece) { free_pieces_.push_back(&piece); }

  pciebench::PcieLink link_;
  double to_root_complex_ns_;  // link flight + root complex ingress
  double flight_ns_;           // link flight
  SourceId source_;
  TokenPool tags_, credits_;
  pciebench::TranslationQueue& queue_;
  std::uint64_t next_ticket_ = 0;     // given as TLPs leave the device (the upstream link is FIFO)
  std::uint64_t served_tickets_ = 0;  // TLPs that have entered translation and gone down
  sc_core::sc_event served_event_;
  PostedCommitObserver* observer_ = nullptr;
  LinkCounters counters_;
  std::vector<std::unique_ptr<Piece>> pieces_;
  std::vector<Piece*> free_pieces_;
  std::deque<Posted> posted_, commits_;
  sc_core::sc_event posted_event_, commit_event_;
};

// Simulation time in nanoseconds, and waiting until a time in nanoseconds (no-op if past).
double now_ns();
void wait_until_ns(double t_ns);

}  // namespace vtdsim::pciebench_sysc
