#include "vtdsim/pciebench_sysc/pcie_link_module.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace vtdsim::pciebench_sysc {

double now_ns() { return sc_core::sc_time_stamp() / sc_core::sc_time(1, sc_core::SC_NS); }

void wait_until_ns(double t_ns) {
  const double now = now_ns();
  if (t_ns > now) sc_core::wait(sc_core::sc_time(t_ns - now, sc_core::SC_NS));
}

PcieLinkModule::PcieLinkModule(sc_core::sc_module_name name, const pciebench::LinkConfig& link,
                               const pciebench::RootComplexConfig& root_complex, std::uint32_t tags, SourceId source,
                               pciebench::TranslationQueue& queue)
    : sc_core::sc_module(name),
      device_side("device_side"),
      host_side("host_side"),
      link_(link),
      to_root_complex_ns_(link.latency_ns + root_complex.latency_ns),
      flight_ns_(link.latency_ns),
      source_(source),
      tags_(tags),
      credits_(root_complex.posted_credits),
      queue_(queue) {
  device_side.register_b_transport(this, &PcieLinkModule::b_transport);
  SC_THREAD(posted_thread);
  SC_THREAD(commit_thread);
}

PcieLinkModule::Piece& PcieLinkModule::take_piece() {
  if (free_pieces_.empty()) {
    pieces_.push_back(std::make_unique<Piece>());
    Piece& p = *pieces_.back();
    p.ext = new sysc::DmaExtension;
    p.ext->source = source_;
    p.payload.set_extension(p.ext);
    p.data.resize(std::max(link_.config().mps, link_.config().mrrs));
    free_pieces_.reserve(pieces_.size());
    return p;
  }
  Piece* p = free_pieces_.back();
  free_pieces_.pop_back();
  return *p;
}

double PcieLinkModule::forward(Piece& piece) {
  tlm::tlm_generic_payload& gp = piece.payload;
  piece.ext->reset_response();
  gp.set_byte_enable_ptr(nullptr);
  gp.set_byte_enable_length(0);
  gp.set_streaming_width(gp.get_data_length());
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  host_side->b_transport(gp, delay);
  if (!gp.is_response_ok()) {
    char what[160];
    std::snprintf(what, sizeof what, "%s: the %s TLP at 0x%llx got %s (fault reason %u)", name(),
                  gp.is_read() ? "MRd" : "MWr", static_cast<unsigned long long>(gp.get_address()),
                  gp.get_response_string().c_str(), static_cast<unsigned>(piece.ext->fault));
    SC_REPORT_ERROR("vtdsim/pcie-bench", what);
  }
  if (piece.ext->translated) {
    ++counters_.translated;
    if (piece.ext->outcome.walk_start_level > 0 && !piece.ext->outcome.iotlb_hit) ++counters_.walked;
  }
  ++served_tickets_;
  served_event_.notify();
  return delay / sc_core::sc_time(1, sc_core::SC_NS);
}

void PcieLinkModule::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  if (!payload.is_read() && !payload.is_write()) {
    payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  const bool read_op = payload.is_read();
  const pciebench::TlpSplit split = read_op ? link_.read_requests(payload.get_address(), payload.get_data_length())
                                            : link_.writes(payload.get_address(), payload.get_data_length());
  const auto parts = static_cast<std::uint32_t>(split.payloads.size());
  // The tags (reads) or credits (writes) are taken when the device issues, before its own latency.
  (read_op ? tags_ : credits_).acquire(parts);
  sc_core::wait(delay);
  delay = sc_core::SC_ZERO_TIME;
  if (read_op)
    read(payload, split);
  else
    write(payload, split);
}

