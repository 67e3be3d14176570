#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn of the AT slots' threads
#include "vtdsim/sysc/iommu_module.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "vtdsim/iommu/iommu_json.hpp"
#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/spec/registers.hpp"

namespace vtdsim::sysc {

namespace {
std::string hex_string(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

IommuModule::IommuModule(sc_core::sc_module_name name, iommu::Iommu& iommu)
    : sc_core::sc_module(name),
      dma_in("dma_in"),
      mmio("mmio"),
      mem_out("mem_out"),
      msi_out("msi_out"),
      fault_irq("fault_irq"),
      inv_irq("inv_irq"),
      iommu_(iommu),
      ns_per_cycle_(1.0 / iommu.config().timing.clock_ghz),
      at_peq_(this, &IommuModule::at_phase) {
  bind_processes();
}

IommuModule::IommuModule(sc_core::sc_module_name name, const config::UnitConfig& config, TableAccess tables)
    : sc_core::sc_module(name),
      dma_in("dma_in"),
      mmio("mmio"),
      mem_out("mem_out"),
      msi_out("msi_out"),
      fault_irq("fault_irq"),
      inv_irq("inv_irq"),
      table_memory_(std::make_unique<TlmTableMemory>(mem_out, tables)),
      owned_iommu_(std::make_unique<iommu::Iommu>(config, *table_memory_)),
      iommu_(*owned_iommu_),
      ns_per_cycle_(1.0 / config.timing.clock_ghz),
      at_peq_(this, &IommuModule::at_phase) {
  bind_processes();
}

void IommuModule::bind_processes() {
  dma_in.register_b_transport(this, &IommuModule::b_transport);
  dma_in.register_nb_transport_fw(this, &IommuModule::nb_transport_fw);
  dma_in.register_transport_dbg(this, &IommuModule::transport_dbg);
  dma_in.register_get_direct_mem_ptr(this, &IommuModule::get_direct_mem_ptr);
  mmio.register_b_transport(this, &IommuModule::mmio_b_transport);
  SC_METHOD(drive_lines);
  sensitive << lines_changed_;
  dont_initialize();
  SC_THREAD(send_messages);
  seen_fault_messages_ = iommu_.unit().faults().counters().messages;
  seen_inv_messages_ = iommu_.unit().registers().invalidation_messages();
}

void IommuModule::before_end_of_elaboration() {
  if (fault_irq.bind_count() == 0) fault_irq.bind(own_fault_irq_);
  if (inv_irq.bind_count() == 0) inv_irq.bind(own_inv_irq_);
}

sc_core::sc_time IommuModule::cycles_to_time(std::uint64_t cycles) const {
  return sc_core::sc_time(static_cast<double>(cycles) * ns_per_cycle_, sc_core::SC_NS);
}

void IommuModule::discount_waits(const sc_core::sc_time& stamp_before, sc_core::sc_time& delay) const {
  const sc_core::sc_time& now = sc_core::sc_time_stamp();
  if (now <= stamp_before) return;
  const sc_core::sc_time moved = now - stamp_before;
  delay = delay > moved ? delay - moved : sc_core::SC_ZERO_TIME;
}

std::uint64_t IommuModule::issue_cycle(const sc_core::sc_time& t, std::uint64_t* ns) const {
  // sc_time holds an integer count of the time resolution (1 ps by default): whole ns exactly.
  const std::uint64_t whole_ns = t.value() / sc_core::sc_time(1, sc_core::SC_NS).value();
  if (ns) *ns = whole_ns;
  return iommu_.cycle_at_ns(whole_ns);
}

void IommuModule::update_lines(const sc_core::sc_time& at) {
  core::RemappingUnit& unit = iommu_.unit();
  const bool fault = unit.fault_interrupt_pending(), inv = unit.invalidation_interrupt_pending();
  if (fault != fault_level_ || inv != inv_level_) {
    fault_level_ = fault;
    inv_level_ = inv;
    lines_changed_.notify(sc_core::SC_ZERO_TIME);
  }
  // Messages the unit sent during the access; a burst of them (e.g. a fault event and a wait
  // completion in one queue run) shares the registers' current values.
  const std::uint64_t fault_sent = unit.faults().counters().messages;
  const std::uint64_t inv_sent = unit.registers().invalidation_messages();
  for (; seen_fault_messages_ < fault_sent; ++seen_fault_messages_) {
    ++messages_.fault;
    const core::FaultRecorder& f = unit.faults();
    queue_message(std::uint64_t{f.feuaddr()} << 32 | f.feaddr(), f.fedata(), at);
  }
  for (; seen_inv_messages_ < inv_sent; ++seen_inv_messages_) {
    ++messages_.invalidation;
    core::RemappingUnit& u = iommu_.unit();
    const std::uint64_t address =
        u.read_register(spec::reg::kIeuaddr, 4) << 32 | u.read_register(spec::reg::kIeaddr, 4);
    queue_message(address, static_cast<std::uint32_t>(u.read_register(spec::reg::kIedata, 4)), at);
  }
}

void IommuModule::drive_lines() {
  if (fault_level_ && !fault_irq.read()) fault_event.notify(sc_core::SC_ZERO_TIME);
  if (inv_level_ && !inv_irq.read()) invalidation_event.notify(sc_core::SC_ZERO_TIME);
  fault_irq.write(fault_level_);
  inv_irq.write(inv_level_);
}

void IommuModule::queue_message(std::uint64_t address, std::uint32_t data, const sc_core::sc_time& at) {
  if (msi_out.size() == 0) return;  // unbound: counted only
  message_queue_.push_back(Message{address, data, at});
  message_queued_.notify(sc_core::SC_ZERO_TIME);
}

// One initiator process for all messages, in the order they were sent, each no earlier than the
// local time of the access that caused it.
void IommuModule::send_messages() {
  for (;;) {
    while (message_queue_.empty()) wait(message_queued_);
    const Message m = message_queue_.front();
    message_queue_.pop_front();
    if (m.at > sc_core::sc_time_stamp()) wait(m.at - sc_core::sc_time_stamp());
    unsigned char data[4];
    for (unsigned i = 0; i < 4; ++i) data[i] = static_cast<unsigned char>(m.data >> (8 * i));  // little-endian
    tlm::tlm_generic_payload& gp = message_payload_;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(m.address);
    gp.set_data_ptr(data);
    gp.set_data_length(4);
    gp.set_streaming_width(4);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    msi_out->b_transport(gp, delay);
    ++messages_.written;
    if (gp.is_response_error()) {
      ++messages_.write_errors;
      const std::string what = std::string(name()) + ": interrupt message write to 0x" + hex_string(m.address) +
                               " failed: " + gp.get_response_string();
      SC_REPORT_WARNING("vtdsim/iommu", what.c_str());
    }
    wait(delay);
  }
}

void IommuModule::reset() {
  iommu_.reset();
  message_queue_.clear();
  seen_fault_messages_ = iommu_.unit().faults().counters().messages;
  seen_inv_messages_ = iommu_.unit().registers().invalidation_messages();
  update_lines(sc_core::sc_time_stamp());
}

namespace {
// The current time as a value (sc_time_stamp() is a reference to the kernel's clock, which moves
// when a target waits).
sc_core::sc_time now_copy() { return sc_core::sc_time::from_value(sc_core::sc_time_stamp().value()); }
}  // namespace

// A request the TLM shell cannot take: the base protocol's error response, the module's counter,
// and an SC_REPORT_WARNING (type vtdsim/iommu/tlm) naming the initiator's mistake.
void IommuModule::refuse(tlm::tlm_generic_payload& payload, tlm::tlm_response_status status, std::uint64_t& counter,
                         const std::string& why) {
  payload.set_response_status(status);
  ++counter;
  const std::string what =
      std::string(name()) + ": refused a DMA at 0x" + hex_string(payload.get_address()) + ": " + why;
  SC_REPORT_WARNING("vtdsim/iommu/tlm", what.c_str());
}

void IommuModule::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  transport(payload, delay);
}

void IommuModule::transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  DmaExtension* ext = payload.get_extension<DmaExtension>();
  const std::uint64_t addr = payload.get_address();
  const std::uint64_t len = payload.get_data_length();
  if (ext == nullptr || len == 0 || !(payload.is_read() || payload.is_write())) {
    refuse(payload, tlm::TLM_GENERIC_ERROR_RESPONSE, counters_.malformed,
           ext == nullptr ? "no DmaExtension"
           : len == 0     ? "zero length"
                          : "neither a read nor a write");
    return;
  }
  // A streaming burst (width < length: the address wraps) is not a PCIe DMA; byte enables need a
  // pattern to repeat.
  if (payload.get_streaming_width() < len) {
    refuse(payload, tlm::TLM_BURST_ERROR_RESPONSE, counters_.malformed, "a streaming burst (width < length)");
    return;
  }
  if (payload.get_byte_enable_ptr() != nullptr && payload.get_byte_enable_length() == 0) {
    refuse(payload, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, counters_.malformed, "byte enables of length 0");
    return;
  }
  const std::uint64_t pages = ((addr + len - 1) >> 12) - (addr >> 12) + 1;
  if (pages > kMaxPagesPerRequest) {
    refuse(payload, tlm::TLM_BURST_ERROR_RESPONSE, counters_.too_large,
           "more than " + std::to_string(kMaxPagesPerRequest) + " pages in one request");
    return;
  }
  ext->translated = true;

