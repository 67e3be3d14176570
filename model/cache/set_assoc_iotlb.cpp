// The set-associative IOTLB (set_assoc_iotlb.hpp).
#include "vtdsim/cache/set_assoc_iotlb.hpp"

#include "vtdsim/cache/configured_cache.hpp"

namespace vtdsim::cache {

SetAssocIotlb::SetAssocIotlb(const config::CachesConfig& config) {
  arrays_[0] = make_configured_cache<Array>(config.iotlb, "iotlb");
  if (config.iotlb_organization == config::IotlbOrganization::kPerSize) {
    arrays_[1] = make_configured_cache<Array>(config.iotlb_2m, "iotlb_2m");
    arrays_[2] = make_configured_cache<Array>(config.iotlb_1g, "iotlb_1g");
    for (int s = 0; s < 3; ++s) by_size_[s] = arrays_[s] ? &*arrays_[s] : nullptr;
  } else {
    for (int s = 0; s < 3; ++s) by_size_[s] = arrays_[0] ? &*arrays_[0] : nullptr;
  }
}

// One probe for page size S (0 = 4K, 1 = 2M, 2 = 1G), skipped when no entry of that size is held.
template <int S>
const IotlbEntry* SetAssocIotlb::probe(DomainId domain, Pasid pasid, Iova iova) {
  Array* c = by_size_[S];
  if (held_[S] == 0 || c == nullptr) return nullptr;
  constexpr unsigned kShift = 12 + 9 * S;
  if (const IotlbEntry* e = c->lookup(IotlbKey{iova.value >> kShift, pasid.value, domain.value, kShift})) {
    ++by_size_counters_[S].hits;
    return e;
  }
  ++by_size_counters_[S].misses;
  return nullptr;
}

// Probes 2M, then 1G (find() did the 4K probe when 4K entries are held).
const IotlbEntry* SetAssocIotlb::find_larger(DomainId domain, Pasid pasid, Iova iova) {
  if (!enabled()) return nullptr;
  if (const IotlbEntry* e = probe<1>(domain, pasid, iova)) return e;
  if (const IotlbEntry* e = probe<2>(domain, pasid, iova)) return e;
  ++total_.misses;
  return nullptr;
}

void SetAssocIotlb::fill(const IotlbEntry& entry) {
  const int s = page_size_index(entry.page_shift);
  if (s < 0) return;
  Array* c = by_size_[s];
  if (c == nullptr) return;
  ++total_.fills;
  ++by_size_counters_[s].fills;
  const IotlbKey key{entry.iova_base >> entry.page_shift, entry.pasid.value, entry.domain.value, entry.page_shift};
  const auto r = c->insert(key, entry);
  if (r.updated) return;
  ++held_[s];
  if (r.evicted) {
    const int es = page_size_index(r.evicted_key.shift());
    --held_[es];
    ++total_.evictions;
    ++by_size_counters_[es].evictions;
  }
}

std::uint64_t SetAssocIotlb::invalidate(const IotlbInvalidationScope& scope) {
  if (!scope.reaches_anything()) return 0;
  std::uint64_t total = 0;
  for (auto& c : arrays_) {
    if (!c) continue;
    total += c->invalidate_if([&](const IotlbKey& k, const IotlbEntry& e) {
      if (!scope.covers_page(e.domain.value, e.pasid.value, e.iova_base, 1ull << e.page_shift, entry_stage(e.fs_flags)))
        return false;
      const int s = page_size_index(k.shift());
      --held_[s];
      ++by_size_counters_[s].invalidated;
      return true;
    });
  }
  total_.invalidated += total;
  return total;
}

IotlbStats SetAssocIotlb::stats() const {
  IotlbStats st;
  st.total = total_;
  st.total.hits = 0;
  for (int s = 0; s < 3; ++s) {
    st.by_size[s] = by_size_counters_[s];
    st.by_size[s].lookups = st.by_size[s].hits + st.by_size[s].misses;
    st.total.hits += st.by_size[s].hits;
  }
  st.total.lookups = st.total.hits + st.total.misses;
  return st;
}

}  // namespace vtdsim::cache