void PcieLinkModule::read(tlm::tlm_generic_payload& payload, const pciebench::TlpSplit& requests) {
  // Each MRd in one of these stages, acted on in time order: on the way up (t = reaches the root
  // complex; it enters translation when its turn in arrival order comes), entered (t = its
  // translation starts), its data at the root complex (t = ready), its completions on the way
  // down (t = the last reaches the device).
  enum Stage : std::uint8_t { kUp, kEntered, kData, kDown, kDone };
  struct Part {
    Piece* piece;
    std::uint64_t ticket;
    double t;
    Stage stage;
  };
  std::vector<Part> parts;
  parts.reserve(requests.payloads.size());
  const double issue = now_ns();
  std::uint64_t addr = payload.get_address();
  std::uint32_t offset = 0;
  for (std::uint32_t n : requests.payloads) {
    Piece& piece = take_piece();
    tlm::tlm_generic_payload& gp = piece.payload;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(payload.get_data_ptr() + offset);
    gp.set_data_length(n);
    const double sent = link_.send_upstream(issue, link_.mrd_bytes());
    ++counters_.mrd;
    parts.push_back(Part{&piece, next_ticket_++, sent + to_root_complex_ns_, kUp});
    addr += n;
    offset += n;
  }
  std::size_t left = parts.size();
  while (left > 0) {
    bool waiting_turn = false;
    Part* next = nullptr;
    for (Part& p : parts) {
      if (p.stage == kUp && p.ticket == served_tickets_) {
        p.t = queue_.enter(p.t);
        p.stage = kEntered;
      }
      if (p.stage == kUp) waiting_turn = true;
      if (p.stage != kUp && p.stage != kDone && (next == nullptr || p.t < next->t)) next = &p;
    }
    const double now = now_ns();
    // Due within the kernel's time resolution (1 ps): a shorter wait would not advance time.
    if (next == nullptr || next->t > now + 1e-3) {
      // Sleep until the next part's time, or until another TLP went down (a turn may have come).
      if (next == nullptr)
        sc_core::wait(served_event_);
      else if (waiting_turn)
        sc_core::wait(sc_core::sc_time(next->t - now, sc_core::SC_NS), served_event_);
      else
        sc_core::wait(sc_core::sc_time(next->t - now, sc_core::SC_NS));
      continue;
    }
    switch (next->stage) {
      case kEntered:
        next->t = now + forward(*next->piece);
        next->stage = kData;
        break;
      case kData: {
        double sent = now;
        const tlm::tlm_generic_payload& gp = next->piece->payload;
        for (std::uint32_t n : link_.completions(gp.get_address(), gp.get_data_length()).payloads) {
          sent = link_.send_downstream(now, link_.cpld_bytes(n));
          ++counters_.cpld;
        }
        next->t = sent + flight_ns_;
        next->stage = kDown;
        break;
      }
      case kDown:
        tags_.release(1);
        give_back(*next->piece);
        next->stage = kDone;
        --left;
        break;
      case kUp:
      case kDone: break;
    }
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void PcieLinkModule::write(tlm::tlm_generic_payload& payload, const pciebench::TlpSplit& writes) {
  const DmaIdExtension* id = payload.get_extension<DmaIdExtension>();
  const double issue = now_ns();
  std::uint64_t addr = payload.get_address();
  std::uint32_t offset = 0;
  for (std::size_t i = 0; i < writes.payloads.size(); ++i) {
    const std::uint32_t n = writes.payloads[i];
    Piece& piece = take_piece();
    tlm::tlm_generic_payload& gp = piece.payload;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(addr);
    std::memcpy(piece.data.data(), payload.get_data_ptr() + offset, n);
    gp.set_data_ptr(piece.data.data());
    gp.set_data_length(n);
    const double sent = link_.send_upstream(issue, link_.mwr_bytes(n));
    ++counters_.mwr;
    posted_.push_back(
        Posted{&piece, next_ticket_++, sent + to_root_complex_ns_, id ? id->id : 0, i + 1 == writes.payloads.size()});
    addr += n;
    offset += n;
  }
  posted_event_.notify();
  payload.set_response_status(tlm::TLM_OK_RESPONSE);  // posted: the device does not wait
}

void PcieLinkModule::posted_thread() {
  for (;;) {
    while (posted_.empty()) sc_core::wait(posted_event_);
    wait_until_ns(posted_.front().at_ns);
    Posted p = posted_.front();
    posted_.pop_front();
    while (served_tickets_ != p.ticket) sc_core::wait(served_event_);
    wait_until_ns(queue_.enter(p.at_ns));
    p.at_ns = now_ns() + forward(*p.piece);
    commits_.push_back(p);
    commit_event_.notify();
  }
}

void PcieLinkModule::commit_thread() {
  for (;;) {
    while (commits_.empty()) sc_core::wait(commit_event_);
    wait_until_ns(commits_.front().at_ns);
    const Posted p = commits_.front();
    commits_.pop_front();
    give_back(*p.piece);
    credits_.release(1);  // returns with an UpdateFC DLLP; its bytes are in the link's overhead
    if (p.last && observer_) observer_->on_committed(p.dma);
  }
}

}  // namespace vtdsim::pciebench_sysc
