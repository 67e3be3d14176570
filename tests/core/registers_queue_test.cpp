// Queued invalidation (VT-d spec 6.5.2; IQH/IQT/IQA/ICS/IECTL/IQERCD 11.4).
#include <gtest/gtest.h>

#include <vector>

#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/spec/registers.hpp"

namespace {

using namespace vtdsim;
namespace r = vtdsim::spec::reg;
namespace q = vtdsim::spec::qi;

constexpr std::uint64_t kQueue = 0x100000;
constexpr std::uint64_t kStatus = 0x200000;

struct Unit {
  explicit Unit(config::UnitConfig c = {}) : config(c), memory(1ull << 32), unit(config, memory) {}
  config::UnitConfig config;
  mem::SparseMemory memory;
  core::RemappingUnit unit;
  bool wide = false;

  std::uint32_t fsts() { return static_cast<std::uint32_t>(unit.read_register(r::kFsts, 4)); }
  std::uint64_t head() { return unit.read_register(r::kIqh, 8) >> 4; }  // in 128-bit slots
  std::uint64_t iqei() { return r::iqercd::iqei(unit.read_register(r::kIqercd, 8)); }
  std::uint32_t status(unsigned i = 0) {
    std::uint32_t v = 0;
    memory.read32(kStatus + 4 * i, v);
    return v;
  }
  // Legacy mode, 128-bit or 256-bit descriptors, QS pages.
  void setup(bool dw256 = false, unsigned qs = 0, bool scalable = false) {
    wide = dw256;
    if (scalable) {
      unit.write_register(r::kRtaddr, 8, 0x300000 | (1ull << 10));
      unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
    }
    unit.write_register(r::kIqt, 8, 0);
    unit.write_register(r::kIqa, 8, kQueue | (dw256 ? r::bit(11) : 0) | qs);
    unit.write_register(r::kGcmd, 4, r::gcmd::kQie);
  }
  // Writes descriptor `d` at descriptor index `i` (not slot).
  void put(unsigned i, const q::Descriptor& d) {
    const unsigned bytes = wide ? 32 : 16;
    memory.write(kQueue + std::uint64_t{i} * bytes, d.qw.data(), bytes);
  }
  void tail(std::uint64_t descriptor_index) { unit.write_register(r::kIqt, 8, descriptor_index * (wide ? 32 : 16)); }
  void fill_page(std::uint16_t did, std::uint64_t iova) {
    cache::IotlbEntry e;
    e.domain = DomainId(did);
    e.iova_base = iova;
    e.host_base = 0x4000'0000 + iova;
    e.perms = Perms{true, true};
    unit.caches().fill_iotlb(e);
  }
  bool has_page(std::uint16_t did, std::uint64_t iova) {
    return unit.caches().find_iotlb(SourceId(), DomainId(did), Pasid(), Iova(iova)) != nullptr;
  }
};

TEST(RegistersQueue, ProcessesDescriptorsUpToTail) {
  Unit u;
  u.setup();
  u.fill_page(1, 0x5000);
  u.fill_page(2, 0x5000);
  u.put(0, q::make_iotlb(q::iotlb::kDomain, 1));
  u.put(1, q::make_cc(q::cc::kGlobal));
  u.put(2, q::make_wait(true, kStatus, 0xC0FFEE));
  u.tail(3);
  EXPECT_EQ(u.head(), 3u);
  EXPECT_EQ(u.status(), 0xC0FFEEu);
  EXPECT_FALSE(u.has_page(1, 0x5000));
  EXPECT_TRUE(u.has_page(2, 0x5000));
  EXPECT_EQ(u.unit.commands().descriptors, 3u);
  EXPECT_EQ(u.unit.commands().wait_descriptors, 1u);
  EXPECT_EQ(u.unit.commands().invalidations, 2u);
  EXPECT_EQ(u.unit.commands().status_writes, 1u);
  EXPECT_EQ(u.fsts(), 0u);
}

TEST(RegistersQueue, TailWrittenWhileDisabledIsNotProcessed) {
  Unit u;
  u.unit.write_register(r::kIqa, 8, kQueue);
  u.put(0, q::make_wait(true, kStatus, 7));
  u.tail(1);
  EXPECT_EQ(u.status(), 0u);
  EXPECT_EQ(u.head(), 0u);
  // Enabling starts at IQH = 0 and processes what is already queued.
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kQie);
  EXPECT_EQ(u.status(), 7u);
  EXPECT_EQ(u.head(), 1u);
  // Disabling resets IQH to 0 (11.4).
  u.unit.write_register(r::kIqt, 8, 16);
  u.unit.write_register(r::kGcmd, 4, 0);
  EXPECT_EQ(u.head(), 0u);
  EXPECT_EQ(u.unit.read_register(r::kGsts, 4), 0u);
}

