// Watches every DMA at the root complex: per-device statistics (count, bytes, translated or
// bypassed, IOTLB hits, latency histogram, faults by reason) and the consistency check of the
// platform description against the guest's intent:
//  - the guest's DMA layer registers each buffer it hands to a device (bus address range ->
//    the host address it intends the device to reach);
//  - a DMA that completes at a host address other than the intended one is a corruption (the
//    guest handed out IOVAs but the platform did not translate that device's DMA);
//  - a DMA that faults is counted by fault reason (e.g. the guest handed out physical addresses
//    but the device is translated);
//  - a DMA to a bus address the guest never handed out is a stray access.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vtdsim/guest/dma_intent_sink.hpp"
#include "vtdsim/platform/event_log.hpp"
#include "vtdsim/sysc/root_complex.hpp"
#include "vtdsim/timing/latency_histogram.hpp"

namespace vtdsim::platform {

struct DeviceDmaStats {
  std::string name;
  SourceId source;
  std::uint64_t dmas = 0, read_bytes = 0, write_bytes = 0;
  std::uint64_t translated = 0, bypassed = 0;
  std::uint64_t iotlb_lookups = 0, iotlb_hits = 0;
  std::uint64_t ok = 0, faults = 0, corruptions = 0, stray = 0;
  std::array<std::uint64_t, 256> faults_by_reason{};
  timing::LatencyHistogram latency_ns;
};

class DmaMonitor : public sysc::DmaObserver, public guest::DmaIntentSink {
 public:
  explicit DmaMonitor(EventLog* log = nullptr) : log_(log) {}

  void add_device(const std::string& name, SourceId source);
  // Guest intent: the device may access [bus, bus + size) and should reach host + offset.
  void add_intent(SourceId source, std::uint64_t bus, std::uint64_t size, std::uint64_t host) override;
  void remove_intent(SourceId source, std::uint64_t bus) override;

  void on_dma(const sysc::DmaRecord& record) override;

  const DeviceDmaStats* device(SourceId source) const;
  const std::vector<DeviceDmaStats>& devices() const { return devices_; }
  nlohmann::json to_json() const;

 private:
  struct Intent {
    std::uint64_t size;
    std::uint64_t host;
  };
  struct PerDevice {
    std::map<std::uint64_t, Intent> intents;  // bus start -> intent
  };
  DeviceDmaStats* find(SourceId source);

  EventLog* log_;
  std::vector<DeviceDmaStats> devices_;
  std::vector<PerDevice> per_device_;
  DeviceDmaStats other_;  // DMA from an unknown source-id
};

nlohmann::json to_json(const DeviceDmaStats& stats);

}  // namespace vtdsim::platform
