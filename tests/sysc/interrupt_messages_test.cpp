// The IommuModule's interrupt side (issue 15): the fault event and invalidation completion event
// messages written on msi_out (VT-d spec 7.3.1, 7.4; FEDATA/FEADDR/FEUADDR and
// IEDATA/IEADDR/IEUADDR, 11.4), the inv_irq line, ports bound by the platform or left to the
// module, and reset().
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "sysc/mmio_access.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"
#include "vtdsim/sysc/memory_module.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;
namespace r = spec::reg;
namespace q = spec::qi;

constexpr std::uint64_t kQueue = 0x2000000;
constexpr std::uint64_t kStatus = 0x2100000;
constexpr std::uint32_t kFeAddr = 0xfee01000, kFeData = 0x41;
constexpr std::uint32_t kIeAddr = 0xfee02000, kIeData = 0x42;

// An interrupt controller's message window: records every write (ns, address, data).
struct MsiSink : sc_core::sc_module {
  tlm_utils::simple_target_socket<MsiSink> socket{"socket"};
  struct Write {
    double ns;
    std::uint64_t address;
    std::uint32_t data;
    unsigned length;
  };
  std::vector<Write> writes;
  explicit MsiSink(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &MsiSink::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    std::uint32_t data = 0;
    for (unsigned i = 0; i < p.get_data_length() && i < 4; ++i) data |= std::uint32_t{p.get_data_ptr()[i]} << (8 * i);
    writes.push_back(
        {(sc_core::sc_time_stamp() + delay).to_seconds() * 1e9, p.get_address(), data, p.get_data_length()});
    p.set_response_status(p.is_write() ? tlm::TLM_OK_RESPONSE : tlm::TLM_COMMAND_ERROR_RESPONSE);
  }
};

// A driver thread and a device thread; `script` is the driver's part after the unit is enabled.
struct Rig : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Rig> mmio{"mmio"};
  tlm_utils::simple_initiator_socket<Rig> dma{"dma"};
  core::TableBuilder& tables;
  mem::SparseMemory& memory;
  sysc::IommuModule& iommu;
  std::function<void(Rig&)> script;
  std::vector<std::pair<double, bool>> inv_levels;

  SC_HAS_PROCESS(Rig);
  Rig(sc_core::sc_module_name n, core::TableBuilder& t, mem::SparseMemory& m, sysc::IommuModule& module)
      : sc_module(n), tables(t), memory(m), iommu(module) {
    SC_THREAD(driver);
    SC_METHOD(watch_inv);
    sensitive << iommu.inv_irq;
    dont_initialize();
  }
  void watch_inv() { inv_levels.emplace_back(sc_core::sc_time_stamp().to_seconds() * 1e9, iommu.inv_irq.read()); }

  std::uint64_t access(bool write, std::uint32_t offset, unsigned size, std::uint64_t value = 0) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    value = test::mmio_access(mmio, write, offset, size, value, delay);
    wait(delay);
    return value;
  }
  tlm::tlm_response_status read_dma(std::uint64_t iova) {
    sysc::DmaExtension ext;
    ext.source = SourceId::from_bdf(0, 3, 0);
    unsigned char buf[8];
    tlm::tlm_generic_payload p;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(iova);
    p.set_data_ptr(buf);
    p.set_data_length(sizeof buf);
    p.set_streaming_width(sizeof buf);
    p.set_extension(&ext);
    dma->b_transport(p, delay);
    p.clear_extension(&ext);
    wait(delay);
    return p.get_response_status();
  }
  // One wait descriptor with IF at queue slot `slot`, then the tail after it.
  void wait_with_interrupt(unsigned slot) {
    const q::Descriptor d = q::make_wait(false, 0, 0, true);
    memory.write(kQueue + 16ull * slot, d.qw.data(), 16);
    access(true, r::kIqt, 8, 16ull * (slot + 1));
  }

  void driver() {
    tables.create_domain(DomainId(1), 4);
    tables.set_context(SourceId::from_bdf(0, 3, 0), DomainId(1));
    tables.map(DomainId(1), Iova(0x5000), HostAddr(0x9000), 0x1000, Perms{true, true});
    access(true, r::kRtaddr, 8, tables.rtaddr());
    access(true, r::kGcmd, 4, r::gcmd::kSrtp);
    access(true, r::kGcmd, 4, r::gcmd::kTe);
    access(true, r::kFeaddr, 4, kFeAddr);
    access(true, r::kFedata, 4, kFeData);
    access(true, r::kIeaddr, 4, kIeAddr);
    access(true, r::kIedata, 4, kIeData);
    access(true, r::kIqt, 8, 0);
    access(true, r::kIqa, 8, kQueue);
    access(true, r::kGcmd, 4, r::gcmd::kTe | r::gcmd::kQie);
    script(*this);
  }
};

