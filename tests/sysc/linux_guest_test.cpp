// The guest behaves as Linux 6.1 does (issue 17): the strict/lazy decision (CAP.CM, kernel
// arguments, build default), the IOVA allocator (iova.c: rounding, cached-node tree search,
// per-CPU magazines and depot), the flush queue (dma-iommu.c: per-CPU rings, full-ring flush,
// IOVAs released only after a covering flush), and the invalidations of a run with CM=0/1.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sysc/one_blk_platform.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/config/config_error.hpp"
#include "vtdsim/config/config_loader.hpp"
#include "vtdsim/guest/dma_policy.hpp"
#include "vtdsim/guest/flush_queue.hpp"
#include "vtdsim/guest/iova_allocator.hpp"
#include "vtdsim/platform/platform_config.hpp"
#include "vtdsim/platform/platform.hpp"

namespace vtdsim {
namespace {

using guest::DmaPolicyRequest;
using guest::EffectivePolicy;
using guest::IovaAllocator;
using test::SyscTest;

// ---- DMA policy: Linux's decision ------------------------------------------------------------
EffectivePolicy decide(DmaPolicyRequest r, bool cm, bool first_stage = false, bool default_lazy = true) {
  guest::DmaPolicyInputs in;
  in.request = r;
  in.caching_mode = cm;
  in.first_stage = first_stage;
  in.default_lazy = default_lazy;
  return guest::decide_dma_policy(in).policy;
}

TEST(LinuxDmaPolicyTest, CachingModeForcesStrictForSecondStageDomains) {
  // intel_iommu_init: CAP.CM=1 and second-stage DMA domains -> iommu_set_dma_strict(), which
  // also overrides iommu.strict=0.
  EXPECT_EQ(decide(DmaPolicyRequest::kAuto, true), EffectivePolicy::kStrict);
  EXPECT_EQ(decide(DmaPolicyRequest::kLazy, true), EffectivePolicy::kStrict);
  EXPECT_EQ(decide(DmaPolicyRequest::kStrict, true), EffectivePolicy::kStrict);
  // First-stage domains are exempt.
  EXPECT_EQ(decide(DmaPolicyRequest::kAuto, true, true), EffectivePolicy::kLazy);
  EXPECT_EQ(decide(DmaPolicyRequest::kLazy, true, true), EffectivePolicy::kLazy);
  // iommu=pt is not a DMA domain at all.
  EXPECT_EQ(decide(DmaPolicyRequest::kPassthrough, true), EffectivePolicy::kPassthrough);
  const auto d = guest::decide_dma_policy({DmaPolicyRequest::kLazy, true, true, false});
  EXPECT_NE(d.reason.find("IOMMU batching disallowed due to virtualization"), std::string::npos) << d.reason;
}

TEST(LinuxDmaPolicyTest, AutoIsTheKernelDefaultLazyOnX86) {
  EXPECT_EQ(decide(DmaPolicyRequest::kAuto, false), EffectivePolicy::kLazy);  // CONFIG_IOMMU_DEFAULT_DMA_LAZY
  EXPECT_EQ(decide(DmaPolicyRequest::kAuto, false, false, false), EffectivePolicy::kStrict);  // ..._STRICT
  EXPECT_EQ(decide(DmaPolicyRequest::kStrict, false), EffectivePolicy::kStrict);              // iommu.strict=1
  EXPECT_EQ(decide(DmaPolicyRequest::kLazy, false, false, false), EffectivePolicy::kLazy);    // iommu.strict=0
}

TEST(LinuxDmaPolicyTest, FirstStageByDefault) {
  // first_level_by_default: legacy mode has only second stage; scalable mode uses the one table
  // type that exists, first stage when both do.
  EXPECT_FALSE(guest::first_stage_by_default(false, true, true));
  EXPECT_FALSE(guest::first_stage_by_default(true, false, true));
  EXPECT_TRUE(guest::first_stage_by_default(true, true, false));
  EXPECT_TRUE(guest::first_stage_by_default(true, true, true));
}

// ---- IOVA allocator ------------------------------------------------------------------------------
TEST(LinuxIovaTest, SizesUnder32PagesRoundUpToAPowerOfTwo) {
  EXPECT_EQ(IovaAllocator::round_pages(1), 1u);
  EXPECT_EQ(IovaAllocator::round_pages(3), 4u);
  EXPECT_EQ(IovaAllocator::round_pages(17), 32u);
  EXPECT_EQ(IovaAllocator::round_pages(31), 32u);
  EXPECT_EQ(IovaAllocator::round_pages(32), 32u);
  EXPECT_EQ(IovaAllocator::round_pages(33), 33u);  // not rounded, but aligned to 64
  IovaAllocator a(1, 0xfffff);
  // (high - size) & align_mask: 0x100000 - 33 aligned down to 64 pages; the range is 33 pages,
  // so the 31 pages above it stay free (the search goes on below the cached node).
  EXPECT_EQ(a.alloc(33), 0xfffc0u);
  EXPECT_EQ(a.alloc(1), 0xfffbfu);
}

TEST(LinuxIovaTest, TreeSearchContinuesBelowTheCachedNode) {
  IovaAllocator a(1, 0xfffff);
  // 64-page ranges are not cached (order 6): frees go straight back to the tree.
  EXPECT_EQ(a.alloc(64), 0xfffc0u);
  EXPECT_EQ(a.alloc(64), 0xfff80u);
  EXPECT_EQ(a.alloc(64), 0xfff40u);
  a.free(0xfff80, 64);               // above the cached node (0xfff40): the cached node moves to rb_next = 0xfffc0
  EXPECT_EQ(a.alloc(64), 0xfff80u);  // the hole is found from there
  EXPECT_EQ(a.alloc(64), 0xfff00u);  // from the cached node 0xfff80 down past 0xfff40
  EXPECT_EQ(a.counters().tree_frees, 1u);
  EXPECT_EQ(a.counters().cache_hits, 0u);
}

TEST(LinuxIovaTest, ThirtyTwoBitSpaceFirstThenTheRest) {
  // Above 4 GiB only when the 32-bit space is full; the MSI window is never handed out.
  IovaAllocator a(0xfff00, (1ull << 36) - 1);
  a.reserve(0xfff80, 0xfffbf);
  EXPECT_EQ(a.alloc(64, 0xfffff, 0, false), 0xfffc0u);
  EXPECT_EQ(a.alloc(64, 0xfffff, 0, false), 0xfff40u);  // below the reserved window
  EXPECT_EQ(a.alloc(64, 0xfffff, 0, false), 0xfff00u);
  EXPECT_EQ(a.alloc(64, 0xfffff, 0, false), 0u);  // 32-bit space full
  EXPECT_EQ(a.alloc(64, (1ull << 36) - 1, 0, true), (1ull << 36) - 64);
}

TEST(LinuxIovaTest, MagazinesLoadedPrevDepotPerCpu) {
  IovaAllocator a(1, 0xfffff, 2);
  std::vector<std::uint64_t> pfns;
  for (int i = 0; i < 255; ++i) pfns.push_back(a.alloc(1, 0xfffff, 0));
  EXPECT_EQ(pfns.front(), 0xfffffu);
  EXPECT_EQ(pfns.back(), 0xfffffu - 254);
  for (std::uint64_t p : pfns) a.free(p, 1, 0);
  // 127 fill the loaded magazine, the next 127 the previous one (swapped in), the 255th finds
  // both full: the loaded one goes to the depot and a fresh one takes it.
  EXPECT_EQ(a.loaded_size(0, 0), 1u);
  EXPECT_EQ(a.prev_size(0, 0), 127u);
  EXPECT_EQ(a.depot_size(0), 1u);
  EXPECT_EQ(a.counters().depot_pushes, 1u);
  EXPECT_EQ(a.cached_ranges(), 255u);
  EXPECT_EQ(a.allocated_ranges(), 255u);  // cached ranges stay allocated in the tree
  // CPU 0 reuses its newest free first (LIFO).
  EXPECT_EQ(a.alloc(1, 0xfffff, 0), pfns[254]);
  // CPU 1 has empty magazines: it takes the depot's full magazine, whose newest is the 254th free.
  EXPECT_EQ(a.alloc(1, 0xfffff, 1), pfns[253]);
  EXPECT_EQ(a.depot_size(0), 0u);
  EXPECT_EQ(a.loaded_size(0, 1), 126u);
  EXPECT_EQ(a.counters().depot_pops, 1u);
  EXPECT_EQ(a.counters().cache_hits, 2u);
  // Other size classes have their own magazines: a 2-page request does not see these.
  // The tree's cached node is the last range it handed out (0xfff01): the next 2-aligned slot below.
  EXPECT_EQ(a.alloc(2, 0xfffff, 0), 0xffefeu);
}

TEST(LinuxIovaTest, FullDepotDrainsAMagazineIntoTheTree) {
  IovaAllocator a(1, 0xfffff, 1);
  const std::size_t n = (IovaAllocator::kDepotMagazines + 2) * IovaAllocator::kMagazineSize + 1;  // 4319
  std::vector<std::uint64_t> pfns;
  for (std::size_t i = 0; i < n; ++i) pfns.push_back(a.alloc(1, 0xfffff, 0));
  for (std::uint64_t p : pfns) a.free(p, 1, 0);
  EXPECT_EQ(a.depot_size(0), 32u);
  EXPECT_EQ(a.counters().magazine_drains, 1u);
  EXPECT_EQ(a.counters().tree_frees, 127u);
  EXPECT_EQ(a.cached_ranges(), n - 127);
  EXPECT_EQ(a.allocated_ranges(), n - 127);
}

TEST(LinuxIovaTest, MagazinePopSkipsPfnsAboveTheLimit) {
  IovaAllocator a(1, (1ull << 36) - 1);
  const std::uint64_t high = a.alloc(1, (1ull << 36) - 1, 0);  // above 4 GiB
  EXPECT_EQ(high, (1ull << 36) - 1);
  a.free(high, 1, 0);
  EXPECT_EQ(a.alloc(1, 0xfffff, 0), 0xfffffu);  // the cached pfn is above the limit: tree
  EXPECT_EQ(a.counters().cache_hits, 0u);
  EXPECT_EQ(a.alloc(1, (1ull << 36) - 1, 0), high);  // still cached for a caller it fits
}

TEST(LinuxIovaTest, FailedSearchDrainsTheCachesAndRetries) {
  IovaAllocator a(1, 4);  // pfns 1..4
  const std::uint64_t p1 = a.alloc(1), p2 = a.alloc(1);
  EXPECT_EQ(p1, 4u);
  EXPECT_EQ(p2, 3u);
  a.free(p1, 1);
  a.free(p2, 1);  // both in a magazine: still allocated in the tree
  // 2 pages, 2-aligned, inside [1, 4]: only [2, 3], which the cached pfn 3 blocks. The search
  // fails, the magazines are drained into the tree, the second search succeeds.
  EXPECT_EQ(a.alloc(2), 2u);
  EXPECT_EQ(a.counters().cache_flushes, 1u);
  EXPECT_EQ(a.cached_ranges(), 0u);
}

// ---- Flush queue -----------------------------------------------------------------------------
TEST(LinuxFlushQueueTest, RingHoldsSlotsMinusOne) {
  guest::FlushQueue fq(2, 256);
  for (int i = 0; i < 255; ++i) {
    ASSERT_FALSE(fq.full(0));
    fq.add(0, 0x1000 + i, 1);
  }
  EXPECT_TRUE(fq.full(0));   // fq_full: tail + 1 == head
  EXPECT_FALSE(fq.full(1));  // per-CPU rings
  EXPECT_EQ(fq.pending(), 255u);
  // Nothing is released before a flush finished.
  EXPECT_EQ(fq.release_flushed(0, [](const guest::FlushQueue::Entry&) {}), 0u);
  fq.flush_started();
  fq.flush_finished();
  std::uint64_t first = 0;
  unsigned n = 0;
  EXPECT_EQ(fq.release_flushed(0,
                               [&](const guest::FlushQueue::Entry& e) {
                                 if (n++ == 0) first = e.pfn;
                               }),
            255u);
  EXPECT_EQ(first, 0x1000u);  // oldest first
  EXPECT_EQ(fq.pending(), 0u);
}

TEST(LinuxFlushQueueTest, EntryQueuedDuringAFlushWaitsForTheNextOne) {
  guest::FlushQueue fq(1, 8);
  fq.add(0, 0xa, 1);
  fq.flush_started();
  fq.add(0, 0xb, 1);  // its PTE was cleared after the flush began: that flush may not cover it
  fq.flush_finished();
  std::vector<std::uint64_t> freed;
  fq.release_flushed(0, [&](const guest::FlushQueue::Entry& e) { freed.push_back(e.pfn); });
  EXPECT_EQ(freed, std::vector<std::uint64_t>{0xa});
  fq.flush_started();
  fq.flush_finished();
  fq.release_flushed(0, [&](const guest::FlushQueue::Entry& e) { freed.push_back(e.pfn); });
  EXPECT_EQ(freed, (std::vector<std::uint64_t>{0xa, 0xb}));
}

// ---- Configuration -----------------------------------------------------------------------------
using test::kOneBlk;

const char* kTwoBlk = R"(
platform:
  devices:
    - {name: blk0, type: virtio-blk, bdf: "00:02.0", translated: true, in_dmar_scope: true}
    - {name: blk1, type: virtio-blk, bdf: "00:04.0", translated: true, in_dmar_scope: true}
workload:
  duration_us: 2000
  devices:
    blk0: {kind: blk_read_seq, block_size: 4096, queue_depth: 1, count: 16}
    blk1: {kind: blk_read_seq, block_size: 4096, queue_depth: 1, count: 16}
)";

platform::PlatformConfig load(const std::string& text, const std::vector<std::string>& sets = {}) {
  return platform::resolve_platform_config(config::load_config_text(text, "test", sets));
}

void expect_config_error(const std::vector<std::string>& sets, const std::string& key) {
  try {
    load(kOneBlk, sets);
    ADD_FAILURE() << "no ConfigError for " << sets.front();
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(key + ":", 0), 0u) << e.what();
  }
}

