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
// It also classifies the DMAs of a device's stale-DMA engine (virtio StaleDmaConfig: the device
// keeps accessing a buffer after completing it): still mapped, faulted, reached memory through a
// stale translation (IOTLB/paging-structure cache: the guest had cleared the mapping), through a
// newer mapping of the same bus address (another buffer), or with no translation at all
// (pass-through, direct, physical), and whether the memory reached holds another live buffer.
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
#include "vtdsim/virtio/stale_dma_engine.hpp"

namespace vtdsim::platform {

// The stale DMAs of one device (every one is also in DeviceDmaStats::dmas and its byte counts,
// but not in faults, corruptions or stray: those check the device's genuine DMAs).
struct StaleDmaStats {
  std::uint64_t issued = 0;
  std::uint64_t still_mapped = 0;   // the guest had not unmapped the buffer yet (harmless)
  std::uint64_t faulted = 0;        // blocked by the IOMMU
  std::uint64_t stale_iotlb = 0;    // reached memory although the guest had unmapped the IOVA
  std::uint64_t remapped = 0;       // translated through a newer mapping of the IOVA (another buffer)
  std::uint64_t unprotected = 0;    // reached memory untranslated after the unmap (no IOMMU protection)
  std::uint64_t reused_memory = 0;  // of stale_iotlb + remapped + unprotected: the bytes reached belong
                                    // to a buffer the guest handed out after the unmap
  std::array<std::uint64_t, 256> faults_by_reason{};
  std::uint64_t reached_memory() const { return stale_iotlb + remapped + unprotected; }
};

struct DeviceDmaStats {
  std::string name;
  SourceId source;
  std::uint64_t dmas = 0, read_bytes = 0, write_bytes = 0;
  std::uint64_t translated = 0, bypassed = 0;
  std::uint64_t iotlb_lookups = 0, iotlb_hits = 0;
  std::uint64_t ok = 0, faults = 0, corruptions = 0, stray = 0;
  std::array<std::uint64_t, 256> faults_by_reason{};
  timing::LatencyHistogram latency_ns;
  StaleDmaStats stale;
};

class DmaMonitor : public sysc::DmaObserver, public guest::DmaIntentSink, public virtio::StaleDmaSink {
 public:
  explicit DmaMonitor(EventLog* log = nullptr) : log_(log) {}

  void add_device(const std::string& name, SourceId source);
  // Guest intent: the device may access [bus, bus + size) and should reach host + offset.
  void add_intent(SourceId source, std::uint64_t bus, std::uint64_t size, std::uint64_t host) override;
  void remove_intent(SourceId source, std::uint64_t bus) override;

  void on_dma(const sysc::DmaRecord& record) override;

  // The stale-DMA engines' side: the ticket is the sequence number of the guest's mapping the
  // device completed (0 if none).
  std::uint64_t buffer_completed(SourceId source, std::uint64_t bus) override;
  void begin_stale(SourceId source, std::uint64_t bus, std::uint64_t ticket) override;
  void end_stale(SourceId source) override;

  const DeviceDmaStats* device(SourceId source) const;
  const std::vector<DeviceDmaStats>& devices() const { return devices_; }
  nlohmann::json to_json() const;

 private:
  using HostIndex = std::multimap<std::uint64_t, std::uint64_t>;  // live intents: host start -> size
  struct Intent {
    std::uint64_t size;
    std::uint64_t host;
    std::uint64_t seq;  // 1, 2, ... in the order the guest handed buffers out
    HostIndex::iterator host_it;
  };
  struct PerDevice {
    std::map<std::uint64_t, Intent> intents;  // bus start -> intent
  };
  struct PendingStale {
    bool active = false;
    SourceId source;
    std::uint64_t bus = 0, ticket = 0;
  };
  DeviceDmaStats* find(SourceId source);
  std::size_t index_of(SourceId source) const;
  const Intent* covering(std::size_t device, std::uint64_t bus) const;
  bool host_in_use(std::uint64_t host, std::uint64_t size) const;
  void classify_stale(std::size_t device, const sysc::DmaRecord& r);

  EventLog* log_;
  std::vector<DeviceDmaStats> devices_;
  std::vector<PerDevice> per_device_;
  DeviceDmaStats other_;  // DMA from an unknown source-id
  HostIndex hosts_;
  std::uint64_t max_intent_ = 0, seq_ = 0;
  PendingStale pending_;
};

nlohmann::json to_json(const DeviceDmaStats& stats);
nlohmann::json to_json(const StaleDmaStats& stats);

}  // namespace vtdsim::platform