  // Phase 1: Iommu::dma translates every 4K piece; nothing is forwarded unless all succeeded.
  iommu::DmaRequest request;
  request.source = ext->source;
  request.pasid = ext->pasid;
  request.iova = Iova(addr);
  request.size = len;
  request.access = payload.is_write() ? Access::kWrite : Access::kRead;
  request.address_type = ext->address_type;
  std::array<std::uint64_t, kMaxPagesPerRequest> host{};
  std::array<std::uint32_t, kMaxPagesPerRequest> size{};
  unsigned pieces = 0;
  const std::uint64_t issue = issue_cycle(sc_core::sc_time_stamp() + delay, &ext->issue_ns);
  const sc_core::sc_time stamp_before = now_copy();
  if (table_memory_) table_memory_->start_at(delay);  // the walk's first read issues with the DMA
  const iommu::DmaCompletion done = iommu_.dma(request, issue, [&](const iommu::DmaPiece& p) {
    if (pieces == 0) {
      ext->outcome = p.result.outcome;
      ext->host = p.result.host;
    }
    host[pieces] = p.result.host.value;
    size[pieces] = p.request.size;
    ++pieces;
  });
  delay += cycles_to_time(done.completion_cycle - issue);
  if (table_memory_) discount_waits(stamp_before, delay);
  if (!done.ok()) {
    ext->fault = done.fault;
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    update_lines(sc_core::sc_time_stamp() + delay);
    if (report_faults_) {
      const std::string what = "DMA fault: " + ext->source.to_string() + (payload.is_write() ? " write " : " read ") +
                               "at IOVA 0x" + hex_string(addr) + ": " + spec::fault_reason_name(done.fault);
      SC_REPORT_INFO("vtdsim/iommu/fault", what.c_str());
    }
    return;
  }

