// platform:, guest: and workload: -> RawPlatformConfig (platform_config_raw.hpp): known keys,
// types, enumerations and signs; ranges and cross-field rules are resolve()'s.
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform_config_raw.hpp"

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

template <class T>
std::optional<T> uint_at(const YAML::Node& n, const char* key, const std::string& path, std::uint64_t max) {
  if (!n[key]) return std::nullopt;
  return static_cast<T>(parse_uint(n[key], path + "." + key, max));
}
std::optional<bool> bool_at(const YAML::Node& n, const char* key, const std::string& path) {
  if (!n[key]) return std::nullopt;
  return parse_bool(n[key], path + "." + key);
}
std::optional<double> non_negative_at(const YAML::Node& n, const char* key, const std::string& path) {
  if (!n[key]) return std::nullopt;
  return non_negative(n[key], path + "." + key);
}
std::optional<double> positive_at(const YAML::Node& n, const char* key, const std::string& path) {
  if (!n[key]) return std::nullopt;
  return positive(n[key], path + "." + key);
}

RawWorkloadConfig parse_workload(const YAML::Node& n, const std::string& path) {
  check_keys(n, path,
             {"kind", "packet_size", "rate_gbps", "count", "response_size", "block_size", "queue_depth", "interval_us",
              "segment_pages"});
  RawWorkloadConfig w;
  w.path = path;
  if (n["kind"]) {
    w.kind_name = parse_string(n["kind"], path + ".kind");
    const guest::WorkloadKind kinds[] = {guest::WorkloadKind::kNone,        guest::WorkloadKind::kNetTxStream,
                                         guest::WorkloadKind::kNetRxStream, guest::WorkloadKind::kNetRequestResponse,
                                         guest::WorkloadKind::kBlkReadSeq,  guest::WorkloadKind::kBlkReadRandom,
                                         guest::WorkloadKind::kBlkWriteSeq, guest::WorkloadKind::kBlkWriteRandom};
    for (guest::WorkloadKind kind : kinds) {
      if (w.kind_name == guest::to_string(kind)) w.kind = kind;
    }
    if (!w.kind)
      throw ConfigError(path + ".kind", "unknown workload '" + w.kind_name +
                                            "' (net_tx_stream, net_rx_stream, net_rr, blk_read_seq, "
                                            "blk_read_random, blk_write_seq, blk_write_random, none)");
  }
  w.packet_size = uint_at<std::uint32_t>(n, "packet_size", path, 65535);
  w.rate_gbps = non_negative_at(n, "rate_gbps", path);
  w.count = uint_at<std::uint64_t>(n, "count", path, ~0ull);
  w.response_size = uint_at<std::uint32_t>(n, "response_size", path, 65535);
  w.block_size = uint_at<std::uint32_t>(n, "block_size", path, 1u << 20);
  w.queue_depth = uint_at<std::uint32_t>(n, "queue_depth", path, 128);
  w.segment_pages = uint_at<std::uint32_t>(n, "segment_pages", path, 256);
  w.interval_us = non_negative_at(n, "interval_us", path);
  return w;
}

