// The IOMMU's tables in a platform author's own memory (issue 15, problem 2): IommuModule built
// from a config::UnitConfig walks root, context and page tables, fetches queued-invalidation
// descriptors and writes wait status over mem_out, into a memory target that is not MemoryModule
// (a plain simple_target_socket with its own storage, a fixed 40 ns latency and a log of every
// access). Before, the unit read a SparseMemory of its own: with the author's memory every DMA
// faulted (root not present) and the memory never saw a walk; transport_dbg returned 0.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "sysc/mmio_access.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu_json.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;
namespace r = spec::reg;

constexpr std::uint64_t kMemorySize = 4ull << 20;  // the target's storage: [0, 4 MiB)
constexpr std::uint64_t kTables = 0x100000;        // TableBuilder region [1 MiB, 2 MiB)
constexpr std::uint64_t kQueue = 0x200000;         // invalidation queue page
constexpr std::uint64_t kStatus = 0x201000;        // wait-descriptor status dword
constexpr std::uint64_t kIova = 0x10000000;        // domain 1: two 4K pages
constexpr std::uint64_t kHost = 0x300000;
constexpr SourceId kDevice = SourceId::from_bdf(0, 3, 0);

struct Access {
  bool write;
  bool debug;
  std::uint64_t addr;
  unsigned len;
  bool operator==(const Access& o) const {
    return write == o.write && debug == o.debug && addr == o.addr && len == o.len;
  }
};
std::ostream& operator<<(std::ostream& os, const Access& a) {
  return os << (a.debug ? "dbg " : "") << (a.write ? "W" : "R") << " 0x" << std::hex << a.addr << std::dec << "/"
            << a.len;
}

// The platform author's memory: own storage, 40 ns per access, every access logged. With
// wait_inside, b_transport waits its latency instead of annotating it (an LT target that syncs).
struct OwnMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<OwnMemory> socket{"socket"};
  std::vector<unsigned char> bytes = std::vector<unsigned char>(kMemorySize, 0);
  std::vector<Access> log;
  bool wait_inside = false;
  static constexpr double kLatencyNs = 40;

  explicit OwnMemory(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &OwnMemory::b_transport);
    socket.register_transport_dbg(this, &OwnMemory::transport_dbg);
  }
  bool move(tlm::tlm_generic_payload& p) {
    if (p.get_address() + p.get_data_length() > bytes.size()) return false;
    unsigned char* at = bytes.data() + p.get_address();
    if (p.is_write()) {
      std::memcpy(at, p.get_data_ptr(), p.get_data_length());
    } else {
      std::memcpy(p.get_data_ptr(), at, p.get_data_length());
    }
    return true;
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    log.push_back({p.is_write(), false, p.get_address(), p.get_data_length()});
    p.set_response_status(move(p) ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    if (wait_inside) {
      wait(delay + sc_core::sc_time(kLatencyNs, sc_core::SC_NS));
      delay = sc_core::SC_ZERO_TIME;
    } else {
      delay += sc_core::sc_time(kLatencyNs, sc_core::SC_NS);
    }
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& p) {
    log.push_back({p.is_write(), true, p.get_address(), p.get_data_length()});
    return move(p) ? p.get_data_length() : 0;
  }
  std::uint64_t q(std::uint64_t addr) const {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data() + addr, 8);
    return v;
  }
};

// The tables a driver would build, built in a SparseMemory and copied into the own memory; the
// walk the unit must make, computed here from the entries (not by the model's walker).
struct Tables {
  mem::SparseMemory sparse{kMemorySize};
  core::TableBuilder builder{sparse, kTables, 1ull << 20};
  Tables() {
    builder.create_domain(DomainId(1), 4);
    builder.set_context(kDevice, DomainId(1));
    builder.map(DomainId(1), Iova(kIova), HostAddr(kHost), 2 * kPageSize4K, Perms{true, true});
  }
  void copy_into(OwnMemory& m) const { sparse.read(0, m.bytes.data(), kMemorySize); }
  // Root entry (bus 0), context entry (devfn 3:0), PML4E, PDPE, PDE, PTE of iova (spec 3.4.2, 9.8).
  std::vector<Access> expected_walk(std::uint64_t iova) const {
    std::vector<Access> w;
    const std::uint64_t root = builder.root_table() + kDevice.bus() * 16;
    w.push_back({false, false, root, 16});
    std::uint64_t v = 0;
    sparse.read64(root, v);
    const std::uint64_t ctx = (v & ~0xfffull) + kDevice.devfn() * 16;
    w.push_back({false, false, ctx, 16});
    std::uint64_t table = builder.domain_table(DomainId(1));
    for (unsigned level = 4; level >= 1; --level) {
      const std::uint64_t entry = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
      w.push_back({false, false, entry, 8});
      sparse.read64(entry, v);
      table = v & 0x000ffffffffff000ull;
    }
    return w;
  }
};