  // Phase 2: forward, merging pieces that are contiguous in host memory.
  payload.set_dmi_allowed(false);
  unsigned runs = 0;
  for (unsigned i = 0; i < pieces; ++i) runs += i == 0 || host[i] != host[i - 1] + size[i - 1];
  if (runs == 1) {
    // One run: the payload itself goes on with the host address (an interconnect may change the
    // address; data pointer, length and byte enables stay the initiator's), restored after.
    payload.set_address(host[0]);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    mem_out->b_transport(payload, delay);
    payload.set_address(addr);
    return;
  }
  // Several runs: each goes in a payload of its own (the initiator's data pointer must not be
  // changed), with the slice of the byte enables that covers it.
  PooledPayload& piece = take_payload();
  std::uint64_t offset = 0;
  unsigned i = 0;
  tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
  while (i < pieces && status == tlm::TLM_OK_RESPONSE) {
    std::uint64_t run = size[i];
    unsigned j = i + 1;
    while (j < pieces && host[j] == host[i] + run) run += size[j++];
    tlm::tlm_generic_payload& gp = piece.payload;
    gp.set_command(payload.get_command());
    gp.set_address(host[i]);
    gp.set_data_ptr(payload.get_data_ptr() + offset);
    gp.set_data_length(static_cast<unsigned>(run));
    gp.set_streaming_width(static_cast<unsigned>(run));
    if (const unsigned char* be = payload.get_byte_enable_ptr()) {
      const unsigned be_len = payload.get_byte_enable_length();
      for (std::uint64_t k = 0; k < run; ++k) piece.byte_enables[k] = be[(offset + k) % be_len];
      gp.set_byte_enable_ptr(piece.byte_enables.data());
      gp.set_byte_enable_length(static_cast<unsigned>(run));
    } else {
      gp.set_byte_enable_ptr(nullptr);
      gp.set_byte_enable_length(0);
    }
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    gp.set_extension(ext);  // the target may look at who asked; not owned by the piece
    mem_out->b_transport(gp, delay);
    gp.clear_extension(ext);
    status = gp.get_response_status();
    offset += run;
    i = j;
  }
  give_back(piece);
  payload.set_response_status(status);
}

void IommuModule::set_translation_slots(unsigned slots) {
  if (slots == 0 || !at_slots_.empty()) {
    SC_REPORT_ERROR("vtdsim/iommu", "set_translation_slots: at least 1, and before the end of elaboration");
    return;
  }
  slots_wanted_ = slots;
}

void IommuModule::end_of_elaboration() {
  const auto initiators = static_cast<std::size_t>(dma_in.size());
  at_txns_.reserve(slots_wanted_ + initiators);
  at_waiting_.reserve(initiators);  // one request per initiator may wait for END_REQ (15.2.6)
  at_responding_.assign(initiators, 0);
  at_free_.reserve(slots_wanted_);
  for (unsigned k = 0; k < slots_wanted_; ++k) {
    at_slots_.push_back(std::make_unique<AtSlot>());
    AtSlot* slot = at_slots_.back().get();
    at_free_.push_back(slot);
    sc_core::sc_spawn_options options;
    options.set_stack_size(0x10000);
    sc_core::sc_spawn([this, slot] { at_slot_thread(*slot); }, sc_core::sc_gen_unique_name("at_slot"), &options);
  }
}

int IommuModule::at_initiator(const tlm::tlm_generic_payload& payload) const {
  for (const AtTxn& t : at_txns_)
    if (t.payload == &payload) return t.id;
  return -1;
}

tlm::tlm_sync_enum IommuModule::nb_transport_fw(int id, tlm::tlm_generic_payload& payload, tlm::tlm_phase& phase,
                                                sc_core::sc_time& t) {
  if (phase == tlm::BEGIN_REQ) {
    if (at_txns_.size() == at_txns_.capacity()) {  // more than one request per initiator before END_REQ
      SC_REPORT_ERROR("vtdsim/iommu/tlm", "BEGIN_REQ before the END_REQ of the previous request (15.2.6)");
      return tlm::TLM_COMPLETED;
    }
    if (payload.has_mm()) payload.acquire();
    at_txns_.push_back({&payload, id});
    at_peq_.notify(payload, phase, t);
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::END_RESP) {
    at_peq_.notify(payload, phase, t);
    return tlm::TLM_COMPLETED;
  }
  SC_REPORT_ERROR("vtdsim/iommu/tlm", "nb_transport_fw: only BEGIN_REQ and END_RESP reach a target");
  return tlm::TLM_COMPLETED;
}

void IommuModule::at_phase(tlm::tlm_generic_payload& payload, const tlm::tlm_phase& phase) {
  const int id = at_initiator(payload);
  if (id < 0) return;
  if (phase == tlm::BEGIN_REQ) {
    if (at_free_.empty()) {
      at_waiting_.push_back({&payload, id});  // END_REQ held back: backpressure
      return;
    }
    AtSlot* slot = at_free_.back();
    at_free_.pop_back();
    at_accept(*slot, payload, id);
    slot->start.notify();
  } else if (phase == tlm::END_RESP) {
    at_responding_[static_cast<std::size_t>(id)] = 0;
    at_response_ended_.notify();
  }
}

void IommuModule::at_accept(AtSlot& slot, tlm::tlm_generic_payload& payload, int id) {
  slot.payload = &payload;
  slot.id = id;
  slot.response_done = false;
  tlm::tlm_phase phase = tlm::END_REQ;
  sc_core::sc_time t = sc_core::SC_ZERO_TIME;
  // TLM_COMPLETED here ends the transaction early (15.2.9): the request is still carried out,
  // without a response.
  slot.response_done = dma_in[id]->nb_transport_bw(payload, phase, t) == tlm::TLM_COMPLETED;
}

void IommuModule::at_slot_thread(AtSlot& slot) {
  for (;;) {
    if (slot.payload == nullptr) sc_core::wait(slot.start);
    tlm::tlm_generic_payload& payload = *slot.payload;
    const auto id = static_cast<std::size_t>(slot.id);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    transport(payload, delay);  // issues now, at END_REQ
    sc_core::wait(delay);
    if (!slot.response_done) {
      while (at_responding_[id]) sc_core::wait(at_response_ended_);  // one BEGIN_RESP at a time (15.2.6)
      at_responding_[id] = 1;
      tlm::tlm_phase phase = tlm::BEGIN_RESP;
      sc_core::sc_time t = sc_core::SC_ZERO_TIME;
      const tlm::tlm_sync_enum r = dma_in[slot.id]->nb_transport_bw(payload, phase, t);
      if (r == tlm::TLM_COMPLETED || (r == tlm::TLM_UPDATED && phase == tlm::END_RESP)) {
        at_responding_[id] = 0;
        at_response_ended_.notify();
      } else {
        while (at_responding_[id]) sc_core::wait(at_response_ended_);  // END_RESP on the forward path
      }
    }
    for (std::size_t k = 0; k < at_txns_.size(); ++k) {
      if (at_txns_[k].payload == &payload) {
        at_txns_.erase(at_txns_.begin() + static_cast<std::ptrdiff_t>(k));
        break;
      }
    }
    if (payload.has_mm()) payload.release();
    slot.payload = nullptr;
    if (!at_waiting_.empty()) {  // the oldest held request gets this slot: its END_REQ now
      const AtTxn next = at_waiting_.front();
      at_waiting_.erase(at_waiting_.begin());
      at_accept(slot, *next.payload, next.id);
    } else {
      at_free_.push_back(&slot);
    }
  }
}

IommuModule::PooledPayload& IommuModule::take_payload() {
  if (free_payloads_.empty()) {
    // First use, or more requests in flight than ever before (an LT target that waits): grow.
    pool_.push_back(std::make_unique<PooledPayload>());
    pool_.back()->byte_enables.resize(std::size_t{kMaxPagesPerRequest} * kPageSize4K);
    free_payloads_.reserve(pool_.size());
    return *pool_.back();
  }
  PooledPayload* p = free_payloads_.back();
  free_payloads_.pop_back();
  return *p;
}

void IommuModule::give_back(PooledPayload& p) { free_payloads_.push_back(&p); }

unsigned IommuModule::transport_dbg(int, tlm::tlm_generic_payload& payload) {
  const DmaExtension* ext = payload.get_extension<DmaExtension>();
  const std::uint64_t addr = payload.get_address();
  const std::uint64_t len = payload.get_data_length();
  if (ext == nullptr || len == 0 || !(payload.is_read() || payload.is_write())) return 0;
  if (((addr + len - 1) >> 12) - (addr >> 12) + 1 > kMaxPagesPerRequest) return 0;
  // Every 4K piece translated from the tables alone (no side effect), before anything moves.
  std::array<std::uint64_t, kMaxPagesPerRequest> host{};
  std::array<std::uint32_t, kMaxPagesPerRequest> size{};
  unsigned pieces = 0;
  core::TranslationRequest req;
  req.source = ext->source;
  req.pasid = ext->pasid;
  req.access = payload.is_write() ? Access::kWrite : Access::kRead;
  req.address_type = ext->address_type;
  if (table_memory_) table_memory_->set_debug(true);
  for (std::uint64_t a = addr, remaining = len; remaining > 0; ++pieces) {
    const std::uint64_t chunk = std::min<std::uint64_t>(remaining, kPageSize4K - (a & (kPageSize4K - 1)));
    req.iova = Iova(a);
    req.size = static_cast<std::uint32_t>(chunk);
    const core::TranslationResult r = iommu_.unit().translate_debug(req);
    if (!r.ok()) {
      if (table_memory_) table_memory_->set_debug(false);
      return 0;
    }
    host[pieces] = r.host.value;
    size[pieces] = static_cast<std::uint32_t>(chunk);
    a += chunk;
    remaining -= chunk;
  }
  if (table_memory_) table_memory_->set_debug(false);
  // Each run of host-contiguous pieces in one debug transaction of a payload of the module's own.
  PooledPayload& piece = take_payload();
  tlm::tlm_generic_payload& gp = piece.payload;
  unsigned moved = 0;
  for (unsigned i = 0; i < pieces;) {
    std::uint64_t run = size[i];
    unsigned j = i + 1;
    while (j < pieces && host[j] == host[i] + run) run += size[j++];
    gp.set_command(payload.get_command());
    gp.set_address(host[i]);
    gp.set_data_ptr(payload.get_data_ptr() + moved);
    gp.set_data_length(static_cast<unsigned>(run));
    gp.set_streaming_width(static_cast<unsigned>(run));
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    const unsigned n = mem_out->transport_dbg(gp);
    moved += n < run ? n : static_cast<unsigned>(run);
    if (n < run) break;  // the target stopped short: so does the debug access
    i = j;
  }
  give_back(piece);
  return moved;
}

bool IommuModule::get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
  dmi.set_start_address(0);
  dmi.set_end_address(~0ull);
  return false;  // never for translated traffic
}

