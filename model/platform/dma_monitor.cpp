#include "vtdsim/platform/dma_monitor.hpp"

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

void DmaMonitor::add_intent(SourceId source, std::uint64_t bus, std::uint64_t size, std::uint64_t host) {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i].source == source) {
      per_device_[i].intents[bus] = Intent{size, host};
      return;
    }
  }
}

void DmaMonitor::remove_intent(SourceId source, std::uint64_t bus) {
  for (std::size_t i = 0; i < devices_.size(); ++i)
    if (devices_[i].source == source) per_device_[i].intents.erase(bus);
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
  if (!r.ok) {
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

nlohmann::json DmaMonitor::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const DeviceDmaStats& d : devices_) j[d.name] = platform::to_json(d);
  if (other_.dmas != 0) j["unknown"] = platform::to_json(other_);
  return j;
}

}  // namespace vtdsim::platform