RawDeviceConfig parse_device(const YAML::Node& n, const std::string& path) {
  check_keys(n, path,
             {"name", "type", "bdf", "translated", "in_dmar_scope", "pass_through_context", "access_platform",
              "require_access_platform", "iommu_passthrough", "iommu_passthrough_bit", "event_idx", "indirect",
              "queue_size", "max_payload", "net", "blk", "ats", "stale_dma"});
  RawDeviceConfig d;
  d.path = path;
  if (!n["name"]) throw ConfigError(path + ".name", "is required");
  d.name = parse_string(n["name"], path + ".name");
  const std::string type = n["type"] ? parse_string(n["type"], path + ".type") : "virtio-net";
  if (type == "virtio-net")
    d.type = guest::DeviceType::kVirtioNet;
  else if (type == "virtio-blk")
    d.type = guest::DeviceType::kVirtioBlk;
  else
    throw ConfigError(path + ".type", "unknown device type '" + type + "' (virtio-net, virtio-blk)");
  if (!n["bdf"]) throw ConfigError(path + ".bdf", "is required (bus:dev.fn in hex)");
  const auto sid = SourceId::parse(parse_string(n["bdf"], path + ".bdf"));
  if (!sid) throw ConfigError(path + ".bdf", "not a bus:dev.fn");
  d.source = *sid;
  if (n["translated"]) {
    const std::string v = n["translated"].as<std::string>();
    if (v == "true" || v == "iommu" || v == "yes")
      d.route = sysc::DmaRoute::kIommu;
    else if (v == "false" || v == "direct" || v == "no")
      d.route = sysc::DmaRoute::kDirect;
    else if (v == "auto")
      d.route = sysc::DmaRoute::kAuto;
    else
      throw ConfigError(path + ".translated", "expected true, false or auto, got '" + v + "'");
  }
  d.ats = bool_at(n, "ats", path);
  d.in_dmar_scope = bool_at(n, "in_dmar_scope", path);
  d.pass_through_context = bool_at(n, "pass_through_context", path);
  d.access_platform = bool_at(n, "access_platform", path);
  d.require_access_platform = bool_at(n, "require_access_platform", path);
  d.iommu_passthrough = bool_at(n, "iommu_passthrough", path);
  d.iommu_passthrough_bit = uint_at<std::uint64_t>(n, "iommu_passthrough_bit", path, 63);
  d.event_idx = bool_at(n, "event_idx", path);
  d.indirect = bool_at(n, "indirect", path);
  d.queue_size = uint_at<std::uint64_t>(n, "queue_size", path, 32768);
  d.max_payload = uint_at<std::uint64_t>(n, "max_payload", path, 4096);
  if (const YAML::Node& x = n["stale_dma"]) {
    const std::string p = path + ".stale_dma";
    if (!x.IsMap()) throw ConfigError(p, "must be a map (count, after_complete_ns, interval_ns, every, bytes, access)");
    check_keys(x, p, {"count", "after_complete_ns", "interval_ns", "every", "bytes", "access"});
    RawStaleDmaConfig& s = d.stale_dma;
    s.given = true;
    s.count = uint_at<std::uint64_t>(x, "count", p, ~0ull);
    s.after_complete_ns = non_negative_at(x, "after_complete_ns", p);
    s.interval_ns = positive_at(x, "interval_ns", p);
    s.every = uint_at<std::uint64_t>(x, "every", p, 1u << 30);
    s.bytes = uint_at<std::uint64_t>(x, "bytes", p, 4096);
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
  if (const YAML::Node& x = n["net"]) {
    const std::string p = path + ".net";
    check_keys(x, p,
               {"line_rate_gbps", "mtu", "peer", "rx_packet_size", "rx_rate_gbps", "rx_packets", "response_size",
                "peer_latency_ns"});
    d.net.line_rate_gbps = positive_at(x, "line_rate_gbps", p);
    d.net.mtu = uint_at<std::uint16_t>(x, "mtu", p, 65535);
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
    d.net.rx_packet_size = uint_at<std::uint32_t>(x, "rx_packet_size", p, 65535);
    d.net.rx_rate_gbps = non_negative_at(x, "rx_rate_gbps", p);
    d.net.rx_packets = uint_at<std::uint64_t>(x, "rx_packets", p, ~0ull);
    d.net.response_size = uint_at<std::uint32_t>(x, "response_size", p, 65535);
    d.net.peer_latency_ns = non_negative_at(x, "peer_latency_ns", p);
  }
  if (const YAML::Node& x = n["blk"]) {
    const std::string p = path + ".blk";
    check_keys(x, p, {"capacity_sectors", "latency_us", "bandwidth_gbps"});
    d.blk.capacity_sectors = uint_at<std::uint64_t>(x, "capacity_sectors", p, ~0ull);
    d.blk.latency_us = non_negative_at(x, "latency_us", p);
    d.blk.bandwidth_gbps = non_negative_at(x, "bandwidth_gbps", p);
  }
  return d;
}

std::vector<std::string> name_list(const YAML::Node& r, const std::string& path) {
  if (!r.IsSequence()) throw ConfigError(path, "must be a list of device names");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < r.size(); ++i) names.push_back(parse_string(r[i], path + "[" + std::to_string(i) + "]"));
  return names;
}

