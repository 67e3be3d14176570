// SystemC TLM path costs, in one process (one elaboration):
//  - BM_Stream10G: a 1-second simulated 10 Gb/s stream of 1500-byte frames from the guest
//    through virtio-net (strict DMA API), reported as wall seconds per simulated second.
//  - BM_TranslatedDma: one 64-byte DMA device -> root complex -> IOMMU (IOTLB hit) -> memory.
//  - BM_BypassedDma: the same through the root complex's direct route -> memory.
//  - BM_BareChain3 / BM_BareChain2: plain b_transport forwarders of the same depth (3 / 2 hops) -> the same
//    memory module (the baselines for the two ratios: targets <= 10x and <= 3x).
// DMA benchmarks call b_transport outside any SystemC process (nothing on these paths waits).
#include <benchmark/benchmark.h>

#include <memory>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/platform/platform.hpp"

int sc_main(int, char*[]) { return 0; }

namespace {

using namespace vtdsim;

struct Forwarder : sc_core::sc_module {
  tlm_utils::simple_target_socket<Forwarder> in;
  tlm_utils::simple_initiator_socket<Forwarder> out;
  explicit Forwarder(sc_core::sc_module_name n) : sc_module(n), in("in"), out("out") {
    in.register_b_transport(this, &Forwarder::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& d) { out->b_transport(p, d); }
};

struct Source : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Source> a, b;
  explicit Source(sc_core::sc_module_name n) : sc_module(n), a("a"), b("b") {}
};

struct Bench {
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<mem::SparseMemory> bare_memory;
  std::unique_ptr<sysc::MemoryModule> bare_mem;
  std::unique_ptr<Source> src;
  std::unique_ptr<Forwarder> f1, f2, g1;
  bool ran = false;

  Bench() {
    const char* text = R"(
platform:
  devices:
    - {name: net0, type: virtio-net, bdf: "00:03.0", translated: true, in_dmar_scope: true, net: {peer: none}}
workload:
  duration_us: 1000000
  devices:
    net0: {kind: net_tx_stream, packet_size: 1500, rate_gbps: 10}
)";
    platform = std::make_unique<platform::Platform>(
        platform::resolve_platform_config(config::load_config_text(text, "bench")));
    bare_memory = std::make_unique<mem::SparseMemory>();
    bare_mem = std::make_unique<sysc::MemoryModule>("bare_memory", *bare_memory, platform->config().memory);
    // Same depth as the platform paths: initiator -> 2 modules -> memory (root complex + IOMMU),
    // initiator -> 1 module -> memory (root complex direct route).
    src = std::make_unique<Source>("src");
    f1 = std::make_unique<Forwarder>("f1");
    f2 = std::make_unique<Forwarder>("f2");
    g1 = std::make_unique<Forwarder>("g1");
    src->a.bind(f1->in);
    f1->out.bind(f2->in);
    f2->out.bind(bare_mem->socket);
    src->b.bind(g1->in);
    g1->out.bind(bare_mem->socket);
  }
};

Bench& bench() {
  static Bench b;
  return b;
}

void BM_Stream10G(benchmark::State& state) {
  Bench& b = bench();
  for (auto _ : state) {
    if (b.ran) {
      state.SkipWithError("the stream runs once per process");
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    b.platform->run(sc_core::sc_time(1, sc_core::SC_SEC));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    b.ran = true;
    const auto& g = *b.platform->guest().devices()[0];
    state.counters["wall_per_sim_second"] = wall / b.platform->simulated_seconds();
    state.counters["tx_packets"] = static_cast<double>(g.stats.tx_packets);
    state.counters["dmas"] = static_cast<double>(b.platform->monitor().devices()[0].dmas);
  }
}
BENCHMARK(BM_Stream10G)->Iterations(1)->Unit(benchmark::kSecond);

// One payload + extension reused for every call (as a device's DMA engine does).
struct Request {
  tlm::tlm_generic_payload p;
  sysc::DmaExtension* ext = new sysc::DmaExtension;
  unsigned char data[64] = {};
  Request(std::uint64_t addr, SourceId source) {
    ext->source = source;
    p.set_extension(ext);
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(addr);
    p.set_data_ptr(data);
    p.set_data_length(64);
    p.set_streaming_width(64);
  }
};

void ensure_elaborated() {
  Bench& b = bench();
  // Elaborate and let the guest boot (VT-d init, device attach) before the first direct call.
  if (!b.ran && sc_core::sc_get_status() == sc_core::SC_ELABORATION)
    sc_core::sc_start(sc_core::sc_time(200, sc_core::SC_US));
}

// The timed loop of a DMA from device 0's DMA socket; the last response must be OK.
void time_device_dma(benchmark::State& state, Request& r, const char* what) {
  auto& socket = bench().platform->device(0).dma_socket;
  for (auto _ : state) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(r.p, d);
    benchmark::DoNotOptimize(d);
  }
  if (r.p.get_response_status() != tlm::TLM_OK_RESPONSE) state.SkipWithError(what);
}

void BM_TranslatedDma(benchmark::State& state) {
  Bench& b = bench();
  ensure_elaborated();
  // A page of domain 1 (net0's) at an IOVA the guest allocator never uses (above 4 GiB).
  const std::uint64_t iova = 0x100000000ull;
  static bool mapped = false;
  if (!mapped) {
    b.platform->guest().vtd()->map(DomainId(1), iova, 0x40000000ull, 4096, Perms{true, true});
    mapped = true;
  }
  Request r(iova + 128, SourceId::from_bdf(0, 3, 0));
  time_device_dma(state, r, "translated DMA failed");
}
BENCHMARK(BM_TranslatedDma);

void BM_BypassedDma(benchmark::State& state) {
  Bench& b = bench();
  ensure_elaborated();
  const SourceId bypass = SourceId::from_bdf(0, 9, 0);
  b.platform->root_complex().set_route(bypass, sysc::DmaRoute::kDirect);
  Request r(0x40000080ull, bypass);
  time_device_dma(state, r, "bypassed DMA failed");
}
BENCHMARK(BM_BypassedDma);

void BM_BareChain3(benchmark::State& state) {
  Bench& b = bench();
  ensure_elaborated();
  Request r(0x40000080ull, SourceId(0));
  for (auto _ : state) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    b.src->a->b_transport(r.p, d);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_BareChain3);

void BM_BareChain2(benchmark::State& state) {
  Bench& b = bench();
  ensure_elaborated();
  Request r(0x40000080ull, SourceId(0));
  for (auto _ : state) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    b.src->b->b_transport(r.p, d);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_BareChain2);

}  // namespace
