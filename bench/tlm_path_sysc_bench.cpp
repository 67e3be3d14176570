// SystemC TLM path costs, in one process (one elaboration):
//  - BM_Stream10G: a 1-second simulated 10 Gb/s stream of 1500-byte frames from the guest
//    through virtio-net (strict DMA API), reported as wall seconds per simulated second.
//  - BM_TranslatedDma: one 64-byte DMA device -> root complex -> IOMMU (IOTLB hit) -> memory.
//  - BM_BypassedDma: the same through the root complex's direct route -> memory.
//  - BM_BareChain3 / BM_BareChain2: plain b_transport forwarders of the same depth (3 / 2 hops) -> the same
//    memory module (the baselines for the two ratios: targets <= 10x and <= 3x).
//  - BM_{IotlbHit,FullWalk}{ModelMemory,PlatformMemory}: one 64-byte DMA straight into a bare
//    IommuModule -> MemoryModule, with the tables in the model's memory (an Iommu on the memory
//    module's SparseMemory) or in the platform's memory (IommuModule's own Iommu walking over
//    mem_out, timed mode). FullWalk has the IOTLB, context cache and paging-structure caches off,
//    so every DMA makes the 6-read legacy walk (root, context, 4 levels). The issue's bound: walks
//    through TLM no slower than 2x the model-memory path.
// DMA benchmarks call b_transport outside any SystemC process (nothing on these paths waits).
#include <benchmark/benchmark.h>

#include <memory>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/spec/registers.hpp"
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

struct OneSocket : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<OneSocket> out, mmio;
  explicit OneSocket(sc_core::sc_module_name n) : sc_module(n), out("out"), mmio("mmio") {}
};

// A bare IommuModule -> MemoryModule with domain 1 mapping 0x10000000 -> 0x40000000 for 00:03.0.
struct WalkRig {
  mem::SparseMemory bytes;
  core::TableBuilder tables{bytes, 0x100000, 1ull << 20};
  std::unique_ptr<iommu::Iommu> model_iommu;  // tables in model memory only
  std::unique_ptr<sysc::IommuModule> module;
  std::unique_ptr<sysc::MemoryModule> memory;
  std::unique_ptr<OneSocket> src;
  WalkRig(const std::string& name, bool platform_memory, bool caches) {
    config::UnitConfig c;
    if (!caches) {
      c.caches.iotlb.enabled = false;
      c.caches.context.enabled = false;
      for (auto& g : c.caches.psc) g.enabled = false;
    }
    memory = std::make_unique<sysc::MemoryModule>((name + "_memory").c_str(), bytes, sysc::MemoryTiming{});
    if (platform_memory) {
      module = std::make_unique<sysc::IommuModule>((name + "_iommu").c_str(), c, sysc::TableAccess::kTimed);
    } else {
      model_iommu = std::make_unique<iommu::Iommu>(c, bytes);
      module = std::make_unique<sysc::IommuModule>((name + "_iommu").c_str(), *model_iommu);
    }
    src = std::make_unique<OneSocket>((name + "_src").c_str());
    src->out.bind(module->dma_in);
    src->mmio.bind(module->mmio);  // programmed directly below; bound because SystemC wants it
    module->mem_out.bind(memory->socket);
    tables.create_domain(DomainId(1), 4);
    tables.set_context(SourceId::from_bdf(0, 3, 0), DomainId(1));
    tables.map(DomainId(1), Iova(0x10000000), HostAddr(0x40000000), 4096, Perms{true, true});
    iommu::Iommu& u = module->iommu();
    u.write_register(spec::reg::kRtaddr, 8, tables.rtaddr(), 0);
    u.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp, 0);
    u.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe, 0);
  }
};

struct Bench {
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<mem::SparseMemory> bare_memory;
  std::unique_ptr<sysc::MemoryModule> bare_mem;
  std::unique_ptr<Source> src;
  std::unique_ptr<Forwarder> f1, f2, g1;
  std::unique_ptr<WalkRig> hit_model, hit_platform, walk_model, walk_platform;
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
    hit_model = std::make_unique<WalkRig>("hit_model", false, true);
    hit_platform = std::make_unique<WalkRig>("hit_platform", true, true);
    walk_model = std::make_unique<WalkRig>("walk_model", false, false);
    walk_platform = std::make_unique<WalkRig>("walk_platform", true, false);
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

// One 64-byte read at 0x10000080 from 00:03.0 into a WalkRig; the last response must be OK.
void time_rig_dma(benchmark::State& state, WalkRig& rig) {
  ensure_elaborated();
  Request r(0x10000080ull, SourceId::from_bdf(0, 3, 0));
  for (auto _ : state) {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    rig.src->out->b_transport(r.p, d);
    benchmark::DoNotOptimize(d);
  }
  if (r.p.get_response_status() != tlm::TLM_OK_RESPONSE) state.SkipWithError("rig DMA failed");
  // One more DMA to report what the timed loop's DMAs were: whether the IOTLB hit, and the
  // simulated latency (every DMA here issues at the same simulated time, so in the timing model
  // each one after the first joins the first one's walk: latency_ns is that walk's, with the
  // memory module's 60 ns per read in platform memory, memory_read in model memory).
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  rig.src->out->b_transport(r.p, d);
  state.counters["latency_ns"] = d.to_seconds() * 1e9;
  state.counters["iotlb_hit"] = r.ext->outcome.iotlb_hit ? 1 : 0;
}

void BM_IotlbHitModelMemory(benchmark::State& state) { time_rig_dma(state, *bench().hit_model); }
BENCHMARK(BM_IotlbHitModelMemory);
void BM_IotlbHitPlatformMemory(benchmark::State& state) { time_rig_dma(state, *bench().hit_platform); }
BENCHMARK(BM_IotlbHitPlatformMemory);
void BM_FullWalkModelMemory(benchmark::State& state) { time_rig_dma(state, *bench().walk_model); }
BENCHMARK(BM_FullWalkModelMemory);
void BM_FullWalkPlatformMemory(benchmark::State& state) { time_rig_dma(state, *bench().walk_platform); }
BENCHMARK(BM_FullWalkPlatformMemory);

}  // namespace