struct Rig : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Rig> mmio{"mmio"};
  tlm_utils::simple_initiator_socket<Rig> dma{"dma"};
  sysc::IommuModule iommu;
  OwnMemory memory{"memory"};
  Tables tables;
  std::function<void(Rig&)> script;

  SC_HAS_PROCESS(Rig);
  explicit Rig(sc_core::sc_module_name n, sysc::TableAccess mode = sysc::TableAccess::kTimed)
      : sc_module(n), iommu("iommu", config::UnitConfig{}, mode) {
    mmio.bind(iommu.mmio);
    dma.bind(iommu.dma_in);
    iommu.mem_out.bind(memory.socket);
    tables.copy_into(memory);
    SC_THREAD(run);
  }
  void run() { script(*this); }

  sc_core::sc_time reg(bool write, std::uint32_t offset, unsigned size, std::uint64_t value,
                       std::uint64_t* read = nullptr) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const std::uint64_t v = test::mmio_access(mmio, write, offset, size, value, delay);
    if (read) *read = v;
    wait(delay);
    return delay;
  }
  void enable() {
    reg(true, r::kRtaddr, 8, tables.builder.rtaddr());
    reg(true, r::kGcmd, 4, r::gcmd::kSrtp);
    reg(true, r::kGcmd, 4, r::gcmd::kTe);
  }
  // One DMA from the device; returns its annotated delay (and waits it).
  sc_core::sc_time dma_access(bool write, std::uint64_t iova, unsigned char* data, unsigned len,
                              tlm::tlm_response_status* status = nullptr) {
    sysc::DmaExtension ext;
    ext.source = kDevice;
    tlm::tlm_generic_payload p;
    p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_address(iova);
    p.set_data_ptr(data);
    p.set_data_length(len);
    p.set_streaming_width(len);
    p.set_extension(&ext);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    dma->b_transport(p, delay);
    p.clear_extension(&ext);
    if (status) *status = p.get_response_status();
    wait(delay);
    return delay;
  }
  unsigned debug_access(bool write, std::uint64_t iova, unsigned char* data, unsigned len) {
    sysc::DmaExtension ext;
    ext.source = kDevice;
    tlm::tlm_generic_payload p;
    p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_address(iova);
    p.set_data_ptr(data);
    p.set_data_length(len);
    p.set_streaming_width(len);
    p.set_extension(&ext);
    const unsigned n = dma->transport_dbg(p);
    p.clear_extension(&ext);
    return n;
  }
};

void simulate(Rig& rig) {
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));
  (void)rig;
}

// Default TimingConfig: 2 GHz; context_cache_miss 4, iotlb_hit 2, context_cache_hit 2, per_read 4.
// A cold DMA: lookup 4 + 2 cycles, walk 6 reads x (4 cycles + 40 ns = 80 cycles) = 504 cycles,
// 510 cycles = 255 ns; then the data access on mem_out, 40 ns: 295 ns. (With the model's memory
// it would be 6 + 6 x (100 + 4) = 630 cycles = 315 ns + 40 ns.)
constexpr double kColdDmaNs = (4 + 2 + 6 * (4 + 80)) / 2.0 + 40;
// An IOTLB hit: context_cache_hit 2 + iotlb_hit 2 = 4 cycles = 2 ns, + 40 ns of data.
constexpr double kHitDmaNs = (2 + 2) / 2.0 + 40;

using OwnMemoryWalk = SyscTest;

