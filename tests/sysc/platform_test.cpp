// SystemC platform tests: each scenario runs in a fresh simulation context (forked child, see
// sysc_fixture.hpp).
#include <gtest/gtest.h>

#include <cstring>

#include "sysc/one_blk_platform.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/guest/iova_allocator.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/sysc/memory_module.hpp"
#include "vtdsim/platform/platform.hpp"
#include "vtdsim/virtio/split_virtqueue.hpp"

int sc_main(int, char*[]) { return 0; }  // libsystemc.so references it; gtest_main is the entry

namespace vtdsim {
namespace {

using test::SyscTest;

platform::PlatformConfig load(const std::string& text, const std::vector<std::string>& sets = {}) {
  return platform::resolve_platform_config(config::load_config_text(text, "test", sets));
}

const char* kOneNet = R"(
platform:
  devices:
    - {name: net0, type: virtio-net, bdf: "00:03.0", translated: true, in_dmar_scope: true,
       net: {peer: none}}
workload:
  duration_us: 200
  devices:
    net0: {kind: net_tx_stream, packet_size: 1000, rate_gbps: 5, count: 10}
)";

// ---- IOVA allocator (plain C++) ----------------------------------------------------------------
TEST(IovaAllocatorTest, TopDownSizeAlignedAndReusesFreedRanges) {
  guest::IovaAllocator a(1, 0xfffff);  // below 4 GiB
  EXPECT_EQ(a.alloc(1), 0xfffffu);
  EXPECT_EQ(a.alloc(1), 0xffffeu);
  EXPECT_EQ(a.alloc(3), 0xffff8u);  // rounded to 4 pages, 4-page aligned, below the previous
  a.free(0xffffe, 1);
  EXPECT_EQ(a.alloc(1), 0xffffeu);  // freed range reused first (rcache)
  EXPECT_EQ(a.counters().cache_hits, 1u);
  a.free(0x12345, 1);  // unknown range: ignored, counted
  EXPECT_EQ(a.unknown_frees(), 1u);
}

// ---- Split virtqueue walk against hand-built rings ---------------------------------------------
struct RingWalker : sc_core::sc_module {
  SC_HAS_PROCESS(RingWalker);
  tlm_utils::simple_initiator_socket<RingWalker> socket;
  tlm_utils::tlm_quantumkeeper keeper;
  sysc::DmaPort port;
  mem::SparseMemory& m;
  bool done = false;
  explicit RingWalker(sc_core::sc_module_name n, mem::SparseMemory& mem)
      : sc_module(n), socket("socket"), port(socket, keeper, SourceId(0x18)), m(mem) {
    SC_THREAD(run);
  }
  void desc(std::uint64_t at, std::uint64_t addr, std::uint32_t len, std::uint16_t flags, std::uint16_t next) {
    m.write64(at, addr);
    m.write32(at + 8, len);
    m.write32(at + 12, flags | (static_cast<std::uint32_t>(next) << 16));
  }
  void run() {
    using namespace virtio;
    const std::uint64_t d = 0x10000, av = 0x11000, us = 0x12000, ind = 0x13000;
    // Chain 0: desc 0 (R, 100 B) -> desc 3 (W, 200 B). Chain 1: desc 1 indirect, 3 entries.
    desc(d + 0, 0x20000, 100, kDescFNext, 3);
    desc(d + 48, 0x21000, 200, kDescFWrite, 0);
    desc(d + 16, ind, 48, kDescFIndirect, 0);
    desc(ind + 0, 0x22000, 16, kDescFNext, 1);
    desc(ind + 16, 0x23000, 4096, kDescFNext | kDescFWrite, 2);
    desc(ind + 32, 0x24000, 1, kDescFWrite, 0);
    const std::uint16_t ring[2] = {0, 1};
    m.write(av + 4, ring, 4);
    const std::uint16_t idx = 2;
    m.write(av + 2, &idx, 2);
    SplitVirtqueue q;
    q.configure(8, d, av, us, true);
    DescChain c;
    ASSERT_EQ(q.pop(port, c), PopResult::kChain);
    EXPECT_EQ(c.head, 0);
    ASSERT_EQ(c.count, 2);
    EXPECT_EQ(c.buffers[0].addr, 0x20000u);
    EXPECT_FALSE(c.buffers[0].device_writable);
    EXPECT_EQ(c.buffers[1].addr, 0x21000u);
    EXPECT_TRUE(c.buffers[1].device_writable);
    EXPECT_EQ(c.readable_bytes, 100u);
    EXPECT_EQ(c.writable_bytes, 200u);
    ASSERT_EQ(q.pop(port, c), PopResult::kChain);
    EXPECT_EQ(c.head, 1);
    EXPECT_TRUE(c.indirect);
    ASSERT_EQ(c.count, 3);
    EXPECT_EQ(c.buffers[2].addr, 0x24000u);
    EXPECT_EQ(c.writable_bytes, 4097u);
    EXPECT_EQ(q.pop(port, c), PopResult::kEmpty);
    // DMAs so far: avail idx, ring[0], desc 0, desc 3, ring[1], desc 1, indirect table, avail idx.
    EXPECT_EQ(port.counters().requests, 8u);
    ASSERT_TRUE(q.push(port, 1, 4097));
    ASSERT_TRUE(q.publish(port));
    std::uint32_t id = 0, len = 0;
    std::uint16_t used_idx = 0;
    m.read32(us + 4, id);
    m.read32(us + 8, len);
    m.read(us + 2, &used_idx, 2);
    EXPECT_EQ(id, 1u);
    EXPECT_EQ(len, 4097u);
    EXPECT_EQ(used_idx, 1);
    // EVENT_IDX: used_event = 0 -> interrupt for used idx 0 -> 1 (2.7.10).
    EXPECT_TRUE(q.should_interrupt(port));
    // A descriptor loop (desc 2 -> 2) is malformed, not a hang.
    desc(d + 32, 0x25000, 8, kDescFNext, 2);
    const std::uint16_t ring2 = 2, idx3 = 3;
    m.write(av + 8, &ring2, 2);
    m.write(av + 2, &idx3, 2);
    EXPECT_EQ(q.pop(port, c), PopResult::kMalformed);
    done = true;
  }
};

TEST_F(SyscTest, SplitVirtqueueWalksChainedAndIndirectDescriptors) {
  run_isolated([] {
    mem::SparseMemory memory;
    sysc::MemoryModule mem("mem", memory, sysc::MemoryTiming{});
    RingWalker w("walker", memory);
    w.socket.bind(mem.socket);
    sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_US));
    EXPECT_TRUE(w.done);
  });
}

