// Fuzzes the remapping unit with arbitrary register writes, arbitrary memory contents (tables,
// invalidation queue) and translations. Any crash, hang, sanitizer report or broken invariant fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz_bytes.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/mem/sparse_memory.hpp"

namespace {

// Register offsets worth hitting (VT-d spec 11.4), plus IOTLB/IVA and fault records at the
// configured IRO/FRO; anything else is also tried through the raw offset path.
constexpr std::uint32_t kOffsets[] = {0x00,  0x08,  0x10,  0x18,  0x1c,  0x20,  0x24,  0x28, 0x2c, 0x34,
                                      0x38,  0x3c,  0x40,  0x44,  0x80,  0x88,  0x90,  0x9c, 0xa0, 0xb8,
                                      0x100, 0x108, 0x10c, 0x200, 0x208, 0x20c, 0x210, 0x218};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vtdsim::fuzz::FuzzBytes in(data, size);
  vtdsim::config::UnitConfig config;
  const std::uint8_t knobs = in.take<std::uint8_t>();
  config.cap.caching_mode = knobs & 1;
  config.cap.sllps = (knobs >> 1) & 3;
  config.cap.sagaw = static_cast<std::uint8_t>(((knobs >> 3) & 7) << 1);
  config.caches.iotlb_organization = static_cast<vtdsim::config::IotlbOrganization>((knobs >> 6) % 3);
  // Host memory is 16 MiB: table pointers beyond it exercise the access-error faults.
  vtdsim::mem::SparseMemory memory(16ull << 20);
  vtdsim::core::RemappingUnit unit(config, memory);

  for (unsigned steps = 0; !in.empty() && steps < 512; ++steps) {
    switch (in.take<std::uint8_t>() % 4) {
      case 0: {  // memory write: tables, queue, anything in the first 16 MiB (and a bit beyond)
        const std::uint64_t addr = (in.take<std::uint32_t>() % (17u << 20)) & ~7ull;
        memory.write64(addr, in.take<std::uint64_t>());
        break;
      }
      case 1: {  // register write
        const std::uint8_t pick = in.take<std::uint8_t>();
        std::uint32_t offset = kOffsets[pick % (sizeof kOffsets / sizeof kOffsets[0])];
        if (pick >= 240) offset = in.take<std::uint16_t>() & 0xffc;
        const unsigned width = (pick & 1) ? 8 : 4;
        unit.write_register(offset & ~(width - 1), width, in.take<std::uint64_t>());
        break;
      }
      case 2: {  // register read
        const std::uint16_t offset = in.take<std::uint16_t>() & 0xffc;
        (void)unit.read_register(offset, 4);
        break;
      }
      default: {  // translation
        vtdsim::core::TranslationRequest request;
        request.source = vtdsim::SourceId(in.take<std::uint16_t>());
        const std::uint8_t flags = in.take<std::uint8_t>();
        if (flags & 1) request.pasid = vtdsim::Pasid(in.take<std::uint32_t>() & 0xfffff);
        request.access = (flags & 2) ? vtdsim::Access::kWrite : vtdsim::Access::kRead;
        request.address_type = static_cast<vtdsim::AddressType>((flags >> 2) % 3);
        request.iova = vtdsim::Iova(in.take<std::uint64_t>());
        request.size = 1 + in.take<std::uint8_t>();
        const auto result = unit.translate(request);
        // Invariants: a successful translation names a real page size and allows the access.
        if (result.ok() && result.outcome.translated) {
          const auto ps = result.page_size;
          if (ps != vtdsim::kPageSize4K && ps != vtdsim::kPageSize2M && ps != vtdsim::kPageSize1G) std::abort();
          if (!result.perms.allows(request.access)) std::abort();
          if ((result.host.value & (ps - 1)) != (request.iova.value & (ps - 1))) std::abort();
        }
        if (result.walk.count > vtdsim::core::WalkReads::kCapacity) std::abort();
        break;
      }
    }
  }
  return 0;
}
