#include "vtdsim/mem/sparse_memory.hpp"

#include <algorithm>
#include <cstring>

namespace vtdsim::mem {

const SparseMemory::Page* SparseMemory::find_page(std::uint64_t page_number) const {
  if (page_number == last_page_number_) return last_page_;
  auto it = pages_.find(page_number);
  if (it == pages_.end()) return nullptr;
  last_page_number_ = page_number;
  last_page_ = it->second.get();
  return last_page_;
}

SparseMemory::Page& SparseMemory::page_for_write(std::uint64_t page_number) {
  if (page_number == last_page_number_) return *last_page_;
  auto& slot = pages_[page_number];
  if (!slot) {
    slot = std::make_unique<Page>();
    slot->fill(0);
  }
  last_page_number_ = page_number;
  last_page_ = slot.get();
  return *slot;
}

bool SparseMemory::read(std::uint64_t addr, void* dst, std::size_t size) const {
  if (!contains(addr, size)) return false;
  auto* out = static_cast<std::uint8_t*>(dst);
  while (size > 0) {
    const std::uint64_t offset = addr & (kPageSize - 1);
    const std::size_t chunk = std::min<std::uint64_t>(size, kPageSize - offset);
    if (const Page* page = find_page(addr >> kPageBits)) {
      std::memcpy(out, page->data() + offset, chunk);
    } else {
      std::memset(out, 0, chunk);
    }
    out += chunk;
    addr += chunk;
    size -= chunk;
  }
  return true;
}

bool SparseMemory::write(std::uint64_t addr, const void* src, std::size_t size) {
  if (!contains(addr, size)) return false;
  auto* in = static_cast<const std::uint8_t*>(src);
  while (size > 0) {
    const std::uint64_t offset = addr & (kPageSize - 1);
    const std::size_t chunk = std::min<std::uint64_t>(size, kPageSize - offset);
    std::memcpy(page_for_write(addr >> kPageBits).data() + offset, in, chunk);
    in += chunk;
    addr += chunk;
    size -= chunk;
  }
  return true;
}

bool SparseMemory::read64(std::uint64_t addr, std::uint64_t& out) const {
  if ((addr & 7) != 0 || !contains(addr, 8)) return false;
  const Page* page = find_page(addr >> kPageBits);
  if (page == nullptr) {
    out = 0;
    return true;
  }
  std::memcpy(&out, page->data() + (addr & (kPageSize - 1)), 8);  // host is little-endian (x86-64)
  return true;
}

bool SparseMemory::write64(std::uint64_t addr, std::uint64_t value) {
  if ((addr & 7) != 0 || !contains(addr, 8)) return false;
  std::memcpy(page_for_write(addr >> kPageBits).data() + (addr & (kPageSize - 1)), &value, 8);
  return true;
}

bool SparseMemory::read32(std::uint64_t addr, std::uint32_t& out) const {
  if ((addr & 3) != 0) return false;
  return read(addr, &out, 4);
}

bool SparseMemory::write32(std::uint64_t addr, std::uint32_t value) {
  if ((addr & 3) != 0) return false;
  return write(addr, &value, 4);
}

}  // namespace vtdsim::mem
