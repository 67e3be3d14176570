// Stale-translation property: random interleavings of map, unmap, invalidation (every IOTLB
// granularity, register-free direct path and the queued-invalidation path with a wait descriptor)
// and DMA. After an unmap followed by a completed invalidation that covers it, no DMA to that page
// succeeds (unless the page was mapped again, and then only to its new address). Before that
// invalidation, a DMA may still use the stale entry: with batched ("lazy") invalidation the test
// measures that window instead of forbidding it.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "support/property_seed.hpp"
#include "translation_rig.hpp"
#include "vtdsim/spec/registers.hpp"

namespace vtdsim {
namespace {

constexpr std::uint64_t kRegion = 64;  // pages per domain under test (256 KiB of IOVA space)
constexpr std::uint64_t kIovaBase = 0x40000000;
constexpr std::uint64_t kQueueBase = 0x800000;  // invalidation queue (one 4 KiB page: 256 descriptors)
constexpr std::uint64_t kStatusAddr = 0x900000;

struct PageState {
  bool mapped = false;
  std::uint64_t host = 0;
  Perms perms;
  std::set<std::uint64_t> stale_hosts;  // translations an IOTLB may still hold
  bool stale_fault_possible = false;    // CAP.CM=1: a negative entry may still be cached
  std::uint64_t stale_since = 0;        // operation count when it first became stale
};

struct Window {
  std::uint64_t stale_uses = 0;  // DMAs that succeeded through a stale translation
  std::uint64_t longest = 0;     // operations between the unmap and that use, at most
};

class StaleScenario {
 public:
  StaleScenario(std::uint64_t seed, config::UnitConfig config, bool queued)
      : rng_(seed), rig_(core::TableFormat::kLegacy, config), queued_(queued) {
    for (unsigned d = 1; d <= 2; ++d) {
      rig_.tables->create_domain(DomainId(d), 4);
      sources_[d] = SourceId::from_bdf(0, d, 0);
      rig_.tables->set_context(sources_[d], DomainId(d));
    }
    rig_.enable();
    if (queued_) enable_queue();
  }

