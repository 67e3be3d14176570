#include "vtdsim/virtio/split_virtqueue.hpp"

#include <cstring>

#include "vtdsim/virtio/virtio_spec.hpp"

namespace vtdsim::virtio {

namespace {
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t le64(const unsigned char* p) {
  return static_cast<std::uint64_t>(le32(p)) | (static_cast<std::uint64_t>(le32(p + 4)) << 32);
}
void put16(unsigned char* p, std::uint16_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
}
void put32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
}  // namespace

void SplitVirtqueue::configure(std::uint16_t queue_size, std::uint64_t desc, std::uint64_t driver, std::uint64_t device,
                               bool event_idx) {
  reset();
  size_ = queue_size;
  desc_ = desc;
  driver_ = driver;
  device_ = device;
  event_idx_ = event_idx;
}

void SplitVirtqueue::reset() {
  size_ = 0;
  desc_ = driver_ = device_ = 0;
  event_idx_ = false;
  last_avail_ = shadow_avail_ = used_idx_ = signalled_used_ = 0;
}

bool SplitVirtqueue::read_desc(sysc::DmaPort& dma, std::uint64_t addr, std::uint64_t& buf_addr, std::uint32_t& len,
                               std::uint16_t& flags, std::uint16_t& next) {
  unsigned char d[kDescSize];
  if (!dma.read(addr, d, sizeof d)) return false;
  buf_addr = le64(d);
  len = le32(d + 8);
  flags = le16(d + 12);
  next = le16(d + 14);
  return true;
}

PopResult SplitVirtqueue::pop(sysc::DmaPort& dma, DescChain& chain) {
  if (size_ == 0) return PopResult::kEmpty;
  if (last_avail_ == shadow_avail_) {
    unsigned char idx[2];
    if (!dma.read(driver_ + 2, idx, 2)) {  // avail->idx
      ++counters_.dma_errors;
      return PopResult::kDmaError;
    }
    shadow_avail_ = le16(idx);
    // 2.7.13.3 (driver): idx never runs more than queue size ahead of the device.
    if (static_cast<std::uint16_t>(shadow_avail_ - last_avail_) > size_) {
      ++counters_.malformed;
      shadow_avail_ = last_avail_;
      return PopResult::kMalformed;
    }
    if (last_avail_ == shadow_avail_) return PopResult::kEmpty;
  }
  unsigned char entry[2];
  if (!dma.read(driver_ + 4 + 2ull * (last_avail_ % size_), entry, 2)) {  // avail->ring[i]
    ++counters_.dma_errors;
    return PopResult::kDmaError;
  }
  const std::uint16_t head = le16(entry);
  ++last_avail_;
  if (head >= size_) {
    ++counters_.malformed;
    return PopResult::kMalformed;
  }
  chain.head = head;
  chain.count = 0;
  chain.readable_bytes = chain.writable_bytes = 0;
  chain.indirect = false;

  std::uint16_t index = head;
  unsigned steps = 0;
  bool seen_writable = false;
  while (true) {
    std::uint64_t addr;
    std::uint32_t len;
    std::uint16_t flags, next;
    if (!read_desc(dma, desc_ + 16ull * index, addr, len, flags, next)) {
      ++counters_.dma_errors;
      return PopResult::kDmaError;
    }
    ++counters_.descriptors;
    if (flags & kDescFIndirect) {
      // 2.7.5.3.1: an indirect descriptor is the only one in its chain (no NEXT), its table holds
      // len/16 descriptors, and they never carry INDIRECT themselves.
      if ((flags & kDescFNext) || chain.count != 0 || len == 0 || len % kDescSize != 0 || len > indirect_.size()) {
        ++counters_.malformed;
        return PopResult::kMalformed;
      }
      if (!dma.read(addr, indirect_.data(), len)) {
        ++counters_.dma_errors;
        return PopResult::kDmaError;
      }
      ++counters_.indirect_tables;
      chain.indirect = true;
      const unsigned n = len / kDescSize;
      unsigned i = 0;
      for (unsigned walked = 0;; ++walked) {
        if (i >= n || walked >= n) {
          ++counters_.malformed;
          return PopResult::kMalformed;
        }
        const unsigned char* d = indirect_.data() + kDescSize * i;
        const std::uint16_t f = le16(d + 12);
        if (f & kDescFIndirect) {
          ++counters_.malformed;
          return PopResult::kMalformed;
        }
        DescBuffer& b = chain.buffers[chain.count++];
        b.addr = le64(d);
        b.len = le32(d + 8);
        b.device_writable = (f & kDescFWrite) != 0;
        ++counters_.descriptors;
        // 2.7.4.2: device-writable buffers follow the device-readable ones.
        if (!b.device_writable && seen_writable) {
          ++counters_.malformed;
          return PopResult::kMalformed;
        }
        seen_writable |= b.device_writable;
        (b.device_writable ? chain.writable_bytes : chain.readable_bytes) += b.len;
        if (!(f & kDescFNext)) break;
        i = le16(d + 14);
      }
      break;
    }
    if (chain.count == DescChain::kMaxBuffers || ++steps > size_) {
      ++counters_.malformed;  // too long, or a loop
      return PopResult::kMalformed;
    }
    DescBuffer& b = chain.buffers[chain.count++];
    b.addr = addr;
    b.len = len;
    b.device_writable = (flags & kDescFWrite) != 0;
    if (!b.device_writable && seen_writable) {
      ++counters_.malformed;
      return PopResult::kMalformed;
    }
    seen_writable |= b.device_writable;
    (b.device_writable ? chain.writable_bytes : chain.readable_bytes) += b.len;
    if (!(flags & kDescFNext)) break;
    if (next >= size_) {
      ++counters_.malformed;
      return PopResult::kMalformed;
    }
    index = next;
  }
  ++counters_.chains;
  return PopResult::kChain;
}

bool SplitVirtqueue::push(sysc::DmaPort& dma, std::uint16_t head, std::uint32_t written) {
  unsigned char elem[kUsedElemSize];
  put32(elem, head);
  put32(elem + 4, written);
  if (!dma.write(device_ + 4 + 8ull * (used_idx_ % size_), elem, sizeof elem)) {
    ++counters_.dma_errors;
    return false;
  }
  ++used_idx_;
  return true;
}

bool SplitVirtqueue::publish(sysc::DmaPort& dma) {
  unsigned char idx[2];
  put16(idx, used_idx_);
  if (!dma.write(device_ + 2, idx, 2)) {  // used->idx
    ++counters_.dma_errors;
    return false;
  }
  return true;
}

bool SplitVirtqueue::should_interrupt(sysc::DmaPort& dma) {
  const std::uint16_t old = signalled_used_;
  signalled_used_ = used_idx_;
  if (old == used_idx_) return false;
  bool notify;
  if (event_idx_) {
    unsigned char ev[2];
    if (!dma.read(driver_ + 4 + 2ull * size_, ev, 2)) {  // avail->used_event
      ++counters_.dma_errors;
      return false;
    }
    notify = vring_need_event(le16(ev), used_idx_, old);
  } else {
    unsigned char flags[2];
    if (!dma.read(driver_, flags, 2)) {  // avail->flags
      ++counters_.dma_errors;
      return false;
    }
    notify = (le16(flags) & kAvailFNoInterrupt) == 0;
  }
  if (notify)
    ++counters_.notifications_sent;
  else
    ++counters_.notifications_suppressed;
  return notify;
}

bool SplitVirtqueue::enable_notification(sysc::DmaPort& dma) {
  if (!event_idx_ || size_ == 0) return false;
  unsigned char ev[2];
  put16(ev, last_avail_);
  if (!dma.write(device_ + 4 + 8ull * size_, ev, 2)) {  // used->avail_event
    ++counters_.dma_errors;
    return false;
  }
  unsigned char idx[2];
  if (!dma.read(driver_ + 2, idx, 2)) {
    ++counters_.dma_errors;
    return false;
  }
  shadow_avail_ = le16(idx);
  return shadow_avail_ != last_avail_;
}

}  // namespace vtdsim::virtio
