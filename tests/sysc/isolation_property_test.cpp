// Isolation property through the SystemC path: random tables and random DMA writes and reads sent
// as TLM transactions into the IommuModule (with the DmaExtension), forwarded to the MemoryModule.
// Every transaction either gets TLM_ADDRESS_ERROR_RESPONSE and leaves memory untouched, or lands
// at exactly the host address an independent reference of the mappings gives.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "support/property_seed.hpp"
#include "sysc/mmio_access.hpp"
#include "sysc_fixture.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"
#include "vtdsim/sysc/memory_module.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

struct Mapping {
  std::uint64_t iova, host, size;
  Perms perms;
};

enum class Kind { kTranslated, kPassThrough, kBlocked };

struct Prober : sc_core::sc_module {
  SC_HAS_PROCESS(Prober);
  tlm_utils::simple_initiator_socket<Prober> socket;
  tlm_utils::simple_initiator_socket<Prober> mmio;
  mem::SparseMemory& memory;
  sysc::MemoryModule& memory_module;
  std::mt19937_64 rng;
  std::map<std::uint64_t, Mapping> mappings;  // one domain, key: iova base
  std::vector<std::pair<SourceId, Kind>> devices;
  unsigned requests = 0;
  std::uint64_t landed = 0, faulted = 0;

  Prober(sc_core::sc_module_name n, mem::SparseMemory& m, sysc::MemoryModule& mm, std::uint64_t seed, unsigned count)
      : sc_module(n), socket("socket"), mmio("mmio"), memory(m), memory_module(mm), rng(seed), requests(count) {
    SC_THREAD(run);
  }

  const Mapping* find(std::uint64_t iova) const {
    auto it = mappings.upper_bound(iova);
    if (it == mappings.begin()) return nullptr;
    --it;
    return iova < it->second.iova + it->second.size ? &it->second : nullptr;
  }

  // A register write through the IOMMU's MMIO socket, as a driver does it.
  void write_register(std::uint32_t offset, std::uint64_t value, unsigned size) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    test::mmio_access(mmio, true, offset, size, value, delay, &status);
    ASSERT_EQ(status, tlm::TLM_OK_RESPONSE) << "MMIO write 0x" << std::hex << offset;
  }

  std::uint64_t rtaddr = 0;

  void run() {
    write_register(0x20, rtaddr, 8);    // RTADDR (VT-d spec 11.4.5)
    write_register(0x18, 1u << 30, 4);  // GCMD.SRTP (11.4.4)
    write_register(0x18, 1u << 31, 4);  // GCMD.TE
    for (unsigned i = 0; i < requests && !::testing::Test::HasFailure(); ++i) {
      const auto& [source, kind] = devices[rng() % devices.size()];
      std::uint64_t iova;
      if (rng() % 4 != 0) {
        auto it = mappings.begin();
        std::advance(it, rng() % mappings.size());
        iova = it->second.iova + rng() % (it->second.size + kPageSize4K);
      } else {
        iova = rng() % (4ull << 30);
      }
      iova &= ~7ull;
      const bool write = rng() & 1;
      std::uint64_t value = rng();
      sysc::DmaExtension ext;
      ext.source = source;
      tlm::tlm_generic_payload payload;
      payload.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      payload.set_address(iova);
      payload.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
      payload.set_data_length(8);
      payload.set_streaming_width(8);
      payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      payload.set_extension(&ext);
      const std::uint64_t writes_before = memory_module.counters().writes;
      const std::uint64_t sent = value;
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      socket->b_transport(payload, delay);
      payload.clear_extension(&ext);

      // Reference answer.
      bool allowed = false;
      std::uint64_t host = 0;
      if (kind == Kind::kPassThrough) {
        allowed = true;
        host = iova;
      } else if (kind == Kind::kTranslated) {
        const Mapping* m = find(iova);
        if (m != nullptr && (write ? m->perms.write : m->perms.read)) {
          allowed = true;
          host = m->host + (iova - m->iova);
        }
      }
      if (!allowed) {
        ASSERT_EQ(payload.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE)
            << "request " << i << " source " << source.to_string() << " iova 0x" << std::hex << iova;
        ASSERT_EQ(memory_module.counters().writes, writes_before) << "a faulting DMA wrote memory";
        ++faulted;
        continue;
      }
      ASSERT_EQ(payload.get_response_status(), tlm::TLM_OK_RESPONSE)
          << "request " << i << " source " << source.to_string() << " iova 0x" << std::hex << iova;
      std::uint64_t at_host = 0;
      ASSERT_TRUE(memory.read64(host, at_host));
      if (write) {
        ASSERT_EQ(at_host, sent) << "write did not land at host 0x" << std::hex << host;
      } else {
        ASSERT_EQ(value, at_host) << "read did not come from host 0x" << std::hex << host;
      }
      ++landed;
    }
  }
};

TEST_F(SyscTest, IsolationPropertyThroughTheTlmPath) {
  const std::uint64_t seed = testing::property_seed("SyscIsolationProperty");
  run_isolated([seed] {
    std::mt19937_64 rng(seed);
    config::UnitConfig config;
    config.cap.sllps = 0b11;
    config.cap.caching_mode = rng() & 1;
    config.caches.iotlb.entries = 16;
    mem::SparseMemory memory(1ull << 34);
    iommu::Iommu unit(config, memory);
    core::TableBuilder tables(memory, 0x100000, 0x800000);
    sysc::MemoryModule memory_module("memory", memory, sysc::MemoryTiming{});
    sysc::IommuModule iommu("iommu", unit);
    Prober prober("prober", memory, memory_module, rng(), 20000);
    prober.socket.bind(iommu.dma_in);
    prober.mmio.bind(iommu.mmio);
    iommu.mem_out.bind(memory_module.socket);

    const DomainId domain(1);
    tables.create_domain(domain, 4);
    for (unsigned i = 0; i < 300; ++i) {
      const std::uint64_t page = rng() % 8 == 0 ? kPageSize2M : kPageSize4K;
      const std::uint64_t iova = (rng() % (4ull << 30)) & ~(page - 1);
      const std::uint64_t host = (0x40000000 + rng() % (8ull << 30)) & ~(page - 1);
      bool overlap = false;
      for (const auto& [base, m] : prober.mappings) overlap |= iova < m.iova + m.size && m.iova < iova + page;
      if (overlap) continue;
      Perms perms{rng() % 4 != 0, rng() % 3 != 0};
      if (!perms.read && !perms.write) perms.read = true;
      tables.map(domain, Iova(iova), HostAddr(host), page, perms, page);
      prober.mappings[iova] = Mapping{iova, host, page, perms};
    }
    for (unsigned d = 1; d <= 6; ++d) {
      const SourceId source = SourceId::from_bdf(0, d, 0);
      const Kind kind = d <= 3 ? Kind::kTranslated : d == 4 ? Kind::kPassThrough : Kind::kBlocked;
      if (kind == Kind::kTranslated) tables.set_context(source, domain);
      if (kind == Kind::kPassThrough) tables.set_pass_through(source, domain);
      if (kind == Kind::kBlocked) tables.set_blocked(source);
      prober.devices.emplace_back(source, kind);
    }
    prober.rtaddr = tables.rtaddr();
    sc_core::sc_start();
    std::printf("[ cases    ] %u TLM requests: %llu landed where the tables map them, %llu faulted\n", prober.requests,
                static_cast<unsigned long long>(prober.landed), static_cast<unsigned long long>(prober.faulted));
    EXPECT_GT(prober.landed, 1000u);
    EXPECT_GT(prober.faulted, 1000u);
  });
}

}  // namespace
}  // namespace vtdsim
