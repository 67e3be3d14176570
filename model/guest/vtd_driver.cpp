#include "vtdsim/guest/vtd_driver.hpp"

#include "vtdsim/core/invalidation_decoder.hpp"
#include "vtdsim/guest/dma_policy.hpp"
#include "vtdsim/spec/registers.hpp"

namespace vtdsim::guest {

namespace reg = spec::reg;
namespace qi = spec::qi;

VtdDriver::VtdDriver(GuestMemory& memory, MmioPort& mmio, std::uint64_t register_base, std::uint64_t tables_base,
                     std::uint64_t tables_size, EventSink* log)
    : memory_(memory), mmio_(mmio), base_(register_base), log_(log) {
  tables_ = std::make_unique<core::TableBuilder>(memory.memory(), tables_base, tables_size, core::TableFormat::kLegacy);
  queue_base_ = memory.alloc_pages(1);   // IQA.QS = 0: one page, 256 descriptors of 128 bits
  status_addr_ = memory.alloc_pages(1);  // wait-descriptor status words
}

void VtdDriver::gcmd(std::uint32_t set_bit, std::uint32_t status_bit, tlm_utils::tlm_quantumkeeper& keeper, bool& ok) {
  // 11.4.4.1: software reads GSTS, keeps the persistent enables, sets one command, polls GSTS.
  const auto gsts = static_cast<std::uint32_t>(mmio_.read(base_ + reg::kGsts, 4, keeper));
  const std::uint32_t persistent =
      gsts & (reg::gcmd::kTe | reg::gcmd::kQie | reg::gcmd::kIre | reg::gcmd::kEafl | reg::gcmd::kCfi);
  mmio_.write(base_ + reg::kGcmd, 4, persistent | set_bit, keeper);
  for (int i = 0; i < 100; ++i) {
    if (mmio_.read(base_ + reg::kGsts, 4, keeper) & status_bit) return;
    keeper.inc(sc_core::sc_time(100, sc_core::SC_NS));
  }
  ok = false;
}

bool VtdDriver::init(tlm_utils::tlm_quantumkeeper& keeper, const GuestConfig& config) {
  cap_ = mmio_.read(base_ + reg::kCap, 8, keeper);
  ecap_ = mmio_.read(base_ + reg::kEcap, 8, keeper);
  bool ok = true;
  // sm_supported (Linux 6.1 / 6.12 drivers/iommu/intel/iommu.h): intel_iommu=sm_on and ECAP.SMTS.
  scalable_ = config.wants_scalable_mode() && reg::ecap::smts(ecap_);
  // first_level_by_default (drivers/iommu/intel/iommu.c): in scalable mode first stage when the
  // unit has FLTS (with SLTS too, DMA-API domains still get first stage).
  const TranslationStageRequest stage = config.translation_stage;
  first_stage_ = stage == TranslationStageRequest::kFirst ||
                 (stage == TranslationStageRequest::kAuto &&
                  first_stage_by_default(scalable_, reg::ecap::flts(ecap_), reg::ecap::slts(ecap_)));
  // platform_config's resolve refuses these first.
  if (first_stage_ && !(scalable_ && reg::ecap::flts(ecap_))) return false;
  if (config.nested.enabled && !(first_stage_ && reg::ecap::nest(ecap_) && reg::ecap::slts(ecap_))) return false;
  if (scalable_) {
    tables_->restart_root(core::TableFormat::kScalable);
    // Scalable mode takes 256-bit descriptors only (IQA.DW = 1, spec 6.5.2; a 128-bit one is an
    // invalidation queue error): 128 of them in the page, as Linux sets DW when ECAP.SMTS.
    wide_ = true;
    slots_ = 128;
  }
  if (config.nested.enabled) map_guest_memory_on_host(config.nested.host_page_size);
  // Unmask the fault event (FECTL.IM, 11.4.7.2; masked after reset) as Linux's dmar_set_interrupt.
  mmio_.write(base_ + reg::kFectl, 4, 0, keeper);
  mmio_.write(base_ + reg::kRtaddr, 8, tables_->rtaddr(), keeper);
  gcmd(reg::gcmd::kSrtp, reg::gcmd::kSrtp, keeper, ok);
  // 6.5.2 / 11.4.10: queue base and size, tail 0, then QIE.
  mmio_.write(base_ + reg::kIqt, 8, 0, keeper);
  mmio_.write(base_ + reg::kIqa, 8, queue_base_ | (wide_ ? std::uint64_t{1} << 11 : 0), keeper);
  gcmd(reg::gcmd::kQie, reg::gcmd::kQie, keeper, ok);
  if (!ok) return false;
  tail_ = 0;
  // Global context-cache and IOTLB invalidation before enabling translation (6.5.3 / Linux).
  queue(qi::make_cc(qi::cc::kGlobal));
  queue(qi::make_iotlb(qi::iotlb::kGlobal, 0, 0, 0, false, true, true));
  ++counters_.global_invalidations;
  core::InvalidationRequest cc;
  cc.target = core::InvalidationTarget::kContextCache;
  record_invalidation(cc);
  record_invalidation(core::InvalidationRequest{});
  submit(keeper);
  gcmd(reg::gcmd::kTe, reg::gcmd::kTe, keeper, ok);
  enabled_ = ok;
  return ok;
}

// Host side of platform.nested (iommufd's IOMMU_HWPT_ALLOC of the VM's second stage, then
// intel_iommu_domain_alloc_nested): the guest's RAM mapped one to one, readable and writable, in
// a 4-level second-stage table, with pages of host_page_size (the region rounded out to them).
void VtdDriver::map_guest_memory_on_host(std::uint64_t host_page_size) {
  nested_ = true;
  tables_->create_domain(kHostSecondStage, 4);
  const std::uint64_t begin = memory_.base() & ~(host_page_size - 1);
  const std::uint64_t end = (memory_.end() + host_page_size - 1) & ~(host_page_size - 1);
  tables_->map(kHostSecondStage, Iova(begin), HostAddr(begin), end - begin, Perms{true, true}, host_page_size);
}

void VtdDriver::attach(SourceId source, DomainId domain, tlm_utils::tlm_quantumkeeper& keeper, bool device_tlb) {
  if (scalable_) {
    // Linux 6.1 dmar_domain_attach_device: the PASID entry (intel_pasid_setup_first_level or
    // _second_level, then pasid_flush_caches), then the context entry (domain_context_mapping).
    // Nested (Linux 6.12 intel_pasid_setup_nested): PGTT 011b on the host's second stage, with
    // the DID of the guest's domain, so the guest's P_IOTLB flushes name it.
    core::ScalableContextOptions options;
    options.device_tlb = device_tlb;
    const core::FsSpaceId space(domain.value);
    if (first_stage_ && !tables_->has_fs_space(space)) {
      if (nested_)
        tables_->create_identity_nested_fs_space(space, 4, kHostSecondStage);
      else
        tables_->create_fs_space(space, 4);
    }
    if (!first_stage_ && !tables_->has_domain(domain)) tables_->create_domain(domain, 4);
    tables_->set_scalable_context(source, options);
    const Pasid rid_pasid(options.rid_pasid);
    if (nested_)
      tables_->set_pasid_entry_nested(source, rid_pasid, space, core::FsPasidOptions{}, domain);
    else if (first_stage_)
      tables_->set_pasid_entry_first_stage(source, rid_pasid, space, domain);
    else
      tables_->set_pasid_entry(source, rid_pasid, core::TableBuilder::PasidMode::kSecondLevel, domain);
    pasid_entry_changed(domain, keeper);
    if (device_tlb) ats_devices_[domain.value].push_back(source);
    context_changed(source, domain,
                    device_tlb ? core::TranslationType::kDeviceTlb : core::TranslationType::kUntranslated, keeper);
    return;
  }
  if (!tables_->has_domain(domain)) tables_->create_domain(domain, 4);
  core::LegacyContextOptions options;
  options.device_tlb = device_tlb;
  tables_->set_context(source, domain, options);
  if (device_tlb) ats_devices_[domain.value].push_back(source);
  context_changed(source, domain, device_tlb ? core::TranslationType::kDeviceTlb : core::TranslationType::kUntranslated,
                  keeper);
}

void VtdDriver::attach_pass_through(SourceId source, DomainId domain, tlm_utils::tlm_quantumkeeper& keeper) {
  if (scalable_) {  // scalable mode: PGTT 100b (intel_pasid_setup_pass_through)
    tables_->set_scalable_context(source, core::ScalableContextOptions{});
    tables_->set_pasid_entry(source, Pasid(0), core::TableBuilder::PasidMode::kPassThrough, domain);
    pasid_entry_changed(domain, keeper);
    context_changed(source, domain, core::TranslationType::kPassThrough, keeper);
    return;
  }
  tables_->set_pass_through(source, domain);
  context_changed(source, domain, core::TranslationType::kPassThrough, keeper);
}

// After a context entry is written (not-present -> present): the event log's context event, then
// as Linux's domain_context_mapping_one: CAP.CM=1: a device-selective context-cache invalidation
// and a domain IOTLB flush (the hardware may cache not-present entries, 6.1 "Caching Mode");
// CM=0: nothing is cached for a not-present entry (6.5.3.3 "Guidance to Software for
// Invalidations"), only a write-buffer flush if CAP.RWBF.
void VtdDriver::context_changed(SourceId source, DomainId domain, core::TranslationType type,
                                tlm_utils::tlm_quantumkeeper& keeper) {
  if (log_ && log_->enabled()) {
    trace::TraceEvent e;
    e.kind = trace::EventKind::kContext;
    e.source = source;
    e.domain = domain;
    e.translation_type = type;
    if (scalable_ && type != core::TranslationType::kPassThrough)
      e.stage = first_stage_ ? trace::ContextStage::kFirst : trace::ContextStage::kSecond;
    log_->record(e);
  }
  if (!caching_mode()) {
    flush_write_buffer(keeper);
    return;
  }
  queue(qi::make_cc(qi::cc::kDevice, domain.value, source.value));
  ++counters_.context_invalidations;
  core::InvalidationRequest cc;
  cc.target = core::InvalidationTarget::kContextCache;
  cc.granularity = core::InvalidationGranularity::kDevice;
  cc.domain = domain;
  cc.source = source;
  record_invalidation(cc);
  ++counters_.attach_domain_invalidations;
  flush_domain_iotlb(domain, keeper);  // a legacy iotlb_inv_dsc for either stage, as Linux 6.1
}

void VtdDriver::pasid_entry_changed(DomainId domain, tlm_utils::tlm_quantumkeeper& keeper) {
  if (!caching_mode()) {
    flush_write_buffer(keeper);
    return;
  }
  // pasid_cache_invalidation_with_pasid: PASID-selective within the domain (6.5.2.2, G = 01b).
  queue(qi::make_pc(qi::pc::kPasid, domain.value, 0));
  ++counters_.pasid_cache_invalidations;
  core::InvalidationRequest pc;
  pc.target = core::InvalidationTarget::kPasidCache;
  pc.granularity = core::InvalidationGranularity::kPasid;
  pc.domain = domain;
  pc.pasid = Pasid(0);
  record_invalidation(pc);
  queue(qi::make_piotlb(qi::piotlb::kPasid, domain.value, 0));
  ++counters_.domain_invalidations;
  ++counters_.attach_domain_invalidations;
  core::InvalidationRequest r;
  r.target = core::InvalidationTarget::kPasidIotlb;
  r.granularity = core::InvalidationGranularity::kPasid;
  r.domain = domain;
  r.pasid = Pasid(0);
  record_invalidation(r);
  submit(keeper);
}

bool VtdDriver::caching_mode() const { return reg::cap::cm(cap_); }

void VtdDriver::flush_write_buffer(tlm_utils::tlm_quantumkeeper& keeper) {
  if (!reg::cap::rwbf(cap_)) return;
  const auto gsts = static_cast<std::uint32_t>(mmio_.read(base_ + reg::kGsts, 4, keeper));
  const std::uint32_t persistent =
      gsts & (reg::gcmd::kTe | reg::gcmd::kQie | reg::gcmd::kIre | reg::gcmd::kEafl | reg::gcmd::kCfi);
  mmio_.write(base_ + reg::kGcmd, 4, persistent | reg::gcmd::kWbf, keeper);
  for (int i = 0; i < 100; ++i) {
    if (!(mmio_.read(base_ + reg::kGsts, 4, keeper) & reg::gcmd::kWbf)) break;  // WBFS clear: done
    keeper.inc(sc_core::sc_time(100, sc_core::SC_NS));
  }
  ++counters_.write_buffer_flushes;
}

bool VtdDriver::notify_mapped(DomainId domain, std::uint64_t iova, std::uint64_t pages,
                              tlm_utils::tlm_quantumkeeper& keeper) {
  // __mapping_notify_one: the page-selective flush only for second-stage domains.
  if (flushes_after_map()) {
    flush_pages(domain, iova, pages, keeper, true);
    return true;
  }
  flush_write_buffer(keeper);
  return false;
}

void VtdDriver::map(DomainId domain, std::uint64_t iova, std::uint64_t host, std::uint64_t size, Perms perms) {
  if (first_stage_) {
    // __domain_mapping with use_first_level: P is always set, so a first-stage page is readable
    // whatever the direction (a DMA_FROM_DEVICE mapping is read-write), R/W from IOMMU_WRITE;
    // XD, U/S and A set, D for writable pages (DMA_FL_PTE_XD | _US | _ACCESS, _DIRTY), A in new
    // tables (pfn_to_dma_pte): the unit never has to write A/D bits into this guest's tables.
    core::FsPerms fs;
    fs.write = perms.write;
    fs.execute = false;
    fs.accessed = true;
    fs.dirty = perms.write;
    fs.tables_accessed = true;
    tables_->map_fs(core::FsSpaceId(domain.value), Iova(iova), host, size, fs);
    perms.read = true;
  } else {
    tables_->map(domain, Iova(iova), HostAddr(host), size, perms);
  }
  if (log_ && log_->enabled()) {
    trace::TraceEvent e;
    e.kind = trace::EventKind::kMap;
    e.domain = domain;
    e.iova = Iova(iova);
    e.host = HostAddr(host);
    e.size = size;
    e.perms = perms;
    log_->record(e);
  }
}

void VtdDriver::unmap(DomainId domain, std::uint64_t iova, std::uint64_t size) {
  if (first_stage_)
    tables_->unmap_fs(core::FsSpaceId(domain.value), Iova(iova), size);
  else
    tables_->unmap(domain, Iova(iova), size);
  if (log_ && log_->enabled()) {
    trace::TraceEvent e;
    e.kind = trace::EventKind::kUnmap;
    e.domain = domain;
    e.iova = Iova(iova);
    e.size = size;
    log_->record(e);
  }
}

void VtdDriver::flush_pages(DomainId domain, std::uint64_t iova, std::uint64_t pages,
                            tlm_utils::tlm_quantumkeeper& keeper, bool map) {
  if (first_stage_) {
    flush_pages_first_stage(domain, iova, pages, keeper, map);
    return;
  }
  unsigned am = 0;
  while ((1ull << am) < pages) ++am;
  std::uint64_t base = iova & ~((4096ull << am) - 1);
  // The aligned block must still cover the range's end (else grow the mask).
  while (base + (4096ull << am) < iova + pages * 4096) {
    ++am;
    base = iova & ~((4096ull << am) - 1);
  }
  if (!reg::cap::psi(cap_) || am > reg::cap::mamv(cap_)) {
    flush_domain(domain, keeper);
    return;
  }
  queue(qi::make_iotlb(qi::iotlb::kPage, domain.value, base, static_cast<std::uint8_t>(am), false, true, true));
  ++counters_.page_invalidations;
  if (map) ++counters_.map_page_invalidations;
  core::InvalidationRequest r;
  r.target = core::InvalidationTarget::kIotlb;
  r.granularity = core::InvalidationGranularity::kPage;
  r.domain = domain;
  r.addr = Iova(base);
  r.address_mask = static_cast<std::uint8_t>(am);
  r.drain_reads = r.drain_writes = true;
  record_invalidation(r);
  if (!map) queue_device_tlb(domain, base, am, false);
  submit(keeper);
}

void VtdDriver::flush_pages_first_stage(DomainId domain, std::uint64_t iova, std::uint64_t pages,
                                        tlm_utils::tlm_quantumkeeper& keeper, bool map) {
  unsigned am = 0;
  while ((1ull << am) < pages) ++am;                         // ilog2(__roundup_pow_of_two(npages))
  const std::uint64_t base = iova & ~((4096ull << am) - 1);  // ALIGN_DOWN(addr, VTD_PAGE_SIZE << mask)
  queue(qi::make_piotlb(qi::piotlb::kPage, domain.value, 0, base, static_cast<std::uint8_t>(am), true));
  ++counters_.page_invalidations;
  if (map) ++counters_.map_page_invalidations;
  core::InvalidationRequest r;
  r.target = core::InvalidationTarget::kPasidIotlb;
  r.granularity = core::InvalidationGranularity::kPage;
  r.domain = domain;
  r.pasid = Pasid(0);
  r.addr = Iova(base);
  r.address_mask = static_cast<std::uint8_t>(am);
  r.invalidation_hint = true;
  record_invalidation(r);
  if (!map) queue_device_tlb(domain, base, am, false);
  submit(keeper);
}

void VtdDriver::flush_domain(DomainId domain, tlm_utils::tlm_quantumkeeper& keeper) {
  if (first_stage_) {
    queue(qi::make_piotlb(qi::piotlb::kPasid, domain.value, 0));
    ++counters_.domain_invalidations;
    core::InvalidationRequest r;
    r.target = core::InvalidationTarget::kPasidIotlb;
    r.granularity = core::InvalidationGranularity::kPasid;
    r.domain = domain;
    r.pasid = Pasid(0);
    record_invalidation(r);
    queue_device_tlb(domain, 0, 0, true);
    submit(keeper);
    return;
  }
  flush_domain_iotlb(domain, keeper);
}

void VtdDriver::flush_domain_iotlb(DomainId domain, tlm_utils::tlm_quantumkeeper& keeper) {
  queue(qi::make_iotlb(qi::iotlb::kDomain, domain.value, 0, 0, false, true, true));
  ++counters_.domain_invalidations;
  core::InvalidationRequest r;
  r.target = core::InvalidationTarget::kIotlb;
  r.granularity = core::InvalidationGranularity::kDomain;
  r.domain = domain;
  r.drain_reads = r.drain_writes = true;
  record_invalidation(r);
  queue_device_tlb(domain, 0, 0, true);
  submit(keeper);
}

void VtdDriver::queue_device_tlb(DomainId domain, std::uint64_t base, unsigned am, bool whole) {
  const auto it = ats_devices_.find(domain.value);
  if (it == ats_devices_.end()) return;
  for (const SourceId source : it->second) {
    core::InvalidationRequest r;
    r.target = core::InvalidationTarget::kDeviceTlb;
    r.source = source;
    r.domain = domain;
    if (whole) {
      r.granularity = core::InvalidationGranularity::kDevice;
    } else {
      r.granularity = core::InvalidationGranularity::kPage;
      r.addr = Iova(base);
      r.address_mask = static_cast<std::uint8_t>(am);
    }
    // ADDR with the S-bit size encoding (6.5.2.5), as Linux's qi_flush_dev_iotlb.
    const core::AtsRange range = core::ats_range(r);
    queue(qi::make_dev_tlb(source.value, range.addr, range.size_bit));
    ++counters_.device_tlb_invalidations;
    record_invalidation(r);
  }
}

void VtdDriver::record_invalidation(const core::InvalidationRequest& r) {
  if (!log_ || !log_->enabled()) return;
  trace::TraceEvent e;
  e.kind = trace::EventKind::kInvalidate;
  e.invalidation = r;
  e.domain = r.domain;
  e.source = r.source;
  log_->record(e);
}

void VtdDriver::queue(const qi::Descriptor& d) {
  const std::uint64_t addr = queue_base_ + (wide_ ? 32 : 16) * tail_;
  memory_.memory().write64(addr, d.lo());
  memory_.memory().write64(addr + 8, d.hi());
  if (wide_) {
    memory_.memory().write64(addr + 16, d.qw[2]);
    memory_.memory().write64(addr + 24, d.qw[3]);
  }
  tail_ = (tail_ + 1) % slots_;
}

void VtdDriver::submit(tlm_utils::tlm_quantumkeeper& keeper) {
  // 6.5.2.8: inv_wait_dsc with SW=1 writes status data to the status address when every earlier
  // descriptor has completed; the driver polls that memory word.
  // One status word per submission (1024 slots in the page) so concurrent submitters do not
  // overwrite each other's completion word.
  const std::uint32_t seq = ++wait_seq_;
  const std::uint64_t status_addr = status_addr_ + 4ull * (seq % 1024);
  memory_.memory().write32(status_addr, 0);
  queue(qi::make_wait(true, status_addr, seq));
  ++counters_.wait_descriptors;
  ++counters_.submissions;
  mmio_.write(base_ + reg::kIqt, 8, tail_ << (wide_ ? 5 : 4), keeper);
  for (int i = 0; i < 1000; ++i) {
    std::uint32_t status = 0;
    memory_.memory().read32(status_addr, status);
    if (status == seq) return;
    const auto fsts = static_cast<std::uint32_t>(mmio_.read(base_ + reg::kFsts, 4, keeper));
    if (fsts & reg::fsts::kIqe) {
      ++counters_.queue_errors;
      mmio_.write(base_ + reg::kFsts, 4, reg::fsts::kIqe, keeper);  // RW1C; the head skips nothing
      return;
    }
    keeper.inc(sc_core::sc_time(50, sc_core::SC_NS));
  }
  ++counters_.wait_timeouts;
}

}  // namespace vtdsim::guest
