// The guest's VT-d driver (in the manner of Linux drivers/iommu/intel/): builds the root, context
// and second-level tables in modelled memory with core::TableBuilder and programs the remapping
// unit only through its MMIO registers: RTADDR + GCMD.SRTP, the invalidation queue (IQA, IQT,
// GCMD.QIE, VT-d spec 6.5.2), global invalidations, GCMD.TE. Invalidations are queued
// descriptors followed by an invalidation wait descriptor whose status write the driver polls.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/guest/guest_config.hpp"
#include "vtdsim/guest/guest_memory.hpp"
#include "vtdsim/guest/mmio_port.hpp"
#include "vtdsim/guest/event_sink.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"

namespace vtdsim::guest {

struct VtdDriverCounters {
  std::uint64_t page_invalidations = 0;     // page-selective IOTLB descriptors (P_IOTLB ones for first stage)
  std::uint64_t domain_invalidations = 0;   // domain-selective IOTLB descriptors (P_IOTLB PASID-selective ones
                                            // for first stage)
  std::uint64_t global_invalidations = 0;   // global IOTLB / context-cache descriptors
  std::uint64_t context_invalidations = 0;  // device-selective context-cache descriptors
  std::uint64_t wait_descriptors = 0;
  std::uint64_t submissions = 0;                  // IQT writes
  std::uint64_t wait_timeouts = 0;                // wait status never written
  std::uint64_t queue_errors = 0;                 // FSTS.IQE seen
  std::uint64_t device_tlb_invalidations = 0;     // dev_tlb_inv_dsc descriptors (ATS devices)
  std::uint64_t map_page_invalidations = 0;       // of page_invalidations: after a map (CAP.CM=1)
  std::uint64_t attach_domain_invalidations = 0;  // of domain_invalidations: after a context entry (CAP.CM=1)
  std::uint64_t write_buffer_flushes = 0;         // GCMD.WBF (CAP.RWBF, CAP.CM=0)
  std::uint64_t pasid_cache_invalidations = 0;    // pc_inv_dsc after a PASID entry (first stage, CAP.CM=1)
};

class VtdDriver {
 public:
  VtdDriver(GuestMemory& memory, MmioPort& mmio, std::uint64_t register_base, std::uint64_t tables_base,
            std::uint64_t tables_size, EventSink* log);

  // Reads CAP/ECAP, picks the table format (config.scalable_mode, see scalable()) and the DMA
  // domains' stage (config.translation_stage, see first_stage()), maps the guest's memory on the
  // host's second stage when config.nested says so (see nested()), sets the root table, enables
  // queued invalidation, flushes, enables translation. Returns false (and leaves translation off)
  // when a status bit never follows its command, or the unit lacks what the config asks for.
  bool init(tlm_utils::tlm_quantumkeeper& keeper, const GuestConfig& config = {});
  // Scalable-mode tables (sm_on and ECAP.SMTS): each device's context points to a PASID table
  // whose RID_PASID (0) entry says how its DMA is translated; 256-bit descriptors.
  bool scalable() const { return scalable_; }
  // DMA domains use first-stage tables (as Linux's domain_use_first_level): each domain a
  // first-stage address space behind the device's RID_PASID entry with PGTT 001b and DID = domain
  // (intel_pasid_setup_first_level), flushed with P_IOTLB descriptors (qi_flush_piotlb).
  // Otherwise second-level tables: behind a PGTT 010b entry in scalable mode
  // (intel_pasid_setup_second_level), legacy-mode context entries otherwise; flushed with
  // iotlb_inv_dsc either way (qi_flush_iotlb).
  bool first_stage() const { return first_stage_; }
  // platform.nested: the first-stage spaces are guest-physical, on the host second stage
  // kHostSecondStage (PGTT 011b, DID = the guest's domain).
  bool nested() const { return nested_; }
  // The TableBuilder domain of the host's second stage (it names no domain the unit sees: the
  // PASID entries carry the guest domains' DIDs).
  static constexpr DomainId kHostSecondStage{0xffff};
  // A map is followed by a page-selective flush (CAP.CM=1 and second-stage tables).
  bool flushes_after_map() const { return caching_mode() && !first_stage_; }
  bool enabled() const { return enabled_; }
  std::uint64_t cap() const { return cap_; }
  bool caching_mode() const;  // CAP.CM as read at init
  std::uint64_t ecap() const { return ecap_; }

  // Context entries (legacy mode): translate through `domain`'s table, or pass-through (TT=10b).
  // After writing one (not-present -> present), as Linux's domain_context_mapping_one: with
  // CAP.CM=1 a device-selective context-cache and a domain-selective IOTLB invalidation (the
  // hardware may have cached the not-present entry, VT-d spec 6.1 "Caching Mode"); with CM=0
  // only a write-buffer flush if CAP.RWBF (6.5.3.3 "Guidance to Software for Invalidations").
  // device_tlb: the device uses ATS: TT = 01b (VT-d spec 9.3), and every later IOTLB flush of the
  // domain is followed by a dev_tlb_inv_dsc of the same range for the device (6.5.2.5; the IOTLB
  // first, so the device cannot refetch the stale translation from it, as Linux's
  // iommu_flush_dev_iotlb after qi_flush_iotlb).
  void attach(SourceId source, DomainId domain, tlm_utils::tlm_quantumkeeper& keeper, bool device_tlb = false);
  void attach_pass_through(SourceId source, DomainId domain, tlm_utils::tlm_quantumkeeper& keeper);

