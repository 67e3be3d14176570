// fault_irq with several processes touching the fault state (issue 15, problem 1): a device
// thread faults, a driver thread clears the fault record over MMIO. Each call changes the line's
// level from a different process; before the module drove the line from its own method process,
// the second write aborted the simulation with SystemC's E115 (more than one driver).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "sysc/mmio_access.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"
#include "vtdsim/sysc/memory_module.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

struct Rig : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Rig> mmio{"mmio"};
  tlm_utils::simple_initiator_socket<Rig> dma{"dma"};
  core::TableBuilder& tables;
  sysc::IommuModule& iommu;
  sc_core::sc_event enabled, faulted;
  std::vector<std::pair<double, bool>> irq;  // (ns, level) seen by the watcher

  SC_HAS_PROCESS(Rig);
  Rig(sc_core::sc_module_name n, core::TableBuilder& t, sysc::IommuModule& m) : sc_module(n), tables(t), iommu(m) {
    SC_THREAD(driver);
    SC_THREAD(device);
    SC_METHOD(watch);
    sensitive << iommu.fault_irq;
    dont_initialize();
  }
  void watch() { irq.emplace_back(sc_core::sc_time_stamp().to_seconds() * 1e9, iommu.fault_irq.read()); }

  std::uint64_t access(bool write, std::uint32_t offset, unsigned size, std::uint64_t value) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    value = test::mmio_access(mmio, write, offset, size, value, delay);
    wait(delay);
    return value;
  }

  void driver() {
    tables.create_domain(DomainId(1), 4);
    tables.set_context(SourceId::from_bdf(0, 3, 0), DomainId(1));
    access(true, spec::reg::kRtaddr, 8, tables.rtaddr());
    access(true, spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp);
    access(true, spec::reg::kGcmd, 4, spec::reg::gcmd::kTe);
    access(true, spec::reg::kFectl, 4, 0);  // unmask fault events (FECTL.IM resets to 1)
    enabled.notify();
    wait(faulted);
    wait(10, sc_core::SC_NS);
    // Clear the first fault record's F bit (RW1C, VT-d spec 11.4 FRCD_REG) from this thread.
    const std::uint32_t fro = static_cast<std::uint32_t>(spec::reg::cap::fro(access(false, spec::reg::kCap, 8, 0)));
    access(true, fro + 8, 8, spec::reg::frcd::kF);
  }

  void device() {
    wait(enabled);
    sysc::DmaExtension ext;
    ext.source = SourceId::from_bdf(0, 3, 0);
    unsigned char buf[8];
    tlm::tlm_generic_payload p;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(0x5000);  // nothing mapped: fault
    p.set_data_ptr(buf);
    p.set_data_length(sizeof buf);
    p.set_streaming_width(sizeof buf);
    p.set_extension(&ext);
    dma->b_transport(p, delay);
    p.clear_extension(&ext);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    wait(delay);
    faulted.notify();
  }
};

// The scenario's whole platform: memory, tables, the IOMMU and its module, a RAM target, the rig.
struct Scenario {
  mem::SparseMemory memory{1ull << 36};
  core::TableBuilder tables{memory, 0x1000000, 0x400000};
  config::UnitConfig config;
  iommu::Iommu iommu{config, memory};
  sysc::IommuModule module{"iommu", iommu};
  sysc::MemoryModule ram{"ram", memory, sysc::MemoryTiming{}};
  Rig rig{"rig", tables, module};
  Scenario() {
    rig.mmio.bind(module.mmio);
    rig.dma.bind(module.dma_in);
    module.mem_out.bind(ram.socket);
  }
};

TEST_F(SyscTest, FaultLineRaisedByADeviceThreadAndClearedByADriverThread) {
  run_isolated([] {
    Scenario s;
    sc_core::sc_start();
    ASSERT_EQ(s.rig.irq.size(), 2u);  // raised by the fault, lowered by the clear
    EXPECT_TRUE(s.rig.irq[0].second);
    EXPECT_FALSE(s.rig.irq[1].second);
    EXPECT_GT(s.rig.irq[1].first, s.rig.irq[0].first);
    EXPECT_FALSE(s.module.fault_irq.read());
    EXPECT_EQ(s.iommu.recorder().stats().faults, 1u);
  });
}

// The same scenario with a stats dump set: after sc_stop, end_of_simulation has written the
// IOMMU's stats tree (one translation, its fault); an unwritable path is a warning, not an abort.
void run_with_stats_dump(const std::string& path, bool report_faults = false) {
  Scenario s;
  s.module.set_stats_dump(path);
  s.module.set_report_faults(report_faults);
  sc_core::sc_start();
  sc_core::sc_stop();
}

TEST_F(SyscTest, StatsDumpWrittenAtEndOfSimulation) {
  run_isolated([] {
    const std::string path = ::testing::TempDir() + "vtdsim_stats_dump.json";
    std::remove(path.c_str());
    run_with_stats_dump(path);
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const nlohmann::json j = nlohmann::json::parse(in);
    EXPECT_EQ(j.at("translations").get<std::uint64_t>(), 1u);
    EXPECT_EQ(j.at("faults").at("total").get<std::uint64_t>(), 1u);
  });
}

TEST_F(SyscTest, UnwritableStatsDumpIsAWarning) {
  run_isolated([] {
    sc_core::sc_report_handler::set_actions("vtdsim/iommu", sc_core::SC_WARNING, sc_core::SC_LOG | sc_core::SC_DISPLAY);
    run_with_stats_dump("/nonexistent-dir/stats.json");
    EXPECT_EQ(sc_core::sc_report_handler::get_count("vtdsim/iommu"), 1);
  });
}

// With set_report_faults the one fault is one SC_REPORT_INFO of type vtdsim/iommu/fault; without,
// none.
TEST_F(SyscTest, DmaFaultsReportedThroughSystemCWhenAsked) {
  run_isolated([] {
    run_with_stats_dump("", true);
    EXPECT_EQ(sc_core::sc_report_handler::get_count("vtdsim/iommu/fault"), 1);
  });
  run_isolated([] {
    run_with_stats_dump("", false);
    EXPECT_EQ(sc_core::sc_report_handler::get_count("vtdsim/iommu/fault"), 0);
  });
}

}  // namespace
}  // namespace vtdsim
