// Primary fault logging (VT-d spec 7.2.1), fault event (7.3), FSTS / FECTL / FRCD registers
// (11.4, 11.4, 11.4).
#include <gtest/gtest.h>

#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/registers.hpp"

namespace {

using namespace vtdsim;
namespace r = vtdsim::spec::reg;
using spec::FaultReason;

struct Unit {
  explicit Unit(unsigned nfr = 4) : config(make(nfr)), memory(1ull << 32), unit(config, memory) {}
  static config::UnitConfig make(unsigned nfr) {
    config::UnitConfig c;
    c.cap.nfr = static_cast<std::uint16_t>(nfr);
    return c;
  }
  config::UnitConfig config;
  mem::SparseMemory memory;
  core::RemappingUnit unit;
  std::uint32_t fsts() { return static_cast<std::uint32_t>(unit.read_register(r::kFsts, 4)); }
  std::uint32_t fectl() { return static_cast<std::uint32_t>(unit.read_register(r::kFectl, 4)); }
  std::uint64_t frcd_lo(unsigned i) { return unit.read_register(config.cap.fro + 16 * i, 8); }
  std::uint64_t frcd_hi(unsigned i) { return unit.read_register(config.cap.fro + 16 * i + 8, 8); }
  void clear_f(unsigned i) { unit.write_register(config.cap.fro + 16 * i + 12, 4, 1u << 31); }
  void fault(std::uint16_t sid, std::uint64_t addr, FaultReason reason = FaultReason::kContextNotPresent,
             Access access = Access::kRead, Pasid pasid = Pasid()) {
    core::FaultRecord f;
    f.source = SourceId(sid);
    f.address = addr;
    f.reason = reason;
    f.access = access;
    f.pasid = pasid;
    unit.faults().record(f);
  }
};

TEST(RegistersFault, RecordLayout) {
  Unit u;
  u.fault(0x0218, 0xff00'7654'3210'9abcull, FaultReason::kWriteDenied, Access::kWrite);
  EXPECT_EQ(u.fsts(), r::fsts::kPpf);            // FRI = 0
  EXPECT_EQ(u.frcd_lo(0), 0x7654'3210'9000ull);  // FI [63:12], bits 63:MGAW (48) read 0
  const std::uint64_t hi = u.frcd_hi(0);
  EXPECT_TRUE(r::frcd::f(hi));
  EXPECT_EQ(r::frcd::sid(hi), 0x0218u);
  EXPECT_EQ(r::frcd::fr(hi), 0x05u);
  EXPECT_FALSE(r::frcd::t1(hi));  // write request: T = 0
  EXPECT_FALSE(r::frcd::pp(hi));
  EXPECT_EQ(r::frcd::pv(hi), 0u);
  // The F bit is bit 31 of the record's top dword, where Linux reads it with a dword access.
  EXPECT_EQ(u.unit.read_register(u.config.cap.fro + 12, 4) >> 31, 1u);

  u.fault(0x0100, 0x1000, FaultReason::kReadDenied, Access::kRead, Pasid(0x12345));
  const std::uint64_t hi1 = u.frcd_hi(1);
  EXPECT_TRUE(r::frcd::t1(hi1));  // read request: T = 1
  EXPECT_TRUE(r::frcd::pp(hi1));
  EXPECT_EQ(r::frcd::pv(hi1), 0x12345u);
  EXPECT_EQ(r::frcd::fr(hi1), 0x06u);
  EXPECT_EQ(r::fsts::fri(u.fsts()), 0u);
}

TEST(RegistersFault, FBitIsRw1cAndPpfFollowsIt) {
  Unit u;
  u.fault(1, 0x1000);
  u.fault(2, 0x2000);
  // Writes to the RO parts of a record are ignored.
  u.unit.write_register(u.config.cap.fro, 8, 0);
  u.unit.write_register(u.config.cap.fro + 8, 4, 0);
  EXPECT_EQ(u.frcd_lo(0), 0x1000u);
  // Writing 0 to F does nothing; writing 1 clears it.
  u.unit.write_register(u.config.cap.fro + 12, 4, 0);
  EXPECT_TRUE(r::frcd::f(u.frcd_hi(0)));
  u.clear_f(0);
  EXPECT_FALSE(r::frcd::f(u.frcd_hi(0)));
  EXPECT_EQ(u.fsts() & r::fsts::kPpf, r::fsts::kPpf);  // record 1 still pending
  EXPECT_EQ(r::fsts::fri(u.fsts()), 0u);               // FRI stays where PPF was set
  // A quadword write to the upper half clears F as well.
  u.unit.write_register(u.config.cap.fro + 16 + 8, 8, 1ull << 63);
  EXPECT_EQ(u.fsts() & 0xff, 0u);  // FRI is only meaningful while PPF is set
  // PPF is RO: writing it does nothing.
  u.unit.write_register(r::kFsts, 4, r::fsts::kPpf);
  EXPECT_EQ(u.fsts() & 0xff, 0u);
}

TEST(RegistersFault, CircularBufferOverflowSetsPfo) {
  Unit u(2);
  u.fault(1, 0x1000);
  u.fault(2, 0x2000);
  u.fault(3, 0x3000);  // next record (index 0) still has F set -> PFO, fault lost
  EXPECT_EQ(u.fsts(), r::fsts::kPfo | r::fsts::kPpf);
  EXPECT_EQ(u.unit.faults().counters().recorded, 2u);
  EXPECT_EQ(u.unit.faults().counters().dropped, 1u);
  EXPECT_EQ(r::frcd::sid(u.frcd_hi(0)), 1u);
  // Free record 0; while PFO is set new faults are still not recorded.
  u.clear_f(0);
  u.fault(4, 0x4000);
  EXPECT_FALSE(r::frcd::f(u.frcd_hi(0)));
  EXPECT_EQ(u.unit.faults().counters().dropped, 2u);
  // Clear PFO (RW1C): the next fault goes to index 0 (wrapped around).
  u.unit.write_register(r::kFsts, 4, r::fsts::kPfo);
  EXPECT_EQ(u.fsts() & r::fsts::kPfo, 0u);
  u.fault(5, 0x5000);
  EXPECT_TRUE(r::frcd::f(u.frcd_hi(0)));
  EXPECT_EQ(r::frcd::sid(u.frcd_hi(0)), 5u);
  EXPECT_EQ(r::fsts::fri(u.fsts()), 0u);  // latched when PPF was set; PPF never cleared
  EXPECT_EQ(u.unit.faults().next_index(), 1u);
}

TEST(RegistersFault, EventWhileMaskedIsHeldAndSentOnUnmask) {
  Unit u;
  EXPECT_EQ(u.fectl(), r::ectl::kIm);  // IM resets to 1
  u.fault(1, 0x1000);
  EXPECT_EQ(u.fectl(), r::ectl::kIm | r::ectl::kIp);
  EXPECT_FALSE(u.unit.fault_interrupt_pending());
  EXPECT_EQ(u.unit.faults().counters().messages, 0u);
  u.unit.write_register(r::kFectl, 4, 0);  // unmask: held message is sent, IP clears
  EXPECT_EQ(u.fectl(), 0u);
  EXPECT_EQ(u.unit.faults().counters().messages, 1u);
  EXPECT_TRUE(u.unit.fault_interrupt_pending());  // PPF set, unmasked
  u.clear_f(0);
  EXPECT_FALSE(u.unit.fault_interrupt_pending());
}

TEST(RegistersFault, NoNewEventWhileAConditionIsPending) {
  Unit u;
  u.unit.write_register(r::kFectl, 4, 0);  // unmasked
  u.fault(1, 0x1000);
  EXPECT_EQ(u.unit.faults().counters().messages, 1u);
  u.fault(2, 0x2000);  // PPF already set: no new event
  EXPECT_EQ(u.unit.faults().counters().messages, 1u);
  u.clear_f(0);
  u.fault(3, 0x3000);  // record 1 still pending
  EXPECT_EQ(u.unit.faults().counters().messages, 1u);
  u.clear_f(1);
  u.clear_f(2);
  EXPECT_EQ(u.fsts() & 0xff, 0u);  // all serviced
  u.fault(4, 0x4000);              // fresh condition: new event
  EXPECT_EQ(u.unit.faults().counters().messages, 2u);
  EXPECT_EQ(r::fsts::fri(u.fsts()), 3u);
  EXPECT_EQ(u.unit.faults().counters().events, 2u);
}

TEST(RegistersFault, ServicingAllConditionsDropsHeldEvent) {
  Unit u;
  u.fault(1, 0x1000);
  EXPECT_EQ(u.fectl(), r::ectl::kIm | r::ectl::kIp);
  u.clear_f(0);
  EXPECT_EQ(u.fectl(), r::ectl::kIm);  // IP cleared by servicing PPF
  u.unit.write_register(r::kFectl, 4, 0);
  EXPECT_EQ(u.unit.faults().counters().messages, 0u);
}

TEST(RegistersFault, QueueErrorIsAFaultEvent) {
  Unit u;
  u.unit.write_register(r::kFectl, 4, 0);
  u.unit.faults().raise_status(r::fsts::kIqe);
  EXPECT_EQ(u.fsts(), r::fsts::kIqe);
  EXPECT_EQ(u.unit.faults().counters().messages, 1u);
  EXPECT_TRUE(u.unit.fault_interrupt_pending());
  u.unit.write_register(r::kFsts, 4, r::fsts::kIqe);
  EXPECT_EQ(u.fsts(), 0u);
  EXPECT_FALSE(u.unit.fault_interrupt_pending());
}

TEST(RegistersFault, RecordsBeyondNfrAreNotRegisters) {
  Unit u(2);
  u.fault(1, 0x1000);
  // The third 16-byte slot after FRO is not a fault recording register.
  EXPECT_EQ(u.unit.read_register(u.config.cap.fro + 32 + 8, 8), 0u);
}

TEST(RegistersFault, RecordIsAllocationFreeAcrossManyFaults) {
  Unit u(8);
  for (unsigned i = 0; i < 100000; ++i) u.fault(static_cast<std::uint16_t>(i), i * 4096ull);
  EXPECT_EQ(u.unit.faults().counters().recorded, 8u);
  EXPECT_EQ(u.unit.faults().counters().dropped, 100000u - 8u);
}

}  // namespace
