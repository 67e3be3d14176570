#include "vtdsim/platform/dma_monitor.hpp"

#include <algorithm>
#include <cmath>

#include "vtdsim/spec/fault_reason.hpp"

namespace vtdsim::platform {

void DmaMonitor::add_device(const std::string& name, SourceId source) {
  DeviceDmaStats s;
  s.name = name;
  s.source = source;
  devices_.push_back(s);
  per_device_.emplace_back();
}

DeviceDmaStats* DmaMonitor::find(SourceId source) {
  for (DeviceDmaStats& d : devices_)
    if (d.source == source) return &d;
  return nullptr;
}

const DeviceDmaStats* DmaMonitor::device(SourceId source) const {
  for (const DeviceDmaStats& d : devices_)
    if (d.source == source) return &d;
  return nullptr;
}

std::size_t DmaMonitor::index_of(SourceId source) const {
  for (std::size_t i = 0; i < devices_.size(); ++i)
    if (devices_[i].source == source) return i;
  return devices_.size();
}

void DmaMonitor::add_intent(SourceId source, std::uint64_t bus, std::uint64_t size, std::uint64_t host) {
  const std::size_t i = index_of(source);
  if (i == devices_.size()) return;
  auto& intents = per_device_[i].intents;
  auto old = intents.find(bus);
  if (old != intents.end()) {
    hosts_.erase(old->second.host_it);
    intents.erase(old);
  }
  intents.emplace(bus, Intent{size, host, ++seq_, hosts_.emplace(host, size)});
  max_intent_ = std::max(max_intent_, size);
}

void DmaMonitor::remove_intent(SourceId source, std::uint64_t bus) {
  const std::size_t i = index_of(source);
  if (i == devices_.size()) return;
  auto& intents = per_device_[i].intents;
  auto it = intents.find(bus);
  if (it == intents.end()) return;
  hosts_.erase(it->second.host_it);
  intents.erase(it);
}

const DmaMonitor::Intent* DmaMonitor::covering(std::size_t device, std::uint64_t bus) const {
  const auto& intents = per_device_[device].intents;
  auto it = intents.upper_bound(bus);
  if (it == intents.begin()) return nullptr;
  --it;
  return bus - it->first < it->second.size ? &it->second : nullptr;
}

bool DmaMonitor::host_in_use(std::uint64_t host, std::uint64_t size) const {
  // Any live intent whose host range overlaps [host, host + size).
  const std::uint64_t from = host > max_intent_ ? host - max_intent_ : 0;
  for (auto it = hosts_.lower_bound(from); it != hosts_.end() && it->first < host + size; ++it)
    if (it->first + it->second > host) return true;
  return false;
}

std::uint64_t DmaMonitor::buffer_completed(SourceId source, std::uint64_t bus) {
  const std::size_t i = index_of(source);
  if (i == devices_.size()) return 0;
  const Intent* in = covering(i, bus);
  return in ? in->seq : 0;
}

void DmaMonitor::begin_stale(SourceId source, std::uint64_t bus, std::uint64_t ticket) {
  pending_ = PendingStale{true, source, bus, ticket};
}

void DmaMonitor::end_stale(SourceId) { pending_.active = false; }

void DmaMonitor::classify_stale(std::size_t device, const sysc::DmaRecord& r) {
  StaleDmaStats& s = devices_[device].stale;
  ++s.issued;
  if (!r.ok) {
    ++s.faulted;
    ++s.faults_by_reason[static_cast<std::uint8_t>(r.fault)];
    return;
  }
  const Intent* live = covering(device, r.bus_addr);
  if (live != nullptr && live->seq == pending_.ticket) {
    ++s.still_mapped;
    return;
  }
  if (!(r.translated && r.outcome.translated)) {
    // No table translation (pass-through context, direct route, TE=0): nothing can revoke the
    // device's access. Reused if the bus address (= host address) was handed out again or the
    // bytes belong to another live buffer.
    ++s.unprotected;
    if (live != nullptr || host_in_use(r.host.value, r.size)) ++s.reused_memory;
    return;
  }
  if (live != nullptr) {
    // The guest mapped this IOVA again, for another buffer (after the invalidation that ended the
    // old mapping): the device reaches the new buffer.
    ++s.remapped;
    ++s.reused_memory;
    return;
  }
  ++s.stale_iotlb;  // table translation succeeded for a cleared entry: a cached translation
  if (host_in_use(r.host.value, r.size)) ++s.reused_memory;
}

void DmaMonitor::on_dma(const sysc::DmaRecord& r) {
  std::size_t index = devices_.size();
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i].source == r.source) {
      index = i;
      break;
    }
  }
  DeviceDmaStats& s = index < devices_.size() ? devices_[index] : other_;
  ++s.dmas;
  (r.access == Access::kWrite ? s.write_bytes : s.read_bytes) += r.size;
  if (r.translated) {
    ++s.translated;
    if (r.outcome.translated) {
      ++s.iotlb_lookups;
      if (r.outcome.iotlb_hit) ++s.iotlb_hits;
    }
  } else {
    ++s.bypassed;
  }
  s.latency_ns.record(static_cast<std::uint64_t>(std::llround(r.latency.to_seconds() * 1e9)));
  if (pending_.active && index < devices_.size() && r.source == pending_.source && r.bus_addr == pending_.bus) {
    classify_stale(index, r);
  } else if (!r.ok) {
    ++s.faults;
    ++s.faults_by_reason[static_cast<std::uint8_t>(r.fault)];
  } else {
    ++s.ok;
    if (index < devices_.size()) {
      const auto& intents = per_device_[index].intents;
      auto it = intents.upper_bound(r.bus_addr);
      if (it == intents.begin()) {
        ++s.stray;
      } else {
        --it;
        const std::uint64_t offset = r.bus_addr - it->first;
        if (offset >= it->second.size)
          ++s.stray;
        else if (r.host.value != it->second.host + offset)
          ++s.corruptions;
      }
    }
  }
  if (log_ != nullptr && log_->enabled() && r.translated) {
    trace::TraceEvent e;
    e.kind = trace::EventKind::kDma;
    e.source = r.source;
    e.pasid = r.pasid;
    e.iova = Iova(r.bus_addr);
    e.size = r.size;
    e.access = r.access;
    log_->record_at(e, r.issue_ns);
  }
}

