// AT on IommuModule::dma_in (issue 15 problem 5): the base protocol's four phases through the
// same translation path as b_transport, END_REQ held back while every translation slot is busy,
// and LT and AT initiators on one socket. The phase checker is the test's own (no vendored one).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "sysc/sysc_fixture.hpp"
#include "vtdsim/core/table_builder.hpp"
#include "vtdsim/iommu/iommu.hpp"
#include "vtdsim/spec/registers.hpp"
#include "vtdsim/sysc/dma_extension.hpp"
#include "vtdsim/sysc/iommu_module.hpp"

namespace vtdsim {
namespace {

using test::SyscTest;

// A memory that registers only nb_transport_fw (the b_transport from IommuModule reaches it
// through simple_target_socket's adaptor) and answers each access TLM_COMPLETED after `latency`.
struct NbMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<NbMemory> socket{"socket"};
  mem::SparseMemory& bytes;
  sc_core::sc_time latency;
  unsigned accesses = 0;
  NbMemory(sc_core::sc_module_name n, mem::SparseMemory& m, sc_core::sc_time l) : sc_module(n), bytes(m), latency(l) {
    socket.register_nb_transport_fw(this, &NbMemory::nb_transport_fw);
  }
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& p, tlm::tlm_phase& phase, sc_core::sc_time& t) {
    if (phase != tlm::BEGIN_REQ) return tlm::TLM_COMPLETED;
    ++accesses;
    if (p.is_write())
      bytes.write(p.get_address(), p.get_data_ptr(), p.get_data_length());
    else
      bytes.read(p.get_address(), p.get_data_ptr(), p.get_data_length());
    p.set_response_status(tlm::TLM_OK_RESPONSE);
    t += latency;
    return tlm::TLM_COMPLETED;
  }
};

// One observed phase of a transaction: which, when, and in which order overall.
struct Seen {
  unsigned txn;
  tlm::tlm_phase phase;
  sc_core::sc_time time;
};