TEST(RegistersQueue, WrapsAroundTheEndOfTheQueue) {
  Unit u;
  u.setup();  // QS = 0: one 4K page = 256 128-bit descriptors
  for (unsigned i = 0; i < 254; ++i) u.put(i, q::make_wait(false));
  u.tail(254);
  EXPECT_EQ(u.head(), 254u);
  u.put(254, q::make_wait(true, kStatus + 0, 1));
  u.put(255, q::make_wait(true, kStatus + 4, 2));
  u.put(0, q::make_wait(true, kStatus + 8, 3));
  u.put(1, q::make_wait(true, kStatus + 12, 4));
  u.tail(2);
  EXPECT_EQ(u.head(), 2u);
  EXPECT_EQ(u.status(0), 1u);
  EXPECT_EQ(u.status(1), 2u);
  EXPECT_EQ(u.status(2), 3u);
  EXPECT_EQ(u.status(3), 4u);
  EXPECT_EQ(u.unit.commands().descriptors, 258u);
}

TEST(RegistersQueue, LargerQueueSize) {
  Unit u;
  u.setup(false, 2);  // 4 pages = 1024 descriptors
  u.put(1000, q::make_wait(true, kStatus, 9));
  for (unsigned i = 0; i < 1000; ++i) u.put(i, q::make_wait(false));
  u.tail(1001);
  EXPECT_EQ(u.head(), 1001u);
  EXPECT_EQ(u.status(), 9u);
}

TEST(RegistersQueue, WideDescriptorsInScalableMode) {
  Unit u;
  u.setup(true, 0, true);
  ASSERT_TRUE(u.unit.registers().scalable_mode());
  u.put(0, q::make_pc(q::pc::kGlobal));
  u.put(1, q::make_piotlb(q::piotlb::kPasid, 1, 5));
  u.put(2, q::make_wait(true, kStatus, 0x256));
  u.tail(3);
  EXPECT_EQ(u.head(), 6u);  // three 256-bit descriptors = six 128-bit slots
  EXPECT_EQ(u.status(), 0x256u);
  EXPECT_EQ(u.fsts(), 0u);
  // 128 descriptors per page with DW = 1: wrap after descriptor 127.
  for (unsigned i = 3; i < 128; ++i) u.put(i, q::make_wait(false));
  u.put(0, q::make_wait(true, kStatus + 4, 0x1));
  u.tail(1);
  EXPECT_EQ(u.head(), 2u);
  EXPECT_EQ(u.status(1), 1u);
}

TEST(RegistersQueue, NarrowDescriptorsInScalableModeAreInvalid) {
  Unit u;
  u.setup(false, 0, true);
  u.put(0, q::make_wait(true, kStatus, 1));
  u.tail(1);
  EXPECT_EQ(u.fsts() & r::fsts::kIqe, r::fsts::kIqe);
  EXPECT_EQ(u.iqei(), r::iqercd::kInvalidWidth);
  EXPECT_EQ(u.head(), 0u);
  EXPECT_EQ(u.status(), 0u);
}

TEST(RegistersQueue, ScalableModeTypesAreInvalidInLegacyMode) {
  Unit u;
  u.setup(true);  // 256-bit descriptors, legacy mode
  u.put(0, q::make_wait(false));
  u.put(1, q::make_pc(q::pc::kGlobal));
  u.tail(2);
  EXPECT_EQ(u.head(), 2u);  // stopped at the pc_inv_dsc (descriptor 1 = slot 2)
  EXPECT_EQ(u.iqei(), r::iqercd::kInvalidType);
}

TEST(RegistersQueue, ReservedUpperHalfOfWideDescriptor) {
  Unit u;
  u.setup(true);
  q::Descriptor d = q::make_wait(true, kStatus, 1);
  d.qw[3] = 1;
  u.put(0, d);
  u.tail(1);
  EXPECT_EQ(u.iqei(), r::iqercd::kReservedField);
  EXPECT_EQ(u.status(), 0u);
}

