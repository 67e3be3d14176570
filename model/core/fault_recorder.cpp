// Primary fault logging (VT-d spec 7.2.1) and the fault event (spec 7.3, FECTL 11.4).
#include "vtdsim/core/fault_recorder.hpp"

#include "vtdsim/spec/registers.hpp"

namespace vtdsim::core {

namespace r = spec::reg;

FaultRecorder::FaultRecorder(unsigned records, unsigned address_width)
    : slots_(records == 0 ? 1 : (records > 256 ? 256 : records)),
      fi_mask_(r::mask(address_width < 13 ? 12 : (address_width > 64 ? 63 : address_width - 1), 12)) {}

std::uint32_t FaultRecorder::causes() const {
  return (status_ & (r::fsts::kPfo | r::fsts::kIqe | r::fsts::kIce | r::fsts::kIte)) |
         (any_pending() ? r::fsts::kPpf : 0);
}

// Spec 7.3.1: a fault event is generated when hardware sets one of the event-causing FSTS fields
// (PFO, PPF, IQE, ICE, ITE) while none of them was set (an earlier event not yet serviced
// suppresses new ones). The event sets FECTL.IP; if FECTL.IM is clear the message is sent and IP
// cleared at once, otherwise IP holds it until IM is cleared.
void FaultRecorder::event_if_new(std::uint32_t before) {
  if (before != 0 || causes() == 0) return;
  ++counters_.events;
  if (im_) {
    ip_ = true;
  } else {
    ++counters_.messages;
    ip_ = false;
  }
}

// Spec 7.2.1 primary fault logging: the fault goes into the register at the internal index if its
// F field is clear (then F set, index advanced with wrap-around, PPF set); if that register's F is
// still set, PFO is set and the fault is lost. While PFO is set further faults are not recorded.
void FaultRecorder::record(const FaultRecord& fault) {
  ++counters_.faults;
  const std::uint32_t before = causes();
  if (status_ & r::fsts::kPfo) {
    ++counters_.dropped;
    return;
  }
  Slot& slot = slots_[next_];
  if (slot.f) {
    status_ |= r::fsts::kPfo;
    ++counters_.dropped;
    event_if_new(before);
    return;
  }
  slot.rec = fault;
  slot.rec.address &= fi_mask_;  // FI: bits 63:MGAW are reserved (0)
  slot.f = true;
  if (pending_count_++ == 0) fri_ = next_;  // FRI: first pending record when PPF got set
  ++counters_.recorded;
  next_ = (next_ + 1) % static_cast<unsigned>(slots_.size());
  event_if_new(before);
}

std::uint32_t FaultRecorder::read_fsts() const { return causes() | ((fri_ & 0xff) << 8); }

void FaultRecorder::write_fsts(std::uint32_t value) {
  status_ &= ~(value & r::fsts::kRw1c);
  if (causes() == 0) ip_ = false;  // all conditions serviced: held event dropped (11.4 IP)
}

std::uint32_t FaultRecorder::read_fectl() const { return (im_ ? r::ectl::kIm : 0) | (ip_ ? r::ectl::kIp : 0); }

void FaultRecorder::write_fectl(std::uint32_t value) {
  im_ = value & r::ectl::kIm;
  if (!im_ && ip_) {  // unmasking sends the held message
    ++counters_.messages;
    ip_ = false;
  }
}

// FRCD layout (11.4): dword 0-1 = FI [63:12]; dword 2 = SID [79:64], T2 [92], PRIV [93],
// EXE [94], PP [95]; dword 3 = FR [103:96], PV [123:104], AT [125:124], T1 [126], F [127].
std::uint32_t FaultRecorder::read_record(unsigned index, unsigned dword) const {
  if (index >= slots_.size() || dword > 3) return 0;
  const Slot& s = slots_[index];
  if (!s.f) {
    // Fields are valid only while F is set; a cleared record keeps its content in hardware, but
    // software must not rely on it. The model returns the stale content with F = 0.
  }
  const FaultRecord& f = s.rec;
  switch (dword) {
    case 0: return static_cast<std::uint32_t>(f.address & r::mask(31, 12));
    case 1: return static_cast<std::uint32_t>(f.address >> 32);
    case 2: {
      std::uint32_t v = f.source.value;
      if (f.privileged) v |= 1u << 29;
      if (f.execute) v |= 1u << 30;
      if (f.pasid.present()) v |= 1u << 31;
      return v;
    }
    default: {
      std::uint32_t v = static_cast<std::uint32_t>(f.reason);
      if (f.pasid.present()) v |= (f.pasid.value & 0xfffff) << 8;
      v |= (static_cast<std::uint32_t>(f.address_type) & 3u) << 28;
      // T1: 0 = write request, 1 = read request (11.4, "Type").
      if (f.access == Access::kRead) v |= 1u << 30;
      if (s.f) v |= 1u << 31;
      return v;
    }
  }
}

void FaultRecorder::write_record(unsigned index, unsigned dword, std::uint32_t value) {
  if (index >= slots_.size() || dword != 3) return;  // everything but F is RO
  Slot& s = slots_[index];
  if ((value & (1u << 31)) && s.f) {
    s.f = false;
    --pending_count_;
    // FRI keeps the index latched when PPF was set (FSTS_REG FRI); it is updated only when
    // hardware sets PPF again.
    if (causes() == 0) ip_ = false;
  }
}

void FaultRecorder::raise_status(std::uint32_t fsts_bits) {
  const std::uint32_t before = causes();
  status_ |= fsts_bits & (r::fsts::kIqe | r::fsts::kIce | r::fsts::kIte);
  event_if_new(before);
}

bool FaultRecorder::interrupt_pending() const { return causes() != 0 && !im_; }

}  // namespace vtdsim::core