// ---- Feature negotiation -----------------------------------------------------------------------
TEST_F(SyscTest, NegotiationAcceptsAccessPlatformAndUsesTheDmaApi) {
  run_isolated([] {
    platform::Platform p(load(kOneNet));
    p.run();
    const auto& g = *p.guest().devices()[0];
    EXPECT_TRUE(g.probed);
    EXPECT_TRUE(g.dma_api);
    EXPECT_EQ(g.mode, guest::DmaMode::kIommu);
    EXPECT_TRUE((p.device(0).driver_features() >> virtio::kFAccessPlatform) & 1);
    EXPECT_TRUE((p.device(0).driver_features() >> virtio::kFVersion1) & 1);
    EXPECT_EQ(g.stats.tx_packets, 10u);
    const auto* s = p.monitor().device(SourceId::from_bdf(0, 3, 0));
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->faults, 0u);
    EXPECT_EQ(s->corruptions, 0u);
    EXPECT_EQ(s->translated, s->dmas);
  });
}

TEST_F(SyscTest, DriverRefusingAccessPlatformFailsWhenTheDeviceRequiresIt) {
  run_isolated([] {
    platform::Platform p(load(kOneNet, {"guest.refuse_access_platform=[net0]"}));
    p.run();
    const auto& g = *p.guest().devices()[0];
    // Not required: FEATURES_OK accepted without ACCESS_PLATFORM, the driver bypasses the DMA API.
    EXPECT_TRUE(g.probed);
    EXPECT_FALSE(g.dma_api);
    EXPECT_EQ(g.mode, guest::DmaMode::kPhysical);
    EXPECT_FALSE((p.device(0).driver_features() >> virtio::kFAccessPlatform) & 1);
  });
  run_isolated([] {
    auto cfg = load(kOneNet, {"guest.refuse_access_platform=[net0]"});
    cfg.devices[0].pci.require_access_platform = true;
    platform::Platform p(cfg);
    p.run();
    const auto& g = *p.guest().devices()[0];
    EXPECT_FALSE(g.probed);  // FEATURES_OK refused (3.1.1 step 6)
    EXPECT_EQ(p.device(0).counters().features_rejected, 1u);
    EXPECT_TRUE(p.device(0).status() & virtio::kStatusFailed);
    EXPECT_EQ(p.monitor().device(SourceId::from_bdf(0, 3, 0))->dmas, 0u);
  });
}

