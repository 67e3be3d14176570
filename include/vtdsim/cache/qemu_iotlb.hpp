// QEMU's emulated IOTLB (hw/i386/intel_iommu.c), to replay QEMU logs decision for decision: a
// hash keyed by (source-id, gfn, level, PASID) without capacity limit, except that inserting into
// a table that holds qemu_max_entries first clears it whole (vtd_update_iotlb; counted in
// qemu_flushes). The lookup (vtd_lookup_iotlb) probes levels 1..3 with
// gfn = (iova & level page mask) >> 12 and does not compare the domain. Invalidation follows
// QEMU, not the spec's scopes (see invalidate()); differences by release are configuration
// (configs/qemu-*.yaml: qemu_inv_mask_bits, qemu_piotlb, qemu_first_stage).
#pragma once
#include <array>
#include <cstdint>
#include <unordered_map>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/invalidation.hpp"

namespace vtdsim::cache {

class QemuIotlb {
 public:
  explicit QemuIotlb(const config::CachesConfig& config);

  const IotlbEntry* find(SourceId source, Pasid pasid, Iova iova);
  // entry: page-aligned, page size 4K, 2M or 1G, level = 1, 2 or 3.
  void fill(const IotlbEntry& entry);
  std::uint64_t invalidate(const core::InvalidationRequest& request);

  bool enabled() const { return enabled_; }
  IotlbStats stats() const;
  std::array<std::uint64_t, 3> held_by_size() const;

 private:
  struct Key {
    std::uint64_t gfn = 0;
    std::uint32_t pasid = 0;
    std::uint16_t source = 0;
    std::uint8_t level = 1;
    friend bool operator==(const Key& a, const Key& b) {
      return a.gfn == b.gfn && a.pasid == b.pasid && a.source == b.source && a.level == b.level;
    }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::uint64_t h = k.gfn * 0x9e3779b97f4a7c15ull;
      h ^= (std::uint64_t{k.pasid} << 24) ^ (std::uint64_t{k.source} << 8) ^ k.level;
      return static_cast<std::size_t>(h ^ (h >> 29));
    }
  };
  template <class Pred>
  std::uint64_t drop_if(Pred&& pred);
  std::uint64_t invalidate_pasid_based(const core::InvalidationRequest& r);
  bool page_matches(const core::InvalidationRequest& r, const Key& k, const IotlbEntry& e, unsigned mask_bits) const;
  // Whether the entries are first-stage ones, for a page-selective flush (pasid_based: P_IOTLB);
  // with qemu_first_stage: auto the first such flush decides for the rest of the run.
  bool first_stage(bool pasid_based);

  bool enabled_;
  std::uint32_t max_entries_;
  std::uint8_t inv_mask_bits_;
  config::QemuPasidIotlb piotlb_;
  config::QemuStage stage_;
  std::uint8_t auto_stage_ = 0;  // kAuto: 0 undecided, 1 second stage, 2 first stage
  std::unordered_map<Key, IotlbEntry, KeyHash> table_;
  IotlbStats stats_;
};

}  // namespace vtdsim::cache
