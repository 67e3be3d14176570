// A minimal SystemC platform around vtdsim's IOMMU, written as a platform author would: an own
// memory target, an own DMA initiator and an own driver thread that programs the remapping unit
// over MMIO. Everything except sysc::IommuModule is this file's.
//
//   driver thread --mmio--> IommuModule.mmio        (RTADDR, GCMD.SRTP, GCMD.TE; VT-d spec 11.4)
//   device thread --dma---> IommuModule.dma_in --mem_out--> Memory (this file's target)
//
// The module is built from a plain config::UnitConfig and reads its root, context and page tables
// through mem_out from this file's memory target, timed: each walk read costs the target's 60 ns.
// The target keeps its bytes in a mem::SparseMemory only so that core::TableBuilder can write the
// tables there, as a guest driver would.
#include <cstdio>
#include <cstring>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"

using namespace vtdsim;

// The platform's memory: a loosely-timed target with a fixed latency.
struct Memory : sc_core::sc_module {
  tlm_utils::simple_target_socket<Memory> socket{"socket"};
  mem::SparseMemory& bytes;
  explicit Memory(sc_core::sc_module_name n, mem::SparseMemory& m) : sc_module(n), bytes(m) {
    socket.register_b_transport(this, &Memory::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    if (p.get_byte_enable_ptr() != nullptr) {  // not needed here: refuse rather than ignore
      p.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    const bool ok = p.is_read() ? bytes.read(p.get_address(), p.get_data_ptr(), p.get_data_length())
                                : bytes.write(p.get_address(), p.get_data_ptr(), p.get_data_length());
    delay += sc_core::sc_time(60, sc_core::SC_NS);
    p.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }
};

// The driver (CPU side) and one device (DMA side), each a thread with its own socket.
struct Board : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Board> mmio{"mmio"};
  tlm_utils::simple_initiator_socket<Board> dma{"dma"};
  core::TableBuilder& tables;
  sc_core::sc_event enabled;
  int failures = 0;

  SC_HAS_PROCESS(Board);
  Board(sc_core::sc_module_name n, core::TableBuilder& t) : sc_module(n), tables(t) {
    SC_THREAD(driver);
    SC_THREAD(device);
  }

  void write_register(std::uint32_t offset, unsigned size, std::uint64_t value) {
    tlm::tlm_generic_payload p;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.set_command(tlm::TLM_WRITE_COMMAND);
    p.set_address(offset);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    p.set_data_length(size);
    p.set_streaming_width(size);
    mmio->b_transport(p, delay);
    wait(delay);
  }

  void driver() {
    // Domain 1 maps IOVA 0x10000 to host 0x200000 (one 4 KiB page, read/write) for device 00:03.0.
    tables.create_domain(DomainId(1), 4);
    tables.map(DomainId(1), Iova(0x10000), HostAddr(0x200000), kPageSize4K, Perms{true, true}, kPageSize4K);
    tables.set_context(SourceId::from_bdf(0, 3, 0), DomainId(1));
    write_register(spec::reg::kRtaddr, 8, tables.rtaddr());
    write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp);
    write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe);
    enabled.notify();
  }

  // One DMA: returns the response status.
  tlm::tlm_response_status dma_read(std::uint64_t iova, unsigned char* data, unsigned size, sysc::DmaExtension& ext) {
    tlm::tlm_generic_payload p;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    p.set_command(tlm::TLM_READ_COMMAND);
    p.set_address(iova);
    p.set_data_ptr(data);
    p.set_data_length(size);
    p.set_streaming_width(size);
    p.set_extension(&ext);
    dma->b_transport(p, delay);
    p.clear_extension(&ext);
    wait(delay);
    return p.get_response_status();
  }

  void device() {
    wait(enabled);
    sysc::DmaExtension ext;
    ext.source = SourceId::from_bdf(0, 3, 0);
    unsigned char buf[64];
    // Mapped: translated to host 0x200040, an IOTLB miss then a hit.
    for (int i = 0; i < 2; ++i) {
      ext.reset_response();
      const bool ok = dma_read(0x10040, buf, sizeof buf, ext) == tlm::TLM_OK_RESPONSE;
      std::printf("DMA read iova 0x10040 -> %s host 0x%llx, IOTLB %s\n", ok ? "ok" : "FAILED",
                  static_cast<unsigned long long>(ext.host.value), ext.outcome.iotlb_hit ? "hit" : "miss");
      if (!ok || ext.host.value != 0x200040) ++failures;
    }
    // Not mapped: the unit faults it (VT-d fault reason 06h, read access to a non-present entry).
    ext.reset_response();
    const bool faulted = dma_read(0x90000, buf, sizeof buf, ext) == tlm::TLM_ADDRESS_ERROR_RESPONSE;
    std::printf("DMA read iova 0x90000 -> %s (fault reason 0x%02x)\n", faulted ? "faulted" : "NOT FAULTED",
                static_cast<unsigned>(ext.fault));
    if (!faulted) ++failures;
  }
};

int sc_main(int, char*[]) {
  mem::SparseMemory memory(1ull << 36);
  core::TableBuilder tables(memory, 0x1000000, 0x400000);  // the driver's table pages
  config::UnitConfig config;                               // defaults: docs/configuration.md
  sysc::IommuModule iommu_module("iommu", config, sysc::TableAccess::kTimed);
  Memory ram("ram", memory);
  Board board("board", tables);
  board.mmio.bind(iommu_module.mmio);
  board.dma.bind(iommu_module.dma_in);
  iommu_module.mem_out.bind(ram.socket);
  sc_core::sc_start();
  const auto& s = iommu_module.iommu().recorder().stats();
  std::printf("translations %llu, IOTLB hits %llu, faults %llu, mean latency %.1f cycles (walks at 60 ns a read)\n",
              static_cast<unsigned long long>(s.translations), static_cast<unsigned long long>(s.iotlb_hits),
              static_cast<unsigned long long>(s.faults), s.latency.mean());
  return board.failures == 0 ? 0 : 1;
}
