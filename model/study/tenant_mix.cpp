#include "vtdsim/study/tenant_mix.hpp"

#include <algorithm>
#include <stdexcept>

namespace vtdsim::study {

namespace {

using trace::EventKind;
using trace::TraceEvent;
using G = core::InvalidationGranularity;
using T = core::InvalidationTarget;

void add_unique(std::vector<std::uint16_t>& v, std::uint16_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

std::uint16_t slot_of(const std::vector<std::uint16_t>& v, std::uint16_t x) {
  return static_cast<std::uint16_t>(std::find(v.begin(), v.end(), x) - v.begin());
}

// The events whose domain-id names a domain of the input (not a global invalidation, not a
// device-selective context one, which names a source).
bool names_domain(const TraceEvent& e) {
  if (e.kind == EventKind::kMap || e.kind == EventKind::kUnmap || e.kind == EventKind::kContext) return true;
  if (e.kind != EventKind::kInvalidate) return false;
  const auto& r = e.invalidation;
  if (r.granularity == G::kGlobal || r.target == T::kInterruptEntry) return false;
  if (r.target == T::kContextCache && r.granularity == G::kDevice) return false;
  if (r.target == T::kDeviceTlb) return false;
  return true;
}

}  // namespace

MixInput read_mix_input(const std::string& name, trace::TraceSource& source) {
  MixInput in;
  in.name = name;
  TraceEvent e;
  while (source.next_into(e)) {
    if (names_domain(e))
      add_unique(in.domains, e.kind == EventKind::kInvalidate ? e.invalidation.domain.value : e.domain.value);
    const bool has_source = e.kind == EventKind::kDma || e.kind == EventKind::kContext ||
                            (e.kind == EventKind::kInvalidate &&
                             (e.invalidation.target == T::kDeviceTlb ||
                              (e.invalidation.target == T::kContextCache && e.invalidation.granularity == G::kDevice)));
    if (has_source) {
      const SourceId s = e.kind == EventKind::kInvalidate ? e.invalidation.source : e.source;
      add_unique(in.sources, s.value);
      in.max_bus = std::max(in.max_bus, static_cast<std::uint8_t>(s.value >> 8));
    }
    if (e.kind == EventKind::kMap) in.host_end = std::max(in.host_end, e.host.value + e.size);
    if (e.kind == EventKind::kContext) (e.stage == trace::ContextStage::kLegacy ? in.legacy : in.scalable) = true;
    in.events.push_back(e);
  }
  return in;
}

TenantMix::TenantMix(std::vector<MixInput> inputs, const TenantMixOptions& options)
    : inputs_(std::move(inputs)), options_(options), rng_(options.seed) {
  if (inputs_.empty()) throw std::invalid_argument("mix: no input trace");
  if (options_.tenants == 0) throw std::invalid_argument("mix: --tenants must be at least 1");
  if (options_.burst == 0) throw std::invalid_argument("mix: --burst must be at least 1");
  std::uint64_t host_end = 1;
  std::uint32_t max_bus = 0;
  bool scalable = false, legacy = false;
  for (const auto& in : inputs_) {
    host_end = std::max(host_end, in.host_end);
    max_bus = std::max<std::uint32_t>(max_bus, in.max_bus);
    scalable = scalable || in.scalable;
    legacy = legacy || in.legacy;
  }
  legacy_to_scalable_ = scalable && legacy;
  if (max_bus + options_.tenants > 256)
    throw std::invalid_argument("mix: " + std::to_string(options_.tenants) + " tenants need buses up to " +
                                std::to_string(max_bus + options_.tenants - 1) + " (source-ids have 8 bus bits)");
  host_stride_ = 1;
  while (host_stride_ < host_end) host_stride_ <<= 1;
  if (host_stride_ > (1ull << 52) / options_.tenants)
    throw std::invalid_argument("mix: " + std::to_string(options_.tenants) + " tenants of " +
                                std::to_string(host_stride_) + " bytes of host memory each do not fit below 2^52");
  std::uint32_t domain = 1;
  for (std::uint32_t t = 0; t < options_.tenants; ++t) {
    Tenant tenant;
    tenant.index = t;
    tenant.input = &inputs_[t % inputs_.size()];
    tenant.domain_base = domain;
    domain += static_cast<std::uint32_t>(tenant.input->domains.size());
    if (domain > 0x10000) throw std::invalid_argument("mix: the tenants need more than 65535 domain-ids");
    tenants_.push_back(tenant);
    if (!tenants_.back().done()) ++unfinished_;
  }
}

TraceEvent TenantMix::renamed(const Tenant& t, const TraceEvent& in) const {
  TraceEvent e = in;
  auto source = [&](SourceId s) { return SourceId(static_cast<std::uint16_t>(s.value + (t.index << 8))); };
  auto domain = [&](DomainId d) {
    return DomainId(static_cast<std::uint16_t>(t.domain_base + slot_of(t.input->domains, d.value)));
  };
  switch (e.kind) {
    case EventKind::kDma: e.source = source(e.source); break;
    case EventKind::kMap:
      e.domain = domain(e.domain);
      e.host = HostAddr(e.host.value + t.index * host_stride_);
      break;
    case EventKind::kUnmap: e.domain = domain(e.domain); break;
    case EventKind::kContext:
      e.source = source(e.source);
      e.domain = domain(e.domain);
      if (legacy_to_scalable_ && e.stage == trace::ContextStage::kLegacy) e.stage = trace::ContextStage::kSecond;
      break;
    case EventKind::kInvalidate:
      if (names_domain(e)) e.invalidation.domain = domain(e.invalidation.domain);
      if (e.invalidation.target == T::kDeviceTlb ||
          (e.invalidation.target == T::kContextCache && e.invalidation.granularity == G::kDevice))
        e.invalidation.source = source(e.invalidation.source);
      break;
  }
  return e;
}

// A global invalidation narrowed to the tenant: per domain (IOTLB, PASID cache, device TLB by
// source) or per source (context cache).
void TenantMix::expand_global(Tenant& t, const TraceEvent& e) {
  t.expanded.clear();
  t.expanded_next = 0;
  const auto target = e.invalidation.target;
  if (target == T::kContextCache || target == T::kDeviceTlb) {
    for (std::uint16_t s : t.input->sources) {
      TraceEvent x = e;
      x.invalidation.granularity = G::kDevice;
      x.invalidation.source = SourceId(static_cast<std::uint16_t>(s + (t.index << 8)));
      x.invalidation.function_mask = 0;
      t.expanded.push_back(x);
    }
  } else {
    for (std::size_t i = 0; i < t.input->domains.size(); ++i) {
      TraceEvent x = e;
      x.invalidation.granularity = G::kDomain;
      x.invalidation.domain = DomainId(static_cast<std::uint16_t>(t.domain_base + i));
      t.expanded.push_back(x);
    }
  }
}

bool TenantMix::pick_tenant() {
  if (unfinished_ == 0) return false;
  const std::size_t n = tenants_.size();
  if (options_.interleave == Interleave::kRoundRobin) {
    std::size_t k = have_current_ ? (current_ + 1) % n : 0;
    while (tenants_[k].done()) k = (k + 1) % n;
    current_ = k;
  } else {
    std::uniform_int_distribution<std::uint32_t> pick(0, unfinished_ - 1);
    std::uint32_t skip = pick(rng_);
    for (std::size_t k = 0; k < n; ++k) {
      if (tenants_[k].done()) continue;
      if (skip-- == 0) {
        current_ = k;
        break;
      }
    }
  }
  have_current_ = true;
  emitted_dmas_ = 0;
  return true;
}

std::optional<TraceEvent> TenantMix::next() {
  for (;;) {
    if (!have_current_ || tenants_[current_].done() || emitted_dmas_ >= options_.burst) {
      if (!pick_tenant()) return std::nullopt;
    }
    Tenant& t = tenants_[current_];
    TraceEvent out;
    if (t.expanded_next < t.expanded.size()) {
      out = t.expanded[t.expanded_next++];
    } else {
      const TraceEvent& e = t.input->events[t.next++];
      if (e.kind == EventKind::kInvalidate && e.invalidation.granularity == G::kGlobal &&
          e.invalidation.target != T::kInterruptEntry) {
        expand_global(t, e);
        if (t.expanded.empty()) {
          if (t.done()) --unfinished_;
          continue;
        }
        out = t.expanded[t.expanded_next++];
      } else {
        out = renamed(t, e);
      }
    }
    if (t.done()) --unfinished_;
    if (out.kind == EventKind::kDma) ++emitted_dmas_;
    out.time_ns = std::max(out.time_ns, last_time_);
    last_time_ = out.time_ns;
    ++emitted_;
    return out;
  }
}

std::string TenantMix::position() const {
  if (!have_current_) return "mix@0";
  const Tenant& t = tenants_[current_];
  return "mix@" + std::to_string(emitted_) + " (tenant " + std::to_string(t.index) + ", " + t.input->name + " event " +
         std::to_string(t.next) + ")";
}

}  // namespace vtdsim::study