// An AT initiator: up to `depth` requests in flight, a new BEGIN_REQ only after the previous
// END_REQ (request exclusion), and each response ended one of three ways in turn: TLM_COMPLETED
// on the backward call, TLM_UPDATED with END_RESP, or TLM_ACCEPTED and END_RESP 5 ns later on the
// forward path.
struct AtInitiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<AtInitiator> socket{"socket"};
  struct Request {
    tlm::tlm_command command;
    std::uint64_t iova;
    unsigned length;
  };
  std::vector<Request> requests;
  unsigned depth = 1;
  std::array<tlm::tlm_generic_payload, 8> payloads;  // at most 8 requests
  std::vector<sysc::DmaExtension> extensions;
  std::vector<std::array<unsigned char, 64>> data;
  std::vector<Seen> seen;
  std::vector<std::string> violations;  // the checker's findings
  unsigned in_flight = 0, responses = 0, waiting_end_req = ~0u;
  int responding = -1;  // transaction whose BEGIN_RESP is not ended yet
  sc_core::sc_event end_req, response, send_end_resp;
  std::deque<unsigned> end_resp_due;
  SC_HAS_PROCESS(AtInitiator);
  explicit AtInitiator(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_nb_transport_bw(this, &AtInitiator::nb_transport_bw);
    SC_THREAD(run);
    SC_THREAD(end_responses);
  }
  unsigned index(const tlm::tlm_generic_payload& p) const { return static_cast<unsigned>(&p - payloads.data()); }
  void note(unsigned txn, tlm::tlm_phase phase) { seen.push_back({txn, phase, sc_core::sc_time_stamp()}); }
  // The phase that must come before `phase` of transaction txn, per the base protocol.
  void check_order(unsigned txn, tlm::tlm_phase phase, tlm::tlm_phase before) {
    tlm::tlm_phase last = tlm::UNINITIALIZED_PHASE;
    for (const Seen& s : seen)
      if (s.txn == txn) last = s.phase;
    if (last != before)
      violations.push_back("txn " + std::to_string(txn) + ": " + phase.get_name() + " after " + last.get_name());
  }
  void end_response(unsigned txn) {
    check_order(txn, tlm::END_RESP, tlm::BEGIN_RESP);
    note(txn, tlm::END_RESP);
    responding = -1;
    --in_flight;
    ++responses;
    response.notify(sc_core::SC_ZERO_TIME);
  }
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& p, tlm::tlm_phase& phase, sc_core::sc_time& t) {
    const unsigned txn = index(p);
    if (t != sc_core::SC_ZERO_TIME) violations.push_back("annotated time on the backward path not modelled here");
    if (phase == tlm::END_REQ) {
      check_order(txn, tlm::END_REQ, tlm::BEGIN_REQ);
      note(txn, tlm::END_REQ);
      if (waiting_end_req != txn) violations.push_back("END_REQ for a request not waiting for it");
      waiting_end_req = ~0u;
      end_req.notify();
      return tlm::TLM_ACCEPTED;
    }
    if (phase == tlm::BEGIN_RESP) {
      // END_REQ may be implied by BEGIN_RESP (15.2.5): accept either before it.
      tlm::tlm_phase last = tlm::UNINITIALIZED_PHASE;
      for (const Seen& s : seen)
        if (s.txn == txn) last = s.phase;
      if (last != tlm::END_REQ)
        violations.push_back("txn " + std::to_string(txn) + ": BEGIN_RESP after " + last.get_name());
      if (responding >= 0) violations.push_back("BEGIN_RESP before END_RESP of the previous response");
      responding = static_cast<int>(txn);
      note(txn, tlm::BEGIN_RESP);
      switch (txn % 3) {
        case 0: end_response(txn); return tlm::TLM_COMPLETED;
        case 1:
          end_response(txn);
          phase = tlm::END_RESP;
          return tlm::TLM_UPDATED;
        default:
          end_resp_due.push_back(txn);
          send_end_resp.notify(5, sc_core::SC_NS);
          return tlm::TLM_ACCEPTED;
      }
    }
    violations.push_back(std::string("unexpected phase on the backward path: ") + phase.get_name());
    return tlm::TLM_COMPLETED;
  }
  void end_responses() {
    for (;;) {
      sc_core::wait(send_end_resp);
      while (!end_resp_due.empty()) {
        const unsigned txn = end_resp_due.front();
        end_resp_due.pop_front();
        end_response(txn);
        tlm::tlm_phase phase = tlm::END_RESP;
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        if (socket->nb_transport_fw(payloads[txn], phase, t) != tlm::TLM_COMPLETED)
          violations.push_back("END_RESP not completed by the target");
      }
    }
  }
  void run() {
    if (requests.size() > payloads.size()) violations.push_back("too many requests for the test initiator");
    extensions.resize(requests.size());
    data.resize(requests.size());
    for (unsigned i = 0; i < requests.size(); ++i) {
      while (in_flight >= depth) sc_core::wait(response);
      tlm::tlm_generic_payload& p = payloads[i];
      extensions[i].source = SourceId::from_bdf(0, 3, 0);
      p.set_command(requests[i].command);
      p.set_address(requests[i].iova);
      p.set_data_ptr(data[i].data());
      p.set_data_length(requests[i].length);
      p.set_streaming_width(requests[i].length);
      p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      p.set_extension(&extensions[i]);
      tlm::tlm_phase phase = tlm::BEGIN_REQ;
      sc_core::sc_time t = sc_core::SC_ZERO_TIME;
      note(i, tlm::BEGIN_REQ);
      waiting_end_req = i;
      ++in_flight;
      const tlm::tlm_sync_enum r = socket->nb_transport_fw(p, phase, t);
      if (r != tlm::TLM_ACCEPTED) violations.push_back("BEGIN_REQ not accepted");
      while (waiting_end_req == i) sc_core::wait(end_req);
    }
    while (responses < requests.size()) sc_core::wait(response);
    for (unsigned i = 0; i < requests.size(); ++i) payloads[i].clear_extension(&extensions[i]);
  }
};

