// Isolation property (the reason an IOMMU exists): over random page tables (random mappings,
// permissions, page sizes, domains, table depths, pass-through and blocked contexts) and random DMA
// requests, every access either faults with the spec's reason or lands exactly where the tables
// map it for that source, with the needed permission. The expected answer for each request comes
// from an independent reference model of what was mapped, not from the unit's own tables.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "support/property_seed.hpp"
#include "translation_rig.hpp"
#include "vtdsim/spec/context_entry.hpp"

namespace vtdsim {
namespace {

using core::TableFormat;
using spec::FaultReason;

struct Mapping {
  std::uint64_t iova, host, size;
  Perms perms;
};

enum class ContextKind { kNone, kTranslated, kPassThrough, kBlocked };

struct Device {
  SourceId source;
  ContextKind kind = ContextKind::kNone;
  DomainId domain;
};

struct DomainModel {
  unsigned levels = 4;
  std::map<std::uint64_t, Mapping> by_iova;  // key: iova base
  const Mapping* find(std::uint64_t iova) const {
    auto it = by_iova.upper_bound(iova);
    if (it == by_iova.begin()) return nullptr;
    --it;
    return iova < it->second.iova + it->second.size ? &it->second : nullptr;
  }
  bool overlaps(std::uint64_t iova, std::uint64_t size) const {
    auto it = by_iova.lower_bound(iova);
    if (it != by_iova.end() && it->first < iova + size) return true;
    if (it == by_iova.begin()) return false;
    --it;
    return it->second.iova + it->second.size > iova;
  }
};

class IsolationScenario {
 public:
  IsolationScenario(std::uint64_t seed, config::UnitConfig config) : rng_(seed), rig_(TableFormat::kLegacy, config) {}

  void build() {
    const unsigned domains = 1 + rng_() % 4;
    for (unsigned d = 1; d <= domains; ++d) {
      const unsigned levels = 3 + rng_() % 3;
      rig_.tables->create_domain(DomainId(d), levels);
      domains_[d].levels = levels;
      populate(DomainId(d), 20 + rng_() % 200);
    }
    // Devices on buses 0-2; bus 3 is never given a context table (root entry not present).
    for (unsigned i = 0; i < 24; ++i) {
      Device dev;
      dev.source = SourceId::from_bdf(rng_() % 3, rng_() % 32, rng_() % 8);
      if (known(dev.source)) continue;
      const unsigned pick = rng_() % 10;
      dev.domain = DomainId(1 + rng_() % domains);
      if (pick < 6) {
        dev.kind = ContextKind::kTranslated;
        rig_.tables->set_context(dev.source, dev.domain);
      } else if (pick < 7) {
        dev.kind = ContextKind::kPassThrough;
        rig_.tables->set_pass_through(dev.source, dev.domain);
      } else if (pick < 8) {
        dev.kind = ContextKind::kBlocked;
        rig_.tables->set_blocked(dev.source);
      } else {
        dev.kind = ContextKind::kNone;  // never written
      }
      devices_.push_back(dev);
    }
    devices_.push_back(Device{SourceId::from_bdf(3, 1, 0), ContextKind::kNone, DomainId(1)});
    rig_.enable();
  }

  // Runs `count` random requests and checks each against the reference. Returns the number of
  // requests that translated successfully (so the test can check both outcomes were exercised).
  std::uint64_t run(unsigned count, std::uint64_t& faults) {
    std::uint64_t ok = 0;
    for (unsigned i = 0; i < count; ++i) {
      const Device& dev = devices_[rng_() % devices_.size()];
      const std::uint64_t iova = pick_iova(dev);
      const Access access = (rng_() & 1) ? Access::kWrite : Access::kRead;
      const auto result = rig_.translate(dev.source, iova, access);
      check(dev, iova, access, result);
      if (HasFatalFailure() || HasNonfatalFailure()) {
        ADD_FAILURE() << "request " << i << ": source " << dev.source.to_string() << " iova 0x" << std::hex << iova
                      << (access == Access::kWrite ? " write" : " read");
        return ok;
      }
      if (result.ok())
        ++ok;
      else
        ++faults;
    }
    return ok;
  }

 private:
  static bool HasFatalFailure() { return ::testing::Test::HasFatalFailure(); }
  static bool HasNonfatalFailure() { return ::testing::Test::HasNonfatalFailure(); }

  bool known(SourceId s) const {
    for (const auto& d : devices_)
      if (d.source == s) return true;
    return false;
  }

  bool bus_has_context_table(unsigned bus) const {
    for (const auto& d : devices_)
      if (d.source.bus() == bus && d.kind != ContextKind::kNone) return true;
    return false;
  }

