// The translation caches of one remapping unit (VT-d spec 6.2), built on SetAssocCache.
//
// Context cache (spec 6.2.1): resolved legacy contexts, tagged by source-id.
// PASID cache (spec 6.2.2): resolved scalable-mode contexts (context + PASID entry) for requests
//   that carry a PASID, tagged by (source-id, PASID). The spec tags PASID-cache entries by
//   (domain, PASID); the model looks up by source-id because the domain is only known after the
//   entry is read, and keeps the domain in the entry so domain/PASID-selective invalidations match
//   the spec. Because these combined entries also embed context-entry state, a context-cache
//   invalidation drops the PASID-cache entries of the same source/domain too, and a PASID-cache
//   invalidation also drops context-array entries resolved through that PASID (RID_PASID).
// IOTLB (spec 6.2.3): tagged by (domain, PASID, page number, page size). Organizations:
//   kShared  one array. The set is chosen from the page number at the entry's own size
//            (iova >> page_shift) mod sets, so a lookup probes up to three sets: the 4K page
//            number, then the 2M and 1G page numbers of the address. Sizes with no valid entry in
//            the array are not probed (per-size occupancy counters), so a 4K-only workload costs
//            one probe. Each probe counts in stats.iotlb_by_size[size] (lookups = hits + misses).
//   kPerSize three arrays (iotlb, iotlb_2m, iotlb_1g), same probing, each with its own geometry.
//   kQemu    QEMU's emulated IOTLB (hw/i386/intel_iommu.c, 7.2): a hash keyed by
//            (source-id, gfn, level, PASID) without capacity limit except that inserting into a
//            table that holds qemu_max_entries first clears it whole (stats.qemu_flushes). The
//            lookup probes levels 1..3 with gfn = (iova & level page mask) >> 12 and does not
//            compare the domain (as QEMU). Invalidation as QEMU does it: domain-selective drops the
//            domain's entries; page-selective drops entries of the domain whose gfn matches the
//            invalidated gfn under the AM mask, or whose own page contains the invalidated address;
//            global clears everything. PASID-based invalidations additionally compare the PASID.
// Paging-structure caches (spec 6.2.4): one array per level 2..5 (PDE, PDPE, PML4E, PML5E), tagged
//   by (domain, PASID, iova >> level shift). find_walk_start probes from PDE upward and returns the
//   first (deepest) hit.
// Invalidation (spec 6.5.1, 6.5.2): see invalidate() below. Device-TLB and interrupt-entry
// invalidations do not touch these caches (the device TLB is per device).
//
// Disabled caches (enabled = false) hold nothing and count no lookups.
#include "vtdsim/cache/translation_caches.hpp"

#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "vtdsim/cache/cache_keys.hpp"
#include "vtdsim/cache/set_assoc_cache.hpp"

namespace vtdsim::cache {
namespace {

constexpr unsigned kShifts[3] = {12, 21, 30};

int size_index(unsigned shift) {
  switch (shift) {
    case 12: return 0;
    case 21: return 1;
    case 30: return 2;
    default: return -1;
  }
}

struct QemuKey {
  std::uint64_t gfn = 0;
  std::uint32_t pasid = 0;
  std::uint16_t source = 0;
  std::uint8_t level = 1;
  friend bool operator==(const QemuKey& a, const QemuKey& b) {
    return a.gfn == b.gfn && a.pasid == b.pasid && a.source == b.source && a.level == b.level;
  }
};
struct QemuKeyHash {
  std::size_t operator()(const QemuKey& k) const noexcept {
    std::uint64_t h = k.gfn * 0x9e3779b97f4a7c15ull;
    h ^= (std::uint64_t{k.pasid} << 24) ^ (std::uint64_t{k.source} << 8) ^ k.level;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

constexpr unsigned psc_shift(unsigned level) { return 12 + 9 * (level - 1); }

bool overlaps(std::uint64_t a_base, std::uint64_t a_size, std::uint64_t b_base, std::uint64_t b_size) {
  // Half-open ranges; sizes are powers of two and bases aligned, so no overflow at the top.
  return a_base <= b_base + (b_size - 1) && b_base <= a_base + (a_size - 1);
}

// CCMD.FM / cc_inv_dsc FM (spec 6.5.1.1, 6.5.2.2): 0 = no bits masked, 1 = mask function bit 2,
// 2 = mask function bits 2:1, 3 = mask function bits 2:0.
std::uint16_t function_mask_bits(std::uint8_t fm) {
  switch (fm & 3) {
    case 1: return 0x4;
    case 2: return 0x6;
    case 3: return 0x7;
    default: return 0;
  }
}

template <class Cache>
std::optional<Cache> make_cache(const config::CacheGeometry& g, const char* name) {
  if (!g.enabled) return std::nullopt;
  try {
    return Cache(g);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("caches.") + name + ": " + e.what());
  }
}

}  // namespace

struct TranslationCaches::Impl {
  using ContextCache = SetAssocCache<ContextCacheEntry, ContextKey>;
  using PasidCache = SetAssocCache<ContextCacheEntry, PasidKey>;
  using Iotlb = SetAssocCache<IotlbEntry, IotlbKey>;
  using Psc = SetAssocCache<PscEntry, PscKey>;

