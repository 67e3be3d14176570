#include "vtdsim/platform/platform.hpp"

#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/iommu/iommu_json.hpp"
#include "vtdsim/virtio/virtio_blk_device.hpp"
#include "vtdsim/virtio/virtio_net_device.hpp"

namespace vtdsim::platform {

Platform::Platform(const PlatformConfig& config) : config_(config), memory_(config.ram_bytes), monitor_(&log_) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(config.quantum_ns, sc_core::SC_NS));
  iommu_ = std::make_unique<iommu::Iommu>(config.unit, memory_);
  guest_memory_ = std::make_unique<guest::GuestMemory>(memory_, kGuestRamBase, config.ram_bytes - kGuestRamBase);
  mem_ = std::make_unique<sysc::MemoryModule>("memory", memory_, config.memory);
  iommu_module_ = std::make_unique<sysc::IommuModule>("iommu", *iommu_);
  rc_ = std::make_unique<sysc::RootComplex>("root_complex", config.hop_latency_ns);
  guest_ = std::make_unique<guest::GuestOs>("guest", config_.guest, config_.iommu_base, config_.seed, *guest_memory_,
                                            &monitor_, &log_);

  rc_->to_iommu.bind(iommu_module_->dma_in);
  iommu_module_->mem_out.bind(mem_->socket);
  rc_->to_memory.bind(mem_->socket);
  guest_->mmio_socket.bind(rc_->cpu_in);
  rc_->mmio_out.bind(iommu_module_->mmio);
  rc_->add_mmio_window("iommu", config.iommu_base, 0x1000, 0);
  rc_->add_observer(&monitor_);
  // PCIe ATS (platform.devices[].ats): one device TLB per such device, used once the guest has
  // given it a device-TLB context and turned its ATS on.
  for (const platform::DeviceConfig& d : config.devices) {
    if (!d.ats) continue;
    iommu_->enable_ats();
    guest_->set_ats_enable([this](SourceId source) { iommu_->set_ats_enabled(source, true); });
    break;
  }

  unsigned port = 1;
  for (const platform::DeviceConfig& d : config.devices) {
    std::unique_ptr<virtio::VirtioPciDevice> dev;
    if (d.type == platform::DeviceType::kVirtioNet)
      dev = std::make_unique<virtio::VirtioNetDevice>(d.name.c_str(), d.pci, d.net);
    else
      dev = std::make_unique<virtio::VirtioBlkDevice>(d.name.c_str(), d.pci, d.blk);
    dev->dma_socket.bind(rc_->dma_in);
    rc_->mmio_out.bind(dev->bar);
    rc_->add_mmio_window(d.name, d.bar_base, virtio::bar::kSize, port++);
    rc_->set_route(d.pci.source, d.route);
    monitor_.add_device(d.name, d.pci.source);
    dev->set_stale_dma_sink(&monitor_);
    guest_->add_device(d, dev.get());
    devices_.push_back(std::move(dev));
  }
}

Platform::~Platform() = default;

namespace {
// devices.<name>.safety: how long unmapped buffers stay reachable, and what a stale-DMA device
// (platform.devices[].stale_dma) reached.
nlohmann::json safety_json(const guest::GuestDevice& gd, const virtio::VirtioPciDevice& dev,
                           const platform::DeviceDmaStats& stats) {
  nlohmann::json s;
  // Only a translated IOMMU mode ever ends an unmapped buffer's reach; identity, direct and
  // physical modes hand the device host addresses that stay valid for ever.
  const bool protected_mode = gd.dma && gd.mode == guest::DmaMode::kIommu;
  s["iommu_protected"] = protected_mode;
  if (protected_mode) {
    const timing::LatencyHistogram& w = gd.dma->exposure_ns();
    s["exposure_window_us"] = {{"count", w.count()},
                               {"mean", w.mean() / 1000.0},
                               {"p99", static_cast<double>(w.percentile(0.99)) / 1000.0},
                               {"max", static_cast<double>(w.max()) / 1000.0},
                               {"open_at_end", gd.dma->open_windows()}};
  } else {
    s["exposure_window_us"] = nullptr;  // unbounded: nothing revokes the device's access
  }
  if (const virtio::StaleDmaEngine* e = dev.stale_dma()) {
    s["stale_dma"] = platform::to_json(stats.stale);
    s["stale_dma"]["buffers_followed"] = e->counters().followed;
    s["stale_dma"]["buffers_dropped"] = e->counters().dropped;
  }
  return s;
}
}  // namespace

void Platform::run() { run(sc_core::sc_time(config_.duration_us, sc_core::SC_US)); }

void Platform::run(const sc_core::sc_time& duration) {
  sc_core::sc_start(duration);
  simulated_ = sc_core::sc_time_stamp().to_seconds();
}