TEST_F(OwnMemoryWalk, DmaWalksTheOwnMemoryAndItsDelaysAreTheWalksTime) {
  run_isolated([] {
    Rig rig("rig");
    std::vector<Access> seen_first, seen_second;
    sc_core::sc_time first, second;
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    rig.script = [&](Rig& t) {
      t.enable();
      EXPECT_TRUE(t.memory.log.empty()) << "programming RTADDR / GCMD reads no table";
      std::uint64_t value = 0x1122334455667788ull;
      first = t.dma_access(true, kIova + 0x40, reinterpret_cast<unsigned char*>(&value), 8, &status);
      seen_first = t.memory.log;
      t.memory.log.clear();
      value = 0;
      second = t.dma_access(false, kIova + 0x40, reinterpret_cast<unsigned char*>(&value), 8);
      EXPECT_EQ(value, 0x1122334455667788ull);
      seen_second = t.memory.log;
    };
    simulate(rig);
    EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
    // The data landed at the translated host address of the own memory.
    EXPECT_EQ(rig.memory.q(kHost + 0x40), 0x1122334455667788ull);
    // Exactly the walk (root, context, PML4E, PDPE, PDE, PTE), in order, then the data.
    std::vector<Access> expected = rig.tables.expected_walk(kIova + 0x40);
    expected.push_back({true, false, kHost + 0x40, 8});
    EXPECT_EQ(seen_first, expected);
    EXPECT_EQ(first, sc_core::sc_time(kColdDmaNs, sc_core::SC_NS));
    // The second time the IOTLB hits: no table read, only the data.
    EXPECT_EQ(seen_second, (std::vector<Access>{{false, false, kHost + 0x40, 8}}));
    EXPECT_EQ(second, sc_core::sc_time(kHitDmaNs, sc_core::SC_NS));
    // Walker occupancy includes the memory's time: 6 x 4 + 480 cycles.
    EXPECT_EQ(rig.iommu.iommu().timing().stats().walker_busy_cycles, 504u);
  });
}

TEST_F(OwnMemoryWalk, TargetThatWaitsGivesTheSameCompletionTime) {
  run_isolated([] {
    Rig rig("rig");
    rig.memory.wait_inside = true;
    sc_core::sc_time started, ended;
    rig.script = [&](Rig& t) {
      t.enable();
      std::uint64_t value = 7;
      started = sc_core::sc_time_stamp();
      t.dma_access(true, kIova, reinterpret_cast<unsigned char*>(&value), 8);
      ended = sc_core::sc_time_stamp();
    };
    simulate(rig);
    // The walk's reads waited 6 x 40 ns inside the target: taken out of the delay, not added twice.
    EXPECT_EQ(ended - started, sc_core::sc_time(kColdDmaNs, sc_core::SC_NS));
    EXPECT_EQ(rig.memory.q(kHost), 7u);
  });
}

TEST_F(OwnMemoryWalk, FunctionalModeUsesDebugAccessesAndTheModelsMemoryTime) {
  run_isolated([] {
    Rig rig("rig", sysc::TableAccess::kFunctional);
    std::vector<Access> seen;
    sc_core::sc_time first;
    rig.script = [&](Rig& t) {
      t.enable();
      std::uint64_t value = 0xabcd;
      first = t.dma_access(true, kIova, reinterpret_cast<unsigned char*>(&value), 8);
      seen = t.memory.log;
    };
    simulate(rig);
    std::vector<Access> expected = rig.tables.expected_walk(kIova);
    for (Access& a : expected) a.debug = true;
    expected.push_back({true, false, kHost, 8});  // the DMA's data is a timed access as ever
    EXPECT_EQ(seen, expected);
    // memory_read (100) per read as with the model's memory: (6 + 6 x 104) cycles / 2 GHz + 40 ns.
    EXPECT_EQ(first, sc_core::sc_time((6 + 6 * 104) / 2.0 + 40, sc_core::SC_NS));
    EXPECT_EQ(rig.memory.q(kHost), 0xabcdu);
  });
}