TEST(RegistersQueue, StopsAtBadDescriptorAndResumesWhenIqeCleared) {
  Unit u;
  u.setup();
  u.unit.write_register(r::kFectl, 4, 0);  // unmask fault events
  u.fill_page(1, 0x5000);
  u.fill_page(2, 0x6000);
  u.put(0, q::make_iotlb(q::iotlb::kDomain, 1));
  u.put(1, q::Descriptor{{0x0, 0, 0, 0}});  // type 0: invalid
  u.put(2, q::make_iotlb(q::iotlb::kDomain, 2));
  u.put(3, q::make_wait(true, kStatus, 0x55));
  u.tail(4);
  EXPECT_EQ(u.head(), 1u);  // IQH points at the bad descriptor
  EXPECT_EQ(u.fsts() & r::fsts::kIqe, r::fsts::kIqe);
  EXPECT_EQ(u.iqei(), r::iqercd::kInvalidType);
  EXPECT_FALSE(u.has_page(1, 0x5000));  // descriptor before it was applied
  EXPECT_TRUE(u.has_page(2, 0x6000));   // ... the ones after it were not
  EXPECT_EQ(u.status(), 0u);
  EXPECT_EQ(u.unit.commands().queue_errors, 1u);
  EXPECT_EQ(u.unit.faults().counters().messages, 1u);  // IQE is a fault event
  EXPECT_TRUE(u.unit.fault_interrupt_pending());
  // Writing IQT again does not restart fetching while IQE is set.
  u.tail(4);
  EXPECT_EQ(u.head(), 1u);
  // Software replaces the bad descriptor and clears IQE: hardware continues from IQH.
  u.put(1, q::make_wait(false));
  u.unit.write_register(r::kFsts, 4, r::fsts::kIqe);
  EXPECT_EQ(u.fsts() & r::fsts::kIqe, 0u);
  EXPECT_EQ(u.head(), 4u);
  EXPECT_FALSE(u.has_page(2, 0x6000));
  EXPECT_EQ(u.status(), 0x55u);
}

TEST(RegistersQueue, ReservedBitsAndGranularityErrors) {
  struct Case {
    q::Descriptor d;
    std::uint64_t iqei;
  };
  const std::vector<Case> cases = {
      {q::Descriptor{{q::make_cc(q::cc::kGlobal).qw[0] | r::bit(60), 0, 0, 0}}, r::iqercd::kReservedField},
      {q::make_cc(0), r::iqercd::kReservedField},     // G = 00
      {q::make_iotlb(0), r::iqercd::kReservedField},  // G = 00
      {q::Descriptor{{q::make_iotlb(q::iotlb::kGlobal).qw[0], r::bit(8), 0, 0}}, r::iqercd::kReservedField},
      {q::Descriptor{{q::make_wait(false).qw[0], 1, 0, 0}}, r::iqercd::kReservedField},  // status addr [1:0]
      {q::Descriptor{{q::make_wait(false).qw[0] | r::bit(7), 0, 0, 0}}, r::iqercd::kReservedField},  // PD, no PDS
      {q::Descriptor{{0xf, 0, 0, 0}}, r::iqercd::kInvalidType},
      {q::Descriptor{{0x1 | (1ull << 9), 0, 0, 0}}, r::iqercd::kInvalidType},  // Type[6:4] != 0
      {q::make_iec(), r::iqercd::kInvalidType},                                // ECAP.IR = 0
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Unit u;
    u.setup();
    u.put(0, cases[i].d);
    u.tail(1);
    EXPECT_EQ(u.head(), 0u) << i;
    EXPECT_EQ(u.iqei(), cases[i].iqei) << i;
    EXPECT_EQ(u.fsts() & r::fsts::kIqe, r::fsts::kIqe) << i;
  }
}

TEST(RegistersQueue, TailBeyondQueueOrMisalignedIsAnError) {
  {
    Unit u;
    u.setup();  // 256 descriptors
    u.unit.write_register(r::kIqt, 8, 256 * 16);
    EXPECT_EQ(u.fsts() & r::fsts::kIqe, r::fsts::kIqe);
    EXPECT_EQ(u.iqei(), r::iqercd::kInvalidTail);
    EXPECT_EQ(u.head(), 0u);
  }
  {
    Unit u;
    u.setup(true);
    u.unit.write_register(r::kIqt, 8, 16);  // bit 4 set with DW = 1
    EXPECT_EQ(u.iqei(), r::iqercd::kTailMisaligned);
    EXPECT_EQ(u.head(), 0u);
  }
}

