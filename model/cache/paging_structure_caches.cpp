// Paging-structure caches (paging_structure_caches.hpp).
#include "vtdsim/cache/paging_structure_caches.hpp"

#include "vtdsim/cache/configured_cache.hpp"

namespace vtdsim::cache {

PagingStructureCaches::PagingStructureCaches(const std::array<config::CacheGeometry, kLevels>& levels) {
  static const char* const kNames[kLevels] = {"psc.pde", "psc.pdpe", "psc.pml4e", "psc.pml5e"};
  for (unsigned i = 0; i < kLevels; ++i)
    levels_[i] = make_configured_cache<SetAssocCache<PscEntry, PscKey>>(levels[i], kNames[i]);
}

bool PagingStructureCaches::find_walk_start(DomainId domain, Pasid pasid, Iova iova, unsigned top_level, PscEntry& out,
                                            bool first_stage) {
  for (unsigned level = 2; level <= top_level && level <= 5; ++level) {
    auto& c = levels_[level - 2];
    if (!c) continue;
    CacheCounters& st = counters_[level - 2];
    if (const PscEntry* e = c->lookup(PscKey{iova.value >> shift_of(level), pasid.value, domain.value, first_stage})) {
      ++st.hits;
      out = *e;
      return true;
    }
    ++st.misses;
  }
  return false;
}

void PagingStructureCaches::fill(const PscEntry& entry) {
  if (entry.level < 2 || entry.level > 5) return;
  auto& c = levels_[entry.level - 2];
  if (!c) return;
  CacheCounters& st = counters_[entry.level - 2];
  ++st.fills;
  if (c->insert(PscKey{entry.iova_prefix, entry.pasid.value, entry.domain.value, entry.first_stage()}, entry).evicted)
    ++st.evictions;
}

std::uint64_t PagingStructureCaches::invalidate(const IotlbInvalidationScope& scope) {
  if (!scope.reaches_anything()) return 0;
  std::uint64_t total = 0;
  for (unsigned i = 0; i < kLevels; ++i) {
    if (!levels_[i]) continue;
    const unsigned shift = shift_of(i + 2);
    const std::uint64_t n = levels_[i]->invalidate_if([&](const PscKey&, const PscEntry& e) {
      return scope.covers_paging_structure(e.domain.value, e.pasid.value, e.iova_prefix << shift, 1ull << shift,
                                           entry_stage(e.fs_flags));
    });
    counters_[i].invalidated += n;
    total += n;
  }
  return total;
}

CacheCounters PagingStructureCaches::counters(unsigned i) const {
  CacheCounters c = counters_[i];
  c.lookups = c.hits + c.misses;
  return c;
}

}  // namespace vtdsim::cache
