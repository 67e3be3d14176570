// A device's own translation cache (Address Translation Cache, PCIe ATS; VT-d spec 4 "Support for
// Device-TLBs"). One DeviceTlb per device that has ATS enabled, geometry from
// config::CachesConfig::device_tlb. Entries are translations the device obtained with a
// translation request; invalidation follows the Device-TLB invalidate descriptor
// (spec 6.5.2.5/6.5.2.6, dev_tlb_inv_dsc ADDR + S) whose range encoding is the PCIe ATS one:
//   S = 0: the 4 KiB page at ADDR;
//   S = 1: the lowest clear bit of ADDR[63:12] gives the size: bit 12 clear = 8 KiB,
//          bits 12 set and 13 clear = 16 KiB, ... (2^(13 + number of ones from bit 12));
//          ADDR[62:12] all ones (bit 63 clear) = the whole address space.
// Pages of 4K, 2M and 1G are held (probed like the shared IOTLB: set from the page number at
// the entry's size). No allocation after construction.
#pragma once
#include <cstdint>
#include <memory>

#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/spec/types.hpp"

namespace vtdsim::cache {

struct DeviceTlbEntry {
  Pasid pasid;
  std::uint64_t iova_base = 0;   // page-aligned
  std::uint8_t page_shift = 12;  // 12, 21 or 30
  std::uint64_t host_base = 0;
  Perms perms;
};

// The address range an invalidation request names: [base, base + size); size 0 = everything.
struct DeviceTlbRange {
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

class DeviceTlb {
 public:
  explicit DeviceTlb(const config::CacheGeometry& geometry);
  ~DeviceTlb();
  DeviceTlb(DeviceTlb&&) noexcept;
  DeviceTlb& operator=(DeviceTlb&&) noexcept;

  bool enabled() const;

  // Entry covering iova for pasid (Pasid{} for requests without PASID), or nullptr.
  const DeviceTlbEntry* lookup(Pasid pasid, Iova iova);
  // Page shifts other than 12/21/30 are ignored.
  void fill(const DeviceTlbEntry& entry);

  // Decodes ADDR (bits 63:12) and S of an ATS invalidation request.
  static DeviceTlbRange decode_range(std::uint64_t addr, bool size_bit);
  // dev_tlb_inv_dsc: drops entries of every PASID overlapping the range; returns the count.
  std::uint64_t invalidate(std::uint64_t addr, bool size_bit);
  // PASID-based device-TLB invalidation: same range, only entries of pasid.
  std::uint64_t invalidate_pasid(Pasid pasid, std::uint64_t addr, bool size_bit);
  std::uint64_t invalidate_all();

  std::uint64_t size() const;
  const CacheCounters& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtdsim::cache