// An LT initiator with a list of DMAs and their outcomes.
struct LtInitiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<LtInitiator> socket{"socket"};
  std::vector<AtInitiator::Request> requests;
  std::vector<std::array<unsigned char, 64>> data;
  std::vector<tlm::tlm_response_status> status;
  std::vector<std::uint64_t> host;
  SC_HAS_PROCESS(LtInitiator);
  explicit LtInitiator(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  void run() {
    data.resize(requests.size());
    for (unsigned i = 0; i < requests.size(); ++i) {
      tlm::tlm_generic_payload p;
      sysc::DmaExtension ext;
      ext.source = SourceId::from_bdf(0, 3, 0);
      p.set_command(requests[i].command);
      p.set_address(requests[i].iova);
      p.set_data_ptr(data[i].data());
      p.set_data_length(requests[i].length);
      p.set_streaming_width(requests[i].length);
      p.set_extension(&ext);
      sc_core::sc_time delay;
      socket->b_transport(p, delay);
      p.clear_extension(&ext);
      status.push_back(p.get_response_status());
      host.push_back(ext.host.value);
      sc_core::wait(delay);
    }
  }
};

struct Unused : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Unused> mmio{"mmio"};
  explicit Unused(sc_core::sc_module_name n) : sc_module(n) {}
};

struct AtRig {
  mem::SparseMemory memory{1ull << 36};
  core::TableBuilder tables{memory, 0x1000000, 0x400000};
  config::UnitConfig config;
  iommu::Iommu iommu{config, memory};
  sysc::IommuModule module{"iommu", iommu};
  NbMemory ram;
  AtInitiator at{"at"};
  LtInitiator lt{"lt"};
  Unused regs{"regs"};
  explicit AtRig(sc_core::sc_time memory_latency = sc_core::SC_ZERO_TIME) : ram("ram", memory, memory_latency) {
    tables.create_domain(DomainId(1), 4);
    tables.map(DomainId(1), Iova(0x10000), HostAddr(0x200000), kPageSize4K, Perms{true, true});
    tables.map(DomainId(1), Iova(0x11000), HostAddr(0x400000), kPageSize4K, Perms{true, false});  // read-only
    tables.set_context(SourceId::from_bdf(0, 3, 0), DomainId(1));
    iommu.write_register(spec::reg::kRtaddr, 8, tables.rtaddr(), 0);
    iommu.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kSrtp, 0);
    iommu.write_register(spec::reg::kGcmd, 4, spec::reg::gcmd::kTe, 0);
    at.socket.bind(module.dma_in);
    lt.socket.bind(module.dma_in);
    regs.mmio.bind(module.mmio);
    module.mem_out.bind(ram.socket);
  }
};

const std::vector<AtInitiator::Request> kMixed = {
    {tlm::TLM_WRITE_COMMAND, 0x10010, 16},  // mapped read-write
    {tlm::TLM_READ_COMMAND, 0x10010, 16},   // reads the write back
    {tlm::TLM_READ_COMMAND, 0x11000, 8},    // read-only page: read works
    {tlm::TLM_WRITE_COMMAND, 0x11000, 8},   // ... write faults
    {tlm::TLM_READ_COMMAND, 0x50000, 8},    // not mapped: faults
    {tlm::TLM_READ_COMMAND, 0x10ff8, 8},
};

void fill_writes(std::vector<std::array<unsigned char, 64>>& data, unsigned char base) {
  for (auto& d : data)
    for (unsigned k = 0; k < d.size(); ++k) d[k] = static_cast<unsigned char>(base + k);
}