RawGuestConfig parse_guest(const YAML::Node& g) {
  check_keys(g, "guest",
             {"dma_policy", "kernel_default_dma", "cpus", "lazy_batch", "lazy_timeout_us", "force_dma_api",
              "iova_limit_bits", "refuse_access_platform", "iommu_bypass", "translation_stage", "scalable_mode"});
  RawGuestConfig r;
  if (g["dma_policy"]) {
    const std::string v = parse_string(g["dma_policy"], "guest.dma_policy");
    if (v == "auto")
      r.dma_policy = guest::DmaPolicyRequest::kAuto;
    else if (v == "strict")
      r.dma_policy = guest::DmaPolicyRequest::kStrict;
    else if (v == "lazy")
      r.dma_policy = guest::DmaPolicyRequest::kLazy;
    else if (v == "passthrough")
      r.dma_policy = guest::DmaPolicyRequest::kPassthrough;
    else
      throw ConfigError("guest.dma_policy", "expected auto, strict, lazy or passthrough, got '" + v + "'");
  }
  if (g["translation_stage"]) {
    const std::string v = parse_string(g["translation_stage"], "guest.translation_stage");
    if (v == "auto")
      r.translation_stage = guest::TranslationStageRequest::kAuto;
    else if (v == "first")
      r.translation_stage = guest::TranslationStageRequest::kFirst;
    else if (v == "second")
      r.translation_stage = guest::TranslationStageRequest::kSecond;
    else
      throw ConfigError("guest.translation_stage", "expected auto, first or second, got '" + v + "'");
  }
  if (g["scalable_mode"]) {
    // intel_iommu=sm_on / sm_off (yes/no read as booleans too).
    const YAML::Node& n = g["scalable_mode"];
    const std::string v = parse_string(n, "guest.scalable_mode");
    if (v == "auto")
      r.scalable_mode = guest::ScalableModeRequest::kAuto;
    else if (v == "on" || v == "true")
      r.scalable_mode = guest::ScalableModeRequest::kOn;
    else if (v == "off" || v == "false")
      r.scalable_mode = guest::ScalableModeRequest::kOff;
    else
      throw ConfigError("guest.scalable_mode", "expected auto, on or off, got '" + v + "'");
  }
  if (g["kernel_default_dma"]) {
    const std::string v = parse_string(g["kernel_default_dma"], "guest.kernel_default_dma");
    if (v == "lazy")
      r.default_lazy = true;
    else if (v == "strict")
      r.default_lazy = false;
    else
      throw ConfigError("guest.kernel_default_dma", "expected lazy or strict, got '" + v + "'");
  }
  r.cpus = uint_at<std::uint64_t>(g, "cpus", "guest", 256);
  r.lazy_batch = uint_at<std::uint64_t>(g, "lazy_batch", "guest", 1u << 20);
  r.lazy_timeout_us = positive_at(g, "lazy_timeout_us", "guest");
  r.force_dma_api = bool_at(g, "force_dma_api", "guest");
  r.iova_limit_bits = uint_at<std::uint64_t>(g, "iova_limit_bits", "guest", 48);
  if (g["refuse_access_platform"])
    r.refuse_access_platform = name_list(g["refuse_access_platform"], "guest.refuse_access_platform");
  // The out-of-band "this device bypasses the IOMMU" list of the guest's IOMMU code (the 2016
  // virtio/IOMMU thread's third source of truth, beside the DMAR scope and a virtio bit).
  if (g["iommu_bypass"]) r.iommu_bypass = name_list(g["iommu_bypass"], "guest.iommu_bypass");
  return r;
}

}  // namespace