  // Second-level mappings (TableBuilder), recorded as trace map/unmap events.
  void map(DomainId domain, std::uint64_t iova, std::uint64_t host, std::uint64_t size, Perms perms);
  void unmap(DomainId domain, std::uint64_t iova, std::uint64_t size);

  // IOTLB invalidation + wait (6.5.2.3, 6.5.2.8). flush_pages covers [iova, iova + pages * 4K)
  // with one page-selective descriptor of the smallest aligned power-of-two size (as Linux's
  // qi_flush_iotlb with its address mask); falls back to domain-selective beyond CAP.MAMV.
  // First stage (Linux 6.1 iommu_flush_iotlb_psi -> qi_flush_piotlb, drivers/iommu/intel/dmar.c):
  // one P_IOTLB_INV_DSC (6.5.2.4) of (DID, RID_PASID 0), granularity page-selective-within-PASID
  // (11b), AM = ilog2(roundup_pow_of_two(pages)), ADDR aligned down to 2^AM pages, IH = 1 (as in
  // every P_IOTLB page flush of the real Linux 6.1 / 6.12 logs, traces/qemu/q10-*sm-flts-strict;
  // their legacy page flushes have IH = 0, as the second-stage path here); no MAMV fallback.
  // flush_domain: a PASID-selective P_IOTLB (granularity 10b, AM, IH and ADDR 0: qi_flush_piotlb
  // with npages -1, from intel_flush_iotlb_all).
  // map: the range was just mapped (CAP.CM=1): no device-TLB invalidation follows (Linux's
  // iommu_flush_iotlb_psi with map = 1).
  void flush_pages(DomainId domain, std::uint64_t iova, std::uint64_t pages, tlm_utils::tlm_quantumkeeper& keeper,
                   bool map = false);
  // After a not-present -> present mapping (intel_iommu_iotlb_sync_map -> __mapping_notify_one):
  // CAP.CM=1: page-selective invalidation of the new range (returns true); CM=0: write-buffer
  // flush if CAP.RWBF (returns false).
  bool notify_mapped(DomainId domain, std::uint64_t iova, std::uint64_t pages, tlm_utils::tlm_quantumkeeper& keeper);
  // iommu_flush_write_buffer: GCMD.WBF, poll GSTS.WBFS clear (11.4.4.1), only if CAP.RWBF.
  void flush_write_buffer(tlm_utils::tlm_quantumkeeper& keeper);
  void flush_domain(DomainId domain, tlm_utils::tlm_quantumkeeper& keeper);

  core::TableBuilder& tables() { return *tables_; }
  const VtdDriverCounters& counters() const { return counters_; }

 private:
  // Logs the context event and invalidates after a context entry was written.
  void context_changed(SourceId source, DomainId domain, core::TranslationType type,
                       tlm_utils::tlm_quantumkeeper& keeper);
  // First stage: the RID_PASID entry was written (pasid_flush_caches): CAP.CM=1: PASID-selective
  // pc_inv_dsc and P_IOTLB of (domain, 0); CM=0: write-buffer flush if CAP.RWBF.
  void pasid_entry_changed(DomainId domain, tlm_utils::tlm_quantumkeeper& keeper);
  void flush_domain_iotlb(DomainId domain, tlm_utils::tlm_quantumkeeper& keeper);  // iotlb_inv_dsc G = 10b
  void map_guest_memory_on_host(std::uint64_t host_page_size);
  void flush_pages_first_stage(DomainId domain, std::uint64_t iova, std::uint64_t pages,
                               tlm_utils::tlm_quantumkeeper& keeper, bool map);
  void queue(const spec::qi::Descriptor& d);
  void submit(tlm_utils::tlm_quantumkeeper& keeper);  // adds the wait descriptor, writes IQT, polls
  void record_invalidation(const core::InvalidationRequest& r);
  // dev_tlb_inv_dsc for each ATS device of `domain`: pages [base, base + 2^am * 4K), or (whole)
  // the whole address space.
  void queue_device_tlb(DomainId domain, std::uint64_t base, unsigned am, bool whole);
  void gcmd(std::uint32_t set_bit, std::uint32_t status_bit, tlm_utils::tlm_quantumkeeper& keeper, bool& ok);

  GuestMemory& memory_;
  MmioPort& mmio_;
  std::uint64_t base_;
  EventSink* log_;
  std::unique_ptr<core::TableBuilder> tables_;
  std::uint64_t queue_base_ = 0, status_addr_ = 0;
  std::uint64_t tail_ = 0;  // next free slot (128-bit units)
  std::uint64_t slots_ = 256;
  std::uint32_t wait_seq_ = 0;
  std::uint64_t cap_ = 0, ecap_ = 0;
  bool enabled_ = false;
  bool scalable_ = false;
  bool first_stage_ = false;
  bool nested_ = false;
  bool wide_ = false;  // 256-bit descriptors (scalable mode)
  VtdDriverCounters counters_;
  std::map<std::uint16_t, std::vector<SourceId>> ats_devices_;  // domain -> devices with ATS (TT = 01b)
};

}  // namespace vtdsim::guest