// An AT and an LT initiator on the same dma_in make the same requests at the same time: same
// response status, host address, data and faults, and the AT phases in base-protocol order.
TEST_F(SyscTest, AtAndLtInitiatorsOnOneSocketGetTheSameTranslationDataAndFaults) {
  run_isolated([] {
    AtRig rig;
    rig.memory.write(0x400000, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    rig.at.requests = kMixed;
    rig.lt.requests = kMixed;
    rig.at.data.resize(kMixed.size());
    rig.lt.data.resize(kMixed.size());
    fill_writes(rig.at.data, 0x40);  // both write the same bytes
    fill_writes(rig.lt.data, 0x40);
    sc_core::sc_start();
    for (const std::string& v : rig.at.violations) ADD_FAILURE() << v;
    EXPECT_EQ(rig.at.responses, kMixed.size());
    EXPECT_EQ(rig.at.seen.size(), 4 * kMixed.size());  // four phases each
    ASSERT_EQ(rig.lt.status.size(), kMixed.size());
    for (unsigned i = 0; i < kMixed.size(); ++i) {
      EXPECT_EQ(rig.at.payloads[i].get_response_status(), rig.lt.status[i]) << "request " << i;
      EXPECT_EQ(rig.at.extensions[i].host.value, rig.lt.host[i]) << "request " << i;
      if (kMixed[i].command == tlm::TLM_READ_COMMAND) {
        EXPECT_EQ(std::memcmp(rig.at.data[i].data(), rig.lt.data[i].data(), kMixed[i].length), 0) << "request " << i;
      }
    }
    EXPECT_EQ(rig.lt.status[0], tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(rig.lt.status[2], tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(rig.lt.status[3], tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(rig.lt.status[4], tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(rig.at.extensions[0].host.value, 0x200010u);
    EXPECT_EQ(rig.at.extensions[3].fault, spec::FaultReason::kWriteDenied);
    EXPECT_NE(rig.at.extensions[4].fault, spec::FaultReason::kNone);
    for (unsigned k = 0; k < 16; ++k) EXPECT_EQ(rig.at.data[1][k], 0x40 + k);  // the write read back
    const unsigned char expect_ro[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    EXPECT_EQ(std::memcmp(rig.at.data[2].data(), expect_ro, 8), 0);
    EXPECT_EQ(rig.iommu.counters().requests, 2 * kMixed.size());
    EXPECT_EQ(rig.iommu.counters().faulted_requests, 4u);
    EXPECT_EQ(rig.ram.accesses, 2u * 4);  // the faulting requests never reach memory
  });
}

// With N translation slots and N + 1 requests in flight, the last END_REQ comes only when a
// response has ended and freed a slot; with N + 1 slots it comes at once.
void backpressure(unsigned slots, bool held) {
  AtRig rig(sc_core::sc_time(1, sc_core::SC_US));
  rig.module.set_translation_slots(slots);
  rig.at.requests = {
      {tlm::TLM_READ_COMMAND, 0x10000, 8}, {tlm::TLM_READ_COMMAND, 0x10040, 8}, {tlm::TLM_READ_COMMAND, 0x10080, 8}};
  rig.at.depth = 3;
  sc_core::sc_start();
  for (const std::string& v : rig.at.violations) ADD_FAILURE() << v;
  ASSERT_EQ(rig.at.responses, 3u);
  auto when = [&](unsigned txn, tlm::tlm_phase phase, std::size_t* order = nullptr) {
    for (std::size_t k = 0; k < rig.at.seen.size(); ++k)
      if (rig.at.seen[k].txn == txn && rig.at.seen[k].phase == phase) {
        if (order) *order = k;
        return rig.at.seen[k].time;
      }
    ADD_FAILURE() << "no " << phase.get_name() << " for " << txn;
    return sc_core::SC_ZERO_TIME;
  };
  EXPECT_EQ(when(0, tlm::END_REQ), sc_core::SC_ZERO_TIME);
  EXPECT_EQ(when(1, tlm::END_REQ), sc_core::SC_ZERO_TIME);
  std::size_t end_req_2 = 0;
  const sc_core::sc_time third = when(2, tlm::END_REQ, &end_req_2);
  const sc_core::sc_time first_response = std::min(when(0, tlm::BEGIN_RESP), when(1, tlm::BEGIN_RESP));
  std::size_t first_end_resp = rig.at.seen.size();
  for (std::size_t k = 0; k < rig.at.seen.size(); ++k)
    if (rig.at.seen[k].phase == tlm::END_RESP) first_end_resp = std::min(first_end_resp, k);
  EXPECT_GE(first_response, sc_core::sc_time(1, sc_core::SC_US));  // the memory's latency
  if (held) {
    EXPECT_EQ(third, first_response);
    EXPECT_GT(end_req_2, first_end_resp) << "END_REQ of the third request before any response ended";
  } else {
    EXPECT_EQ(third, sc_core::SC_ZERO_TIME);
    EXPECT_LT(end_req_2, first_end_resp);
  }
  // Requests issue at their END_REQ: the held one's latency counts from there.
  EXPECT_EQ(rig.iommu.counters().requests, 3u);
}

TEST_F(SyscTest, AtEndReqIsHeldBackWhileEveryTranslationSlotIsBusy) {
  run_isolated([] { backpressure(2, true); });
  run_isolated([] { backpressure(3, false); });
}

}  // namespace
}  // namespace vtdsim