TEST(LinuxGuestConfigTest, BadKeysNameTheKey) {
  expect_config_error({"guest.dma_policy=fast"}, "guest.dma_policy");
  expect_config_error({"guest.kernel_default_dma=pt"}, "guest.kernel_default_dma");
  expect_config_error({"guest.cpus=0"}, "guest.cpus");
  expect_config_error({"guest.cpus=1000"}, "guest.cpus");
  expect_config_error({"guest.lazy_batch=1"}, "guest.lazy_batch");
  expect_config_error({"workload.devices.blk0.interval_us=5"}, "workload.devices.blk0.interval_us");
  expect_config_error({"workload.devices.blk0.segment_pages=1", "workload.devices.blk0.block_size=1048576"},
                      "workload.devices.blk0.segment_pages");
  expect_config_error({"workload.devices.blk0=[{kind: blk_read_seq}, {kind: blk_write_seq}]"},
                      "workload.devices.blk0[0].count");
  expect_config_error({"workload.devices.blk0=[]"}, "workload.devices.blk0");
  EXPECT_EQ(load(kOneBlk).guest.dma_policy, DmaPolicyRequest::kAuto);  // Linux's default
}

// ---- Whole runs: the invalidations Linux issues --------------------------------------------------
// 16 requests (header, data, status, indirect table: 64 maps and 64 unmaps) plus the ring, one
// coherent allocation mapped at probe: 65 maps.
TEST_F(SyscTest, CachingModeFlushesAfterEveryMapAndOnAttach) {
  run_isolated([] {
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=strict", "iommu.cap.caching_mode=true"}));
    p.run();
    const auto& g = *p.guest().devices()[0];
    const auto& v = p.guest().vtd()->counters();
    EXPECT_EQ(g.stats.requests, 16u);
    EXPECT_EQ(g.stats.data_errors, 0u);
    EXPECT_EQ(g.dma->counters().maps, 65u);
    EXPECT_EQ(g.dma->counters().map_flushes, 65u);
    EXPECT_EQ(v.map_page_invalidations, 65u);
    EXPECT_EQ(v.page_invalidations, 65u + 64u);
    EXPECT_EQ(v.context_invalidations, 1u);  // attach: device-selective context cache ...
    EXPECT_EQ(v.domain_invalidations, 1u);   // ... and the domain's IOTLB
  });
  run_isolated([] {  // CM=0: no flush after a map, none on attach
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=strict"}));
    p.run();
    const auto& v = p.guest().vtd()->counters();
    EXPECT_EQ(v.page_invalidations, 64u);
    EXPECT_EQ(v.map_page_invalidations, 0u);
    EXPECT_EQ(v.context_invalidations, 0u);
    EXPECT_EQ(v.domain_invalidations, 0u);
  });
}

