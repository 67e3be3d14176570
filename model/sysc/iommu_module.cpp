#include "vtdsim/sysc/iommu_module.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace vtdsim::sysc {

IommuModule::IommuModule(sc_core::sc_module_name name, core::RemappingUnit& unit)
    : sc_core::sc_module(name),
      dma_in("dma_in"),
      mmio("mmio"),
      mem_out("mem_out"),
      fault_irq("fault_irq", false),
      unit_(unit),
      timing_(unit.config().timing),
      ns_per_cycle_(1.0 / unit.config().timing.clock_ghz) {
  dma_in.register_b_transport(this, &IommuModule::b_transport);
  dma_in.register_transport_dbg(this, &IommuModule::transport_dbg);
  dma_in.register_get_direct_mem_ptr(this, &IommuModule::get_direct_mem_ptr);
  mmio.register_b_transport(this, &IommuModule::mmio_b_transport);
  timing_.share_latency(recorder_.stats().latency);  // b_transport records each latency there
}

sc_core::sc_time IommuModule::cycles_to_time(std::uint64_t cycles) const {
  return sc_core::sc_time(static_cast<double>(cycles) * ns_per_cycle_, sc_core::SC_NS);
}

std::uint64_t IommuModule::time_to_cycles(const sc_core::sc_time& t) const {
  return static_cast<std::uint64_t>(t.to_seconds() * 1e9 / ns_per_cycle_);
}

void IommuModule::update_fault_line() {
  const bool level = unit_.fault_interrupt_pending();
  if (level != irq_level_) {
    irq_level_ = level;
    fault_irq.write(level);
    if (level) fault_event.notify(sc_core::SC_ZERO_TIME);
  }
}

void IommuModule::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  ++counters_.requests;
  DmaExtension* ext = payload.get_extension<DmaExtension>();
  const std::uint64_t addr = payload.get_address();
  const std::uint64_t len = payload.get_data_length();
  if (ext == nullptr || len == 0 || !(payload.is_read() || payload.is_write())) {
    payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    ++counters_.faults;
    return;
  }
  ext->translated = true;
  const Access access = payload.is_write() ? Access::kWrite : Access::kRead;

  // Phase 1: translate every 4K piece (PCIe requests never cross 4K; larger bursts are split the
  // same way). Nothing is forwarded until all pieces translated without a fault.
  std::array<std::uint64_t, kMaxPagesPerRequest> host{};
  std::array<std::uint32_t, kMaxPagesPerRequest> size{};
  unsigned pieces = 0;
  // The timing model works in IOMMU cycles on one clock: the request issues at the initiator's
  // local time, each piece after the previous one completed.
  const std::uint64_t issue = time_to_cycles(sc_core::sc_time_stamp() + delay);
  std::uint64_t now = issue;
  std::uint64_t cur = addr;
  const std::uint64_t end = addr + len;
  while (cur < end) {
    if (pieces == kMaxPagesPerRequest) {
      payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
      ++counters_.faults;
      delay += cycles_to_time(now - issue);
      return;
    }
    const std::uint64_t page_end = (cur | (kPageSize4K - 1)) + 1;
    const std::uint32_t chunk = static_cast<std::uint32_t>(std::min(end, page_end) - cur);
    core::TranslationRequest request;
    request.source = ext->source;
    request.pasid = ext->pasid;
    request.iova = Iova(cur);
    request.size = chunk;
    request.access = access;
    request.address_type = ext->address_type;
    const core::TranslationResult result = ats_ ? ats_->dma(request) : unit_.translate(request);
    ++counters_.translations;
    const std::uint64_t done = timing_.complete(now, request, result);
    recorder_.record(request, result, done - now);
    now = done;
    if (pieces == 0) {
      ext->outcome = result.outcome;
      ext->host = result.host;
    }
    if (result.outcome.iotlb_hit) ++counters_.iotlb_hits;
    if (result.outcome.device_tlb_hit) ++counters_.device_tlb_hits;
    if (!result.outcome.translated) ++counters_.untranslated;
    if (!result.ok()) {
      ext->fault = result.fault;
      ++counters_.faults;
      counters_.busy_cycles += now - issue;
      delay += cycles_to_time(now - issue);
      payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      update_fault_line();
      return;
    }
    host[pieces] = result.host.value;
    size[pieces] = chunk;
    ++pieces;
    cur += chunk;
  }
  counters_.busy_cycles += now - issue;
  delay += cycles_to_time(now - issue);

  // Phase 2: forward, merging pieces that are contiguous in host memory.
  unsigned char* const data = payload.get_data_ptr();
  std::uint64_t offset = 0;
  unsigned i = 0;
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
  while (i < pieces) {
    std::uint64_t run = size[i];
    unsigned j = i + 1;
    while (j < pieces && host[j] == host[i] + run) run += size[j++];
    payload.set_address(host[i]);
    payload.set_data_ptr(data + offset);
    payload.set_data_length(static_cast<unsigned>(run));
    payload.set_streaming_width(static_cast<unsigned>(run));
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    mem_out->b_transport(payload, delay);
    if (payload.get_response_status() != tlm::TLM_OK_RESPONSE) break;
    offset += run;
    i = j;
  }
  const tlm::tlm_response_status status = payload.get_response_status();
  payload.set_address(addr);
  payload.set_data_ptr(data);
  payload.set_data_length(static_cast<unsigned>(len));
  payload.set_streaming_width(static_cast<unsigned>(len));
  payload.set_response_status(status);
  payload.set_dmi_allowed(false);
}

unsigned IommuModule::transport_dbg(int, tlm::tlm_generic_payload&) {
  return 0;  // debug accesses would have to bypass fault recording; not supported
}

bool IommuModule::get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
  dmi.set_start_address(0);
  dmi.set_end_address(~0ull);
  return false;  // never for translated traffic
}

void IommuModule::mmio_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const unsigned len = payload.get_data_length();
  const std::uint64_t offset = payload.get_address();
  if ((len != 4 && len != 8) || (offset % len) != 0 || offset > 0xffffffffull) {
    payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  const core::CommandCounters before = unit_.commands();
  if (payload.is_read()) {
    ++counters_.mmio_reads;
    const std::uint64_t value = unit_.read_register(static_cast<std::uint32_t>(offset), len);
    std::memcpy(payload.get_data_ptr(), &value, len);  // little-endian host
  } else if (payload.is_write()) {
    ++counters_.mmio_writes;
    std::uint64_t value = 0;
    std::memcpy(&value, payload.get_data_ptr(), len);
    unit_.write_register(static_cast<std::uint32_t>(offset), len, value);
  }
  // Register side effects (queued invalidation) cost descriptor time (timing model).
  const core::CommandCounters& after = unit_.commands();
  const auto descriptors = static_cast<std::uint32_t>(after.descriptors - before.descriptors);
  const auto waits = static_cast<std::uint32_t>(after.wait_descriptors - before.wait_descriptors);
  delay += cycles_to_time(1);
  if (descriptors != 0) {
    const std::uint64_t issue = time_to_cycles(sc_core::sc_time_stamp() + delay);
    delay += cycles_to_time(timing_.complete_invalidation(issue, descriptors, waits) - issue);
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
  update_fault_line();
}

}  // namespace vtdsim::sysc