struct Scenario {
  mem::SparseMemory memory{1ull << 36};
  core::TableBuilder tables{memory, 0x1000000, 0x400000};
  config::UnitConfig config;
  iommu::Iommu iommu{config, memory};
  sysc::IommuModule module{"iommu", iommu};
  sysc::MemoryModule ram{"ram", memory, sysc::MemoryTiming{}};
  std::unique_ptr<MsiSink> msi_sink;  // absent: msi_out left unbound
  Rig rig{"rig", tables, memory, module};
  explicit Scenario(std::function<void(Rig&)> script, bool bind_msi = true) {
    rig.script = std::move(script);
    rig.mmio.bind(module.mmio);
    rig.dma.bind(module.dma_in);
    module.mem_out.bind(ram.socket);
    if (bind_msi) {
      msi_sink = std::make_unique<MsiSink>("msi");
      module.msi_out.bind(msi_sink->socket);
    }
  }
  MsiSink& msi() { return *msi_sink; }
};

// FECTL.IM resets to 1: the fault sets FECTL.IP and no message goes out; clearing IM sends the
// held one (spec 7.3.1), FEDATA to FEADDR, at the time of that register write.
TEST_F(SyscTest, FaultEventMessageHeldByImAndSentOnUnmask) {
  run_isolated([] {
    double unmasked_ns = 0;
    Scenario s([&](Rig& rig) {
      EXPECT_EQ(rig.read_dma(0x7000), tlm::TLM_ADDRESS_ERROR_RESPONSE);  // not mapped
      EXPECT_NE(rig.access(false, r::kFectl, 4) & r::ectl::kIp, 0u);
      wait(100, sc_core::SC_NS);
      unmasked_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
      rig.access(true, r::kFectl, 4, 0);
      wait(100, sc_core::SC_NS);
    });
    sc_core::sc_start();
    ASSERT_EQ(s.msi().writes.size(), 1u);
    EXPECT_EQ(s.msi().writes[0].address, kFeAddr);
    EXPECT_EQ(s.msi().writes[0].data, kFeData);
    EXPECT_EQ(s.msi().writes[0].length, 4u);
    EXPECT_GE(s.msi().writes[0].ns, unmasked_ns);
    EXPECT_LE(s.msi().writes[0].ns, unmasked_ns + 10);  // within the register access
    EXPECT_EQ(s.module.messages().fault, 1u);
    EXPECT_EQ(s.module.messages().written, 1u);
  });
}

// Unmasked, a fault's message goes out at once; a second fault while PPF is still set makes no
// new event (spec 7.3.1); after the record is cleared, the next fault does.
TEST_F(SyscTest, FaultEventMessagePerEventNotPerFault) {
  run_isolated([] {
    Scenario s([](Rig& rig) {
      rig.access(true, r::kFectl, 4, 0);
      rig.read_dma(0x7000);
      rig.read_dma(0x8000);  // PPF still set: no new event
      const std::uint32_t fro = static_cast<std::uint32_t>(r::cap::fro(rig.access(false, r::kCap, 8)));
      rig.access(true, fro + 8, 8, r::frcd::kF);              // clear record 0
      rig.access(true, fro + 16 + 8, 8, r::frcd::kF);         // and record 1: PPF clear
      EXPECT_EQ(rig.read_dma(0x5000), tlm::TLM_OK_RESPONSE);  // mapped: no event
      rig.read_dma(0x7000);                                   // a new event
      wait(10, sc_core::SC_NS);
    });
    sc_core::sc_start();
    EXPECT_EQ(s.module.messages().fault, 2u);
    ASSERT_EQ(s.msi().writes.size(), 2u);
    EXPECT_LT(s.msi().writes[0].ns, s.msi().writes[1].ns);
  });
}

