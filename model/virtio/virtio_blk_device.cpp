#include "vtdsim/virtio/virtio_blk_device.hpp"

#include <algorithm>

namespace vtdsim::virtio {

VirtioBlkDevice::VirtioBlkDevice(sc_core::sc_module_name name, const VirtioPciConfig& pci, const BlkDeviceConfig& blk)
    : VirtioPciDevice(name, pci, blk::kDeviceId, 1, feature_bit(blk::kFBlkSize)),
      blk_(blk),
      dma_(dma_socket, keeper_, pci.source, pci.max_payload),
      buf_(1u << 20) {
  SC_THREAD(request_thread);
}

std::uint64_t VirtioBlkDevice::read_device_config(std::uint32_t offset, unsigned size) {
  // 5.2.4 struct virtio_blk_config: le64 capacity (0x00) ... le32 blk_size (0x14).
  std::uint64_t v = 0;
  if (offset == 0)
    v = blk_.capacity_sectors;
  else if (offset == 4)
    v = blk_.capacity_sectors >> 32;
  else if (offset == 0x14)
    v = blk::kSectorSize;
  if (size < 8) v &= (1ull << (8 * size)) - 1;
  return v;
}

bool VirtioBlkDevice::serve(DescChain& chain, std::uint32_t& written) {
  written = 0;
  // 5.2.6.1: header first (device-readable), status last (device-writable, 1 byte).
  if (chain.count < 2 || chain.buffers[0].device_writable || chain.buffers[0].len < blk::kHeaderSize ||
      !chain.buffers[chain.count - 1].device_writable || chain.buffers[chain.count - 1].len < 1)
    return false;
  unsigned char hdr[blk::kHeaderSize];
  if (!dma_.read(chain.buffers[0].addr, hdr, sizeof hdr)) return false;
  std::uint32_t type = 0;
  std::uint64_t sector = 0;
  for (int i = 0; i < 4; ++i) type |= static_cast<std::uint32_t>(hdr[i]) << (8 * i);
  for (int i = 0; i < 8; ++i) sector |= static_cast<std::uint64_t>(hdr[8 + i]) << (8 * i);

  const DescBuffer& status_buf = chain.buffers[chain.count - 1];
  std::uint64_t bytes = 0;
  std::uint8_t status = blk::kStatusOk;
  for (unsigned i = 1; i + 1 < chain.count; ++i) bytes += chain.buffers[i].len;
  // A status buffer longer than one byte carries data in front of the status (ANY_LAYOUT).
  bytes += status_buf.len - 1;
  if (type == blk::kTypeIn || type == blk::kTypeOut) {
    if (bytes % blk::kSectorSize != 0 || sector + bytes / blk::kSectorSize > blk_.capacity_sectors)
      status = blk::kStatusIoErr;
  } else {
    status = blk::kStatusUnsupp;
  }
  // Storage time.
  double ns = blk_.latency_us * 1000.0;
  if (blk_.bandwidth_gbps > 0) ns += static_cast<double>(bytes) / blk_.bandwidth_gbps;
  keeper_.inc(sc_core::sc_time(ns, sc_core::SC_NS));
  // Loosely timed: a local time beyond the quantum is given back to the kernel before the data
  // DMAs (otherwise they would issue a whole storage latency ahead of every other initiator).
  if (keeper_.need_sync()) keeper_.sync();

  if (status == blk::kStatusOk) {
    std::uint64_t pos = 0;  // byte offset within the request
    for (unsigned i = 1; i < chain.count; ++i) {
      const DescBuffer& b = chain.buffers[i];
      std::uint64_t len = b.len;
      if (i + 1u == chain.count) len -= 1;
      if (len == 0) continue;
      if ((type == blk::kTypeIn) != b.device_writable) return false;  // wrong direction
      std::uint64_t done = 0;
      while (done < len) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len - done, buf_.size()));
        if (type == blk::kTypeIn) {
          for (std::size_t k = 0; k < n; ++k) {
            const std::uint64_t off = pos + done + k;
            buf_[k] = static_cast<unsigned char>(sector + off / blk::kSectorSize + off % blk::kSectorSize);
          }
          if (!dma_.write(b.addr + done, buf_.data(), n)) return false;
          written += static_cast<std::uint32_t>(n);
        } else {
          if (!dma_.read(b.addr + done, buf_.data(), n)) return false;
        }
        done += n;
      }
      pos += len;
    }
    if (type == blk::kTypeIn) {
      ++counters_.reads;
      counters_.read_bytes += bytes;
    } else {
      ++counters_.writes;
      counters_.write_bytes += bytes;
    }
  } else if (status == blk::kStatusUnsupp) {
    ++counters_.unsupported;
  } else {
    ++counters_.errors;
  }
  if (!dma_.write(status_buf.addr + status_buf.len - 1, &status, 1)) return false;
  written += 1;
  return true;
}

void VirtioBlkDevice::request_thread() {
  SplitVirtqueue& vq = queue(0);
  while (true) {
    if (!driver_ok() || !vq.ready()) {
      keeper_.sync();
      sc_core::wait(state_event());
      keeper_.reset();
      continue;
    }
    const std::uint64_t gen = generation();
    clear_kick(0);
    const PopResult r = vq.pop(dma_, chain_);
    if (gen != generation()) continue;
    if (r == PopResult::kEmpty) {
      if (vq.enable_notification(dma_)) continue;
      keeper_.sync();
      wait_for_kick(0);
      keeper_.reset();
      continue;
    }
    std::uint32_t written = 0;
    if (r != PopResult::kChain || !serve(chain_, written)) {
      ++counters_.errors;
      set_needs_reset(keeper_.get_local_time());
      continue;
    }
    if (gen != generation()) continue;
    vq.push(dma_, chain_.head, written);
    buffer_completed(chain_, keeper_.get_local_time());
    if (vq.publish(dma_) && vq.should_interrupt(dma_)) raise_queue_interrupt(0, keeper_.get_local_time());
    if (keeper_.need_sync()) keeper_.sync();
  }
}

}  // namespace vtdsim::virtio