  config::CachesConfig config;
  CacheStats stats;
  std::optional<ContextCache> context;
  std::optional<PasidCache> pasid;
  // kShared: iotlb[0] holds every size; kPerSize: iotlb[i] holds size i.
  std::optional<Iotlb> iotlb[3];
  std::uint64_t held_by_size[3] = {0, 0, 0};  // valid IOTLB entries per page size (probe skipping)
  std::unordered_map<QemuKey, IotlbEntry, QemuKeyHash> qemu;
  std::optional<Psc> psc[4];
  // Hot path: the array holding each page size (nullptr when absent or disabled), set once.
  Iotlb* by_size[3] = {nullptr, nullptr, nullptr};
  bool qemu_mode = false;
  bool any_iotlb = false;

  // One set-associative probe for page size S (0 = 4K, 1 = 2M, 2 = 1G); skipped when no entry of
  // that size is held. Only hits and misses are counted here; lookups (= hits + misses) and the
  // totals are derived in stats(), so a hit costs one counter increment.
  template <int S>
  const IotlbEntry* probe(DomainId domain, Pasid pasid, Iova iova) {
    Iotlb* c = by_size[S];
    if (held_by_size[S] == 0 || c == nullptr) return nullptr;
    constexpr unsigned kShift = 12 + 9 * S;
    if (const IotlbEntry* e = c->lookup(IotlbKey{iova.value >> kShift, pasid.value, domain.value, kShift})) {
      ++stats.iotlb_by_size[S].hits;
      return e;
    }
    ++stats.iotlb_by_size[S].misses;
    return nullptr;
  }

  // Fills the derived counters (lookups = hits + misses; IOTLB hits = sum over page sizes).
  void derive_counters() {
    auto derive = [](CacheCounters& c) { c.lookups = c.hits + c.misses; };
    derive(stats.context);
    derive(stats.pasid);
    stats.iotlb.hits = 0;
    for (auto& c : stats.iotlb_by_size) {
      derive(c);
      stats.iotlb.hits += c.hits;
    }
    derive(stats.iotlb);
    for (auto& c : stats.psc) derive(c);
  }

  [[gnu::noinline]] const IotlbEntry* find_qemu(SourceId source, Pasid pasid, Iova iova);
  [[gnu::noinline]] const IotlbEntry* find_iotlb_rest(SourceId source, DomainId domain, Pasid pasid, Iova iova);

  bool is_qemu() const { return config.iotlb_organization == config::IotlbOrganization::kQemu; }
  bool per_size() const { return config.iotlb_organization == config::IotlbOrganization::kPerSize; }
  Iotlb* array_for(int size) {
    auto& c = per_size() ? iotlb[size] : iotlb[0];
    return c ? &*c : nullptr;
  }
  bool iotlb_enabled() const {
    if (is_qemu()) return config.iotlb.enabled;
    return iotlb[0].has_value() || iotlb[1].has_value() || iotlb[2].has_value();
  }

