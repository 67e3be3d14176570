// Driver side of a split virtqueue (virtio 1.2 section 2.7.13 "Supplying Buffers to The Device",
// 2.7.14 "Receiving Used Buffers"). The rings live in guest memory and are written by the CPU at
// their physical addresses; the device is given their bus addresses (from the DMA API). Chains of
// more than one buffer use an indirect table (2.7.5.3) when VIRTIO_F_INDIRECT_DESC is negotiated,
// mapped and unmapped per request as Linux does.
#pragma once
#include <cstdint>
#include <vector>

#include "vtdsim/guest/dma_api.hpp"
#include "vtdsim/guest/guest_memory.hpp"

namespace vtdsim::guest {

struct Sg {
  std::uint64_t bus = 0;
  std::uint32_t len = 0;
  bool device_writable = false;
};

class DriverVirtqueue {
 public:
  static constexpr unsigned kMaxSg = 256;  // an indirect table is one page of 16-byte descriptors

  // Allocates and maps (bidirectional, for the queue's lifetime) the three ring parts.
  DriverVirtqueue(GuestMemory& memory, DmaApi& dma, std::uint16_t size, bool event_idx, bool indirect,
                  tlm_utils::tlm_quantumkeeper& keeper);

  std::uint16_t size() const { return size_; }
  std::uint64_t desc_bus() const { return desc_bus_; }
  std::uint64_t driver_bus() const { return avail_bus_; }
  std::uint64_t device_bus() const { return used_bus_; }
  unsigned free_descriptors() const { return num_free_; }

  // Adds a chain; false when there is no room. token is returned by get_used().
  bool add(const Sg* sg, unsigned n, std::uint64_t token, tlm_utils::tlm_quantumkeeper& keeper);
  // Publishes added chains (avail->idx) and says whether the device wants a notification
  // (2.7.10 with EVENT_IDX: avail_event; otherwise used->flags NO_NOTIFY).
  bool kick_prepare();
  // Next used element, if any.
  bool get_used(std::uint64_t& token, std::uint32_t& len, tlm_utils::tlm_quantumkeeper& keeper);
  // The guest CPU the calling thread runs on: indirect-table maps and unmaps are made from it.
  void set_cpu(unsigned cpu) { cpu_ = cpu; }
  // Re-arms interrupts after draining (EVENT_IDX: used_event = last used idx). Returns true when
  // more used elements arrived meanwhile.
  bool enable_interrupts();
  bool has_used() const;

  std::uint64_t indirect_chains() const { return indirect_chains_; }

 private:
  GuestMemory& memory_;
  DmaApi& dma_;
  unsigned cpu_ = 0;
  std::uint16_t size_;
  bool event_idx_, indirect_;
  std::uint64_t desc_phys_, avail_phys_, used_phys_;
  std::uint64_t desc_bus_, avail_bus_, used_bus_;
  std::uint16_t free_head_ = 0;
  unsigned num_free_;
  std::uint16_t avail_idx_ = 0, old_avail_idx_ = 0, last_used_ = 0;
  std::vector<std::uint16_t> next_;       // free list links
  std::vector<std::uint16_t> chain_len_;  // descriptors per head
  std::vector<std::uint64_t> token_;
  // Indirect tables: one page per head, mapped while in use.
  std::vector<std::uint64_t> indirect_phys_;
  std::vector<std::uint64_t> indirect_bus_;  // 0 when the head uses no indirect table
  std::uint64_t indirect_chains_ = 0;
};

}  // namespace vtdsim::guest