TEST_F(SyscTest, RefusedAccessPlatformWithAutoRouteBypassesTheIommuCleanly) {
  // QEMU's behaviour: without ACCESS_PLATFORM the device bypasses the vIOMMU; the driver gives
  // physical addresses: no faults and no corruption.
  run_isolated([] {
    auto cfg = load(kOneNet, {"guest.refuse_access_platform=[net0]"});
    cfg.devices[0].route = sysc::DmaRoute::kAuto;
    platform::Platform p(cfg);
    p.run();
    const auto* s = p.monitor().device(SourceId::from_bdf(0, 3, 0));
    EXPECT_GT(s->dmas, 0u);
    EXPECT_EQ(s->bypassed, s->dmas);
    EXPECT_EQ(s->faults, 0u);
    EXPECT_EQ(s->corruptions, 0u);
    EXPECT_EQ(p.guest().devices()[0]->stats.tx_packets, 10u);
  });
}

// ---- Strict vs lazy invalidation counts for a fixed workload -----------------------------------
using test::kOneBlk;

TEST_F(SyscTest, StrictInvalidatesEveryUnmapLazyBatches) {
  // 16 requests, each: header, data, status and the indirect table (3 buffers > 1 with
  // INDIRECT_DESC) are mapped and unmapped: 64 unmaps.
  run_isolated([] {
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=strict"}));
    p.run();
    const auto& g = *p.guest().devices()[0];
    EXPECT_EQ(g.stats.requests, 16u);
    EXPECT_EQ(g.stats.data_errors, 0u);
    EXPECT_EQ(g.dma->counters().unmaps, 64u);
    EXPECT_EQ(p.guest().vtd()->counters().page_invalidations, 64u);
    // CAP.CM=0: a not-present -> present context entry needs no IOTLB flush (Linux's
    // domain_context_mapping_one flushes only in caching mode).
    EXPECT_EQ(p.guest().vtd()->counters().domain_invalidations, 0u);
  });
  run_isolated([] {
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=lazy", "guest.lazy_batch=10"}));
    p.run();
    const auto& g = *p.guest().devices()[0];
    EXPECT_EQ(g.stats.requests, 16u);
    EXPECT_EQ(g.dma->counters().unmaps, 64u);
    EXPECT_EQ(p.guest().vtd()->counters().page_invalidations, 0u);
    // Rings of 10 slots hold 9 entries (fq_full); the 10th, 19th, ..., 64th unmap finds the ring
    // full and forces a flush before it is queued: 7 flushes, 1 entry left waiting for the timer.
    EXPECT_EQ(g.dma->counters().fq_full_flushes, 7u);
    EXPECT_EQ(g.dma->counters().fq_timer_flushes, 0u);  // 2 ms run, 10 ms timer
    EXPECT_EQ(g.dma->flush_queue().pending(), 1u);
    EXPECT_EQ(p.guest().vtd()->counters().domain_invalidations, 7u);
  });
}

// ---- The two mismatch scenarios ----------------------------------------------------------------
TEST_F(SyscTest, AdvertisedButNotTranslatedCorruptsEveryDma) {
  run_isolated([] {
    platform::Platform p(platform::resolve_platform_config(
        config::load_config_tree(std::string(VTDSIM_SOURCE_DIR) + "/configs/mismatch-bypass.yaml")));
    p.run();
    const auto* s = p.monitor().device(SourceId::from_bdf(0, 3, 0));
    EXPECT_EQ(s->faults, 0u);
    EXPECT_EQ(s->bypassed, s->dmas);
    EXPECT_EQ(s->corruptions, 6u);
    EXPECT_EQ(s->corruptions, s->dmas);
  });
}

TEST_F(SyscTest, TranslatedButNotAdvertisedFaults) {
  run_isolated([] {
    platform::Platform p(platform::resolve_platform_config(
        config::load_config_tree(std::string(VTDSIM_SOURCE_DIR) + "/configs/mismatch-physical.yaml")));
    p.run();
    const auto* s = p.monitor().device(SourceId::from_bdf(0, 3, 0));
    EXPECT_EQ(s->faults, 1u);
    EXPECT_EQ(s->faults_by_reason[static_cast<int>(spec::FaultReason::kRootNotPresent)], 1u);
    EXPECT_EQ(s->corruptions, 0u);
    EXPECT_TRUE(p.device(0).status() & virtio::kStatusNeedsReset);
    EXPECT_TRUE(p.iommu_module().fault_irq.read());
  });
}

}  // namespace
}  // namespace vtdsim
