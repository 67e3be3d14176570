// RawPlatformConfig -> PlatformConfig: defaults (the resolved structs' initialisers), ranges and
// cross-field rules, each error with the key path it came from.
#include "vtdsim/platform/platform_config.hpp"

#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config_raw.hpp"

namespace vtdsim::platform {

using config::ConfigError;

namespace {

template <class T>
void set_if(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

bool is_net(WorkloadKind k) {
  return k == WorkloadKind::kNetTxStream || k == WorkloadKind::kNetRxStream || k == WorkloadKind::kNetRequestResponse;
}

WorkloadConfig resolve_workload(const RawWorkloadConfig& r, DeviceType type) {
  const std::string& path = r.path;
  WorkloadConfig w;
  if (r.kind) {
    w.kind = *r.kind;
    if (w.kind != WorkloadKind::kNone && is_net(w.kind) != (type == DeviceType::kVirtioNet))
      throw ConfigError(path + ".kind", "workload '" + r.kind_name + "' does not fit the device type");
  }
  set_if(w.packet_size, r.packet_size);
  if (w.packet_size < 14) throw ConfigError(path + ".packet_size", "must be >= 14 (an Ethernet header)");
  set_if(w.rate_gbps, r.rate_gbps);
  set_if(w.count, r.count);
  set_if(w.response_size, r.response_size);
  set_if(w.block_size, r.block_size);
  if (w.block_size == 0 || w.block_size % 512 != 0)
    throw ConfigError(path + ".block_size", "must be a non-zero multiple of 512");
  set_if(w.queue_depth, r.queue_depth);
  if (w.queue_depth == 0) throw ConfigError(path + ".queue_depth", "must be >= 1");
  if (r.segment_pages) {
    w.segment_pages = *r.segment_pages;
    if (w.kind != WorkloadKind::kNone && w.kind < WorkloadKind::kBlkReadSeq)
      throw ConfigError(path + ".segment_pages", "only blk workloads map data in segments");
  }
  if (w.segment_pages > 0 && (w.block_size + 4095) / 4096 / w.segment_pages > 250)
    throw ConfigError(path + ".segment_pages", "more than 250 data segments per request (one indirect table page)");
  if (r.interval_us) {
    w.interval_us = *r.interval_us;
    if (w.kind != WorkloadKind::kNetRequestResponse)
      throw ConfigError(path + ".interval_us", "only net_rr takes an interval");
  }
  return w;
}

DeviceConfig resolve_device(const RawDeviceConfig& r) {
  const std::string& path = r.path;
  DeviceConfig d;
  d.name = r.name;
  d.type = r.type;
  d.pci.source = r.source;
  d.pci.name = r.name;
  set_if(d.route, r.route);
  set_if(d.ats, r.ats);
  set_if(d.in_dmar_scope, r.in_dmar_scope);
  set_if(d.pass_through_context, r.pass_through_context);
  set_if(d.pci.offer_access_platform, r.access_platform);
  set_if(d.pci.require_access_platform, r.require_access_platform);
  set_if(d.pci.offer_iommu_passthrough, r.iommu_passthrough);
  if (r.iommu_passthrough_bit) {
    d.pci.iommu_passthrough_bit = static_cast<unsigned>(*r.iommu_passthrough_bit);
    if (d.pci.iommu_passthrough_bit < 35 && d.pci.iommu_passthrough_bit >= 24)
      throw ConfigError(path + ".iommu_passthrough_bit", "collides with a reserved (device-independent) feature bit");
  }
  set_if(d.pci.offer_event_idx, r.event_idx);
  set_if(d.pci.offer_indirect, r.indirect);
  if (r.queue_size) {
    const std::uint64_t q = *r.queue_size;
    if (q == 0 || (q & (q - 1)) != 0) throw ConfigError(path + ".queue_size", "must be a power of two (virtio 2.7)");
    d.pci.max_queue_size = static_cast<std::uint16_t>(q);
  }
  if (r.max_payload) {
    if (*r.max_payload < 64) throw ConfigError(path + ".max_payload", "must be in [64, 4096]");
    d.pci.max_payload = static_cast<std::uint32_t>(*r.max_payload);
  }
  set_if(d.net.line_rate_gbps, r.net.line_rate_gbps);
  set_if(d.net.mtu, r.net.mtu);
  set_if(d.net.peer, r.net.peer);
  set_if(d.net.rx_packet_size, r.net.rx_packet_size);
  set_if(d.net.rx_rate_gbps, r.net.rx_rate_gbps);
  set_if(d.net.rx_packets, r.net.rx_packets);
  set_if(d.net.response_size, r.net.response_size);
  set_if(d.net.peer_latency_ns, r.net.peer_latency_ns);
  set_if(d.blk.capacity_sectors, r.blk.capacity_sectors);
  set_if(d.blk.latency_us, r.blk.latency_us);
  set_if(d.blk.bandwidth_gbps, r.blk.bandwidth_gbps);
  if (r.stale_dma.given) {
    const RawStaleDmaConfig& x = r.stale_dma;
    const std::string p = path + ".stale_dma";
    virtio::StaleDmaConfig& s = d.pci.stale_dma;
    s.enabled = true;
    set_if(s.count, x.count);
    set_if(s.after_complete_ns, x.after_complete_ns);
    if (s.count == 0 && !(s.after_complete_ns > 0))
      throw ConfigError(p, "needs count: N or after_complete_ns: T (how long the device keeps accessing a buffer)");
    set_if(s.interval_ns, x.interval_ns);
    if (x.every) s.every = static_cast<std::uint32_t>(*x.every);
    if (s.every == 0) throw ConfigError(p + ".every", "must be >= 1");
    if (x.bytes) s.bytes = static_cast<std::uint32_t>(*x.bytes);
    if (s.bytes == 0) throw ConfigError(p + ".bytes", "must be in [1, 4096]");
    set_if(s.access, x.access);
  }
  return d;
}

// platform.nested: the unit must offer nested translation (ECAP.NEST with FLTS and SLTS in scalable
// mode, spec 11.4.3; the context resolver faults PGTT 011b otherwise), the guest's DMA domains must
// be first-stage ones (the stage nested translation puts on the host's), and the host's page size
// must be one the second stage supports (CAP.SLLPS, spec 11.4.2).
void resolve_nested(const RawPlatformConfig& raw, const config::UnitConfig& unit, GuestConfig& g) {
  const auto& cap = unit.cap;
  if (!(cap.smts && cap.flts && cap.slts && cap.nest))
    throw ConfigError("platform.nested",
                      "nested translation needs scalable mode with first- and second-stage translation and NEST "
                      "(ECAP.SMTS, FLTS, SLTS and NEST, VT-d spec 11.4.3): set iommu.cap.smts, flts, slts and nest to "
                      "true");
  if (g.translation_stage == guest::TranslationStageRequest::kSecond)
    throw ConfigError("platform.nested",
                      "nested translation puts the guest's first-stage tables on the host's second stage, but "
                      "guest.translation_stage is second: use first or auto");
  if (g.scalable_mode == guest::ScalableModeRequest::kOff)
    throw ConfigError("platform.nested", "nested translation needs scalable mode, but guest.scalable_mode is off");
  g.nested.enabled = true;
  set_if(g.nested.host_page_size, raw.nested_host_page_size);
  if ((g.nested.host_page_size == kPageSize2M && !(cap.sllps & 0b01)) ||
      (g.nested.host_page_size == kPageSize1G && !(cap.sllps & 0b10)))
    throw ConfigError("platform.nested.host_page_size",
                      "the unit's second stage has no pages of this size (CAP.SLLPS, VT-d spec 11.4.2): set "
                      "iommu.cap.sllps or use a smaller page");
}

GuestConfig resolve_guest(const RawGuestConfig& r) {
  GuestConfig g;
  set_if(g.dma_policy, r.dma_policy);
  set_if(g.translation_stage, r.translation_stage);
  set_if(g.scalable_mode, r.scalable_mode);
  set_if(g.default_lazy, r.default_lazy);
  if (r.cpus) g.cpus = static_cast<unsigned>(*r.cpus);
  if (g.cpus == 0) throw ConfigError("guest.cpus", "must be in [1, 256]");
  if (r.lazy_batch) g.lazy_batch = static_cast<std::uint32_t>(*r.lazy_batch);
  if (g.lazy_batch < 2) throw ConfigError("guest.lazy_batch", "must be >= 2 (ring slots; one stays empty)");
  set_if(g.lazy_timeout_us, r.lazy_timeout_us);
  set_if(g.force_dma_api, r.force_dma_api);
  if (r.iova_limit_bits) {
    g.iova_limit_bits = static_cast<unsigned>(*r.iova_limit_bits);
    if (g.iova_limit_bits < 24) throw ConfigError("guest.iova_limit_bits", "must be in [24, 48]");
  }
  return g;
}

// The device named `name`, or a ConfigError at `path` saying what is missing.
DeviceConfig& device_named(std::vector<DeviceConfig>& devices, const std::string& name, const std::string& path,
                           const std::string& missing) {
  for (DeviceConfig& d : devices) {
    if (d.name == name) return d;
  }
  throw ConfigError(path, missing);
}

}  // namespace

PlatformConfig resolve(const RawPlatformConfig& raw, const config::UnitConfig& unit) {
  PlatformConfig c;
  c.unit = unit;
  set_if(c.quantum_ns, raw.quantum_ns);
  if (raw.ram_mib) c.ram_bytes = *raw.ram_mib << 20;
  if (c.ram_bytes < (1ull << 30)) throw ConfigError("platform.ram_mib", "must be >= 1024");
  set_if(c.iommu_base, raw.iommu_base);
  set_if(c.memory.latency_ns, raw.memory_latency_ns);
  set_if(c.memory.bandwidth_gbps, raw.memory_bandwidth_gbps);
  set_if(c.hop_latency_ns, raw.hop_latency_ns);
  c.guest = resolve_guest(raw.guest);
  if (raw.nested) resolve_nested(raw, unit, c.guest);
  if (c.guest.translation_stage == guest::TranslationStageRequest::kFirst && !(unit.cap.smts && unit.cap.flts))
    throw ConfigError("guest.translation_stage",
                      "first-stage tables need scalable mode and first-stage translation (ECAP.SMTS and FLTS, VT-d "
                      "spec 11.4.3): set iommu.cap.smts and iommu.cap.flts to true, or use auto or second");
  if (c.guest.translation_stage == guest::TranslationStageRequest::kFirst &&
      c.guest.scalable_mode == guest::ScalableModeRequest::kOff)
    throw ConfigError("guest.translation_stage",
                      "first-stage tables need scalable mode, but guest.scalable_mode is off: use on or auto");
  if (c.guest.translation_stage == guest::TranslationStageRequest::kSecond && c.guest.wants_scalable_mode() &&
      unit.cap.smts && !unit.cap.slts)
    throw ConfigError("guest.translation_stage",
                      "second-stage tables in scalable mode need ECAP.SLTS (VT-d spec 11.4.3): set iommu.cap.slts to "
                      "true, or guest.scalable_mode to off");
  set_if(c.duration_us, raw.duration_us);
  set_if(c.seed, raw.seed);
  for (std::size_t i = 0; i < raw.devices.size(); ++i) {
    DeviceConfig d = resolve_device(raw.devices[i]);
    for (const DeviceConfig& other : c.devices) {
      if (other.name == d.name) throw ConfigError(raw.devices[i].path + ".name", "duplicate '" + d.name + "'");
      if (other.pci.source == d.pci.source)
        throw ConfigError(raw.devices[i].path + ".bdf", "duplicate " + d.pci.source.to_string());
    }
    d.bar_base = 0xfe000000ull + 0x10000ull * i;
    c.devices.push_back(d);
  }
  if (c.devices.empty()) throw ConfigError("platform.devices", "at least one device is required");
  for (std::size_t i = 0; i < c.devices.size(); ++i) {
    if (!c.devices[i].ats) continue;
    const std::string path = raw.devices[i].path + ".ats";
    if (!c.unit.caches.device_tlb.enabled) throw ConfigError(path, "needs iommu.device_tlb.enabled: true");
    // Device-TLB contexts (TT = 01b, VT-d spec 9.3) need ECAP.DT (11.4.3).
    if (!c.unit.cap.dt) throw ConfigError(path, "needs iommu.cap.dt: true (ECAP.DT)");
  }
  for (std::size_t i = 0; i < raw.guest.refuse_access_platform.size(); ++i) {
    const std::string& name = raw.guest.refuse_access_platform[i];
    device_named(c.devices, name, "guest.refuse_access_platform[" + std::to_string(i) + "]", "no device '" + name + "'")
        .refuse_access_platform = true;
  }
  for (std::size_t i = 0; i < raw.guest.iommu_bypass.size(); ++i) {
    const std::string& name = raw.guest.iommu_bypass[i];
    device_named(c.devices, name, "guest.iommu_bypass[" + std::to_string(i) + "]", "no device '" + name + "'")
        .guest_bypass = true;
  }
  for (const RawDeviceWorkload& dw : raw.workloads) {
    DeviceConfig& d = device_named(c.devices, dw.device, dw.path, "no such device in platform.devices");
    if (!dw.as_phases) {
      d.workload = resolve_workload(dw.phases.front(), d.type);
      continue;
    }
    if (dw.phases.empty()) throw ConfigError(dw.path, "an empty list of phases");
    if (d.type != DeviceType::kVirtioBlk && dw.phases.size() > 1)
      throw ConfigError(dw.path + "[1]", "only virtio-blk workloads run in phases");
    for (std::size_t i = 0; i < dw.phases.size(); ++i) {
      const WorkloadConfig phase = resolve_workload(dw.phases[i], d.type);
      if (i + 1 < dw.phases.size() && phase.count == 0)
        throw ConfigError(dw.phases[i].path + ".count", "a phase before the last needs a count");
      if (i == 0)
        d.workload = phase;
      else
        d.later_phases.push_back(phase);
    }
  }
  return c;
}

PlatformConfig resolve_platform_config(const YAML::Node& root) {
  return resolve(parse_platform_config(root), config::resolve_unit_config(root));
}

namespace {
nlohmann::json workload_json(const WorkloadConfig& w) {
  nlohmann::json j = {{"kind", to_string(w.kind)}, {"packet_size", w.packet_size}, {"rate_gbps", w.rate_gbps},
                      {"count", w.count},          {"block_size", w.block_size},   {"queue_depth", w.queue_depth}};
  if (w.interval_us > 0) j["interval_us"] = w.interval_us;
  if (w.segment_pages > 0) j["segment_pages"] = w.segment_pages;
  return j;
}
}  // namespace

nlohmann::json to_json(const PlatformConfig& c) {
  nlohmann::json j;
  j["iommu"] = config::to_json(c.unit);
  j["platform"] = {{"quantum_ns", c.quantum_ns},
                   {"ram_mib", c.ram_bytes >> 20},
                   {"memory", {{"latency_ns", c.memory.latency_ns}, {"bandwidth_gbps", c.memory.bandwidth_gbps}}},
                   {"root_complex", {{"hop_latency_ns", c.hop_latency_ns}}}};
  nlohmann::json devs = nlohmann::json::array();
  for (const DeviceConfig& d : c.devices) {
    devs.push_back({{"name", d.name},
                    {"type", d.type == DeviceType::kVirtioNet ? "virtio-net" : "virtio-blk"},
                    {"bdf", d.pci.source.to_string()},
                    {"translated", sysc::to_string(d.route)},
                    {"in_dmar_scope", d.in_dmar_scope},
                    {"pass_through_context", d.pass_through_context},
                    {"ats", d.ats},
                    {"access_platform", d.pci.offer_access_platform},
                    {"require_access_platform", d.pci.require_access_platform},
                    {"iommu_passthrough", d.pci.offer_iommu_passthrough},
                    {"event_idx", d.pci.offer_event_idx},
                    {"indirect", d.pci.offer_indirect},
                    {"queue_size", d.pci.max_queue_size},
                    {"max_payload", d.pci.max_payload},
                    {"workload", workload_json(d.workload)}});
    if (d.pci.stale_dma.enabled) {
      const virtio::StaleDmaConfig& s = d.pci.stale_dma;
      devs.back()["stale_dma"] = {
          {"count", s.count},
          {"after_complete_ns", s.after_complete_ns},
          {"interval_ns", s.interval_ns},
          {"every", s.every},
          {"bytes", s.bytes},
          {"access", s.access == virtio::StaleDmaConfig::Access::kSame
                         ? "same"
                         : (s.access == virtio::StaleDmaConfig::Access::kRead ? "read" : "write")}};
    }
    if (!d.later_phases.empty()) {
      nlohmann::json phases = nlohmann::json::array();
      for (const WorkloadConfig& w : d.later_phases) phases.push_back(workload_json(w));
      devs.back()["later_phases"] = phases;
    }
  }
  j["platform"]["devices"] = devs;
  j["guest"] = {{"dma_policy", guest::to_string(c.guest.dma_policy)},
                {"kernel_default_dma", c.guest.default_lazy ? "lazy" : "strict"},
                {"cpus", c.guest.cpus},
                {"lazy_batch", c.guest.lazy_batch},
                {"lazy_timeout_us", c.guest.lazy_timeout_us},
                {"force_dma_api", c.guest.force_dma_api},
                {"iova_limit_bits", c.guest.iova_limit_bits}};
  nlohmann::json bypass = nlohmann::json::array();
  for (const DeviceConfig& d : c.devices)
    if (d.guest_bypass) bypass.push_back(d.name);
  if (!bypass.empty()) j["guest"]["iommu_bypass"] = bypass;
  if (c.guest.translation_stage != guest::TranslationStageRequest::kAuto)
    j["guest"]["translation_stage"] = guest::to_string(c.guest.translation_stage);
  if (c.guest.scalable_mode != guest::ScalableModeRequest::kAuto)
    j["guest"]["scalable_mode"] = guest::to_string(c.guest.scalable_mode);
  if (c.guest.nested.enabled) {
    const std::uint64_t size = c.guest.nested.host_page_size;
    j["platform"]["nested"] = {{"host_page_size", size == kPageSize1G ? "1g" : size == kPageSize2M ? "2m" : "4k"}};
  }
  j["workload"] = {{"duration_us", c.duration_us}, {"seed", c.seed}};
  return j;
}

}  // namespace vtdsim::platform
