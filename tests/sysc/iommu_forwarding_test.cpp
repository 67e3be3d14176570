// How IommuModule forwards a translated request (TLM-2.0 base protocol, issue 15 problem 4): a
// request over host pages that are not contiguous goes out as one fresh payload per contiguous
// run, each with its slice of the byte enables, and the initiator's payload is left as it was;
// byte-disabled bytes are not written.
#include <gtest/gtest.h>

#include <array>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "sysc/mmio_access.hpp"
#include "sysc/sysc_fixture.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

// A memory target that applies byte enables and remembers every payload it was sent.
struct RecordingMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<RecordingMemory> socket{"socket"};
  mem::SparseMemory& bytes;
  struct Seen {
    const tlm::tlm_generic_payload* payload;
    std::uint64_t address;
    unsigned length;
    bool has_byte_enables;
  };
  std::vector<Seen> seen;
  RecordingMemory(sc_core::sc_module_name n, mem::SparseMemory& m) : sc_module(n), bytes(m) {
    socket.register_b_transport(this, &RecordingMemory::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time&) {
    seen.push_back({&p, p.get_address(), p.get_data_length(), p.get_byte_enable_ptr() != nullptr});
    const unsigned char* be = p.get_byte_enable_ptr();
    for (unsigned k = 0; k < p.get_data_length(); ++k) {
      if (be && be[k % p.get_byte_enable_length()] != TLM_BYTE_ENABLED) continue;
      if (p.is_write())
        bytes.write(p.get_address() + k, p.get_data_ptr() + k, 1);
      else
        bytes.read(p.get_address() + k, p.get_data_ptr() + k, 1);
    }
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> mmio{"mmio"};
  tlm_utils::simple_initiator_socket<Initiator> dma{"dma"};
  core::TableBuilder& tables;
  std::function<void(Initiator&)> body;
  SC_HAS_PROCESS(Initiator);
  Initiator(sc_core::sc_module_name n, core::TableBuilder& t) : sc_module(n), tables(t) { SC_THREAD(run); }
  void reg(std::uint32_t offset, unsigned size, std::uint64_t value) {
    sc_core::sc_time delay;
    test::mmio_access(mmio, true, offset, size, value, delay);
  }
  void run() {
    tables.create_domain(DomainId(1), 4);
    // IOVA 0x10000 -> host 0x200000 and 0x11000 -> 0x400000 (not contiguous); 0x12000 -> 0x401000.
    tables.map(DomainId(1), Iova(0x10000), HostAddr(0x200000), kPageSize4K, Perms{true, true}, kPageSize4K);
    tables.map(DomainId(1), Iova(0x11000), HostAddr(0x400000), kPageSize4K, Perms{true, true}, kPageSize4K);
    tables.map(DomainId(1), Iova(0x12000), HostAddr(0x401000), kPageSize4K, Perms{true, true}, kPageSize4K);
    tables.set_context(SourceId::from_bdf(0, 3, 0), DomainId(1));
    reg(spec::reg::kRtaddr, 8, tables.rtaddr());
    reg(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp);
    reg(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe);
    body(*this);
  }
};

struct Rig {
  mem::SparseMemory memory{1ull << 36};
  core::TableBuilder tables{memory, 0x1000000, 0x400000};
  config::UnitConfig config;
  iommu::Iommu iommu{config, memory};
  sysc::IommuModule module{"iommu", iommu};
  RecordingMemory ram{"ram", memory};
  Initiator init{"init", tables};
  Rig() {
    init.mmio.bind(module.mmio);
    init.dma.bind(module.dma_in);
    module.mem_out.bind(ram.socket);
  }
};

TEST_F(SyscTest, SplitRequestGoesOutAsFreshPayloadsWithTheirByteEnables) {
  run_isolated([] {
    Rig rig;
    for (std::uint64_t a = 0x200ff0; a < 0x201000; ++a) rig.memory.write(a, "\xaa", 1);
    for (std::uint64_t a = 0x400000; a < 0x400010; ++a) rig.memory.write(a, "\xaa", 1);
    tlm::tlm_generic_payload* sent = nullptr;
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::array<unsigned char, 16> data{};
    for (unsigned k = 0; k < data.size(); ++k) data[k] = static_cast<unsigned char>(k);
    // Bytes 0 and 2 of every 4 enabled: the pattern is shorter than the data and repeats.
    std::array<unsigned char, 4> be{TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
    rig.init.body = [&](Initiator& self) {
      static tlm::tlm_generic_payload p;
      sysc::DmaExtension ext;
      ext.source = SourceId::from_bdf(0, 3, 0);
      sc_core::sc_time delay;
      p.set_command(tlm::TLM_WRITE_COMMAND);
      p.set_address(0x10ff8);  // 8 bytes before the page boundary, 8 after
      p.set_data_ptr(data.data());
      p.set_data_length(16);
      p.set_streaming_width(16);
      p.set_byte_enable_ptr(be.data());
      p.set_byte_enable_length(4);
      p.set_extension(&ext);
      self.dma->b_transport(p, delay);
      p.clear_extension(&ext);
      sent = &p;
      status = p.get_response_status();
    };
    sc_core::sc_start();
    EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
    ASSERT_EQ(rig.ram.seen.size(), 2u);
    for (const auto& s : rig.ram.seen) {
      EXPECT_NE(s.payload, sent) << "the initiator's payload was re-sent with another data pointer";
      EXPECT_EQ(s.length, 8u);
      EXPECT_TRUE(s.has_byte_enables);
    }
    EXPECT_EQ(rig.ram.seen[0].address, 0x200ff8u);
    EXPECT_EQ(rig.ram.seen[1].address, 0x400000u);
    // The initiator's payload is as it was.
    EXPECT_EQ(sent->get_address(), 0x10ff8u);
    EXPECT_EQ(sent->get_data_ptr(), data.data());
    EXPECT_EQ(sent->get_data_length(), 16u);
    EXPECT_EQ(sent->get_byte_enable_ptr(), be.data());
    // Byte-disabled bytes keep 0xaa; enabled ones have the data.
    for (unsigned k = 0; k < 16; ++k) {
      const std::uint64_t host = k < 8 ? 0x200ff8 + k : 0x400000 + (k - 8);
      unsigned char got = 0;
      rig.memory.read(host, &got, 1);
      EXPECT_EQ(got, (k % 4 == 0 || k % 4 == 2) ? k : 0xaa) << "byte " << k;
    }
  });
}

TEST_F(SyscTest, ContiguousRequestGoesOutAsItselfAndIsRestored) {
  run_isolated([] {
    Rig rig;
    tlm::tlm_generic_payload* sent = nullptr;
    std::array<unsigned char, 32> data{};
    rig.init.body = [&](Initiator& self) {
      static tlm::tlm_generic_payload p;
      sysc::DmaExtension ext;
      ext.source = SourceId::from_bdf(0, 3, 0);
      sc_core::sc_time delay;
      p.set_command(tlm::TLM_READ_COMMAND);
      p.set_address(0x11ff0);  // 0x400ff0..0x401010: two IOVA pages, contiguous in host memory
      p.set_data_ptr(data.data());
      p.set_data_length(32);
      p.set_streaming_width(32);
      p.set_extension(&ext);
      self.dma->b_transport(p, delay);
      p.clear_extension(&ext);
      sent = &p;
      EXPECT_EQ(p.get_response_status(), tlm::TLM_OK_RESPONSE);
    };
    sc_core::sc_start();
    ASSERT_EQ(rig.ram.seen.size(), 1u);
    EXPECT_EQ(rig.ram.seen[0].payload, sent);
    EXPECT_EQ(rig.ram.seen[0].address, 0x400ff0u);
    EXPECT_EQ(rig.ram.seen[0].length, 32u);
    EXPECT_EQ(sent->get_address(), 0x11ff0u);
  });
}

TEST_F(SyscTest, StreamingBurstsAndEmptyByteEnablesAreRefused) {
  run_isolated([] {
    Rig rig;
    tlm::tlm_response_status streaming = tlm::TLM_OK_RESPONSE, empty_be = tlm::TLM_OK_RESPONSE;
    std::array<unsigned char, 16> data{};
    rig.init.body = [&](Initiator& self) {
      sysc::DmaExtension ext;
      ext.source = SourceId::from_bdf(0, 3, 0);
      for (int c = 0; c < 2; ++c) {
        tlm::tlm_generic_payload p;
        sc_core::sc_time delay;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0x10000);
        p.set_data_ptr(data.data());
        p.set_data_length(16);
        p.set_streaming_width(c == 0 ? 4 : 16);
        if (c == 1) {
          p.set_byte_enable_ptr(data.data());
          p.set_byte_enable_length(0);
        }
        p.set_extension(&ext);
        self.dma->b_transport(p, delay);
        p.clear_extension(&ext);
        (c == 0 ? streaming : empty_be) = p.get_response_status();
      }
    };
    sc_core::sc_start();
    EXPECT_EQ(streaming, tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(empty_be, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    EXPECT_TRUE(rig.ram.seen.empty());
    EXPECT_EQ(rig.module.counters().malformed, 2u);
    // Each refusal is also a SystemC warning naming the initiator's mistake.
    EXPECT_EQ(sc_core::sc_report_handler::get_count("vtdsim/iommu/tlm"), 2);
  });
}

}  // namespace
}  // namespace vtdsim