// A wait descriptor with IF (spec 6.5.2.8) sets ICS.IWC: inv_irq rises and, IECTL.IM clear, the
// IEDATA message goes to IEADDR. Clearing IWC lowers the line. With IM set, the message waits
// for the unmask.
TEST_F(SyscTest, InvalidationCompletionLineAndMessage) {
  run_isolated([] {
    Scenario s([](Rig& rig) {
      rig.access(true, r::kIectl, 4, 0);  // IECTL.IM resets to 1
      rig.wait_with_interrupt(0);
      wait(10, sc_core::SC_NS);
      EXPECT_TRUE(rig.iommu.inv_irq.read());
      rig.access(true, r::kIcs, 4, r::ics::kIwc);  // RW1C
      wait(10, sc_core::SC_NS);
      EXPECT_FALSE(rig.iommu.inv_irq.read());
      rig.access(true, r::kIectl, 4, r::ectl::kIm);
      rig.wait_with_interrupt(1);
      wait(10, sc_core::SC_NS);
      EXPECT_EQ(rig.iommu.messages().invalidation, 1u);  // held by IM
      rig.access(true, r::kIectl, 4, 0);
      wait(10, sc_core::SC_NS);
    });
    sc_core::sc_start();
    EXPECT_EQ(s.module.messages().invalidation, 2u);
    ASSERT_EQ(s.msi().writes.size(), 2u);
    for (const MsiSink::Write& w : s.msi().writes) {
      EXPECT_EQ(w.address, kIeAddr);
      EXPECT_EQ(w.data, kIeData);
    }
    ASSERT_GE(s.rig.inv_levels.size(), 2u);
    EXPECT_TRUE(s.rig.inv_levels[0].second);
    EXPECT_FALSE(s.rig.inv_levels[1].second);
  });
}

// msi_out unbound: the messages are counted, nothing is written, nothing aborts.
TEST_F(SyscTest, MessagesCountedWithMsiOutUnbound) {
  run_isolated([] {
    Scenario s(
        [](Rig& rig) {
          rig.access(true, r::kFectl, 4, 0);
          rig.read_dma(0x7000);
        },
        false);
    sc_core::sc_start();
    EXPECT_EQ(s.module.messages().fault, 1u);
    EXPECT_EQ(s.module.messages().written, 0u);
    EXPECT_TRUE(s.module.fault_irq.read());
  });
}

// The platform binds fault_irq to its own signal: the module drives that one.
TEST_F(SyscTest, FaultLineBoundToThePlatformsSignal) {
  run_isolated([] {
    sc_core::sc_signal<bool> line("line");
    Scenario s([](Rig& rig) {
      rig.access(true, r::kFectl, 4, 0);
      rig.read_dma(0x7000);
      wait(10, sc_core::SC_NS);
    });
    s.module.fault_irq.bind(line);
    sc_core::sc_start();
    EXPECT_TRUE(line.read());
  });
}

// reset(): registers back to their reset values (GSTS clear: translation off, so a DMA passes
// untranslated; FECTL.IM set; fault records clear), the line low, the caches empty; stats kept.
TEST_F(SyscTest, ResetReturnsTheUnitToItsResetState) {
  run_isolated([] {
    Scenario s([](Rig& rig) {
      rig.access(true, r::kFectl, 4, 0);
      EXPECT_EQ(rig.read_dma(0x5000), tlm::TLM_OK_RESPONSE);  // fills the IOTLB
      rig.read_dma(0x7000);                                   // a fault
      wait(10, sc_core::SC_NS);
      EXPECT_TRUE(rig.iommu.fault_irq.read());
      rig.iommu.reset();
      wait(10, sc_core::SC_NS);
      EXPECT_FALSE(rig.iommu.fault_irq.read());
      EXPECT_EQ(rig.access(false, r::kGsts, 4), 0u);
      EXPECT_EQ(rig.access(false, r::kFsts, 4), 0u);
      EXPECT_EQ(rig.access(false, r::kFectl, 4), r::ectl::kIm);
      EXPECT_EQ(rig.iommu.unit().caches().occupancy().iotlb, 0u);
      EXPECT_EQ(rig.iommu.unit().caches().occupancy().context, 0u);
      EXPECT_EQ(rig.read_dma(0x7000), tlm::TLM_OK_RESPONSE);  // translation disabled: passes
    });
    sc_core::sc_start();
    EXPECT_EQ(s.iommu.recorder().stats().faults, 1u);  // kept across the reset
    EXPECT_EQ(s.module.messages().fault, 1u);
  });
}

}  // namespace
}  // namespace vtdsim
