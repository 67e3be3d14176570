// Device side of a split virtqueue (virtio 1.2 section 2.7). Every structure the device reads or
// writes -- avail idx and ring entries, descriptors, indirect tables, used elements and idx,
// used_event/avail_event -- is a DMA through the device's DmaPort, so the IOMMU sees the real
// access pattern. Allocation-free.
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/sysc/dma_port.hpp"

namespace vtdsim::virtio {

struct DescBuffer {
  std::uint64_t addr = 0;
  std::uint32_t len = 0;
  bool device_writable = false;
};

struct DescChain {
  // One 4 KiB indirect table (256 descriptors): Linux's virtio-blk sends a segment per page of a
  // large request (QEMU's seg_max is the queue size - 2), e.g. 131 buffers for a 512 KiB write.
  static constexpr unsigned kMaxBuffers = 256;
  std::uint16_t head = 0;
  std::uint16_t count = 0;
  std::uint64_t readable_bytes = 0;
  std::uint64_t writable_bytes = 0;
  bool indirect = false;
  std::array<DescBuffer, kMaxBuffers> buffers{};
};

enum class PopResult : std::uint8_t { kChain, kEmpty, kDmaError, kMalformed };

struct VirtqueueCounters {
  std::uint64_t chains = 0, descriptors = 0, indirect_tables = 0, notifications_sent = 0, notifications_suppressed = 0,
                dma_errors = 0, malformed = 0;
};

class SplitVirtqueue {
 public:
  // queue_size: power of two <= 32768 (2.7 "Queue Size"); addresses as the driver wrote them.
  void configure(std::uint16_t queue_size, std::uint64_t desc, std::uint64_t driver, std::uint64_t device,
                 bool event_idx);
  void reset();
  bool ready() const { return size_ != 0; }
  std::uint16_t size() const { return size_; }

  // Takes the next available chain (2.7.13.1 / device steps in 2.7.x): reads avail->idx when the
  // cached copy is exhausted, then the ring entry and the descriptors (following NEXT, or the
  // indirect table in a single DMA).
  PopResult pop(sysc::DmaPort& dma, DescChain& chain);
  // Adds a used element (2.7.8); publish() then makes all added elements visible by writing idx.
  bool push(sysc::DmaPort& dma, std::uint16_t head, std::uint32_t written);
  bool publish(sysc::DmaPort& dma);
  // 2.7.7 / 2.7.10: whether the driver wants an interrupt for the elements published since the
  // last call (reads avail->flags, or used_event with EVENT_IDX).
  bool should_interrupt(sysc::DmaPort& dma);
  // With EVENT_IDX: publish avail_event = last_avail_idx (ask to be notified for the next buffer)
  // and re-check avail->idx; returns true when more buffers arrived meanwhile.
  bool enable_notification(sysc::DmaPort& dma);

  std::uint16_t last_avail_idx() const { return last_avail_; }
  std::uint16_t used_idx() const { return used_idx_; }
  const VirtqueueCounters& counters() const { return counters_; }

 private:
  bool read_desc(sysc::DmaPort& dma, std::uint64_t addr, std::uint64_t& buf_addr, std::uint32_t& len,
                 std::uint16_t& flags, std::uint16_t& next);

  std::uint16_t size_ = 0;
  std::uint64_t desc_ = 0, driver_ = 0, device_ = 0;
  bool event_idx_ = false;
  std::uint16_t last_avail_ = 0;
  std::uint16_t shadow_avail_ = 0;
  std::uint16_t used_idx_ = 0;
  std::uint16_t signalled_used_ = 0;  // used idx at the last interrupt decision
  std::array<unsigned char, DescChain::kMaxBuffers * 16> indirect_{};
  VirtqueueCounters counters_;
};

}  // namespace vtdsim::virtio