  // Drops IOTLB entries (set-associative organizations) matching pred; keeps per-size counters.
  template <class Pred>
  std::uint64_t drop_iotlb_if(Pred&& pred) {
    std::uint64_t total = 0;
    for (auto& c : iotlb) {
      if (!c) continue;
      total += c->invalidate_if([&](const IotlbKey& k, const IotlbEntry& e) {
        if (!pred(e)) return false;
        const int s = size_index(k.shift());
        --held_by_size[s];
        ++stats.iotlb_by_size[s].invalidated;
        return true;
      });
    }
    stats.iotlb.invalidated += total;
    return total;
  }

  template <class Pred>
  std::uint64_t drop_qemu_if(Pred&& pred) {
    std::uint64_t total = 0;
    for (auto it = qemu.begin(); it != qemu.end();) {
      if (pred(it->first, it->second)) {
        const int s = size_index(it->second.page_shift);
        if (s >= 0) ++stats.iotlb_by_size[s].invalidated;
        it = qemu.erase(it);
        ++total;
      } else {
        ++it;
      }
    }
    stats.iotlb.invalidated += total;
    return total;
  }

  template <class Pred>
  std::uint64_t drop_psc_if(Pred&& pred) {
    std::uint64_t total = 0;
    for (int i = 0; i < 4; ++i) {
      if (!psc[i]) continue;
      const std::uint64_t n = psc[i]->invalidate_if([&](const PscKey&, const PscEntry& e) { return pred(e); });
      stats.psc[i].invalidated += n;
      total += n;
    }
    return total;
  }

  template <class Pred>
  std::uint64_t drop_context_if(Pred&& pred) {
    std::uint64_t total = 0;
    if (context) {
      const std::uint64_t n =
          context->invalidate_if([&](const ContextKey&, const ContextCacheEntry& e) { return pred(e); });
      stats.context.invalidated += n;
      total += n;
    }
    if (pasid) {
      const std::uint64_t n =
          pasid->invalidate_if([&](const PasidKey&, const ContextCacheEntry& e) { return pred(e); });
      stats.pasid.invalidated += n;
      total += n;
    }
    return total;
  }

