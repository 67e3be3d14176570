#include "vtdsim/sysc/root_complex.hpp"

#include <stdexcept>

namespace vtdsim::sysc {

const char* to_string(DmaRoute route) {
  switch (route) {
    case DmaRoute::kIommu: return "iommu";
    case DmaRoute::kDirect: return "direct";
    case DmaRoute::kAuto: return "auto";
  }
  return "?";
}

RootComplex::RootComplex(sc_core::sc_module_name name, double hop_latency_ns)
    : sc_core::sc_module(name),
      dma_in("dma_in"),
      to_iommu("to_iommu"),
      to_memory("to_memory"),
      cpu_in("cpu_in"),
      mmio_out("mmio_out"),
      hop_(hop_latency_ns, sc_core::SC_NS),
      routes_(65536, DmaRoute::kIommu) {
  dma_in.register_b_transport(this, &RootComplex::dma_b_transport);
  cpu_in.register_b_transport(this, &RootComplex::cpu_b_transport);
}

void RootComplex::set_route(SourceId source, DmaRoute route) { routes_[source.value] = route; }

void RootComplex::add_mmio_window(const std::string& name, std::uint64_t base, std::uint64_t size, unsigned port) {
  for (const Window& w : windows_) {
    if (base < w.base + w.size && w.base < base + size)
      throw std::invalid_argument("MMIO window '" + name + "' overlaps '" + w.name + "'");
  }
  windows_.push_back(Window{name, base, size, port});
}

void RootComplex::dma_b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  DmaExtension* ext = payload.get_extension<DmaExtension>();
  if (ext == nullptr) {
    payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  ext->reset_response();
  const sc_core::sc_time start = delay;
  delay += hop_;
  DmaRoute route = routes_[ext->source.value];
  if (route == DmaRoute::kAuto) route = ext->access_platform ? DmaRoute::kIommu : DmaRoute::kDirect;
  if (route == DmaRoute::kIommu) {
    to_iommu->b_transport(payload, delay);
  } else {
    ext->host = HostAddr(payload.get_address());
    to_memory->b_transport(payload, delay);
  }
  if (observers_.empty()) return;
  DmaRecord record;
  record.source = ext->source;
  record.pasid = ext->pasid;
  record.bus_addr = payload.get_address();
  record.size = payload.get_data_length();
  record.access = payload.is_write() ? Access::kWrite : Access::kRead;
  record.translated = ext->translated;
  record.ok = payload.get_response_status() == tlm::TLM_OK_RESPONSE;
  record.host = ext->host;
  record.fault = ext->fault;
  record.outcome = ext->outcome;
  record.start = sc_core::sc_time_stamp() + start;
  record.latency = delay - start;
  record.issue_ns = ext->issue_ns;
  for (DmaObserver* o : observers_) o->on_dma(record);
}

void RootComplex::cpu_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const std::uint64_t addr = payload.get_address();
  for (const Window& w : windows_) {
    if (addr >= w.base && addr - w.base < w.size) {
      payload.set_address(addr - w.base);
      delay += hop_;
      mmio_out[w.port]->b_transport(payload, delay);
      payload.set_address(addr);
      return;
    }
  }
  ++mmio_errors_;
  payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

}  // namespace vtdsim::sysc