RawPlatformConfig parse_platform_config(const YAML::Node& root) {
  RawPlatformConfig c;
  if (const YAML::Node p = root["platform"]) {
    check_keys(p, "platform", {"quantum_ns", "ram_mib", "memory", "root_complex", "iommu_base", "nested", "devices"});
    c.quantum_ns = positive_at(p, "quantum_ns", "platform");
    c.ram_mib = uint_at<std::uint64_t>(p, "ram_mib", "platform", 1u << 22);
    c.iommu_base = uint_at<std::uint64_t>(p, "iommu_base", "platform", ~0ull);
    if (const YAML::Node m = p["memory"]) {
      check_keys(m, "platform.memory", {"latency_ns", "bandwidth_gbps"});
      c.memory_latency_ns = non_negative_at(m, "latency_ns", "platform.memory");
      c.memory_bandwidth_gbps = non_negative_at(m, "bandwidth_gbps", "platform.memory");
    }
    if (const YAML::Node rc = p["root_complex"]) {
      check_keys(rc, "platform.root_complex", {"hop_latency_ns"});
      c.hop_latency_ns = non_negative_at(rc, "hop_latency_ns", "platform.root_complex");
    }
    if (const YAML::Node n = p["nested"]) {
      if (!n.IsMap()) throw ConfigError("platform.nested", "must be a map (e.g. {host_page_size: 2m})");
      check_keys(n, "platform.nested", {"host_page_size"});
      c.nested = true;
      if (n["host_page_size"]) {
        const std::string v = parse_string(n["host_page_size"], "platform.nested.host_page_size");
        if (v == "4k")
          c.nested_host_page_size = kPageSize4K;
        else if (v == "2m")
          c.nested_host_page_size = kPageSize2M;
        else if (v == "1g")
          c.nested_host_page_size = kPageSize1G;
        else
          throw ConfigError("platform.nested.host_page_size", "expected 4k, 2m or 1g, got '" + v + "'");
      }
    }
    if (const YAML::Node d = p["devices"]) {
      if (!d.IsSequence()) throw ConfigError("platform.devices", "must be a list");
      for (std::size_t i = 0; i < d.size(); ++i)
        c.devices.push_back(parse_device(d[i], "platform.devices[" + std::to_string(i) + "]"));
    }
  }
  if (const YAML::Node g = root["guest"]) c.guest = parse_guest(g);
  if (const YAML::Node w = root["workload"]) {
    check_keys(w, "workload", {"duration_us", "seed", "devices"});
    c.duration_us = positive_at(w, "duration_us", "workload");
    c.seed = uint_at<std::uint64_t>(w, "seed", "workload", ~0ull);
    if (const YAML::Node wd = w["devices"]) {
      if (!wd.IsMap()) throw ConfigError("workload.devices", "must be a map from device name to workload");
      for (auto it = wd.begin(); it != wd.end(); ++it) {
        RawDeviceWorkload dw;
        dw.device = it->first.as<std::string>();
        dw.path = "workload.devices." + dw.device;
        if (it->second.IsSequence()) {
          // Phases, one after the other (blk only): e.g. a sequential read, then writes.
          dw.as_phases = true;
          for (std::size_t i = 0; i < it->second.size(); ++i)
            dw.phases.push_back(parse_workload(it->second[i], dw.path + "[" + std::to_string(i) + "]"));
        } else {
          dw.phases.push_back(parse_workload(it->second, dw.path));
        }
        c.workloads.push_back(std::move(dw));
      }
    }
  }
  return c;
}

}  // namespace vtdsim::platform