void IommuModule::mmio_b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  const unsigned len = payload.get_data_length();
  const std::uint64_t offset = payload.get_address();
  if ((len != 4 && len != 8) || (offset % len) != 0 || offset > 0xffffffffull) {
    payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  const std::uint64_t issue = issue_cycle(sc_core::sc_time_stamp() + delay);
  const sc_core::sc_time stamp_before = now_copy();
  if (table_memory_) table_memory_->start_at(delay);  // queue fetches issue with the register write
  std::uint64_t done = issue + 1;
  if (payload.is_read()) {
    const std::uint64_t value = iommu_.read_register(static_cast<std::uint32_t>(offset), len);
    std::memcpy(payload.get_data_ptr(), &value, len);  // little-endian host
  } else if (payload.is_write()) {
    std::uint64_t value = 0;
    std::memcpy(&value, payload.get_data_ptr(), len);
    // Register side effects (queued invalidation) cost descriptor time (timing model).
    done = iommu_.write_register(static_cast<std::uint32_t>(offset), len, value, issue);
  }
  delay += cycles_to_time(done - issue);
  if (table_memory_) discount_waits(stamp_before, delay);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
  update_lines(sc_core::sc_time_stamp() + delay);
}

void IommuModule::end_of_simulation() {
  if (stats_dump_path_.empty()) return;
  std::ofstream out(stats_dump_path_, std::ios::trunc);
  if (out) out << iommu::to_json(iommu_).dump(2) << '\n';
  if (!out) SC_REPORT_WARNING("vtdsim/iommu", (stats_dump_path_ + ": cannot write the stats dump").c_str());
}

}  // namespace vtdsim::sysc
