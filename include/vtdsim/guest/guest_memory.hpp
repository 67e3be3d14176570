// The guest's physical page allocator: hands out zeroed 4 KiB pages (or contiguous runs) from a
// region of host memory. The guest model is the host OS here (VT-d translates DMA to host
// physical addresses), so "physical" below means host physical.
#pragma once
#include <cstdint>
#include <stdexcept>

#include "vtdsim/mem/sparse_memory.hpp"

namespace vtdsim::guest {

class GuestMemory {
 public:
  GuestMemory(mem::SparseMemory& memory, std::uint64_t base, std::uint64_t size)
      : memory_(memory), base_(base), end_(base + size), next_(base) {}

  // Page-aligned run of `pages` pages. Throws std::runtime_error when the region is exhausted
  // (set-up time only).
  std::uint64_t alloc_pages(std::uint64_t pages) {
    if (pages == 0 || pages > (end_ - next_) / 4096)
      throw std::runtime_error("guest memory region exhausted (" + std::to_string((end_ - base_) >> 20) + " MiB)");
    const std::uint64_t addr = next_;
    next_ += pages * 4096;
    return addr;
  }
  std::uint64_t alloc_bytes(std::uint64_t bytes) { return alloc_pages((bytes + 4095) / 4096); }

  mem::SparseMemory& memory() { return memory_; }
  std::uint64_t used_bytes() const { return next_ - base_; }
  std::uint64_t base() const { return base_; }
  std::uint64_t end() const { return end_; }

 private:
  mem::SparseMemory& memory_;
  std::uint64_t base_, end_, next_;
};

}  // namespace vtdsim::guest
