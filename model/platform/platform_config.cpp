#include "vtdsim/platform/platform_config.hpp"

#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"

namespace vtdsim::platform {

using config::check_keys;
using config::ConfigError;
using config::parse_bool;
using config::parse_double;
using config::parse_string;
using config::parse_uint;

namespace {

double positive(const YAML::Node& n, const std::string& path) {
  const double v = parse_double(n, path);
  if (!(v > 0)) throw ConfigError(path, "must be > 0, got " + std::to_string(v));
  return v;
}
double non_negative(const YAML::Node& n, const std::string& path) {
  // config::parse_double only takes positive values; 0 is meaningful here (unlimited, none).
  double v = 0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    throw ConfigError(path, "expected a number, got '" + (n.IsScalar() ? n.Scalar() : std::string("?")) + "'");
  }
  if (!(v >= 0)) throw ConfigError(path, "must be >= 0, got " + std::to_string(v));
  return v;
}

WorkloadConfig parse_workload(const YAML::Node& n, const std::string& path, DeviceType type) {
  check_keys(n, path,
             {"kind", "packet_size", "rate_gbps", "count", "response_size", "block_size", "queue_depth", "interval_us",
              "segment_pages"});
  WorkloadConfig w;
  if (n["kind"]) {
    const std::string k = parse_string(n["kind"], path + ".kind");
    const WorkloadKind kinds[] = {WorkloadKind::kNone,        WorkloadKind::kNetTxStream,
                                  WorkloadKind::kNetRxStream, WorkloadKind::kNetRequestResponse,
                                  WorkloadKind::kBlkReadSeq,  WorkloadKind::kBlkReadRandom,
                                  WorkloadKind::kBlkWriteSeq, WorkloadKind::kBlkWriteRandom};
    bool found = false;
    for (WorkloadKind kind : kinds) {
      if (k == to_string(kind)) {
        w.kind = kind;
        found = true;
      }
    }
    if (!found)
      throw ConfigError(path + ".kind", "unknown workload '" + k +
                                            "' (net_tx_stream, net_rx_stream, net_rr, blk_read_seq, "
                                            "blk_read_random, blk_write_seq, blk_write_random, none)");
    const bool net = w.kind == WorkloadKind::kNetTxStream || w.kind == WorkloadKind::kNetRxStream ||
                     w.kind == WorkloadKind::kNetRequestResponse;
    if (w.kind != WorkloadKind::kNone && net != (type == DeviceType::kVirtioNet))
      throw ConfigError(path + ".kind", "workload '" + k + "' does not fit the device type");
  }
  if (n["packet_size"])
    w.packet_size = static_cast<std::uint32_t>(parse_uint(n["packet_size"], path + ".packet_size", 65535));
  if (w.packet_size < 14) throw ConfigError(path + ".packet_size", "must be >= 14 (an Ethernet header)");
  if (n["rate_gbps"]) w.rate_gbps = non_negative(n["rate_gbps"], path + ".rate_gbps");
  if (n["count"]) w.count = parse_uint(n["count"], path + ".count", ~0ull);
  if (n["response_size"])
    w.response_size = static_cast<std::uint32_t>(parse_uint(n["response_size"], path + ".response_size", 65535));
  if (n["block_size"])
    w.block_size = static_cast<std::uint32_t>(parse_uint(n["block_size"], path + ".block_size", 1u << 20));
  if (w.block_size == 0 || w.block_size % 512 != 0)
    throw ConfigError(path + ".block_size", "must be a non-zero multiple of 512");
  if (n["queue_depth"])
    w.queue_depth = static_cast<std::uint32_t>(parse_uint(n["queue_depth"], path + ".queue_depth", 128));
  if (w.queue_depth == 0) throw ConfigError(path + ".queue_depth", "must be >= 1");
  if (n["segment_pages"]) {
    w.segment_pages = static_cast<std::uint32_t>(parse_uint(n["segment_pages"], path + ".segment_pages", 256));
    if (w.kind != WorkloadKind::kNone && w.kind < WorkloadKind::kBlkReadSeq)
      throw ConfigError(path + ".segment_pages", "only blk workloads map data in segments");
  }
  if (w.segment_pages > 0 && (w.block_size + 4095) / 4096 / w.segment_pages > 250)
    throw ConfigError(path + ".segment_pages", "more than 250 data segments per request (one indirect table page)");
  if (n["interval_us"]) {
    w.interval_us = non_negative(n["interval_us"], path + ".interval_us");
    if (w.kind != WorkloadKind::kNetRequestResponse)
      throw ConfigError(path + ".interval_us", "only net_rr takes an interval");
  }
  return w;
}

DeviceConfig parse_device(const YAML::Node& n, const std::string& path, const GuestConfig&) {
  check_keys(n, path,
             {"name", "type", "bdf", "translated", "in_dmar_scope", "pass_through_context", "access_platform",
              "require_access_platform", "iommu_passthrough", "iommu_passthrough_bit", "event_idx", "indirect",
              "queue_size", "max_payload", "net", "blk", "ats", "stale_dma"});
  DeviceConfig d;
  if (!n["name"]) throw ConfigError(path + ".name", "is required");
  d.name = parse_string(n["name"], path + ".name");
  const std::string type = n["type"] ? parse_string(n["type"], path + ".type") : "virtio-net";
  if (type == "virtio-net")
    d.type = DeviceType::kVirtioNet;
  else if (type == "virtio-blk")
    d.type = DeviceType::kVirtioBlk;
  else
    throw ConfigError(path + ".type", "unknown device type '" + type + "' (virtio-net, virtio-blk)");
  if (!n["bdf"]) throw ConfigError(path + ".bdf", "is required (bus:dev.fn in hex)");
  const auto sid = SourceId::parse(parse_string(n["bdf"], path + ".bdf"));
  if (!sid) throw ConfigError(path + ".bdf", "not a bus:dev.fn");
  d.pci.source = *sid;
  d.pci.name = d.name;
  if (n["translated"]) {
    const YAML::Node& t = n["translated"];
    const std::string v = t.as<std::string>();
    if (v == "true" || v == "iommu" || v == "yes")
      d.route = sysc::DmaRoute::kIommu;
    else if (v == "false" || v == "direct" || v == "no")
      d.route = sysc::DmaRoute::kDirect;
    else if (v == "auto")
      d.route = sysc::DmaRoute::kAuto;
    else
      throw ConfigError(path + ".translated", "expected true, false or auto, got '" + v + "'");
  }
  if (n["ats"]) d.ats = parse_bool(n["ats"], path + ".ats");
  if (n["in_dmar_scope"]) d.in_dmar_scope = parse_bool(n["in_dmar_scope"], path + ".in_dmar_scope");
  if (n["pass_through_context"])
    d.pass_through_context = parse_bool(n["pass_through_context"], path + ".pass_through_context");
  if (n["access_platform"]) d.pci.offer_access_platform = parse_bool(n["access_platform"], path + ".access_platform");
  if (n["require_access_platform"])
    d.pci.require_access_platform = parse_bool(n["require_access_platform"], path + ".require_access_platform");
  if (n["iommu_passthrough"])
    d.pci.offer_iommu_passthrough = parse_bool(n["iommu_passthrough"], path + ".iommu_passthrough");
  if (n["iommu_passthrough_bit"]) {
    d.pci.iommu_passthrough_bit =
        static_cast<unsigned>(parse_uint(n["iommu_passthrough_bit"], path + ".iommu_passthrough_bit", 63));
    if (d.pci.iommu_passthrough_bit < 35 && d.pci.iommu_passthrough_bit >= 24)
      throw ConfigError(path + ".iommu_passthrough_bit", "collides with a reserved (device-independent) feature bit");
  }
  if (n["event_idx"]) d.pci.offer_event_idx = parse_bool(n["event_idx"], path + ".event_idx");
  if (n["indirect"]) d.pci.offer_indirect = parse_bool(n["indirect"], path + ".indirect");
  if (n["queue_size"]) {
    const auto q = parse_uint(n["queue_size"], path + ".queue_size", 32768);
    if (q == 0 || (q & (q - 1)) != 0) throw ConfigError(path + ".queue_size", "must be a power of two (virtio 2.7)");
    d.pci.max_queue_size = static_cast<std::uint16_t>(q);
  }
  if (n["max_payload"]) {
    const auto m = parse_uint(n["max_payload"], path + ".max_payload", 4096);
    if (m < 64) throw ConfigError(path + ".max_payload", "must be in [64, 4096]");
    d.pci.max_payload = static_cast<std::uint32_t>(m);
  }
  if (n["stale_dma"]) {
    const YAML::Node& x = n["stale_dma"];
    const std::string p = path + ".stale_dma";
    if (!x.IsMap()) throw ConfigError(p, "must be a map (count, after_complete_ns, interval_ns, every, bytes, access)");
    check_keys(x, p, {"count", "after_complete_ns", "interval_ns", "every", "bytes", "access"});
    virtio::StaleDmaConfig& s = d.pci.stale_dma;
    s.enabled = true;
    if (x["count"]) s.count = parse_uint(x["count"], p + ".count", ~0ull);
    if (x["after_complete_ns"]) s.after_complete_ns = non_negative(x["after_complete_ns"], p + ".after_complete_ns");
    if (s.count == 0 && !(s.after_complete_ns > 0))
      throw ConfigError(p, "needs count: N or after_complete_ns: T (how long the device keeps accessing a buffer)");
    if (x["interval_ns"]) s.interval_ns = positive(x["interval_ns"], p + ".interval_ns");
    if (x["every"]) s.every = static_cast<std::uint32_t>(parse_uint(x["every"], p + ".every", 1u << 30));
    if (s.every == 0) throw ConfigError(p + ".every", "must be >= 1");
    if (x["bytes"]) s.bytes = static_cast<std::uint32_t>(parse_uint(x["bytes"], p + ".bytes", 4096));
    if (s.bytes == 0) throw ConfigError(p + ".bytes", "must be in [1, 4096]");
    if (x["access"]) {
      const std::string v = parse_string(x["access"], p + ".access");
      if (v == "same")
        s.access = virtio::StaleDmaConfig::Access::kSame;
      else if (v == "read")
        s.access = virtio::StaleDmaConfig::Access::kRead;
      else if (v == "write")
        s.access = virtio::StaleDmaConfig::Access::kWrite;
      else
        throw ConfigError(p + ".access", "expected same, read or write, got '" + v + "'");
    }
  }
  if (n["net"]) {
    const YAML::Node& x = n["net"];
    const std::string p = path + ".net";
    check_keys(x, p,
               {"line_rate_gbps", "mtu", "peer", "rx_packet_size", "rx_rate_gbps", "rx_packets", "response_size",
                "peer_latency_ns"});
    if (x["line_rate_gbps"]) d.net.line_rate_gbps = positive(x["line_rate_gbps"], p + ".line_rate_gbps");
    if (x["mtu"]) d.net.mtu = static_cast<std::uint16_t>(parse_uint(x["mtu"], p + ".mtu", 65535));
    if (x["peer"]) {
      const std::string v = parse_string(x["peer"], p + ".peer");
      if (v == "none")
        d.net.peer = virtio::NetPeerMode::kNone;
      else if (v == "stream")
        d.net.peer = virtio::NetPeerMode::kStream;
      else if (v == "rr")
        d.net.peer = virtio::NetPeerMode::kRequestResponse;
      else
        throw ConfigError(p + ".peer", "expected none, stream or rr, got '" + v + "'");
    }
    if (x["rx_packet_size"])
      d.net.rx_packet_size = static_cast<std::uint32_t>(parse_uint(x["rx_packet_size"], p + ".rx_packet_size", 65535));
    if (x["rx_rate_gbps"]) d.net.rx_rate_gbps = non_negative(x["rx_rate_gbps"], p + ".rx_rate_gbps");
    if (x["rx_packets"]) d.net.rx_packets = parse_uint(x["rx_packets"], p + ".rx_packets", ~0ull);
    if (x["response_size"])
      d.net.response_size = static_cast<std::uint32_t>(parse_uint(x["response_size"], p + ".response_size", 65535));
    if (x["peer_latency_ns"]) d.net.peer_latency_ns = non_negative(x["peer_latency_ns"], p + ".peer_latency_ns");
  }
  if (n["blk"]) {
    const YAML::Node& x = n["blk"];
    const std::string p = path + ".blk";
    check_keys(x, p, {"capacity_sectors", "latency_us", "bandwidth_gbps"});
    if (x["capacity_sectors"])
      d.blk.capacity_sectors = parse_uint(x["capacity_sectors"], p + ".capacity_sectors", ~0ull);
    if (x["latency_us"]) d.blk.latency_us = non_negative(x["latency_us"], p + ".latency_us");
    if (x["bandwidth_gbps"]) d.blk.bandwidth_gbps = non_negative(x["bandwidth_gbps"], p + ".bandwidth_gbps");
  }
  return d;
}

}  // namespace