TEST_F(SyscTest, WithoutCachingModeRwbfFlushesTheWriteBufferAfterMapsAndAttach) {
  // __mapping_notify_one / domain_context_mapping_one with CM=0: iommu_flush_write_buffer, which
  // writes GCMD.WBF only when CAP.RWBF is set (11.4.4.1).
  run_isolated([] {
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=strict", "iommu.cap.rwbf=true"}));
    p.run();
    const auto& v = p.guest().vtd()->counters();
    EXPECT_EQ(v.write_buffer_flushes, 65u + 1u);  // every map and the attach
    EXPECT_EQ(v.map_page_invalidations, 0u);
    EXPECT_EQ(p.guest().devices()[0]->stats.data_errors, 0u);
  });
  run_isolated([] {
    platform::Platform p(
        load(kOneBlk, {"guest.dma_policy=strict", "iommu.cap.rwbf=true", "iommu.cap.caching_mode=true"}));
    p.run();
    EXPECT_EQ(p.guest().vtd()->counters().write_buffer_flushes, 0u);  // CM=1 flushes the IOTLB instead
  });
}

TEST_F(SyscTest, CachingModeRefusesLazyAndAutoIsLazyWithoutIt) {
  run_isolated([] {
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=lazy", "iommu.cap.caching_mode=true"}));
    p.run();
    EXPECT_EQ(p.guest().dma_policy().policy, EffectivePolicy::kStrict);
    const auto j = p.stats_json();
    EXPECT_EQ(j["guest"]["dma_policy_effective"], "strict");
    EXPECT_EQ(j["guest"]["invalidations"]["page"], 129u);
    EXPECT_EQ(j["guest"]["invalidations"]["domain"], 1u);
    EXPECT_EQ(j["guest"]["invalidations"]["domain_fq_full"], 0u);
    EXPECT_EQ(j["guest"]["invalidations"]["domain_fq_timer"], 0u);
  });
  run_isolated([] {
    platform::Platform p(load(kOneBlk));  // auto, CM=0
    p.run();
    EXPECT_EQ(p.guest().dma_policy().policy, EffectivePolicy::kLazy);
    EXPECT_EQ(p.guest().vtd()->counters().page_invalidations, 0u);
    EXPECT_EQ(p.stats_json()["guest"]["dma_policy_effective"], "lazy");
  });
}

