#include "vtdsim/pciebench_sysc/systemc_bench.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "vtdsim/iommu/iommu_json.hpp"
#include "vtdsim/pciebench/bench_host.hpp"
#include "vtdsim/pciebench/phase_summary.hpp"
#include "vtdsim/pciebench_sysc/dma_engine.hpp"
#include "vtdsim/pciebench_sysc/host_memory_module.hpp"
#include "vtdsim/pciebench_sysc/pcie_link_module.hpp"
#include "vtdsim/sysc/iommu_module.hpp"
#include "vtdsim/sysc/simulation_child.hpp"

namespace vtdsim::pciebench_sysc {

using pciebench::BenchConfig;
using pciebench::BenchPoint;
using pciebench::Measure;
using pciebench::MeasureResult;
using pciebench::PhaseResult;

namespace {

nlohmann::json phase_json(const PhaseResult& r) {
  return {{"dmas", r.dmas},
          {"gbit_per_s", r.gbit_per_s},
          {"lat_mean_ns", r.lat_mean_ns},
          {"lat_median_ns", r.lat_median_ns},
          {"iotlb_miss_rate", r.iotlb_miss_rate},
          {"walker_queue_ns", r.walker_queue_ns}};
}

PhaseResult phase_from(const nlohmann::json& j) {
  PhaseResult r;
  r.dmas = j.at("dmas").get<std::uint64_t>();
  r.gbit_per_s = j.at("gbit_per_s").get<double>();
  r.lat_mean_ns = j.at("lat_mean_ns").get<double>();
  r.lat_median_ns = j.at("lat_median_ns").get<double>();
  r.iotlb_miss_rate = j.at("iotlb_miss_rate").get<double>();
  r.walker_queue_ns = j.at("walker_queue_ns").get<double>();
  return r;
}

// What the IOMMU columns of a phase are computed from, sampled at its start and end.
struct IommuSample {
  std::uint64_t translated = 0, walked = 0, queue_cycles = 0;
};

IommuSample sample(const PcieLinkModule& link, const iommu::Iommu& unit) {
  return {link.counters().translated, link.counters().walked, unit.timing().stats().queue_cycles};
}

// Translations that walked per translation, and the mean walker queueing per walk.
void add_iommu_columns(PhaseResult& r, const IommuSample& a, const IommuSample& b, double clock_ghz) {
  const std::uint64_t translations = b.translated - a.translated;
  const std::uint64_t walks = b.walked - a.walked;
  if (translations > 0) r.iotlb_miss_rate = static_cast<double>(walks) / static_cast<double>(translations);
  if (walks > 0) r.walker_queue_ns = static_cast<double>(b.queue_cycles - a.queue_cycles) / clock_ghz / double(walks);
}

// Nothing drives the IOMMU's registers during a run (BenchHost programmed them before): its
// mmio socket is bound to this idle initiator.
struct IdleCpu : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<IdleCpu> mmio;
  explicit IdleCpu(sc_core::sc_module_name name) : sc_core::sc_module(name), mmio("mmio") {}
};

// The simulation itself: once per process.
MeasureResult simulate(const BenchConfig& c, const BenchPoint& p, Measure m) {
  pciebench::BenchHost host(c, p);
  const bool latency = m == Measure::kLatency;
  const bool read = p.op == pciebench::Op::kRead;
  const unsigned slots = latency ? 1u : read ? c.device.outstanding : c.root_complex.posted_credits;
  const std::uint64_t total = c.device.warmup + (latency ? c.device.latency_measure : c.device.measure);

  DmaEngine device("device", c.device, p, host.bus_base(), slots, total, latency);
  pciebench::TranslationQueue queue(c.root_complex.translation_slots, c.root_complex.in_order_translation);
  PcieLinkModule link("link", c.link, c.root_complex, c.device.outstanding, pciebench::BenchHost::kDevice, queue);
  HostMemoryModule memory("memory", c.memory.bandwidth_gbyte_per_s, host.data_ns, queue);
  std::unique_ptr<sysc::IommuModule> iommu;
  std::unique_ptr<IdleCpu> cpu;
  device.socket.bind(link.device_side);
  link.set_posted_observer(&device);
  if (host.translated()) {
    iommu = std::make_unique<sysc::IommuModule>("iommu", *host.unit);
    link.host_side.bind(iommu->dma_in);
    iommu->mem_out.bind(memory.socket);
    cpu = std::make_unique<IdleCpu>("cpu");
    cpu->mmio.bind(iommu->mmio);
  } else {
    link.host_side.bind(memory.socket);  // IOMMU off: physical addresses, no translation
  }
  const IommuSample start = sample(link, *host.unit);
  IommuSample warm = start;
  device.set_on_warmup_done([&] { warm = sample(link, *host.unit); });
  sc_core::sc_start();
  if (device.done_ns().size() != total)
    throw std::runtime_error("pcie-bench (systemc): " + std::to_string(device.done_ns().size()) + " of " +
                             std::to_string(total) + " DMAs completed");

  MeasureResult r;
  const std::uint64_t n = device.done_ns().size();
  const std::uint64_t w = std::min<std::uint64_t>(c.device.warmup, n);
  r.warmup = pciebench::summarize_phase(device.done_ns(), device.latency_ns(), 0, w, p.transfer_bytes);
  r.measured = pciebench::summarize_phase(device.done_ns(), device.latency_ns(), w, n, p.transfer_bytes);
  if (host.translated()) {
    const double clock = host.unit->config().timing.clock_ghz;
    add_iommu_columns(r.warmup, start, warm, clock);
    add_iommu_columns(r.measured, warm, sample(link, *host.unit), clock);
  }
  r.iommu = iommu::to_json(*host.unit);
  return r;
}

}  // namespace

MeasureResult run_bench_systemc(const BenchConfig& config, const BenchPoint& point, Measure measure) {
  pciebench::validate(config, point);
  const nlohmann::json j = sysc::run_in_child(
      [&] {
        const MeasureResult r = simulate(config, point, measure);
        return nlohmann::json{{"warmup", phase_json(r.warmup)},
                              {"measured", phase_json(r.measured)},
                              {"iommu", r.iommu.value_or(nlohmann::json())}};
      },
      "pcie-bench (systemc)", true);
  if (j.contains("error")) throw std::runtime_error("pcie-bench (systemc): " + j["error"].get<std::string>());
  MeasureResult r;
  r.warmup = phase_from(j.at("warmup"));
  r.measured = phase_from(j.at("measured"));
  if (!j.at("iommu").is_null()) r.iommu = j.at("iommu");
  return r;
}

}  // namespace vtdsim::pciebench_sysc
