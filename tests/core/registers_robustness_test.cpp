// Arbitrary register programming never crashes, hangs or breaks the register invariants
// (spec-invalid values are ignored or reported, never asserted).
#include <gtest/gtest.h>

#include <random>

#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"
#include "vtdsim/spec/registers.hpp"

namespace {

using namespace vtdsim;
namespace r = vtdsim::spec::reg;

TEST(RegistersRobustness, RandomProgrammingKeepsInvariants) {
  config::UnitConfig c;
  c.cap.nfr = 4;
  c.cap.ir = true;
  c.cap.rwbf = true;
  c.cap.plmr = c.cap.phmr = true;
  mem::SparseMemory memory(1ull << 24);  // 16 MiB: queue bases above it fail to fetch
  core::RemappingUnit unit(c, memory);
  std::mt19937_64 rng(12345);
  const std::uint32_t offsets[] = {r::kGcmd, r::kRtaddr, r::kRtaddr + 4, r::kCcmd,  r::kCcmd + 4, r::kFsts, r::kFectl,
                                   r::kIqt,  r::kIqa,    r::kIcs,        r::kIectl, r::kIrta,     r::kPmen, 0x100,
                                   0x108,    0x10c,      0x200,          0x20c,     0x21c,        0x23c};
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t v = rng();
    switch (v % 6) {
      case 0:
      case 1: {
        const std::uint32_t off = offsets[(v >> 8) % (sizeof offsets / sizeof offsets[0])];
        std::uint64_t value = rng();
        if (off == r::kIqa) value &= r::mask(23, 0) | r::bit(11);  // mostly inside memory
        if (off == r::kIqt) value &= r::mask(12, 4);
        if (off == r::kGcmd && (v & (1ull << 20))) value |= r::gcmd::kQie;
        unit.write_register(off, (v >> 16) & 1 ? 8 : 4, value);
        break;
      }
      case 2:  // queue / status memory
        memory.write64(((v >> 8) % (1u << 22)) & ~7ull, rng());
        break;
      case 3: {  // a well-formed wait or global IOTLB descriptor, or a descriptor-like value
        // Mostly where the queue head points, so the queue makes progress.
        const auto& regs = unit.registers();
        const std::uint64_t addr =
            (v & (1ull << 50)) ? ((v >> 8) % (1u << 22)) & ~15ull : regs.queue_base() + regs.queue_head() * 16;
        const std::uint64_t w = rng();
        if (w & 1) {
          memory.write64(addr, 0x5 | (w & 0x70) | (w & r::mask(63, 32)));
          memory.write64(addr + 8, (w >> 8) & r::mask(21, 2));
        } else if (w & 2) {
          memory.write64(addr, 0x2 | (1u << 4));
          memory.write64(addr + 8, 0);
        } else {
          memory.write64(addr, (w & ~0xfull & ~r::mask(11, 9)) | (1 + (v >> 40) % 9));
        }
        break;
      }
      case 4: {
        core::FaultRecord f;
        f.source = SourceId(static_cast<std::uint16_t>(v >> 8));
        f.address = rng();
        f.reason = spec::FaultReason::kReadDenied;
        unit.faults().record(f);
        break;
      }
      default: (void)unit.read_register(static_cast<std::uint32_t>((v >> 8) & 0xffc), 4); break;
    }
    if (step % 64 == 0) {  // a driver servicing faults now and then
      unit.write_register(r::kFsts, 4, 0xff);
      for (unsigned i = 0; i < unit.faults().records(); ++i) unit.write_register(0x20c + 16 * i, 4, 1u << 31);
    }
    // Invariants.
    bool any_f = false;
    for (unsigned i = 0; i < unit.faults().records(); ++i) any_f |= unit.faults().pending(i);
    const auto fsts = static_cast<std::uint32_t>(unit.read_register(r::kFsts, 4));
    ASSERT_EQ(bool(fsts & r::fsts::kPpf), any_f);
    ASSERT_EQ(unit.read_register(r::kGcmd, 4), 0u);
  }
  // The run exercised the queue and the fault log.
  EXPECT_GT(unit.commands().descriptors, 100u);
  EXPECT_GT(unit.commands().queue_errors, 100u);
  EXPECT_GT(unit.faults().counters().recorded, 100u);
  EXPECT_GT(unit.commands().register_commands, 100u);
}

}  // namespace
