// Fuzzes the SystemC path (issue 15): arbitrary TLM payloads into IommuModule::dma_in (command,
// address, length, data, byte enables, streaming width, DmaExtension fields; b_transport and
// transport_dbg) and arbitrary MMIO into its register window, with a MemoryModule behind it.
// Fails on a crash, a sanitizer report, a hang, or a broken isolation property: while the unit
// still translates with the rig's tables, every byte a DMA writes on mem_out lies in a host page
// that the source's tables map writable (VT-d spec 3.6: the second-stage tables are the only way
// from a source-id to host memory).
//
// SystemC elaborates once per process, so the platform is built on the first input and every
// input starts from IommuModule::reset(), the rig's tables restored and the unit reprogrammed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "fuzz_bytes.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"
#include "vtdsim/sysc/memory_module.hpp"

namespace {

using namespace vtdsim;
namespace r = spec::reg;

constexpr std::uint64_t kTables = 0x1000000, kTablesSize = 0x40000;
constexpr std::uint64_t kHostA = 0x200000, kHostB = 0x300000;  // 16 pages each
constexpr unsigned kPages = 16, kWritablePagesA = 8;           // A: pages 8..15 read-only
const SourceId kSourceA = SourceId::from_bdf(0, 3, 0), kSourceB = SourceId::from_bdf(0, 4, 0);

// Between the IOMMU and memory: checks every write against the source's writable pages.
struct IsolationChecker : sc_core::sc_module {
  tlm_utils::simple_target_socket<IsolationChecker> in{"in"};
  tlm_utils::simple_initiator_socket<IsolationChecker> out{"out"};
  bool armed = false;  // the unit translates with the rig's tables
  SourceId source;     // of the DMA in progress

  explicit IsolationChecker(sc_core::sc_module_name n) : sc_module(n) {
    in.register_b_transport(this, &IsolationChecker::b_transport);
    in.register_transport_dbg(this, &IsolationChecker::transport_dbg);
  }
  static bool writable(SourceId s, std::uint64_t addr) {
    if (s == kSourceA) return addr >= kHostA && addr < kHostA + kWritablePagesA * 4096ull;
    if (s == kSourceB) return addr >= kHostB && addr < kHostB + kPages * 4096ull;
    return false;
  }
  void check(tlm::tlm_generic_payload& p) {
    if (!armed || !p.is_write()) return;
    const unsigned char* be = p.get_byte_enable_ptr();
    const unsigned be_length = p.get_byte_enable_length();
    for (unsigned i = 0; i < p.get_data_length(); ++i) {
      if (be && be_length > 0 && be[i % be_length] != TLM_BYTE_ENABLED) continue;  // not written
      if (!writable(source, p.get_address() + i)) std::abort();
    }
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    check(p);
    out->b_transport(p, delay);
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& p) {
    check(p);
    return out->transport_dbg(p);
  }
};

struct Driver : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Driver> dma{"dma"};
  tlm_utils::simple_initiator_socket<Driver> mmio{"mmio"};
  explicit Driver(sc_core::sc_module_name n) : sc_module(n) {}
};

struct Platform {
  mem::SparseMemory memory{1ull << 32};
  core::TableBuilder tables{memory, kTables, kTablesSize};
  config::UnitConfig config;
  std::unique_ptr<iommu::Iommu> iommu;
  std::unique_ptr<sysc::IommuModule> module;
  sysc::MemoryModule ram{"ram", memory, sysc::MemoryTiming{}};
  IsolationChecker checker{"checker"};
  Driver driver{"driver"};
  std::vector<std::uint8_t> table_snapshot = std::vector<std::uint8_t>(kTablesSize);
  std::vector<unsigned char> buffer = std::vector<unsigned char>(200 * 1024);
  std::vector<unsigned char> byte_enables = std::vector<unsigned char>(200 * 1024);

