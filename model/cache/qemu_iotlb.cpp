// QEMU's emulated IOTLB (qemu_iotlb.hpp).
#include "vtdsim/cache/qemu_iotlb.hpp"

#include <stdexcept>
#include <string>

namespace vtdsim::cache {

namespace {
constexpr unsigned kShifts[3] = {12, 21, 30};
}  // namespace

QemuIotlb::QemuIotlb(const config::CachesConfig& config)
    : enabled_(config.iotlb.enabled),
      max_entries_(config.qemu_max_entries),
      inv_mask_bits_(config.qemu_inv_mask_bits),
      piotlb_(config.qemu_piotlb),
      stage_(config.qemu_first_stage) {
  if (max_entries_ == 0 || max_entries_ > config::kMaxCacheEntries)
    throw std::invalid_argument("caches.qemu_max_entries must be in 1.." + std::to_string(config::kMaxCacheEntries));
  // Buckets for the whole table up front: inserts never rehash.
  table_.reserve(std::size_t{max_entries_} + 1);
}

const IotlbEntry* QemuIotlb::find(SourceId source, Pasid pasid, Iova iova) {
  if (!enabled_) return nullptr;
  // QEMU vtd_lookup_iotlb: probe levels 1..3, key (source-id, gfn at level, level, PASID).
  if (!table_.empty()) {
    for (int s = 0; s < 3; ++s) {
      const std::uint64_t gfn = (iova.value & ~((1ull << kShifts[s]) - 1)) >> 12;
      auto it = table_.find(Key{gfn, pasid.value, source.value, static_cast<std::uint8_t>(s + 1)});
      if (it != table_.end()) {
        ++stats_.by_size[s].hits;
        return &it->second;
      }
      ++stats_.by_size[s].misses;
    }
  }
  ++stats_.total.misses;
  return nullptr;
}

void QemuIotlb::fill(const IotlbEntry& entry) {
  const int s = page_size_index(entry.page_shift);
  if (s < 0 || !enabled_) return;
  const Key key{entry.iova_base >> 12, entry.pasid.value, entry.source.value, entry.level};
  auto it = table_.find(key);
  if (it == table_.end() && table_.size() >= max_entries_) {
    // QEMU vtd_update_iotlb: a full table is reset before the new entry goes in.
    for (const auto& kv : table_) ++stats_.by_size[page_size_index(kv.second.page_shift)].evictions;
    stats_.total.evictions += table_.size();
    table_.clear();
    ++stats_.qemu_flushes;
  }
  ++stats_.total.fills;
  ++stats_.by_size[s].fills;
  table_[key] = entry;
}

template <class Pred>
std::uint64_t QemuIotlb::drop_if(Pred&& pred) {
  std::uint64_t total = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    if (pred(it->first, it->second)) {
      ++stats_.by_size[page_size_index(it->second.page_shift)].invalidated;
      it = table_.erase(it);
      ++total;
    } else {
      ++it;
    }
  }
  stats_.total.invalidated += total;
  return total;
}

bool QemuIotlb::first_stage(bool pasid_based) {
  if (stage_ != config::QemuStage::kAuto) return stage_ == config::QemuStage::kFirst;
  if (auto_stage_ == 0) auto_stage_ = pasid_based ? 2 : 1;
  return auto_stage_ == 2;
}

// QEMU vtd_hash_remove_by_page's page test, with the mask kept in `mask_bits` bits: the entry's
// gfn equals the invalidated one under the AM mask, or the entry's own page holds the address.
bool QemuIotlb::page_matches(const core::InvalidationRequest& r, const Key& k, const IotlbEntry& e,
                             unsigned mask_bits) const {
  const unsigned am = r.address_mask > 52 ? 52 : r.address_mask;
  std::uint64_t mask = ~((1ull << am) - 1);
  if (mask_bits < 64) mask &= (1ull << mask_bits) - 1;
  const std::uint64_t gfn = (r.addr.value >> 12) & mask;
  const std::uint64_t entry_mask = ~((1ull << e.page_shift) - 1);
  return (k.gfn & mask) == gfn || k.gfn == ((r.addr.value & entry_mask) >> 12);
}

// P_IOTLB_INV_DSC (qemu_piotlb): ignore: nothing; qemu-10.0: PASID-selective drops the domain's
// entries of the PASID (vtd_hash_remove_by_pasid, any stage), page-selective only first-stage ones
// under the full mask (vtd_hash_remove_by_page_piotlb). An entry of a request without PASID has
// PASID kNone here; QEMU tags it with the context's RID_PASID in scalable mode, which the importer
// checks is 0 (what Linux programs).
std::uint64_t QemuIotlb::invalidate_pasid_based(const core::InvalidationRequest& r) {
  using G = core::InvalidationGranularity;
  if (piotlb_ == config::QemuPasidIotlb::kIgnore) return 0;
  const std::uint16_t did = r.domain.value;
  auto same_pasid = [&](std::uint32_t entry_pasid) {
    return entry_pasid == r.pasid.value || (entry_pasid == Pasid::kNone && r.pasid.value == 0);
  };
  if (r.granularity == G::kPage) {
    if (!first_stage(true)) return 0;
    return drop_if([&](const Key& k, const IotlbEntry& e) {
      return e.domain.value == did && same_pasid(k.pasid) && page_matches(r, k, e, 64);
    });
  }
  if (r.granularity == G::kGlobal) return drop_if([](const Key&, const IotlbEntry&) { return true; });
  return drop_if([&](const Key& k, const IotlbEntry& e) { return e.domain.value == did && same_pasid(k.pasid); });
}

// Legacy IOTLB invalidations as QEMU does them:
//   global  vtd_iotlb_global_invalidate: everything;
//   domain  vtd_hash_remove_by_domain: every entry of the domain;
//   page    vtd_hash_remove_by_page: the domain's entries that page_matches (in qemu_inv_mask_bits
//           bits); with first-stage entries (qemu_first_stage; auto: decided by the first
//           page-selective flush, P_IOTLB or legacy) every entry of the domain (QEMU 10.0 drops
//           all first-stage entries of the domain on a legacy PSI).
std::uint64_t QemuIotlb::invalidate(const core::InvalidationRequest& r) {
  using G = core::InvalidationGranularity;
  using T = core::InvalidationTarget;
  if (r.target == T::kPasidIotlb) return invalidate_pasid_based(r);
  if (r.target != T::kIotlb) return 0;
  const std::uint16_t did = r.domain.value;
  switch (r.granularity) {
    case G::kGlobal: return drop_if([](const Key&, const IotlbEntry&) { return true; });
    case G::kPage: {
      const bool fs = first_stage(false);
      return drop_if([&](const Key& k, const IotlbEntry& e) {
        if (e.domain.value != did) return false;
        return fs || page_matches(r, k, e, inv_mask_bits_);
      });
    }
    default: return drop_if([&](const Key&, const IotlbEntry& e) { return e.domain.value == did; });
  }
}

IotlbStats QemuIotlb::stats() const {
  IotlbStats st = stats_;
  st.total.hits = 0;
  for (auto& c : st.by_size) {
    c.lookups = c.hits + c.misses;
    st.total.hits += c.hits;
  }
  st.total.lookups = st.total.hits + st.total.misses;
  return st;
}

std::array<std::uint64_t, 3> QemuIotlb::held_by_size() const {
  std::array<std::uint64_t, 3> held{};
  for (const auto& kv : table_) ++held[page_size_index(kv.second.page_shift)];
  return held;
}

}  // namespace vtdsim::cache