  // strict: every unmap is followed at once by a page-selective invalidation (+ wait).
  // Otherwise invalidations are random, or (lazy) a domain flush every `lazy_batch` unmaps.
  void run(unsigned operations, bool strict, unsigned lazy_batch, Window& window) {
    unsigned pending_unmaps = 0;
    for (op_ = 0; op_ < operations; ++op_) {
      const unsigned d = 1 + rng_() % 2;
      const std::uint64_t page = rng_() % kRegion;
      PageState& state = pages_[d][page];
      const unsigned pick = rng_() % 100;
      if (pick < 25) {
        if (!state.mapped) map(d, page, state);
      } else if (pick < 45) {
        if (state.mapped) {
          unmap(d, page, state);
          if (strict) {
            invalidate_page(d, page, 0, rng_() & 1);
          } else if (lazy_batch != 0 && ++pending_unmaps == lazy_batch) {
            invalidate_domain(d == 1 ? 2 : 1);
            invalidate_domain(d);
            pending_unmaps = 0;
          }
        }
      } else if (pick < 52 && !strict && lazy_batch == 0) {
        random_invalidation();
      } else {
        dma(d, page, state, window);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }

 private:
  void map(unsigned d, std::uint64_t page, PageState& state) {
    state.mapped = true;
    state.host = (0x10000000 + (rng_() % 0x10000) * kPageSize4K);
    state.perms = Perms{rng_() % 5 != 0, rng_() % 3 != 0};
    if (!state.perms.read && !state.perms.write) state.perms.write = true;
    rig_.tables->map(DomainId(d), Iova(iova(page)), HostAddr(state.host), kPageSize4K, state.perms);
  }

  void unmap(unsigned d, std::uint64_t page, PageState& state) {
    ASSERT_EQ(rig_.tables->unmap(DomainId(d), Iova(iova(page)), kPageSize4K), 1u);
    if (state.stale_hosts.empty()) state.stale_since = op_;
    state.stale_hosts.insert(state.host);
    state.mapped = false;
  }

  void dma(unsigned d, std::uint64_t page, PageState& state, Window& window) {
    const Access access = (rng_() & 1) ? Access::kWrite : Access::kRead;
    const std::uint64_t offset = rng_() % kPageSize4K;
    const auto result = rig_.translate(sources_[d], iova(page) + offset, access);
    const bool current_ok = state.mapped && state.perms.allows(access);
    if (result.ok()) {
      const std::uint64_t host = result.host.value - offset;
      if (current_ok && host == state.host) return;
      // Anything else must be a translation software has not yet invalidated.
      ASSERT_TRUE(state.stale_hosts.count(host) != 0)
          << "DMA to domain " << d << " page " << page << " reached host 0x" << std::hex << host
          << " after the invalidation that covered its unmap completed";
      ++window.stale_uses;
      window.longest = std::max(window.longest, op_ - state.stale_since);
      return;
    }
    if (!current_ok) {
      if (rig_.config.cap.caching_mode) state.stale_fault_possible = true;
      return;
    }
    // A mapped page may fault only through a negative entry software has not invalidated yet, or
    // through a stale translation whose permissions did not allow the access.
    ASSERT_TRUE(state.stale_fault_possible || !state.stale_hosts.empty())
        << "DMA to mapped page faulted, domain " << d << " page " << page << " reason " << int(result.fault);
  }

  void random_invalidation() {
    const unsigned kind = rng_() % 10;
    if (kind == 0) return invalidate_global();
    if (kind < 3) return invalidate_domain(1 + rng_() % 2);
    const unsigned am = rng_() % 5;
    const std::uint64_t page = (rng_() % kRegion) & ~((1ull << am) - 1);
    invalidate_page(1 + rng_() % 2, page, am, rng_() & 1);
  }

  void covered(unsigned d, std::uint64_t first, std::uint64_t count) {
    for (std::uint64_t p = first; p < first + count && p < kRegion; ++p) {
      pages_[d][p].stale_hosts.clear();
      pages_[d][p].stale_fault_possible = false;
    }
  }

  void invalidate_global() {
    core::InvalidationRequest request;
    request.granularity = core::InvalidationGranularity::kGlobal;
    apply(request);
    covered(1, 0, kRegion);
    covered(2, 0, kRegion);
  }
  void invalidate_domain(unsigned d) {
    core::InvalidationRequest request;
    request.granularity = core::InvalidationGranularity::kDomain;
    request.domain = DomainId(d);
    apply(request);
    covered(d, 0, kRegion);
  }
  void invalidate_page(unsigned d, std::uint64_t page, unsigned am, bool ih) {
    core::InvalidationRequest request;
    request.granularity = core::InvalidationGranularity::kPage;
    request.domain = DomainId(d);
    request.addr = Iova(iova(page));
    request.address_mask = static_cast<std::uint8_t>(am);
    request.invalidation_hint = ih;
    apply(request);
    covered(d, page, 1ull << am);
  }

  void apply(const core::InvalidationRequest& request) {
    if (!queued_) {
      rig_.unit->invalidate(request);
      return;
    }
    // iotlb_inv_dsc (VT-d spec 6.5.2.3): type 2, G [5:4], DR/DW, DID [31:16]; hi: ADDR, IH [6], AM [5:0].
    const unsigned g = request.granularity == core::InvalidationGranularity::kGlobal   ? 1
                       : request.granularity == core::InvalidationGranularity::kDomain ? 2
                                                                                       : 3;
    const std::uint64_t lo = 2 | (g << 4) | (1u << 6) | (1u << 7) | (std::uint64_t(request.domain.value) << 16);
    const std::uint64_t hi =
        g == 3 ? (request.addr.value | (request.invalidation_hint ? 1u << 6 : 0) | request.address_mask) : 0;
    push_descriptor(lo, hi);
    // inv_wait_dsc (6.5.2.8): type 5, SW [5], status data [63:32]; hi: status address.
    const std::uint32_t token = ++wait_token_;
    push_descriptor(5 | (1u << 5) | (std::uint64_t(token) << 32), kStatusAddr);
    rig_.unit->write_register(spec::reg::kIqt, 8, tail_ << 4);
    std::uint32_t status = 0;
    ASSERT_TRUE(rig_.memory.read32(kStatusAddr, status));
    ASSERT_EQ(status, token) << "wait descriptor did not complete";
  }

  void enable_queue() {
    rig_.unit->write_register(spec::reg::kIqa, 8, kQueueBase);  // QS = 0: 256 descriptors, 128-bit
    rig_.unit->write_register(spec::reg::kGcmd, 4, txrig::kGcmdTe | spec::reg::gcmd::kQie);
    ASSERT_TRUE(rig_.unit->read_register(spec::reg::kGsts, 4) & spec::reg::gcmd::kQie);
  }

  void push_descriptor(std::uint64_t lo, std::uint64_t hi) {
    rig_.memory.write64(kQueueBase + tail_ * 16, lo);
    rig_.memory.write64(kQueueBase + tail_ * 16 + 8, hi);
    tail_ = (tail_ + 1) % 256;
  }

  static std::uint64_t iova(std::uint64_t page) { return kIovaBase + page * kPageSize4K; }

  std::mt19937_64 rng_;
  txrig::Rig rig_;
  bool queued_;
  std::map<unsigned, SourceId> sources_;
  std::map<unsigned, std::map<std::uint64_t, PageState>> pages_;
  std::uint64_t op_ = 0;
  std::uint64_t tail_ = 0;
  std::uint32_t wait_token_ = 0;
};

config::UnitConfig stale_config(std::mt19937_64& rng) {
  config::UnitConfig config;
  config.cap.caching_mode = rng() & 1;
  config.caches.iotlb_organization = static_cast<config::IotlbOrganization>(rng() % 3);
  config.caches.iotlb.entries = 64;
  config.caches.iotlb.ways = rng() % 2 ? 64 : 4;
  config.caches.iotlb.policy = static_cast<config::ReplacementPolicy>(rng() % 4);
  return config;
}

TEST(StaleTranslationProperty, NoDmaSucceedsAfterACompletedCoveringInvalidation) {
  const std::uint64_t seed = testing::property_seed("StaleTranslationProperty");
  std::mt19937_64 rng(seed);
  Window window;
  constexpr unsigned kScenarios = 8, kOperations = 5000;
  for (unsigned s = 0; s < kScenarios; ++s) {
    StaleScenario scenario(rng(), stale_config(rng), /*queued=*/s % 2 == 1);
    scenario.run(kOperations, /*strict=*/false, /*lazy_batch=*/0, window);
    ASSERT_FALSE(HasFailure()) << "scenario " << s << " (seed " << seed << ")";
  }
  std::cout << "[ cases    ] " << kScenarios * kOperations << " operations, " << window.stale_uses
            << " DMAs used a not-yet-invalidated stale entry\n";
  // Random invalidation leaves windows open, so stale uses must have been exercised.
  EXPECT_GT(window.stale_uses, 0u);
}

TEST(StaleTranslationProperty, StrictInvalidationLeavesNoStaleWindow) {
  const std::uint64_t seed = testing::property_seed("StrictInvalidation");
  std::mt19937_64 rng(seed);
  Window window;
  for (unsigned s = 0; s < 4; ++s) {
    StaleScenario scenario(rng(), stale_config(rng), /*queued=*/s % 2 == 1);
    scenario.run(5000, /*strict=*/true, 0, window);
    ASSERT_FALSE(HasFailure()) << "scenario " << s << " (seed " << seed << ")";
  }
  EXPECT_EQ(window.stale_uses, 0u);
}

TEST(StaleTranslationProperty, LazyInvalidationWindowIsMeasured) {
  const std::uint64_t seed = testing::property_seed("LazyInvalidation");
  std::mt19937_64 rng(seed);
  for (unsigned batch : {8u, 32u}) {
    Window window;
    for (unsigned s = 0; s < 4; ++s) {
      StaleScenario scenario(rng(), stale_config(rng), /*queued=*/s % 2 == 1);
      scenario.run(5000, /*strict=*/false, batch, window);
      ASSERT_FALSE(HasFailure()) << "batch " << batch << " scenario " << s << " (seed " << seed << ")";
    }
    std::cout << "[ window   ] lazy batch " << batch << ": " << window.stale_uses
              << " DMAs through stale entries, longest " << window.longest << " operations after the unmap\n";
    RecordProperty("lazy_batch_" + std::to_string(batch) + "_stale_uses", std::to_string(window.stale_uses));
  }
}

}  // namespace
}  // namespace vtdsim