nlohmann::json Platform::stats_json() const {
  nlohmann::json j;
  j["config"] = platform::to_json(config_);
  j["platform"] = {{"simulated_seconds", simulated_}, {"mmio_errors", rc_->mmio_errors()}};
  nlohmann::json devs = monitor_.to_json();
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const auto& gd = *guest_->devices()[i];
    const virtio::VirtioPciDevice& dev = *devices_[i];
    nlohmann::json& o = devs[gd.config.name];
    o["probed"] = gd.probed;
    o["features"] = {{"offered", dev.device_features()},
                     {"negotiated", dev.driver_features()},
                     {"access_platform", (dev.driver_features() >> virtio::kFAccessPlatform) & 1}};
    o["route"] = to_string(gd.config.route);
    o["guest_dma"] = {{"uses_dma_api", gd.dma_api}, {"mode", guest::to_string(gd.mode)}, {"context", gd.context}};
    if (gd.dma) {
      const auto& c = gd.dma->counters();
      o["guest_dma"]["maps"] = c.maps;
      o["guest_dma"]["unmaps"] = c.unmaps;
      o["guest_dma"]["strict_flushes"] = c.strict_flushes;
      o["guest_dma"]["map_flushes"] = c.map_flushes;
      o["guest_dma"]["lazy_flushes"] = c.lazy_flushes();
      o["guest_dma"]["fq_queued"] = c.fq_queued;
      o["guest_dma"]["fq_full_flushes"] = c.fq_full_flushes;
      o["guest_dma"]["fq_timer_flushes"] = c.fq_timer_flushes;
      o["guest_dma"]["fq_pending"] = gd.dma->flush_queue().pending();
      o["guest_dma"]["map_failures"] = c.map_failures;
      const auto& ic = gd.dma->iovas().counters();
      o["guest_dma"]["iova_cache_hits"] = ic.cache_hits;
      o["guest_dma"]["iova"] = {{"allocations", ic.allocations},     {"frees", ic.frees},
                                {"cache_hits", ic.cache_hits},       {"tree_searches", ic.tree_searches},
                                {"tree_frees", ic.tree_frees},       {"depot_pushes", ic.depot_pushes},
                                {"depot_pops", ic.depot_pops},       {"magazine_drains", ic.magazine_drains},
                                {"cache_flushes", ic.cache_flushes}, {"failures", ic.failures}};
    }
    o["safety"] = safety_json(gd, dev, *monitor_.device(gd.config.pci.source));
    const auto& vc = dev.counters();
    o["virtio"] = {{"notifications", vc.notifications},
                   {"interrupts", vc.interrupts},
                   {"features_rejected", vc.features_rejected},
                   {"needs_reset", vc.needs_reset},
                   {"status", dev.status()}};
    const auto& w = gd.stats;
    o["workload"] = {{"kind", platform::to_string(gd.config.workload.kind)},
                     {"tx_packets", w.tx_packets},
                     {"tx_bytes", w.tx_bytes},
                     {"rx_packets", w.rx_packets},
                     {"rx_bytes", w.rx_bytes},
                     {"rx_bad", w.rx_bad},
                     {"transactions", w.transactions},
                     {"requests", w.requests},
                     {"request_bytes", w.request_bytes},
                     {"request_errors", w.request_errors},
                     {"data_errors", w.data_errors},
                     {"ring_full_waits", w.ring_full_waits},
                     {"completion_ns", {{"mean", w.completion_ns.mean()}, {"p99", w.completion_ns.percentile(0.99)}}}};
    if (auto* net = dynamic_cast<const virtio::VirtioNetDevice*>(&dev)) {
      const auto& n = net->net_counters();
      o["device"] = {{"tx_packets", n.tx_packets},
                     {"tx_bytes", n.tx_bytes},
                     {"rx_packets", n.rx_packets},
                     {"rx_bytes", n.rx_bytes},
                     {"rx_dropped_no_buffer", n.rx_dropped_no_buffer},
                     {"tx_errors", n.tx_errors},
                     {"rx_errors", n.rx_errors}};
    } else if (auto* blk = dynamic_cast<const virtio::VirtioBlkDevice*>(&dev)) {
      const auto& b = blk->blk_counters();
      o["device"] = {{"reads", b.reads},
                     {"writes", b.writes},
                     {"read_bytes", b.read_bytes},
                     {"write_bytes", b.write_bytes},
                     {"errors", b.errors}};
    }
  }
  j["devices"] = devs;
  j["iommu"] = iommu::to_json(*iommu_);
  const sysc::IommuModuleCounters& refused = iommu_module_->counters();
  j["iommu"]["tlm"] = {{"malformed", refused.malformed},
                       {"too_large", refused.too_large},
                       {"fault_irq", iommu_module_->fault_irq.read()}};
  const auto& vc = guest_->vtd()->counters();
  // Flush-queue flushes of all domains (the driver counts descriptors, the DMA API their cause).
  std::uint64_t fq_full = 0, fq_timer = 0, unmap_flushes = 0;
  for (const auto& gd : guest_->devices()) {
    if (!gd->dma) continue;
    fq_full += gd->dma->counters().fq_full_flushes;
    fq_timer += gd->dma->counters().fq_timer_flushes;
    unmap_flushes += gd->dma->counters().strict_flushes;
  }
  const guest::VtdDriver& vtd = *guest_->vtd();
  j["guest"] = {{"booted", guest_->booted()},
                {"dma_policy_effective", guest::to_string(guest_->dma_policy().policy)},
                {"dma_policy_reason", guest_->dma_policy().reason},
                {"invalidations",
                 {{"page", vc.page_invalidations},
                  {"page_after_map", vc.map_page_invalidations},
                  {"page_after_unmap", unmap_flushes},
                  {"domain", vc.domain_invalidations},
                  {"domain_after_attach", vc.attach_domain_invalidations},
                  {"domain_fq_full", fq_full},
                  {"domain_fq_timer", fq_timer},
                  {"context_device", vc.context_invalidations},
                  {"global", vc.global_invalidations},
                  {"device_tlb", vc.device_tlb_invalidations},
                  {"write_buffer_flushes", vc.write_buffer_flushes}}},
                {"tables",
                 {{"format", vtd.scalable() ? "scalable" : "legacy"},
                  {"dma_domains", vtd.nested()        ? "nested"
                                  : vtd.first_stage() ? "first_stage"
                                                      : "second_stage"}}},
                {"vtd_enabled", guest_->vtd()->enabled()},
                {"wait_descriptors", vc.wait_descriptors},
                {"wait_timeouts", vc.wait_timeouts},
                {"queue_errors", vc.queue_errors},
                {"mmio_accesses", guest_->mmio().accesses()}};
  return j;
}

}  // namespace vtdsim::platform