PlatformConfig resolve_platform_config(const YAML::Node& root) {
  PlatformConfig c;
  c.unit = config::resolve_unit_config(root);
  const YAML::Node p = root["platform"];
  if (p) {
    check_keys(p, "platform", {"quantum_ns", "ram_mib", "memory", "root_complex", "iommu_base", "devices"});
    if (p["quantum_ns"]) c.quantum_ns = positive(p["quantum_ns"], "platform.quantum_ns");
    if (p["ram_mib"]) c.ram_bytes = parse_uint(p["ram_mib"], "platform.ram_mib", 1u << 22) << 20;
    if (c.ram_bytes < (1ull << 30)) throw ConfigError("platform.ram_mib", "must be >= 1024");
    if (p["iommu_base"]) c.iommu_base = parse_uint(p["iommu_base"], "platform.iommu_base", ~0ull);
    if (p["memory"]) {
      check_keys(p["memory"], "platform.memory", {"latency_ns", "bandwidth_gbps"});
      if (p["memory"]["latency_ns"])
        c.memory.latency_ns = non_negative(p["memory"]["latency_ns"], "platform.memory.latency_ns");
      if (p["memory"]["bandwidth_gbps"])
        c.memory.bandwidth_gbps = non_negative(p["memory"]["bandwidth_gbps"], "platform.memory.bandwidth_gbps");
    }
    if (p["root_complex"]) {
      check_keys(p["root_complex"], "platform.root_complex", {"hop_latency_ns"});
      if (p["root_complex"]["hop_latency_ns"])
        c.hop_latency_ns = non_negative(p["root_complex"]["hop_latency_ns"], "platform.root_complex.hop_latency_ns");
    }
  }
  const YAML::Node g = root["guest"];
  if (g) {
    check_keys(g, "guest",
               {"dma_policy", "kernel_default_dma", "cpus", "lazy_batch", "lazy_timeout_us", "force_dma_api",
                "iova_limit_bits", "refuse_access_platform", "iommu_bypass"});
    if (g["dma_policy"]) {
      const std::string v = parse_string(g["dma_policy"], "guest.dma_policy");
      if (v == "auto")
        c.guest.dma_policy = guest::DmaPolicyRequest::kAuto;
      else if (v == "strict")
        c.guest.dma_policy = guest::DmaPolicyRequest::kStrict;
      else if (v == "lazy")
        c.guest.dma_policy = guest::DmaPolicyRequest::kLazy;
      else if (v == "passthrough")
        c.guest.dma_policy = guest::DmaPolicyRequest::kPassthrough;
      else
        throw ConfigError("guest.dma_policy", "expected auto, strict, lazy or passthrough, got '" + v + "'");
    }
    if (g["kernel_default_dma"]) {
      const std::string v = parse_string(g["kernel_default_dma"], "guest.kernel_default_dma");
      if (v == "lazy")
        c.guest.default_lazy = true;
      else if (v == "strict")
        c.guest.default_lazy = false;
      else
        throw ConfigError("guest.kernel_default_dma", "expected lazy or strict, got '" + v + "'");
    }
    if (g["cpus"]) c.guest.cpus = static_cast<unsigned>(parse_uint(g["cpus"], "guest.cpus", 256));
    if (c.guest.cpus == 0) throw ConfigError("guest.cpus", "must be in [1, 256]");
    if (g["lazy_batch"])
      c.guest.lazy_batch = static_cast<std::uint32_t>(parse_uint(g["lazy_batch"], "guest.lazy_batch", 1u << 20));
    if (c.guest.lazy_batch < 2) throw ConfigError("guest.lazy_batch", "must be >= 2 (ring slots; one stays empty)");
    if (g["lazy_timeout_us"]) c.guest.lazy_timeout_us = positive(g["lazy_timeout_us"], "guest.lazy_timeout_us");
    if (g["force_dma_api"]) c.guest.force_dma_api = parse_bool(g["force_dma_api"], "guest.force_dma_api");
    if (g["iova_limit_bits"]) {
      c.guest.iova_limit_bits = static_cast<unsigned>(parse_uint(g["iova_limit_bits"], "guest.iova_limit_bits", 48));
      if (c.guest.iova_limit_bits < 24) throw ConfigError("guest.iova_limit_bits", "must be in [24, 48]");
    }
  }
  const YAML::Node w = root["workload"];
  if (w) check_keys(w, "workload", {"duration_us", "seed", "devices"});
  if (w && w["duration_us"]) c.duration_us = positive(w["duration_us"], "workload.duration_us");
  if (w && w["seed"]) c.seed = parse_uint(w["seed"], "workload.seed", ~0ull);
  if (p && p["devices"]) {
    if (!p["devices"].IsSequence()) throw ConfigError("platform.devices", "must be a list");
    for (std::size_t i = 0; i < p["devices"].size(); ++i) {
      DeviceConfig d = parse_device(p["devices"][i], "platform.devices[" + std::to_string(i) + "]", c.guest);
      for (const DeviceConfig& other : c.devices) {
        if (other.name == d.name)
          throw ConfigError("platform.devices[" + std::to_string(i) + "].name", "duplicate '" + d.name + "'");
        if (other.pci.source == d.pci.source)
          throw ConfigError("platform.devices[" + std::to_string(i) + "].bdf", "duplicate " + d.pci.source.to_string());
      }
      d.bar_base = 0xfe000000ull + 0x10000ull * i;
      c.devices.push_back(d);
    }
  }
  if (c.devices.empty()) throw ConfigError("platform.devices", "at least one device is required");
  for (std::size_t i = 0; i < c.devices.size(); ++i) {
    if (!c.devices[i].ats) continue;
    const std::string path = "platform.devices[" + std::to_string(i) + "].ats";
    if (!c.unit.caches.device_tlb.enabled) throw ConfigError(path, "needs iommu.device_tlb.enabled: true");
    // Device-TLB contexts (TT = 01b, VT-d spec 9.3) need ECAP.DT (11.4.3).
    if (!c.unit.cap.dt) throw ConfigError(path, "needs iommu.cap.dt: true (ECAP.DT)");
  }
  if (g && g["refuse_access_platform"]) {
    const YAML::Node r = g["refuse_access_platform"];
    if (!r.IsSequence()) throw ConfigError("guest.refuse_access_platform", "must be a list of device names");
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string name = parse_string(r[i], "guest.refuse_access_platform[" + std::to_string(i) + "]");
      bool found = false;
      for (DeviceConfig& d : c.devices) {
        if (d.name == name) {
          d.refuse_access_platform = true;
          found = true;
        }
      }
      if (!found)
        throw ConfigError("guest.refuse_access_platform[" + std::to_string(i) + "]", "no device '" + name + "'");
    }
  }
  if (g && g["iommu_bypass"]) {
    // The out-of-band "this device bypasses the IOMMU" list of the guest's IOMMU code (the 2016
    // virtio/IOMMU thread's third source of truth, beside the DMAR scope and a virtio bit).
    const YAML::Node r = g["iommu_bypass"];
    if (!r.IsSequence()) throw ConfigError("guest.iommu_bypass", "must be a list of device names");
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string name = parse_string(r[i], "guest.iommu_bypass[" + std::to_string(i) + "]");
      bool found = false;
      for (DeviceConfig& d : c.devices) {
        if (d.name == name) {
          d.guest_bypass = true;
          found = true;
        }
      }
      if (!found) throw ConfigError("guest.iommu_bypass[" + std::to_string(i) + "]", "no device '" + name + "'");
    }
  }
  if (w && w["devices"]) {
    const YAML::Node wd = w["devices"];
    if (!wd.IsMap()) throw ConfigError("workload.devices", "must be a map from device name to workload");
    for (auto it = wd.begin(); it != wd.end(); ++it) {
      const std::string name = it->first.as<std::string>();
      bool found = false;
      for (DeviceConfig& d : c.devices) {
        if (d.name == name) {
          const std::string wpath = "workload.devices." + name;
          if (it->second.IsSequence()) {
            // Phases, one after the other (blk only): e.g. a sequential read, then writes.
            if (it->second.size() == 0) throw ConfigError(wpath, "an empty list of phases");
            if (d.type != DeviceType::kVirtioBlk && it->second.size() > 1)
              throw ConfigError(wpath + "[1]", "only virtio-blk workloads run in phases");
            for (std::size_t i = 0; i < it->second.size(); ++i) {
              const WorkloadConfig phase = parse_workload(it->second[i], wpath + "[" + std::to_string(i) + "]", d.type);
              if (i + 1 < it->second.size() && phase.count == 0)
                throw ConfigError(wpath + "[" + std::to_string(i) + "].count", "a phase before the last needs a count");
              if (i == 0)
                d.workload = phase;
              else
                d.later_phases.push_back(phase);
            }
          } else {
            d.workload = parse_workload(it->second, wpath, d.type);
          }
          found = true;
        }
      }
      if (!found) throw ConfigError("workload.devices." + name, "no such device in platform.devices");
    }
  }
  return c;
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
  j["workload"] = {{"duration_us", c.duration_us}, {"seed", c.seed}};
  return j;
}

}  // namespace vtdsim::platform
