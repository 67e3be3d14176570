#include "vtdsim/cache/device_tlb.hpp"

#include <optional>

#include "vtdsim/cache/set_assoc_cache.hpp"

namespace vtdsim::cache {
namespace {

constexpr unsigned kShifts[3] = {12, 21, 30};

struct Key {
  std::uint64_t vpn = 0;
  std::uint32_t pasid = 0;
  std::uint8_t shift = 12;
  std::uint64_t index() const { return vpn; }
  friend bool operator==(const Key& a, const Key& b) {
    return a.vpn == b.vpn && a.pasid == b.pasid && a.shift == b.shift;
  }
};

int size_index(unsigned shift) { return shift == 12 ? 0 : shift == 21 ? 1 : shift == 30 ? 2 : -1; }

}  // namespace

struct DeviceTlb::Impl {
  std::optional<SetAssocCache<DeviceTlbEntry, Key>> cache;
  std::uint64_t held[3] = {0, 0, 0};
  CacheCounters stats;

  std::uint64_t drop(std::uint64_t addr, bool s, bool any_pasid, Pasid pasid) {
    if (!cache) return 0;
    const DeviceTlbRange r = decode_range(addr, s);
    const std::uint64_t n = cache->invalidate_if([&](const Key& k, const DeviceTlbEntry& e) {
      if (!any_pasid && e.pasid != pasid) return false;
      if (r.size != 0) {
        const std::uint64_t len = 1ull << e.page_shift;
        if (!(e.iova_base <= r.base + (r.size - 1) && r.base <= e.iova_base + (len - 1))) return false;
      }
      --held[size_index(k.shift)];
      return true;
    });
    stats.invalidated += n;
    return n;
  }
};

DeviceTlb::DeviceTlb(const config::CacheGeometry& g) : impl_(std::make_unique<Impl>()) {
  if (g.enabled) impl_->cache.emplace(g);
}
DeviceTlb::~DeviceTlb() = default;
DeviceTlb::DeviceTlb(DeviceTlb&&) noexcept = default;
DeviceTlb& DeviceTlb::operator=(DeviceTlb&&) noexcept = default;

bool DeviceTlb::enabled() const { return impl_->cache.has_value(); }

const DeviceTlbEntry* DeviceTlb::lookup(Pasid pasid, Iova iova) {
  Impl& m = *impl_;
  if (!m.cache) return nullptr;
  ++m.stats.lookups;
  for (int s = 0; s < 3; ++s) {
    if (m.held[s] == 0) continue;
    if (const DeviceTlbEntry* e =
            m.cache->lookup(Key{iova.value >> kShifts[s], pasid.value, static_cast<std::uint8_t>(kShifts[s])})) {
      ++m.stats.hits;
      return e;
    }
  }
  ++m.stats.misses;
  return nullptr;
}

void DeviceTlb::fill(const DeviceTlbEntry& in) {
  Impl& m = *impl_;
  const int s = size_index(in.page_shift);
  if (!m.cache || s < 0) return;
  DeviceTlbEntry e = in;
  e.iova_base &= ~((1ull << e.page_shift) - 1);
  ++m.stats.fills;
  auto r = m.cache->insert(Key{e.iova_base >> e.page_shift, e.pasid.value, e.page_shift}, e);
  if (r.updated) return;
  ++m.held[s];
  if (r.evicted) {
    --m.held[size_index(r.evicted_key.shift)];
    ++m.stats.evictions;
  }
}

DeviceTlbRange DeviceTlb::decode_range(std::uint64_t addr, bool size_bit) {
  const std::uint64_t a = addr & ~0xfffull;
  if (!size_bit) return {a, kPageSize4K};
  // Count the ones from bit 12 upward; the first clear bit ends the size field.
  unsigned ones = 0;
  while (12 + ones < 63 && ((a >> (12 + ones)) & 1)) ++ones;
  const unsigned shift = 13 + ones;
  if (shift >= 64) return {0, 0};  // ADDR[62:12] all ones: every address
  const std::uint64_t size = 1ull << shift;
  return {a & ~(size - 1), size};
}

std::uint64_t DeviceTlb::invalidate(std::uint64_t addr, bool size_bit) {
  return impl_->drop(addr, size_bit, true, Pasid{});
}
std::uint64_t DeviceTlb::invalidate_pasid(Pasid pasid, std::uint64_t addr, bool size_bit) {
  return impl_->drop(addr, size_bit, false, pasid);
}
std::uint64_t DeviceTlb::invalidate_all() {
  Impl& m = *impl_;
  if (!m.cache) return 0;
  const std::uint64_t n = m.cache->clear();
  for (auto& h : m.held) h = 0;
  m.stats.invalidated += n;
  return n;
}

std::uint64_t DeviceTlb::size() const { return impl_->cache ? impl_->cache->size() : 0; }
const CacheCounters& DeviceTlb::stats() const { return impl_->stats; }

}  // namespace vtdsim::cache