nlohmann::json to_json(const DeviceDmaStats& s) {
  nlohmann::json j;
  j["source"] = s.source.to_string();
  j["dma"] = {{"count", s.dmas},
              {"read_bytes", s.read_bytes},
              {"write_bytes", s.write_bytes},
              {"translated", s.translated},
              {"bypassed", s.bypassed},
              {"ok", s.ok}};
  j["iotlb"] = {{"lookups", s.iotlb_lookups},
                {"hits", s.iotlb_hits},
                {"hit_rate", s.iotlb_lookups ? static_cast<double>(s.iotlb_hits) / s.iotlb_lookups : 0.0}};
  j["latency_ns"] = {{"mean", s.latency_ns.mean()},
                     {"p50", s.latency_ns.percentile(0.50)},
                     {"p99", s.latency_ns.percentile(0.99)},
                     {"max", s.latency_ns.max()}};
  nlohmann::json reasons = nlohmann::json::object();
  for (std::size_t i = 0; i < s.faults_by_reason.size(); ++i)
    if (s.faults_by_reason[i] != 0)
      reasons[spec::fault_reason_name(static_cast<spec::FaultReason>(i))] = s.faults_by_reason[i];
  j["faults"] = {{"count", s.faults}, {"by_reason", reasons}};
  j["corruptions"] = s.corruptions;
  j["stray"] = s.stray;
  return j;
}

nlohmann::json to_json(const StaleDmaStats& s) {
  nlohmann::json reasons = nlohmann::json::object();
  for (std::size_t i = 0; i < s.faults_by_reason.size(); ++i)
    if (s.faults_by_reason[i] != 0)
      reasons[spec::fault_reason_name(static_cast<spec::FaultReason>(i))] = s.faults_by_reason[i];
  return {{"issued", s.issued},          {"still_mapped", s.still_mapped},       {"faulted", s.faulted},
          {"faults_by_reason", reasons}, {"reached_memory", s.reached_memory()}, {"stale_iotlb", s.stale_iotlb},
          {"remapped", s.remapped},      {"unprotected", s.unprotected},         {"reused_memory", s.reused_memory}};
}

nlohmann::json DmaMonitor::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const DeviceDmaStats& d : devices_) j[d.name] = platform::to_json(d);
  if (other_.dmas != 0) j["unknown"] = platform::to_json(other_);
  return j;
}

}  // namespace vtdsim::platform