  std::uint64_t invalidate_iotlb(const core::InvalidationRequest& r, bool pasid_based);
  std::uint64_t invalidate_qemu(const core::InvalidationRequest& r, bool pasid_based);
  // Whether QEMU's entries are first-stage ones, for a page-selective flush (pasid_based: P_IOTLB);
  // with qemu_first_stage: auto the first such flush decides for the rest of the run.
  bool qemu_first_stage(bool pasid_based) {
    if (config.qemu_first_stage != config::QemuStage::kAuto)
      return config.qemu_first_stage == config::QemuStage::kFirst;
    if (qemu_auto_stage == 0) qemu_auto_stage = pasid_based ? 2 : 1;
    return qemu_auto_stage == 2;
  }
  std::uint8_t qemu_auto_stage = 0;  // kAuto: 0 undecided, 1 second stage, 2 first stage
};

TranslationCaches::TranslationCaches(const config::CachesConfig& config) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.config = config;
  m.context = make_cache<Impl::ContextCache>(config.context, "context");
  m.pasid = make_cache<Impl::PasidCache>(config.pasid, "pasid");
  switch (config.iotlb_organization) {
    case config::IotlbOrganization::kShared: m.iotlb[0] = make_cache<Impl::Iotlb>(config.iotlb, "iotlb"); break;
    case config::IotlbOrganization::kPerSize:
      m.iotlb[0] = make_cache<Impl::Iotlb>(config.iotlb, "iotlb");
      m.iotlb[1] = make_cache<Impl::Iotlb>(config.iotlb_2m, "iotlb_2m");
      m.iotlb[2] = make_cache<Impl::Iotlb>(config.iotlb_1g, "iotlb_1g");
      break;
    case config::IotlbOrganization::kQemu:
      if (config.qemu_max_entries == 0 || config.qemu_max_entries > config::kMaxCacheEntries)
        throw std::invalid_argument("caches.qemu_max_entries must be in 1.." +
                                    std::to_string(config::kMaxCacheEntries));
      // Buckets for the whole table up front: inserts never rehash.
      m.qemu.reserve(std::size_t{config.qemu_max_entries} + 1);
      break;
  }
  m.qemu_mode = m.is_qemu();
  for (int i = 0; i < 3; ++i) m.by_size[i] = m.array_for(i);
  m.any_iotlb = m.iotlb_enabled();
  hot_.context = m.context ? &*m.context : nullptr;
  hot_.context_counters = &m.stats.context;
  hot_.iotlb_4k = m.qemu_mode ? nullptr : m.by_size[0];
  hot_.held_4k = &m.held_by_size[0];
  hot_.iotlb_4k_counters = &m.stats.iotlb_by_size[0];
  static const char* const kPscNames[4] = {"psc.pde", "psc.pdpe", "psc.pml4e", "psc.pml5e"};
  for (int i = 0; i < 4; ++i) m.psc[i] = make_cache<Impl::Psc>(config.psc[i], kPscNames[i]);
}

TranslationCaches::~TranslationCaches() = default;

// Requests with a PASID: the PASID cache (find_context, inline, does the context cache).
const ContextCacheEntry* TranslationCaches::find_pasid_context(SourceId source, Pasid pasid) {
  Impl& m = *impl_;
  if (!m.pasid) return nullptr;
  const ContextCacheEntry* e = m.pasid->lookup(PasidKey{source.value, pasid.value});
  ++(e ? m.stats.pasid.hits : m.stats.pasid.misses);
  return e;
}

void TranslationCaches::fill_context(const ContextCacheEntry& entry) {
  Impl& m = *impl_;
  if (entry.pasid.present()) {
    if (!m.pasid) return;
    ++m.stats.pasid.fills;
    if (m.pasid->insert(PasidKey{entry.source.value, entry.pasid.value}, entry).evicted) ++m.stats.pasid.evictions;
    return;
  }
  if (!m.context) return;
  ++m.stats.context.fills;
  if (m.context->insert(ContextKey{entry.source.value}, entry).evicted) ++m.stats.context.evictions;
}

const IotlbEntry* TranslationCaches::find_iotlb_rest(SourceId source, DomainId domain, Pasid pasid, Iova iova) {
  Impl& m = *impl_;
  if (!m.any_iotlb) return nullptr;
  if (m.qemu_mode) return m.find_qemu(source, pasid, iova);
  return m.find_iotlb_rest(source, domain, pasid, iova);
}

// Probes 2M, then 1G (the 4K probe was done by the caller when 4K entries are held).
const IotlbEntry* TranslationCaches::Impl::find_iotlb_rest(SourceId, DomainId domain, Pasid pasid, Iova iova) {
  if (const IotlbEntry* e = probe<1>(domain, pasid, iova)) return e;
  if (const IotlbEntry* e = probe<2>(domain, pasid, iova)) return e;
  ++stats.iotlb.misses;
  return nullptr;
}

// Out of line so that the set-associative fast path above stays small (fewer saved registers).
const IotlbEntry* TranslationCaches::Impl::find_qemu(SourceId source, Pasid pasid, Iova iova) {
  // QEMU vtd_lookup_iotlb: probe levels 1..3, key (source-id, gfn at level, level, PASID).
  if (!qemu.empty()) {
    for (int s = 0; s < 3; ++s) {
      const std::uint64_t gfn = (iova.value & ~((1ull << kShifts[s]) - 1)) >> 12;
      auto it = qemu.find(QemuKey{gfn, pasid.value, source.value, static_cast<std::uint8_t>(s + 1)});
      if (it != qemu.end()) {
        ++stats.iotlb_by_size[s].hits;
        return &it->second;
      }
      ++stats.iotlb_by_size[s].misses;
    }
  }
  ++stats.iotlb.misses;
  return nullptr;
}

void TranslationCaches::fill_iotlb(const IotlbEntry& in) {
  Impl& m = *impl_;
  const int s = size_index(in.page_shift);
  if (s < 0 || !m.iotlb_enabled()) return;  // only 4K, 2M and 1G pages exist (spec 3.7)
  IotlbEntry entry = in;
  entry.iova_base &= ~((1ull << in.page_shift) - 1);
  entry.level = static_cast<std::uint8_t>(s + 1);
  if (m.is_qemu()) {
    const QemuKey key{entry.iova_base >> 12, entry.pasid.value, entry.source.value, entry.level};
    auto it = m.qemu.find(key);
    if (it == m.qemu.end() && m.qemu.size() >= m.config.qemu_max_entries) {
      // QEMU vtd_update_iotlb: a full table is reset before the new entry goes in.
      for (const auto& kv : m.qemu) {
        const int ks = size_index(kv.second.page_shift);
        ++m.stats.iotlb_by_size[ks].evictions;
      }
      m.stats.iotlb.evictions += m.qemu.size();
      m.qemu.clear();
      ++m.stats.qemu_flushes;
    }
    ++m.stats.iotlb.fills;
    ++m.stats.iotlb_by_size[s].fills;
    m.qemu[key] = entry;
    return;
  }
  Impl::Iotlb* c = m.array_for(s);
  if (c == nullptr) return;
  ++m.stats.iotlb.fills;
  ++m.stats.iotlb_by_size[s].fills;
  const IotlbKey key{entry.iova_base >> in.page_shift, entry.pasid.value, entry.domain.value, in.page_shift};
  auto r = c->insert(key, entry);
  if (r.updated) return;
  ++m.held_by_size[s];
  if (r.evicted) {
    const int es = size_index(r.evicted_key.shift());
    --m.held_by_size[es];
    ++m.stats.iotlb.evictions;
    ++m.stats.iotlb_by_size[es].evictions;
  }
}

bool TranslationCaches::find_walk_start(DomainId domain, Pasid pasid, Iova iova, unsigned top_level, PscEntry& out) {
  Impl& m = *impl_;
  for (unsigned level = 2; level <= top_level && level <= 5; ++level) {
    auto& c = m.psc[level - 2];
    if (!c) continue;
    CacheCounters& st = m.stats.psc[level - 2];
    const PscKey key{iova.value >> psc_shift(level), pasid.value, domain.value};
    if (const PscEntry* e = c->lookup(key)) {
      ++st.hits;
      out = *e;
      return true;
    }
    ++st.misses;
  }
  return false;
}

void TranslationCaches::fill_psc(const PscEntry& entry) {
  Impl& m = *impl_;
  if (entry.level < 2 || entry.level > 5) return;
  auto& c = m.psc[entry.level - 2];
  if (!c) return;
  CacheCounters& st = m.stats.psc[entry.level - 2];
  ++st.fills;
  if (c->insert(PscKey{entry.iova_prefix, entry.pasid.value, entry.domain.value}, entry).evicted) ++st.evictions;
}

// IOTLB and paging-structure-cache invalidation (spec 6.5.1.2 IOTLB_REG, 6.5.2.3 iotlb_inv_dsc,
// 6.5.2.4 p_iotlb_inv_dsc):
//   global: every IOTLB and PSC entry;
//   domain: every entry tagged with the domain (all PASIDs);
//   page:   IOTLB entries of the domain whose page overlaps [addr, addr + 2^AM * 4K) (superpages
//           included); with IH = 0 also the PSC entries of the domain whose covered range overlaps
//           it; IH = 1 keeps the PSC. addr is aligned down to the range size (spec: software must
//           pass an aligned address; hardware ignores the low bits);
//   pasid (PASID-based only): every entry of (domain, PASID).
// PASID-based page invalidation also compares the PASID.
// QEMU's emulated IOTLB (hw/i386/intel_iommu.c; differences by release in configs/qemu-*.yaml):
//   global                 vtd_iotlb_global_invalidate: everything;
//   domain                 vtd_hash_remove_by_domain: every entry of the domain;
//   page                   vtd_hash_remove_by_page: the domain's entries whose page number equals
//                          addr's under the AM mask (in qemu_inv_mask_bits bits), or whose page
//                          holds addr; with first-stage entries (qemu_first_stage; auto: decided by
//                          the first page-selective flush, P_IOTLB or legacy), every entry of the domain (QEMU 10.0
//                          drops all first-stage entries of the domain on a legacy PSI);
//   P_IOTLB (qemu_piotlb)  ignore: nothing; qemu-10.0: PASID-selective drops the domain's entries
//                          of the PASID (vtd_hash_remove_by_pasid, any stage), page-selective only
//                          first-stage ones under the full mask (vtd_hash_remove_by_page_piotlb).
// An entry of a request without PASID has PASID kNone here; QEMU tags it with the context's
// RID_PASID in scalable mode, which the importer checks is 0 (what Linux programs).
std::uint64_t TranslationCaches::Impl::invalidate_qemu(const core::InvalidationRequest& r, bool pasid_based) {
  using G = core::InvalidationGranularity;
  const std::uint16_t did = r.domain.value;
  const unsigned am = r.address_mask > 52 ? 52 : r.address_mask;
  auto same_pasid = [&](std::uint32_t entry_pasid) {
    return entry_pasid == r.pasid.value || (entry_pasid == Pasid::kNone && r.pasid.value == 0);
  };
  // QEMU vtd_hash_remove_by_page's page test, with the mask kept in `mask_bits` bits.
  auto page_matches = [&](const QemuKey& k, const IotlbEntry& e, unsigned mask_bits) {
    std::uint64_t mask = ~((1ull << am) - 1);
    if (mask_bits < 64) mask &= (1ull << mask_bits) - 1;
    const std::uint64_t gfn = (r.addr.value >> 12) & mask;
    const std::uint64_t entry_mask = ~((1ull << e.page_shift) - 1);
    return (k.gfn & mask) == gfn || k.gfn == ((r.addr.value & entry_mask) >> 12);
  };
  if (pasid_based) {
    if (config.qemu_piotlb == config::QemuPasidIotlb::kIgnore) return 0;
    if (r.granularity == G::kPage) {
      if (!qemu_first_stage(true)) return 0;
      return drop_qemu_if([&](const QemuKey& k, const IotlbEntry& e) {
        return e.domain.value == did && same_pasid(k.pasid) && page_matches(k, e, 64);
      });
    }
    if (r.granularity == G::kGlobal) return drop_qemu_if([](const QemuKey&, const IotlbEntry&) { return true; });
    return drop_qemu_if(
        [&](const QemuKey& k, const IotlbEntry& e) { return e.domain.value == did && same_pasid(k.pasid); });
  }
  switch (r.granularity) {
    case G::kGlobal: return drop_qemu_if([](const QemuKey&, const IotlbEntry&) { return true; });
    case G::kPage: {
      const bool first_stage = qemu_first_stage(false);
      return drop_qemu_if([&](const QemuKey& k, const IotlbEntry& e) {
        if (e.domain.value != did) return false;
        return first_stage || page_matches(k, e, config.qemu_inv_mask_bits);
      });
    }
    default: return drop_qemu_if([&](const QemuKey&, const IotlbEntry& e) { return e.domain.value == did; });
  }
}

std::uint64_t TranslationCaches::Impl::invalidate_iotlb(const core::InvalidationRequest& r, bool pasid_based) {
  using G = core::InvalidationGranularity;
  const std::uint16_t did = r.domain.value;
  const std::uint32_t pasid_v = r.pasid.value;
  const unsigned am = r.address_mask > 52 ? 52 : r.address_mask;
  const std::uint64_t len = 1ull << (12 + am);
  const std::uint64_t base = r.addr.value & ~(len - 1);
  G g = r.granularity;
  if (g == G::kDevice) g = G::kDomain;  // not defined for the IOTLB; treat as the domain
  if (g == G::kPasid && !pasid_based) g = G::kDomain;

  auto in_scope = [&](std::uint16_t d, std::uint32_t p) {
    if (g == G::kGlobal) return true;
    if (d != did) return false;
    return !(pasid_based && (g == G::kPasid || g == G::kPage)) || p == pasid_v;
  };

  std::uint64_t dropped = 0;
  if (is_qemu()) {
    dropped += invalidate_qemu(r, pasid_based);
  } else if (g == G::kPage) {
    dropped += drop_iotlb_if([&](const IotlbEntry& e) {
      return in_scope(e.domain.value, e.pasid.value) && overlaps(e.iova_base, 1ull << e.page_shift, base, len);
    });
  } else {
    dropped += drop_iotlb_if([&](const IotlbEntry& e) { return in_scope(e.domain.value, e.pasid.value); });
  }

  if (g == G::kPage) {
    if (!r.invalidation_hint) {
      dropped += drop_psc_if([&](const PscEntry& e) {
        const unsigned shift = psc_shift(e.level);
        return in_scope(e.domain.value, e.pasid.value) && overlaps(e.iova_prefix << shift, 1ull << shift, base, len);
      });
    }
  } else {
    dropped += drop_psc_if([&](const PscEntry& e) { return in_scope(e.domain.value, e.pasid.value); });
  }
  return dropped;
}

std::uint64_t TranslationCaches::invalidate(const core::InvalidationRequest& r) {
  Impl& m = *impl_;
  using G = core::InvalidationGranularity;
  using T = core::InvalidationTarget;
  switch (r.target) {
    case T::kContextCache:
      // Spec 6.5.1.1 (CCMD) / 6.5.2.2 (cc_inv_dsc): global, domain-selective, device-selective
      // (source-id with function mask, within the domain as the descriptor names it; the model
      // matches the source-id only, which is a superset).
      switch (r.granularity) {
        case G::kDomain: return m.drop_context_if([&](const ContextCacheEntry& e) { return e.domain == r.domain; });
        case G::kDevice: {
          const std::uint16_t keep = static_cast<std::uint16_t>(~function_mask_bits(r.function_mask));
          return m.drop_context_if(
              [&](const ContextCacheEntry& e) { return (e.source.value & keep) == (r.source.value & keep); });
        }
        default: return m.drop_context_if([](const ContextCacheEntry&) { return true; });
      }
    case T::kPasidCache:
      // Spec 6.5.2.5 pc_inv_dsc: domain-selective, PASID-selective (within domain), global. In
      // scalable mode every resolved context embeds PASID-table state, including the entries of
      // requests without PASID (kept in the context array, tagged with RID_PASID), so both
      // arrays are searched; a PASID matches the entry's PASID or its tag PASID.
      switch (r.granularity) {
        case G::kDomain: return m.drop_context_if([&](const ContextCacheEntry& e) { return e.domain == r.domain; });
        case G::kPasid:
        case G::kPage:
          return m.drop_context_if([&](const ContextCacheEntry& e) {
            return e.domain == r.domain && (e.pasid == r.pasid || e.tag_pasid == r.pasid);
          });
        case G::kDevice: return m.drop_context_if([&](const ContextCacheEntry& e) { return e.source == r.source; });
        case G::kGlobal: return m.drop_context_if([](const ContextCacheEntry&) { return true; });
      }
      return 0;
    case T::kIotlb: return m.invalidate_iotlb(r, false);
    case T::kPasidIotlb: return m.invalidate_iotlb(r, true);
    case T::kDeviceTlb:
    case T::kInterruptEntry: return 0;
  }
  return 0;
}

const CacheStats& TranslationCaches::stats() const {
  impl_->derive_counters();  // impl_ is a pointer: its pointee may change under a const accessor
  return impl_->stats;
}
const config::CachesConfig& TranslationCaches::config() const { return impl_->config; }

TranslationCaches::Occupancy TranslationCaches::occupancy() const {
  const Impl& m = *impl_;
  Occupancy o;
  if (m.context) o.context = m.context->size();
  if (m.pasid) o.pasid = m.pasid->size();
  if (m.is_qemu()) {
    for (const auto& kv : m.qemu) {
      const int s = size_index(kv.second.page_shift);
      if (s >= 0) ++o.iotlb_by_size[s];
    }
  } else {
    for (int s = 0; s < 3; ++s) o.iotlb_by_size[s] = m.held_by_size[s];
  }
  o.iotlb = o.iotlb_by_size[0] + o.iotlb_by_size[1] + o.iotlb_by_size[2];
  for (int i = 0; i < 4; ++i) {
    if (m.psc[i]) o.psc[i] = m.psc[i]->size();
  }
  return o;
}

}  // namespace vtdsim::cache
