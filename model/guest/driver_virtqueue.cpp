#include "vtdsim/guest/driver_virtqueue.hpp"

#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/virtio/virtio_spec.hpp"

namespace vtdsim::guest {

namespace vs = virtio;

DriverVirtqueue::DriverVirtqueue(GuestMemory& memory, DmaApi& dma, std::uint16_t size, bool event_idx, bool indirect,
                                 tlm_utils::tlm_quantumkeeper& keeper)
    : memory_(memory),
      dma_(dma),
      size_(size),
      event_idx_(event_idx),
      indirect_(indirect),
      num_free_(size),
      next_(size),
      chain_len_(size, 0),
      token_(size, 0),
      indirect_phys_(indirect ? size : 0, 0),
      indirect_bus_(size, 0) {
  // One coherent allocation for the whole ring, as Linux's vring_alloc_queue (dma_alloc_coherent
  // of vring_size with SMP_CACHE_BYTES = 64 alignment for the used ring, virtio_pci_modern): one
  // IOVA range and, with CAP.CM=1, one flush (2 pages for 256 entries). 2.7.4: desc 16-byte
  // aligned, avail 2, used 4.
  const std::uint64_t avail_off = vs::desc_table_bytes(size);
  const std::uint64_t used_off = (avail_off + vs::avail_ring_bytes(size) + 63) & ~63ull;
  const std::uint64_t ring_bytes = used_off + vs::used_ring_bytes(size);
  desc_phys_ = memory.alloc_bytes(ring_bytes);
  avail_phys_ = desc_phys_ + avail_off;
  used_phys_ = desc_phys_ + used_off;
  desc_bus_ = dma.map(desc_phys_, ring_bytes, DmaDirection::kBidirectional, keeper);
  avail_bus_ = desc_bus_ + avail_off;
  used_bus_ = desc_bus_ + used_off;
  for (std::uint16_t i = 0; i < size; ++i) next_[i] = static_cast<std::uint16_t>(i + 1);
  if (indirect) {
    const std::uint64_t base = memory.alloc_bytes(static_cast<std::uint64_t>(size) * kMaxSg * 16);
    for (std::uint16_t i = 0; i < size; ++i) indirect_phys_[i] = base + static_cast<std::uint64_t>(i) * kMaxSg * 16;
  }
}

bool DriverVirtqueue::add(const Sg* sg, unsigned n, std::uint64_t token, tlm_utils::tlm_quantumkeeper& keeper) {
  mem::SparseMemory& m = memory_.memory();
  if (n == 0 || n > kMaxSg) return false;
  const bool use_indirect = indirect_ && n > 1;
  const unsigned needed = use_indirect ? 1 : n;
  if (num_free_ < needed) return false;
  const std::uint16_t head = free_head_;
  auto write_desc = [&](std::uint64_t at, std::uint64_t addr, std::uint32_t len, std::uint16_t flags,
                        std::uint16_t next) {
    m.write64(at, addr);
    m.write32(at + 8, len);
    m.write32(at + 12, static_cast<std::uint32_t>(flags) | (static_cast<std::uint32_t>(next) << 16));
  };
  if (use_indirect) {
    const std::uint64_t table = indirect_phys_[head];
    for (unsigned i = 0; i < n; ++i) {
      std::uint16_t flags = sg[i].device_writable ? vs::kDescFWrite : 0;
      if (i + 1 < n) flags |= vs::kDescFNext;
      write_desc(table + 16ull * i, sg[i].bus, sg[i].len, flags, static_cast<std::uint16_t>(i + 1));
    }
    const std::uint64_t bus = dma_.map(table, 16ull * n, DmaDirection::kToDevice, keeper, cpu_);
    indirect_bus_[head] = bus;
    write_desc(desc_phys_ + 16ull * head, bus, 16u * n, vs::kDescFIndirect, 0);
    free_head_ = next_[head];
    ++indirect_chains_;
  } else {
    std::uint16_t idx = head;
    for (unsigned i = 0; i < n; ++i) {
      std::uint16_t flags = sg[i].device_writable ? vs::kDescFWrite : 0;
      const std::uint16_t nxt = next_[idx];
      if (i + 1 < n) flags |= vs::kDescFNext;
      write_desc(desc_phys_ + 16ull * idx, sg[i].bus, sg[i].len, flags, nxt);
      if (i + 1 < n) idx = nxt;
    }
    free_head_ = next_[idx];
    indirect_bus_[head] = 0;
  }
  num_free_ -= needed;
  chain_len_[head] = static_cast<std::uint16_t>(needed);
  token_[head] = token;
  // 2.7.13.2: ring entry, then (after a barrier) the idx.
  m.write(avail_phys_ + 4 + 2ull * (avail_idx_ % size_), &head, 2);
  ++avail_idx_;
  m.write(avail_phys_ + 2, &avail_idx_, 2);
  return true;
}

bool DriverVirtqueue::kick_prepare() {
  mem::SparseMemory& m = memory_.memory();
  const std::uint16_t old = old_avail_idx_;
  old_avail_idx_ = avail_idx_;
  if (old == avail_idx_) return false;
  if (event_idx_) {
    std::uint16_t avail_event = 0;
    m.read(used_phys_ + 4 + 8ull * size_, &avail_event, 2);
    return vs::vring_need_event(avail_event, avail_idx_, old);
  }
  std::uint16_t flags = 0;
  m.read(used_phys_, &flags, 2);
  return (flags & vs::kUsedFNoNotify) == 0;
}

bool DriverVirtqueue::has_used() const {
  std::uint16_t idx = 0;
  memory_.memory().read(used_phys_ + 2, &idx, 2);
  return idx != last_used_;
}

bool DriverVirtqueue::get_used(std::uint64_t& token, std::uint32_t& len, tlm_utils::tlm_quantumkeeper& keeper) {
  mem::SparseMemory& m = memory_.memory();
  std::uint16_t idx = 0;
  m.read(used_phys_ + 2, &idx, 2);
  if (idx == last_used_) return false;
  std::uint32_t id = 0;
  m.read32(used_phys_ + 4 + 8ull * (last_used_ % size_), id);
  m.read32(used_phys_ + 8 + 8ull * (last_used_ % size_), len);
  ++last_used_;
  if (id >= size_ || chain_len_[id] == 0) return get_used(token, len, keeper);  // bogus id: skip
  token = token_[id];
  // Return the chain to the free list (its descriptors were linked by next_ when added).
  std::uint16_t tail = static_cast<std::uint16_t>(id);
  for (unsigned i = 1; i < chain_len_[id]; ++i) tail = next_[tail];
  next_[tail] = free_head_;
  free_head_ = static_cast<std::uint16_t>(id);
  num_free_ += chain_len_[id];
  chain_len_[id] = 0;
  if (indirect_bus_[id] != 0) {
    std::uint32_t n = 0;
    m.read32(desc_phys_ + 16ull * id + 8, n);
    dma_.unmap(indirect_bus_[id], n, keeper, cpu_);
    indirect_bus_[id] = 0;
  }
  return true;
}

bool DriverVirtqueue::enable_interrupts() {
  if (event_idx_) memory_.memory().write(avail_phys_ + 4 + 2ull * size_, &last_used_, 2);
  return has_used();
}

}  // namespace vtdsim::guest
