#include "vtdsim/core/ats_endpoints.hpp"

#include "vtdsim/core/invalidation_decoder.hpp"
#include "vtdsim/core/remapping_unit.hpp"

namespace vtdsim::core {

namespace {
constexpr std::size_t kSourceIds = 1u << 16;

// Page shift of a translation's page size (4K, 2M, 1G); 0 for anything else (not cached).
std::uint8_t page_shift(std::uint64_t page_size) {
  switch (page_size) {
    case kPageSize4K: return 12;
    case kPageSize2M: return 21;
    case kPageSize1G: return 30;
    default: return 0;
  }
}
}  // namespace

AtsEndpoints::AtsEndpoints(RemappingUnit& unit, const config::CacheGeometry& geometry)
    : unit_(unit), geometry_(geometry), index_(kSourceIds, 0) {
  unit_.set_device_tlb_handler([this](const InvalidationRequest& r) { return invalidate(r); });
}

AtsEndpoints::~AtsEndpoints() { unit_.set_device_tlb_handler(nullptr); }

void AtsEndpoints::set_enabled(SourceId source, bool enabled) {
  Device* d = find_mutable(source);
  if (d == nullptr) {
    if (!enabled) return;
    devices_.push_back(Device{source, true, cache::DeviceTlb(geometry_), AtsDeviceCounters{}});
    index_[source.value] = static_cast<std::uint32_t>(devices_.size());
    return;
  }
  if (d->enabled && !enabled) d->tlb.invalidate_all();
  d->enabled = enabled;
}

bool AtsEndpoints::enabled(SourceId source) const {
  const Device* d = find(source);
  return d != nullptr && d->enabled;
}

const AtsEndpoints::Device* AtsEndpoints::find(SourceId source) const {
  const std::uint32_t i = index_[source.value];
  return i == 0 ? nullptr : &devices_[i - 1];
}

TranslationResult AtsEndpoints::dma(const TranslationRequest& request) {
  Device* d = find_mutable(request.source);
  if (d == nullptr || !d->enabled || request.address_type != AddressType::kUntranslated) {
    return unit_.translate(request);
  }
  ++d->counters.dma;
  if (const cache::DeviceTlbEntry* e = d->tlb.lookup(request.pasid, request.iova)) {
    if (e->perms.allows(request.access)) return translated(*d, request, *e);
    // The cached translation does not grant this access: ask again (the answer may now allow it,
    // or fault).
    ++d->counters.permission_refetches;
  }
  return translate_and_fill(*d, request);
}

// Device-TLB hit: a Translated request (AT = 10b) to the cached host address.
TranslationResult AtsEndpoints::translated(Device& d, const TranslationRequest& request,
                                           const cache::DeviceTlbEntry& entry) {
  const std::uint64_t host = entry.host_base + (request.iova.value - entry.iova_base);
  TranslationRequest t = request;
  t.address_type = AddressType::kTranslated;
  t.iova = Iova(host);
  ++d.counters.translated_requests;
  TranslationResult result = unit_.translate(t);
  if (!result.ok()) {
    ++d.counters.translated_faults;
    return result;
  }
  result.host = HostAddr(host);
  result.page_size = 1ull << entry.page_shift;
  result.perms = entry.perms;
  result.outcome.translated = true;
  result.outcome.device_tlb_hit = true;
  return result;
}

// Device-TLB miss: a Translation Request (AT = 01b); a successful answer is cached, then the DMA
// itself goes out as a Translated request.
TranslationResult AtsEndpoints::translate_and_fill(Device& d, const TranslationRequest& request) {
  TranslationRequest t = request;
  t.address_type = AddressType::kTranslationRequest;
  ++d.counters.translation_requests;
  TranslationResult result = unit_.translate(t);
  if (!result.ok()) {
    ++d.counters.translation_faults;
    return result;
  }
  const std::uint8_t shift = page_shift(result.page_size);
  if (shift != 0) {
    const std::uint64_t size = 1ull << shift;
    cache::DeviceTlbEntry e;
    e.pasid = request.pasid;
    e.iova_base = request.iova.value & ~(size - 1);
    e.page_shift = shift;
    e.host_base = result.host.value & ~(size - 1);
    e.perms = result.perms;
    d.tlb.fill(e);
  }

  TranslationRequest c = request;
  c.address_type = AddressType::kTranslated;
  c.iova = Iova(result.host.value);
  ++d.counters.translated_requests;
  const TranslationResult completed = unit_.translate(c);
  for (const WalkRead& rd : completed.walk) result.walk.push(rd.addr, rd.kind, rd.level);
  if (!completed.ok()) {
    ++d.counters.translated_faults;
    result.fault = completed.fault;
    result.host = HostAddr{};
    result.page_size = 0;
    result.perms = Perms{};
  }
  return result;
}

std::uint64_t AtsEndpoints::invalidate(const InvalidationRequest& request) {
  if (request.target != InvalidationTarget::kDeviceTlb) return 0;
  if (request.granularity == InvalidationGranularity::kGlobal) {
    std::uint64_t dropped = 0;
    for (Device& d : devices_) {
      ++d.counters.invalidation_requests;
      dropped += d.tlb.invalidate_all();
    }
    return dropped;
  }
  Device* d = find_mutable(request.source);
  if (d == nullptr) return 0;
  ++d->counters.invalidation_requests;
  // ATS form of the range (spec 6.5.2.5: ADDR with the S-bit size encoding); kDevice is the
  // whole address space.
  const AtsRange range = ats_range(request);
  if (request.pasid.present()) return d->tlb.invalidate_pasid(request.pasid, range.addr, range.size_bit);
  return d->tlb.invalidate(range.addr, range.size_bit);
}

}  // namespace vtdsim::core