  void populate(DomainId domain, unsigned count) {
    DomainModel& model = domains_[domain.value];
    const unsigned width = spec::agaw_bits(model.levels) < 48 ? spec::agaw_bits(model.levels) : 48;
    for (unsigned i = 0; i < count; ++i) {
      const unsigned size_pick = rng_() % 20;
      const std::uint64_t page = size_pick == 0 ? kPageSize1G : size_pick < 4 ? kPageSize2M : kPageSize4K;
      const std::uint64_t pages = page == kPageSize4K ? 1 + rng_() % 8 : 1;
      const std::uint64_t size = page * pages;
      // IOVAs cluster in the low 16 GiB, plus a few near the top of the address width.
      std::uint64_t iova = (rng_() % (16ull << 30)) & ~(page - 1);
      if (rng_() % 16 == 0) iova = ((1ull << width) - size * (1 + rng_() % 64)) & ~(page - 1);
      const std::uint64_t host = (rng_() % (rig_.memory.limit() - size)) & ~(page - 1);
      if (model.overlaps(iova, size)) continue;
      Perms perms{(rng_() % 4) != 0, (rng_() % 3) != 0};
      if (!perms.read && !perms.write) perms.read = true;  // the builder needs a permission
      rig_.tables->map(domain, Iova(iova), HostAddr(host), size, perms, page);
      model.by_iova[iova] = Mapping{iova, host, size, perms};
    }
  }

  std::uint64_t pick_iova(const Device& dev) {
    const DomainModel& model = domains_[dev.domain.value];
    if (!model.by_iova.empty() && rng_() % 4 != 0) {
      auto it = model.by_iova.begin();
      std::advance(it, rng_() % model.by_iova.size());
      // Inside the mapping, or just past either end.
      const std::int64_t offset = static_cast<std::int64_t>(rng_() % (it->second.size + 2 * kPageSize4K)) -
                                  static_cast<std::int64_t>(kPageSize4K);
      return it->second.iova + offset;
    }
    return rng_() % 4 == 0 ? rng_() : rng_() % (32ull << 30);
  }

  void check(const Device& dev, std::uint64_t iova, Access access, const core::TranslationResult& r) {
    const FaultReason denied = access == Access::kWrite ? FaultReason::kWriteDenied : FaultReason::kReadDenied;
    switch (dev.kind) {
      case ContextKind::kNone:
        EXPECT_EQ(r.fault, bus_has_context_table(dev.source.bus()) ? FaultReason::kContextNotPresent
                                                                   : FaultReason::kRootNotPresent);
        return;
      case ContextKind::kBlocked: EXPECT_EQ(r.fault, FaultReason::kContextNotPresent); return;
      case ContextKind::kPassThrough:
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.host.value, iova);
        return;
      case ContextKind::kTranslated: break;
    }
    const DomainModel& model = domains_.at(dev.domain.value);
    unsigned width = spec::agaw_bits(model.levels);
    if (rig_.config.cap.mgaw < width) width = rig_.config.cap.mgaw;
    if ((iova >> width) != 0) {
      EXPECT_EQ(r.fault, FaultReason::kAddressBeyondAgaw);
      return;
    }
    const Mapping* m = model.find(iova);
    if (m == nullptr || !m->perms.allows(access)) {
      EXPECT_EQ(r.fault, denied);
      return;
    }
    ASSERT_TRUE(r.ok()) << "fault " << int(r.fault);
    EXPECT_EQ(r.host.value, m->host + (iova - m->iova));
    EXPECT_EQ(r.domain, dev.domain);
    EXPECT_TRUE(r.perms.allows(access));
    // The page the unit reports lies wholly inside what the reference mapped.
    const std::uint64_t page_base = iova & ~(r.page_size - 1);
    EXPECT_GE(page_base, m->iova);
    EXPECT_LE(page_base + r.page_size, m->iova + m->size);
  }

  std::mt19937_64 rng_;
  txrig::Rig rig_;
  std::map<std::uint16_t, DomainModel> domains_;
  std::vector<Device> devices_;
};

config::UnitConfig random_config(std::mt19937_64& rng) {
  config::UnitConfig config;
  config.cap.sagaw = 0b1110;  // 3-, 4- and 5-level tables
  config.cap.mgaw = 57;
  config.cap.sllps = 0b11;  // 2 MiB and 1 GiB pages
  config.cap.caching_mode = rng() & 1;
  config.caches.iotlb_organization = static_cast<config::IotlbOrganization>(rng() % 3);
  const std::uint32_t entries[] = {1, 4, 16, 64};
  config.caches.iotlb.entries = entries[rng() % 4];
  config.caches.iotlb.ways = rng() % 2 ? config.caches.iotlb.entries : 1;
  config.caches.iotlb.policy = static_cast<config::ReplacementPolicy>(rng() % 4);
  return config;
}

TEST(IsolationProperty, EveryDmaFaultsWithTheSpecReasonOrLandsInItsMappedPage) {
  const std::uint64_t seed = testing::property_seed("IsolationProperty");
  std::mt19937_64 rng(seed);
  std::uint64_t ok = 0, faults = 0;
  constexpr unsigned kScenarios = 8, kRequests = 6000;
  for (unsigned s = 0; s < kScenarios; ++s) {
    IsolationScenario scenario(rng(), random_config(rng));
    scenario.build();
    ok += scenario.run(kRequests, faults);
    ASSERT_FALSE(HasFailure()) << "scenario " << s << " (seed " << seed << ")";
  }
  std::cout << "[ cases    ] " << kScenarios * kRequests << " requests: " << ok << " translated, " << faults
            << " faulted\n";
  EXPECT_GT(ok, kScenarios * kRequests / 10);
  EXPECT_GT(faults, kScenarios * kRequests / 10);
}

}  // namespace
}  // namespace vtdsim