TEST(RegistersQueue, FetchBeyondMemoryIsAnError) {
  config::UnitConfig c;
  Unit u(c);
  // The queue lies above the 4 GiB host memory of this unit.
  u.unit.write_register(r::kIqa, 8, (1ull << 33));
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kQie);
  u.unit.write_register(r::kIqt, 8, 16);
  EXPECT_EQ(u.iqei(), r::iqercd::kFetchError);
  EXPECT_EQ(u.head(), 0u);
}

TEST(RegistersQueue, WaitInterruptSetsIwcAndInvalidationEvent) {
  Unit u;
  u.setup();
  u.put(0, q::make_wait(false, 0, 0, true));
  u.tail(1);
  EXPECT_EQ(u.unit.read_register(r::kIcs, 4), r::ics::kIwc);
  EXPECT_EQ(u.unit.read_register(r::kIectl, 4), r::ectl::kIm | r::ectl::kIp);  // masked at reset
  EXPECT_EQ(u.unit.commands().wait_interrupts, 1u);
  u.unit.write_register(r::kIectl, 4, 0);
  EXPECT_EQ(u.unit.registers().invalidation_messages(), 1u);
  u.unit.write_register(r::kIcs, 4, r::ics::kIwc);  // RW1C
  EXPECT_EQ(u.unit.read_register(r::kIcs, 4), 0u);
  u.put(1, q::make_wait(true, kStatus, 3, true));
  u.tail(2);
  EXPECT_EQ(u.unit.registers().invalidation_messages(), 2u);
  EXPECT_EQ(u.status(), 3u);
}

TEST(RegistersQueue, StatusIsWrittenOnlyAfterEarlierInvalidationsApplied) {
  // After software sees the wait status, no stale entry of the invalidated domain remains.
  Unit u;
  u.setup();
  for (std::uint64_t p = 0; p < 16; ++p) u.fill_page(3, 0x100000 + p * 0x1000);
  u.put(0, q::make_iotlb(q::iotlb::kPage, 3, 0x100000, 4));  // 16 pages
  u.put(1, q::make_wait(true, kStatus, 1, false, true));
  u.tail(2);
  ASSERT_EQ(u.status(), 1u);
  for (std::uint64_t p = 0; p < 16; ++p) EXPECT_FALSE(u.has_page(3, 0x100000 + p * 0x1000)) << p;
}

TEST(RegistersQueue, InterruptEntryCacheDescriptorCountedWithIr) {
  config::UnitConfig c;
  c.cap.ir = true;
  Unit u(c);
  u.setup();
  u.put(0, q::make_iec(true, 3, 0x40));
  u.put(1, q::make_iec(true, 0x10, 0x40));  // IM above ECAP.MHMV (15): invalid
  u.tail(2);
  EXPECT_EQ(u.head(), 1u);
  EXPECT_EQ(u.unit.commands().invalidations, 1u);
  EXPECT_EQ(u.iqei(), r::iqercd::kReservedField);
}

TEST(RegistersQueue, DeviceTlbInvalidationReachesTheHandler) {
  Unit u;
  std::vector<core::InvalidationRequest> seen;
  u.unit.set_device_tlb_handler([&](const core::InvalidationRequest& req) {
    seen.push_back(req);
    return std::uint64_t{2};
  });
  u.setup();
  u.put(0, q::make_dev_tlb(0x0418, 0xabc000, false));
  u.put(1, q::make_iotlb(q::iotlb::kGlobal));
  u.tail(2);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, core::InvalidationTarget::kDeviceTlb);
  EXPECT_EQ(seen[0].source, SourceId(0x0418));
  EXPECT_EQ(seen[0].addr, Iova(0xabc000));
  EXPECT_EQ(u.unit.commands().entries_dropped, 2u);
}

TEST(RegistersQueue, ReservedTtmStopsTheQueue) {
  Unit u;
  u.unit.write_register(r::kRtaddr, 8, 0x300000 | (2ull << 10));  // TTM = 10b reserved
  u.unit.write_register(r::kGcmd, 4, r::gcmd::kSrtp);
  u.setup();
  u.put(0, q::make_wait(true, kStatus, 1));
  u.tail(1);
  EXPECT_EQ(u.iqei(), r::iqercd::kInvalidTtm);
  EXPECT_EQ(u.status(), 0u);
}

}  // namespace