TEST_F(OwnMemoryWalk, QueuedInvalidationFetchesAndWritesStatusInTheOwnMemory) {
  run_isolated([] {
    Rig rig("rig");
    const spec::qi::Descriptor wait = spec::qi::make_wait(true, kStatus, 0xC0FFEE);
    std::memcpy(rig.memory.bytes.data() + kQueue, wait.qw.data(), 16);
    std::vector<Access> seen;
    sc_core::sc_time tail_delay;
    std::uint64_t head = 0;
    rig.script = [&](Rig& t) {
      t.enable();
      t.reg(true, r::kIqt, 8, 0);
      t.reg(true, r::kIqa, 8, kQueue);  // 128-bit descriptors, one page (QS 0)
      t.reg(true, r::kGcmd, 4, r::gcmd::kTe | r::gcmd::kQie);
      EXPECT_TRUE(t.memory.log.empty());
      tail_delay = t.reg(true, r::kIqt, 8, 16);  // one descriptor
      seen = t.memory.log;
      t.reg(false, r::kIqh, 8, 0, &head);
    };
    simulate(rig);
    EXPECT_EQ(seen, (std::vector<Access>{{false, false, kQueue, 16}, {true, false, kStatus, 4}}));
    std::uint32_t status = 0;
    std::memcpy(&status, rig.memory.bytes.data() + kStatus, 4);
    EXPECT_EQ(status, 0xC0FFEEu);
    EXPECT_EQ(head, 16u);
    // Accept 1 cycle + invalidation_descriptor 20 + wait_descriptor 40 + the memory's 2 x 40 ns
    // (160 cycles), at 2 GHz.
    EXPECT_EQ(tail_delay, sc_core::sc_time((1 + 20 + 40 + 160) / 2.0, sc_core::SC_NS));
  });
}

TEST_F(OwnMemoryWalk, TransportDbgTranslatesWithoutSideEffects) {
  run_isolated([] {
    Rig rig("rig");
    const std::uint64_t pattern = 0x0102030405060708ull;
    std::memcpy(rig.memory.bytes.data() + kHost + kPageSize4K + 0x10, &pattern, 8);
    std::vector<Access> seen, after_dma;
    std::string stats_before, stats_after;
    unsigned read_bytes = 0, written_bytes = 0;
    std::uint64_t got = 0;
    rig.script = [&](Rig& t) {
      t.enable();
      stats_before = iommu::to_json(t.iommu.iommu()).dump();
      read_bytes = t.debug_access(false, kIova + kPageSize4K + 0x10, reinterpret_cast<unsigned char*>(&got), 8);
      std::uint64_t poke = 0x99;
      written_bytes = t.debug_access(true, kIova + kPageSize4K + 0x20, reinterpret_cast<unsigned char*>(&poke), 8);
      stats_after = iommu::to_json(t.iommu.iommu()).dump();
      seen = t.memory.log;
      t.memory.log.clear();
      // Nothing was cached: the first real DMA to the page still walks.
      std::uint64_t v = 0;
      t.dma_access(false, kIova + kPageSize4K + 0x10, reinterpret_cast<unsigned char*>(&v), 8);
      after_dma = t.memory.log;
    };
    simulate(rig);
    EXPECT_EQ(read_bytes, 8u);
    EXPECT_EQ(got, pattern);
    EXPECT_EQ(written_bytes, 8u);
    EXPECT_EQ(rig.memory.q(kHost + kPageSize4K + 0x20), 0x99u);
    EXPECT_EQ(stats_after, stats_before) << "stats, caches and timing untouched by debug accesses";
    // The walk and the data, all as debug transactions (zero time, no b_transport).
    std::vector<Access> expected;
    for (std::uint64_t off : {0x10ull, 0x20ull}) {
      for (Access a : rig.tables.expected_walk(kIova + kPageSize4K + off)) {
        a.debug = true;
        expected.push_back(a);
      }
      expected.push_back({off == 0x20, true, kHost + kPageSize4K + off, 8});
    }
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(after_dma.size(), 7u) << "6 walk reads and the data: the debug walk filled no cache";
  });
}

TEST_F(OwnMemoryWalk, TransportDbgFaultReturnsZeroAndRecordsNothing) {
  run_isolated([] {
    Rig rig("rig");
    unsigned n = 1;
    std::uint64_t fsts = 1;
    std::string stats_before, stats_after;
    rig.script = [&](Rig& t) {
      t.enable();
      stats_before = iommu::to_json(t.iommu.iommu()).dump();
      std::uint64_t v = 0;
      n = t.debug_access(false, kIova + 16 * kPageSize4K, reinterpret_cast<unsigned char*>(&v), 8);  // unmapped
      stats_after = iommu::to_json(t.iommu.iommu()).dump();
      t.reg(false, r::kFsts, 4, 0, &fsts);
    };
    simulate(rig);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(fsts, 0u) << "no fault recorded (FSTS.PPF clear)";
    EXPECT_EQ(rig.iommu.unit().faults().counters().faults, 0u);
    EXPECT_EQ(stats_after, stats_before);
    for (const Access& a : rig.memory.log) EXPECT_FALSE(a.write) << a;
  });
}

}  // namespace
}  // namespace vtdsim
