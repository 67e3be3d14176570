// Host physical memory: sparse and page-granular. Pages are created on first write; reads of
// memory that was never written return zeros. Addresses at or above limit() are "unbacked":
// reads fail, which the walker turns into the spec's access-error faults. The model's own
// implementation of PhysicalMemory (final: calls through a SparseMemory& are direct).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "vtdsim/mem/physical_memory.hpp"

namespace vtdsim::mem {

class SparseMemory final : public PhysicalMemory {
 public:
  static constexpr std::uint64_t kPageBits = 12;
  static constexpr std::uint64_t kPageSize = 1ull << kPageBits;

  // limit: addresses >= limit are outside host memory (default: 2^52, the VT-d HAW maximum).
  explicit SparseMemory(std::uint64_t limit = 1ull << 52) : limit_(limit) {}

  std::uint64_t limit() const { return limit_; }
  bool contains(std::uint64_t addr, std::uint64_t size) const { return size <= limit_ && addr <= limit_ - size; }

  // Aligned 64-bit little-endian access (addr must be 8-byte aligned). Return false when unbacked.
  bool read64(std::uint64_t addr, std::uint64_t& out) const override;
  bool write64(std::uint64_t addr, std::uint64_t value) override;
  bool read32(std::uint64_t addr, std::uint32_t& out) const override;
  bool write32(std::uint64_t addr, std::uint32_t value) override;

  // Byte ranges of any size and alignment. Return false (and copy nothing) when unbacked.
  bool read(std::uint64_t addr, void* dst, std::size_t size) const override;
  bool write(std::uint64_t addr, const void* src, std::size_t size) override;

  // Number of 4 KiB pages that have been written (memory footprint of the model).
  std::size_t pages_touched() const { return pages_.size(); }

 private:
  using Page = std::array<std::uint8_t, kPageSize>;
  const Page* find_page(std::uint64_t page_number) const;
  Page& page_for_write(std::uint64_t page_number);

  std::uint64_t limit_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Page>> pages_;
  // One-entry lookup cache: table walks hit the same page repeatedly.
  mutable std::uint64_t last_page_number_ = ~0ull;
  mutable Page* last_page_ = nullptr;
};

}  // namespace vtdsim::mem