TEST_F(SyscTest, FlushQueueTimerFlushesOnceAfterTenMilliseconds) {
  // 64 unmaps fit in one 256-slot ring: no full-ring flush; the timer armed by the first unmap
  // fires 10 ms later and flushes the domain once, releasing every entry.
  run_isolated([] {
    platform::Platform p(load(kOneBlk, {"guest.dma_policy=lazy", "workload.duration_us=25000"}));
    p.run();
    const auto& g = *p.guest().devices()[0];
    EXPECT_EQ(g.dma->counters().fq_queued, 64u);
    EXPECT_EQ(g.dma->counters().fq_full_flushes, 0u);
    EXPECT_EQ(g.dma->counters().fq_timer_flushes, 1u);
    EXPECT_EQ(g.dma->flush_queue().pending(), 0u);
    EXPECT_EQ(p.guest().vtd()->counters().domain_invalidations, 1u);
    EXPECT_EQ(g.dma->iovas().cached_ranges(), 64u);  // released into the magazines
  });
}

TEST_F(SyscTest, FullRingFlushesPerCpu) {
  // Two CPUs, two devices: blk0 (device 0) runs on CPU 0, blk1 on CPU 1; each domain has a ring
  // per CPU and only the device's CPU's ring fills: 64 unmaps into rings of 16 slots (15
  // entries) -> full at the 16th, 31st, 46th and 61st unmap, 4 entries left.
  run_isolated([] {
    platform::Platform p(load(kTwoBlk, {"guest.dma_policy=lazy", "guest.cpus=2", "guest.lazy_batch=16"}));
    p.run();
    for (unsigned i = 0; i < 2; ++i) {
      const auto& g = *p.guest().devices()[i];
      EXPECT_EQ(g.submit_cpu, i);
      EXPECT_EQ(g.complete_cpu, i);
      EXPECT_EQ(g.stats.requests, 16u);
      EXPECT_EQ(g.dma->counters().fq_full_flushes, 4u);
      EXPECT_EQ(g.dma->flush_queue().pending(i), 4u);
      EXPECT_EQ(g.dma->flush_queue().pending(1 - i), 0u);
      // Freed IOVAs went to the device's CPU's magazines only.
      EXPECT_EQ(g.dma->iovas().loaded_size(0, 1 - i), 0u);
      EXPECT_GT(g.dma->iovas().loaded_size(0, i), 0u);
      EXPECT_EQ(g.stats.data_errors, 0u);
    }
  });
}

}  // namespace
}  // namespace vtdsim
