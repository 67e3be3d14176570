// Host physical memory as the remapping unit sees it (DESIGN.md "One functional core, one IOMMU,
// two shells"): the root, context, PASID and paging structures it walks (VT-d spec 3.4, 9.1-9.8),
// the invalidation queue it fetches descriptors from and the wait-descriptor status it writes
// (spec 6.5.2.1, 6.5.2.8), and the first-stage A/D bits it sets (spec 3.6.2).
//
// Two implementations: SparseMemory, the model's own memory (replay, `vtdsim run`), and
// sysc::TlmTableMemory, which turns every access into a TLM-2.0 transaction on IommuModule::mem_out
// so that the tables can live in a platform author's memory target.
//
// Every access returns false when the memory could not complete it (outside host memory, or the
// target answered with an error): the walker turns that into the spec's access-error faults.
// Reads are const: a walk that only reads (transport_dbg's side-effect-free translation) takes a
// const PhysicalMemory& and cannot write an A/D bit by mistake.
#pragma once
#include <cstddef>
#include <cstdint>

namespace vtdsim::mem {

class PhysicalMemory {
 public:
  virtual ~PhysicalMemory() = default;

  // Aligned little-endian accesses (addr a multiple of the size; unaligned ones fail).
  virtual bool read64(std::uint64_t addr, std::uint64_t& out) const = 0;
  virtual bool write64(std::uint64_t addr, std::uint64_t value) = 0;
  virtual bool read32(std::uint64_t addr, std::uint32_t& out) const = 0;
  virtual bool write32(std::uint64_t addr, std::uint32_t value) = 0;
  // Byte ranges of any size and alignment, each one access (a 128-bit root entry is one read).
  virtual bool read(std::uint64_t addr, void* dst, std::size_t size) const = 0;
  virtual bool write(std::uint64_t addr, const void* src, std::size_t size) = 0;

  // Whether accesses take a time of their own, measured by the memory (a platform's memory
  // target in timed mode): then elapsed_ps() is the running total, in picoseconds, of the time
  // the accesses made so far took, and iommu::Iommu hands the part a translation or a queue run
  // made to the timing model in place of its fixed memory_read cost. Memory without its own
  // timing (SparseMemory, a functional TLM memory) returns false and 0: the timing model
  // charges timing.memory_read per read.
  virtual bool timed() const { return false; }
  virtual std::uint64_t elapsed_ps() const { return 0; }

 protected:
  PhysicalMemory() = default;
  PhysicalMemory(const PhysicalMemory&) = default;
  PhysicalMemory& operator=(const PhysicalMemory&) = default;
};

}  // namespace vtdsim::mem
