#include "vtdsim/guest/guest_os.hpp"

#include <algorithm>

#include "vtdsim/virtio/virtio_spec.hpp"

namespace vtdsim::guest {

namespace vs = virtio;

namespace {
constexpr std::uint64_t kTablesRegion = 64ull << 20;  // page-table pages for the VT-d driver

void advance_to(tlm_utils::tlm_quantumkeeper& k, const sc_core::sc_time& t) {
  const sc_core::sc_time& stamp = sc_core::sc_time_stamp();
  if (t <= stamp + k.get_local_time()) return;
  if (t - stamp > tlm_utils::tlm_quantumkeeper::get_global_quantum()) {
    k.sync();
    sc_core::wait(t - sc_core::sc_time_stamp());
    k.reset();
  } else {
    k.set(t - stamp);
    if (k.need_sync()) k.sync();
  }
}
}  // namespace

GuestOs::GuestOs(sc_core::sc_module_name name, const GuestConfig& config, std::uint64_t iommu_base, std::uint64_t seed,
                 GuestMemory& memory, DmaIntentSink* monitor, EventSink* log)
    : sc_core::sc_module(name),
      mmio_socket("mmio_socket"),
      config_(config),
      seed_(seed),
      memory_(memory),
      monitor_(monitor),
      mmio_(mmio_socket) {
  const std::uint64_t tables = memory.alloc_pages(kTablesRegion / 4096);
  vtd_ = std::make_unique<VtdDriver>(memory, mmio_, iommu_base, tables, kTablesRegion, log);
  SC_THREAD(boot_thread);
  SC_THREAD(lazy_timer_thread);
}

void GuestOs::add_device(const DeviceConfig& config, virtio::VirtioPciDevice* device) {
  auto d = std::make_unique<GuestDevice>();
  d->config = config;
  d->device = device;
  devices_.push_back(std::move(d));
}

void GuestOs::boot_thread() {
  tlm_utils::tlm_quantumkeeper keeper;
  keeper.reset();
  vtd_->init(keeper, config_);
  // intel_iommu_init decides strict vs lazy once CAP/ECAP are known: with caching mode only
  // first-stage DMA domains keep the flush queue.
  DmaPolicyInputs in;
  in.request = config_.dma_policy;
  in.default_lazy = config_.default_lazy;
  in.caching_mode = vtd_->caching_mode();
  in.first_stage = vtd_->first_stage();
  policy_ = decide_dma_policy(in);
  for (auto& d : devices_) probe(*d, keeper);
  keeper.sync();
  booted_ = true;
  for (auto& d : devices_)
    if (d->probed) start_workload(*d);
}

void GuestOs::probe(GuestDevice& d, tlm_utils::tlm_quantumkeeper& keeper) {
  VirtioDriverOptions o;
  o.refuse_access_platform = d.config.refuse_access_platform;
  o.force_dma_api = config_.force_dma_api;
  o.iommu_passthrough_bit = d.config.pci.iommu_passthrough_bit;
  d.driver = std::make_unique<VirtioDriver>(d.config.name, mmio_, d.config.bar_base, o);
  const bool net = d.config.type == DeviceType::kVirtioNet;
  const std::uint64_t wanted =
      net ? (vs::feature_bit(vs::net::kFMac) | vs::feature_bit(vs::net::kFMtu)) : vs::feature_bit(vs::blk::kFBlkSize);
  if (!d.driver->negotiate(wanted, keeper)) {
    d.probed = false;
    d.context = "none";
    return;
  }
  d.dma_api = d.driver->uses_dma_api();
  const bool identity = policy_.policy == EffectivePolicy::kPassthrough || d.config.pass_through_context;
  // The guest's IOMMU code owns a device in a DMAR device scope unless something told it the
  // device bypasses the IOMMU: the out-of-band list (guest.iommu_bypass) or the device itself
  // (the proposed VIRTIO_F_IOMMU_PASSTHROUGH, negotiated). It then programs no context for it.
  const bool owned =
      d.config.in_dmar_scope && vtd_->enabled() && !d.config.guest_bypass && !d.driver->iommu_passthrough();
  std::size_t index = 0;
  for (std::size_t i = 0; i < devices_.size(); ++i)
    if (devices_[i].get() == &d) index = i;
  // Device i's threads and its interrupt run on CPU i mod cpus: completions on the submitting
  // CPU (blk-mq rq_affinity), as the strict logs' LIFO IOVA reuse shows.
  d.submit_cpu = d.complete_cpu = static_cast<unsigned>(index % config_.cpus);
  const DomainId dom(static_cast<std::uint16_t>(index + 1));
  // The IOMMU driver owns every device in a DMAR device scope and gives it a default domain
  // (identity with iommu=pt, else a DMA domain), whether or not the virtio driver then uses the
  // DMA API.
  if (owned) {
    if (identity) {
      vtd_->attach_pass_through(d.config.pci.source, dom, keeper);
      d.context = "pass-through";
    } else {
      // ATS (device TLB) only with a translated context: TT = 01b, then the device's ATS enable.
      const bool ats = d.config.ats && static_cast<bool>(ats_enable_);
      vtd_->attach(d.config.pci.source, dom, keeper, ats);
      if (ats) ats_enable_(d.config.pci.source);
      d.context = ats ? "translate+ats" : "translate";
    }
  } else {
    d.context = "none";
  }
  DmaApiConfig dc;
  if (!d.dma_api)
    dc.mode = DmaMode::kPhysical;
  else if (!owned)
    dc.mode = DmaMode::kDirect;
  else if (identity)
    dc.mode = DmaMode::kIdentity;
  else
    dc.mode = DmaMode::kIommu;
  dc.policy = policy_.policy == EffectivePolicy::kLazy ? UnmapPolicy::kLazy : UnmapPolicy::kStrict;
  dc.lazy_batch = config_.lazy_batch;
  dc.lazy_timeout_us = config_.lazy_timeout_us;
  dc.cpus = config_.cpus;
  dc.iova_limit = 1ull << config_.iova_limit_bits;
  d.mode = dc.mode;
  d.dma = std::make_unique<DmaApi>(dc, d.config.pci.source, dom, vtd_.get(), monitor_);
  d.dma->set_timer_event(&fq_timer_armed_);
  if (!d.driver->setup_queues(memory_, *d.dma, net ? 2 : 1, 0, keeper)) {
    d.probed = false;
    return;
  }
  d.driver->driver_ok(keeper);
  d.probed = true;
}

void GuestOs::start_workload(GuestDevice& d) {
  GuestDevice* p = &d;
  switch (d.config.workload.kind) {
    case WorkloadKind::kNone: break;
    case WorkloadKind::kNetTxStream:
    case WorkloadKind::kNetRequestResponse:
      sc_core::sc_spawn(sc_bind(&GuestOs::net_tx, this, p));
      if (d.config.net.peer != virtio::NetPeerMode::kNone) sc_core::sc_spawn(sc_bind(&GuestOs::net_rx, this, p));
      break;
    case WorkloadKind::kNetRxStream: sc_core::sc_spawn(sc_bind(&GuestOs::net_rx, this, p)); break;
    default: sc_core::sc_spawn(sc_bind(&GuestOs::blk, this, p)); break;
  }
}

void GuestOs::lazy_timer_thread() {
  // Each domain's one-shot flush-queue timer (fq_timer, mod_timer in queue_iova): sleep until the
  // earliest armed expiry, or until a timer is armed; fire every expired one.
  tlm_utils::tlm_quantumkeeper k;
  k.reset();
  while (true) {
    bool any = false;
    sc_core::sc_time earliest;
    for (auto& d : devices_) {
      if (!d->dma || !d->dma->timer_pending()) continue;
      if (!any || d->dma->timer_deadline() < earliest) earliest = d->dma->timer_deadline();
      any = true;
    }
    if (!any)
      sc_core::wait(fq_timer_armed_);
    else if (earliest > sc_core::sc_time_stamp())
      sc_core::wait(earliest - sc_core::sc_time_stamp(), fq_timer_armed_);
    k.reset();
    for (auto& d : devices_)
      if (d->dma && d->dma->timer_pending() && d->dma->timer_deadline() <= sc_core::sc_time_stamp())
        d->dma->fire_timer(k);
    k.sync();
  }
}

void GuestOs::net_tx(GuestDevice* d) {
  tlm_utils::tlm_quantumkeeper k;
  k.reset();
  const WorkloadConfig& wl = d->config.workload;
  const bool rr = wl.kind == WorkloadKind::kNetRequestResponse;
  DriverVirtqueue& vq = d->driver->queue(vs::net::kTxQueue);
  const unsigned cpu = d->submit_cpu;  // tx completions are reaped by the sending thread
  vq.set_cpu(cpu);
  const std::uint32_t frame = wl.packet_size;
  const std::uint64_t size = vs::net::kHdrSize + frame;
  const std::uint64_t stride = size <= 2048 ? 2048 : (size + 4095) & ~4095ull;
  const unsigned nbuf = vq.size();
  const std::uint64_t pool = memory_.alloc_bytes(stride * nbuf);
  std::vector<unsigned char>& content = d->buffers.tx_content;
  content.assign(size, 0);
  for (std::uint64_t i = vs::net::kHdrSize; i < size; ++i) content[i] = static_cast<unsigned char>(i);
  std::vector<std::uint16_t>& free_bufs = d->buffers.tx_free;
  free_bufs.clear();
  free_bufs.reserve(nbuf);
  std::vector<std::uint64_t>& bus = d->buffers.tx_bus;
  bus.assign(nbuf, 0);
  for (unsigned i = 0; i < nbuf; ++i) {
    memory_.memory().write(pool + stride * i, content.data(), size);
    free_bufs.push_back(static_cast<std::uint16_t>(nbuf - 1 - i));
  }
  const sc_core::sc_time interval =
      wl.rate_gbps > 0 ? sc_core::sc_time(static_cast<double>((frame + 24) * 8) / wl.rate_gbps, sc_core::SC_NS)
                       : sc_core::SC_ZERO_TIME;
  sc_core::sc_time next = now(k);
  std::uint64_t sent = 0;
  while (wl.count == 0 || sent < wl.count) {
    std::uint64_t token;
    std::uint32_t len;
    while (vq.get_used(token, len, k)) {
      d->dma->unmap(bus[token], size, k, cpu);
      free_bufs.push_back(static_cast<std::uint16_t>(token));
    }
    if (free_bufs.empty() || vq.free_descriptors() == 0) {
      ++d->stats.ring_full_waits;
      vq.enable_interrupts();
      k.sync();
      if (!vq.has_used()) sc_core::wait(d->device->queue_irq(vs::net::kTxQueue) | d->device->config_irq());
      k.reset();
      if (!d->device->driver_ok()) return;  // DEVICE_NEEDS_RESET: stop
      continue;
    }
    const std::uint16_t idx = free_bufs.back();
    free_bufs.pop_back();
    bus[idx] = d->dma->map(pool + stride * idx, size, DmaDirection::kToDevice, k, cpu);
    if (bus[idx] == 0) {
      ++d->stats.map_failures;
      free_bufs.push_back(idx);
      advance_to(k, now(k) + sc_core::sc_time(10, sc_core::SC_US));
      continue;
    }
    const Sg sg{bus[idx], static_cast<std::uint32_t>(size), false};
    vq.add(&sg, 1, idx, k);
    if (vq.kick_prepare()) d->driver->notify(vs::net::kTxQueue, k);
    ++sent;
    ++d->stats.tx_packets;
    d->stats.tx_bytes += frame;
    if (rr) {
      k.sync();
      // A copy on purpose: the time before the wait.
      const sc_core::sc_time t0 = sc_core::sc_time_stamp();  // NOLINT(performance-unnecessary-copy-initialization)
      sc_core::wait(d->rx_done | d->device->config_irq());
      k.reset();
      if (!d->device->driver_ok()) return;
      ++d->stats.transactions;
      d->stats.completion_ns.record(static_cast<std::uint64_t>((sc_core::sc_time_stamp() - t0).to_seconds() * 1e9));
      if (wl.interval_us > 0) advance_to(k, now(k) + sc_core::sc_time(wl.interval_us, sc_core::SC_US));
    } else if (interval != sc_core::SC_ZERO_TIME) {
      next += interval;
      const sc_core::sc_time backlog = interval * 64.0;  // no unbounded catch-up burst after a stall
      if (now(k) > next + backlog) next = now(k) - backlog;
      advance_to(k, next);
    } else if (k.need_sync()) {
      k.sync();
    }
  }
  k.sync();
}

void GuestOs::net_rx(GuestDevice* d) {
  tlm_utils::tlm_quantumkeeper k;
  k.reset();
  DriverVirtqueue& vq = d->driver->queue(vs::net::kRxQueue);
  const unsigned cpu = d->complete_cpu;  // rx buffers are reaped and refilled in the interrupt path
  vq.set_cpu(cpu);
  const std::uint64_t size = vs::net::kHdrSize + std::max<std::uint32_t>(d->config.net.mtu + 14u, 1514u);
  const std::uint64_t stride = size <= 2048 ? 2048 : (size + 4095) & ~4095ull;
  const unsigned nbuf = vq.size();
  const std::uint64_t pool = memory_.alloc_bytes(stride * nbuf);
  std::vector<std::uint64_t>& bus = d->buffers.rx_bus;
  bus.assign(nbuf, 0);
  auto post = [&](unsigned i) {
    bus[i] = d->dma->map(pool + stride * i, size, DmaDirection::kFromDevice, k, cpu);
    if (bus[i] == 0) {
      ++d->stats.map_failures;
      return;
    }
    const Sg sg{bus[i], static_cast<std::uint32_t>(size), true};
    vq.add(&sg, 1, i, k);
  };
  for (unsigned i = 0; i < nbuf; ++i) post(i);
  if (vq.kick_prepare()) d->driver->notify(vs::net::kRxQueue, k);
  vq.enable_interrupts();
  while (true) {
    k.sync();
    if (!vq.has_used()) sc_core::wait(d->device->queue_irq(vs::net::kRxQueue) | d->device->config_irq());
    k.reset();
    if (!d->device->driver_ok()) return;
    std::uint64_t token;
    std::uint32_t len;
    while (vq.get_used(token, len, k)) {
      d->dma->unmap(bus[token], size, k, cpu);
      const std::uint64_t buf = pool + stride * token;
      std::uint16_t num_buffers = 0;
      memory_.memory().read(buf + vs::net::kHdrNumBuffersOffset, &num_buffers, 2);
      if (num_buffers != 1 || len < vs::net::kHdrSize) ++d->stats.rx_bad;
      ++d->stats.rx_packets;
      d->stats.rx_bytes += len > vs::net::kHdrSize ? len - vs::net::kHdrSize : 0;
      if (d->config.workload.kind == WorkloadKind::kNetRequestResponse) d->rx_done.notify(k.get_local_time());
      post(static_cast<unsigned>(token));
    }
    if (vq.kick_prepare()) d->driver->notify(vs::net::kRxQueue, k);
    vq.enable_interrupts();
  }
}

void GuestOs::blk(GuestDevice* d) {
  if (!blk_phase(d, d->config.workload)) return;
  for (const WorkloadConfig& wl : d->config.later_phases)
    if (!blk_phase(d, wl)) return;
}

bool GuestOs::blk_phase(GuestDevice* d, const WorkloadConfig& wl) {
  tlm_utils::tlm_quantumkeeper k;
  k.reset();
  const bool write = wl.kind == WorkloadKind::kBlkWriteSeq || wl.kind == WorkloadKind::kBlkWriteRandom;
  const bool random = wl.kind == WorkloadKind::kBlkReadRandom || wl.kind == WorkloadKind::kBlkWriteRandom;
  DriverVirtqueue& vq = d->driver->queue(0);
  const unsigned qd = std::min<unsigned>(wl.queue_depth, vq.size());
  using Slot = WorkloadBuffers::BlkSlot;
  std::vector<Slot>& slots = d->buffers.blk_slots;
  slots.assign(qd, Slot{});
  std::vector<unsigned>& free_slots = d->buffers.blk_free;
  free_slots.clear();
  free_slots.reserve(qd);
  // Linux maps every scatterlist segment on its own (virtqueue_add_split -> vring_map_one_sg ->
  // dma_map_page): segment_pages splits the data buffer into segments of that many pages (1 =
  // the page cache's pages are not physically contiguous), 0 keeps it one segment.
  const std::uint32_t seg_bytes = wl.segment_pages ? wl.segment_pages * 4096u : wl.block_size;
  const unsigned nseg = (wl.block_size + seg_bytes - 1) / seg_bytes;
  for (unsigned i = 0; i < qd; ++i) {
    slots[i].meta = memory_.alloc_pages(1);
    slots[i].data = memory_.alloc_bytes(wl.block_size);
    slots[i].data_bus.assign(nseg, 0);
    free_slots.push_back(qd - 1 - i);
  }
  std::vector<Sg>& sg = d->buffers.blk_sg;
  sg.assign(nseg + 2, Sg{});
  const auto seg_len = [&](unsigned j) { return std::min<std::uint32_t>(seg_bytes, wl.block_size - j * seg_bytes); };
  std::mt19937_64 rng(seed_ ^ (0x9e3779b97f4a7c15ull * (d->config.pci.source.value + 1)));
  const std::uint64_t sectors_per_block = wl.block_size / vs::blk::kSectorSize;
  const std::uint64_t blocks = std::max<std::uint64_t>(1, d->config.blk.capacity_sectors / sectors_per_block);
  std::uint64_t next_block = 0, issued = 0;
  const auto dir_data = write ? DmaDirection::kToDevice : DmaDirection::kFromDevice;
  while (true) {
    vq.set_cpu(d->submit_cpu);
    while (!free_slots.empty() && (wl.count == 0 || issued < wl.count)) {
      const unsigned s = free_slots.back();
      free_slots.pop_back();
      Slot& sl = slots[s];
      const std::uint64_t block = random ? rng() % blocks : (next_block++ % blocks);
      sl.sector = block * sectors_per_block;
      // 5.2.6 struct virtio_blk_req header; status byte preset to 0xff.
      memory_.memory().write32(sl.meta, write ? vs::blk::kTypeOut : vs::blk::kTypeIn);
      memory_.memory().write32(sl.meta + 4, 0);
      memory_.memory().write64(sl.meta + 8, sl.sector);
      const unsigned char ff = 0xff;
      memory_.memory().write(sl.meta + 64, &ff, 1);
      sl.hdr_bus = d->dma->map(sl.meta, vs::blk::kHeaderSize, DmaDirection::kToDevice, k, d->submit_cpu);
      for (unsigned j = 0; j < nseg; ++j)
        sl.data_bus[j] = d->dma->map(sl.data + std::uint64_t{j} * seg_bytes, seg_len(j), dir_data, k, d->submit_cpu);
      sl.status_bus = d->dma->map(sl.meta + 64, 1, DmaDirection::kFromDevice, k, d->submit_cpu);
      sg[0] = Sg{sl.hdr_bus, vs::blk::kHeaderSize, false};
      for (unsigned j = 0; j < nseg; ++j) sg[1 + j] = Sg{sl.data_bus[j], seg_len(j), !write};
      sg[nseg + 1] = Sg{sl.status_bus, 1, true};
      sl.issued = now(k);
      if (!vq.add(sg.data(), nseg + 2, s, k)) {
        free_slots.push_back(s);
        break;
      }
      ++issued;
    }
    if (vq.kick_prepare()) d->driver->notify(0, k);
    vq.enable_interrupts();
    k.sync();
    if (!vq.has_used()) {
      if (free_slots.size() == qd && wl.count != 0 && issued >= wl.count) return true;  // all done
      sc_core::wait(d->device->queue_irq(0) | d->device->config_irq());
    }
    k.reset();
    if (!d->device->driver_ok()) return false;
    std::uint64_t token;
    std::uint32_t len;
    vq.set_cpu(d->complete_cpu);
    while (vq.get_used(token, len, k)) {
      Slot& sl = slots[token];
      const unsigned cpu = d->complete_cpu;
      d->dma->unmap(sl.hdr_bus, vs::blk::kHeaderSize, k, cpu);
      for (unsigned j = 0; j < nseg; ++j) d->dma->unmap(sl.data_bus[j], seg_len(j), k, cpu);
      d->dma->unmap(sl.status_bus, 1, k, cpu);
      unsigned char status = 0xff;
      memory_.memory().read(sl.meta + 64, &status, 1);
      if (status != vs::blk::kStatusOk) ++d->stats.request_errors;
      if (!write) {
        unsigned char first = 0;
        memory_.memory().read(sl.data, &first, 1);
        if (first != static_cast<unsigned char>(sl.sector)) ++d->stats.data_errors;
      }
      ++d->stats.requests;
      d->stats.request_bytes += wl.block_size;
      d->stats.completion_ns.record(static_cast<std::uint64_t>((now(k) - sl.issued).to_seconds() * 1e9));
      free_slots.push_back(static_cast<unsigned>(token));
    }
  }
}

}  // namespace vtdsim::guest