  Platform() {
    tables.create_domain(DomainId(1), 4);
    tables.create_domain(DomainId(2), 4);
    tables.set_context(kSourceA, DomainId(1));
    tables.set_context(kSourceB, DomainId(2));
    tables.map(DomainId(1), Iova(0), HostAddr(kHostA), kWritablePagesA * 4096ull, Perms{true, true});
    tables.map(DomainId(1), Iova(kWritablePagesA * 4096ull), HostAddr(kHostA + kWritablePagesA * 4096ull),
               (kPages - kWritablePagesA) * 4096ull, Perms{true, false});
    // B's pages in reverse order: a multi-page DMA is forwarded in several runs.
    for (unsigned i = 0; i < kPages; ++i)
      tables.map(DomainId(2), Iova(0x100000 + i * 4096ull), HostAddr(kHostB + (kPages - 1 - i) * 4096ull), 4096,
                 Perms{true, true});
    memory.read(kTables, table_snapshot.data(), kTablesSize);
    iommu = std::make_unique<iommu::Iommu>(config, memory);
    module = std::make_unique<sysc::IommuModule>("iommu", *iommu);
    driver.dma.bind(module->dma_in);
    driver.mmio.bind(module->mmio);
    module->mem_out.bind(checker.in);
    checker.out.bind(ram.socket);
    // Refused requests are warnings by default; keep the run quiet and going.
    sc_core::sc_report_handler::set_actions("vtdsim/iommu/tlm", sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
    sc_core::sc_report_handler::set_actions("vtdsim/iommu", sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate
  }

  std::uint64_t mmio_access(bool write, std::uint64_t offset, unsigned length, std::uint64_t value) {
    tlm::tlm_generic_payload p;
    p.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_address(offset);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    p.set_data_length(length);
    p.set_streaming_width(length);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    driver.mmio->b_transport(p, delay);
    return value;
  }
  // Whether the unit still translates with the rig's tables (software may have turned
  // translation off or pointed it elsewhere: then any address is legitimate).
  bool rigs_tables_in_use() {
    const core::RegisterFile& regs = iommu->unit().registers();
    if (!regs.translation_enabled() || regs.root_table_address() != tables.rtaddr() || regs.scalable_mode())
      return false;
    static std::vector<std::uint8_t> now(kTablesSize);
    memory.read(kTables, now.data(), kTablesSize);
    return now == table_snapshot;
  }
  void start_input() {
    module->reset();
    memory.write(kTables, table_snapshot.data(), kTablesSize);
    mmio_access(true, r::kRtaddr, 8, tables.rtaddr());
    mmio_access(true, r::kGcmd, 4, r::gcmd::kSrtp);
    mmio_access(true, r::kGcmd, 4, r::gcmd::kTe);
  }
};

Platform& platform() {
  static Platform* p = new Platform();  // lives for the process (SystemC elaborates once)
  return *p;
}

void dma(Platform& p, fuzz::FuzzBytes& in) {
  const std::uint8_t flags = in.take<std::uint8_t>();
  sysc::DmaExtension ext;
  const std::uint8_t who = in.take<std::uint8_t>();
  ext.source = who % 4 == 0 ? kSourceA : who % 4 == 1 ? kSourceB : SourceId(in.take<std::uint16_t>());
  if (flags & 0x01) ext.pasid = Pasid(in.take<std::uint32_t>() & 0xfffff);
  ext.address_type = static_cast<AddressType>((flags >> 1) % 3);
  // Addresses near the mapped windows mostly, anything sometimes.
  std::uint64_t address = in.take<std::uint32_t>();
  if (flags & 0x08)
    address = in.take<std::uint64_t>();
  else
    address %= 0x120000;
  const std::uint32_t length = in.take<std::uint32_t>() % (140 * 1024);
  tlm::tlm_generic_payload gp;
  const std::uint8_t cmd = in.take<std::uint8_t>() % 8;
  gp.set_command(cmd < 3 ? tlm::TLM_READ_COMMAND : cmd < 7 ? tlm::TLM_WRITE_COMMAND : tlm::TLM_IGNORE_COMMAND);
  gp.set_address(address);
  gp.set_data_ptr(p.buffer.data());
  gp.set_data_length(length);
  gp.set_streaming_width((flags & 0x10) ? in.take<std::uint32_t>() % (length + 2) : length);
  if (flags & 0x20) {
    const unsigned be_length = in.take<std::uint16_t>() % 300;
    const std::uint32_t pattern = in.take<std::uint32_t>();
    for (unsigned i = 0; i < be_length; ++i) p.byte_enables[i] = (pattern >> (i % 32)) & 1 ? TLM_BYTE_ENABLED : 0;
    gp.set_byte_enable_ptr(p.byte_enables.data());
    gp.set_byte_enable_length(be_length);
  }
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (!(flags & 0x40)) gp.set_extension(&ext);
  p.checker.armed = p.rigs_tables_in_use();
  p.checker.source = ext.source;
  if (flags & 0x80) {
    (void)p.driver.dma->transport_dbg(gp);
  } else {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.driver.dma->b_transport(gp, delay);
  }
  gp.clear_extension(&ext);
  // The initiator's payload comes back as it went (the module restores the address).
  if (gp.get_address() != address || gp.get_data_ptr() != p.buffer.data() || gp.get_data_length() != length)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Platform& p = platform();
  fuzz::FuzzBytes in(data, size);
  p.start_input();
  for (unsigned steps = 0; !in.empty() && steps < 64; ++steps) {
    switch (in.take<std::uint8_t>() % 4) {
      case 0:
      case 1: dma(p, in); break;
      case 2: {  // MMIO of any offset and length (the module refuses what is not 4 or 8 aligned)
        const bool write = in.take<std::uint8_t>() & 1;
        const std::uint64_t offset = in.take<std::uint16_t>() % 0x1100;
        const unsigned length = 1 + in.take<std::uint8_t>() % 8;
        p.mmio_access(write, offset, length, in.take<std::uint64_t>());
        break;
      }
      default:  // let the module's processes run (lines, messages)
        sc_core::sc_start(1 + in.take<std::uint8_t>() % 64, sc_core::SC_NS);
        break;
    }
  }
  sc_core::sc_start(1, sc_core::SC_NS);
  return 0;
}

// libsystemc's main() calls sc_main; libFuzzer's main() is the one that runs, so this never does.
int sc_main(int, char**) { return 0; }
