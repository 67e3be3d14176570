// Register state and access rules (VT-d spec 11.4; attributes RO / RW / RW1C / WO / Rsvd as
// defined in spec 11.3 "Register Attributes"). Reserved bits are never writable, so they read 0.
#include "vtdsim/core/register_file.hpp"

#include <stdexcept>
#include <string>

#include "vtdsim/spec/registers.hpp"

namespace vtdsim::core {

namespace r = spec::reg;

RegisterFile::RegisterFile(const config::CapabilityConfig& cap) : cap_(cap) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("remapping unit capabilities: " + what); };
  if (cap.nfr < 1 || cap.nfr > 256) fail("nfr must be 1..256 (CAP.NFR is 8 bits), got " + std::to_string(cap.nfr));
  if (cap.iro % 16 || cap.fro % 16) fail("iro and fro must be multiples of 16 bytes");
  if (cap.iro < 0xc0 || cap.fro < 0xc0) fail("iro and fro must lie above the architectural registers (>= 0xc0)");
  if (cap.iro / 16 > 0x3ff || cap.fro / 16 > 0x3ff) fail("iro/fro exceed the 10-bit CAP.FRO/ECAP.IRO fields");
  const std::uint32_t fault_end = cap.fro + 16u * cap.nfr;
  if (cap.iro + 16u > cap.fro && cap.iro < fault_end)
    fail("IOTLB registers (iro) overlap the fault recording registers (fro .. fro + 16*nfr)");
  if (cap.haw < 32 || cap.haw > 52) fail("haw must be 32..52, got " + std::to_string(cap.haw));
  if (cap.mamv > 63) fail("mamv must be <= 63 (6-bit CAP.MAMV)");

  cap_reg_ = r::make_cap(cap);
  ecap_reg_ = r::make_ecap(cap);
  iva_offset_ = cap.iro;
  haw_mask_ = r::mask(cap.haw - 1u, 12);

  const bool qi = cap.qi, ir = cap.ir, smts = cap.smts;
  const bool pmr = cap.plmr || cap.phmr;
  // {offset, size, writable, rw1c} per spec 11.4.x register descriptions.
  desc_[kVer] = {r::kVer, 4, 0, 0};    // 11.4.1, RO
  desc_[kCap] = {r::kCap, 8, 0, 0};    // 11.4.2, RO
  desc_[kEcap] = {r::kEcap, 8, 0, 0};  // 11.4.3, RO
  desc_[kGcmd] = {r::kGcmd, 4, 0, 0};  // 11.4.4.1, WO (handled in write_gcmd)
  desc_[kGsts] = {r::kGsts, 4, 0, 0};  // 11.4.4.2, RO
  // 11.4.5: RTA [HAW-1:12] (bits above HAW are reserved), TTM [11:10] (only with ECAP.SMTS).
  desc_[kRtaddr] = {r::kRtaddr, 8, haw_mask_ | (smts ? r::mask(11, 10) : 0), 0};
  // 11.4: ICC [63], CIRG [62:61] RW; CAIG [60:59] RO; FM [33:32], SID [31:16], DID [15:0] RW.
  desc_[kCcmd] = {r::kCcmd, 8, r::bit(63) | r::mask(62, 61) | r::mask(33, 32) | r::mask(31, 0), 0};
  // 11.4: protected memory registers, implemented only with CAP.PLMR / CAP.PHMR.
  desc_[kPmen] = {r::kPmen, 4, 0, 0};  // handled specially (EPM RW, PRS RO)
  desc_[kPlmbase] = {r::kPlmbase, 4, cap.plmr ? r::mask(31, 21) : 0, 0};
  desc_[kPlmlimit] = {r::kPlmlimit, 4, cap.plmr ? r::mask(31, 21) : 0, 0};
  desc_[kPhmbase] = {r::kPhmbase, 8, cap.phmr ? (haw_mask_ & r::mask(63, 21)) : 0, 0};
  desc_[kPhmlimit] = {r::kPhmlimit, 8, cap.phmr ? (haw_mask_ & r::mask(63, 21)) : 0, 0};
  (void)pmr;
  // 11.4: queued invalidation, implemented only with ECAP.QI.
  desc_[kIqh] = {r::kIqh, 8, 0, 0};                           // RO
  desc_[kIqt] = {r::kIqt, 8, qi ? r::iq::kIndexMask : 0, 0};  // QT [18:4]
  desc_[kIqa] = {r::kIqa, 8, qi ? (haw_mask_ | (smts ? r::bit(11) : 0) | r::mask(2, 0)) : 0, 0};
  desc_[kIcs] = {r::kIcs, 4, 0, qi ? r::ics::kIwc : 0};  // IWC RW1C
  desc_[kIectl] = {r::kIectl, 4, 0, 0};                  // handled specially
  desc_[kIedata] = {r::kIedata, 4, qi ? r::mask(15, 0) : 0, 0};
  desc_[kIeaddr] = {r::kIeaddr, 4, qi ? r::mask(31, 2) : 0, 0};
  desc_[kIeuaddr] = {r::kIeuaddr, 4, qi ? r::mask(31, 0) : 0, 0};
  desc_[kIqercd] = {r::kIqercd, 8, 0, 0};  // RO
  // 11.4: IRTA [HAW-1:12], EIME [11] (with ECAP.EIM), S [3:0]; implemented only with ECAP.IR.
  desc_[kIrta] = {r::kIrta, 8, ir ? (haw_mask_ | (cap.eim ? r::bit(11) : 0) | r::mask(3, 0)) : 0, 0};
  // 11.4 IVA_REG: ADDR [63:12], IH [6], AM [5:0].
  desc_[kIva] = {iva_offset_, 8, r::mask(63, 12) | r::bit(6) | r::mask(5, 0), 0};
  // 11.4 IOTLB_REG: IVT [63], IIRG [61:60], DR [49], DW [48], DID [47:32]; IAIG [58:57] RO.
  desc_[kIotlb] = {iva_offset_ + 8, 8, r::bit(63) | r::mask(61, 60) | r::bit(49) | r::bit(48) | r::mask(47, 32), 0};

  value_[kVer] = r::kVersionValue;
  value_[kCap] = cap_reg_;
  value_[kEcap] = ecap_reg_;
  value_[kIectl] = r::ectl::kIm;  // IM resets to 1 (11.4)
}

unsigned RegisterFile::find(std::uint32_t offset) const {
  for (unsigned i = 0; i < kRegCount; ++i) {
    const Desc& d = desc_[i];
    if (d.size && offset >= d.offset && offset < d.offset + d.size) return i;
  }
  return kRegCount;
}

bool RegisterFile::owns(std::uint32_t offset) const { return find(offset) != kRegCount; }

std::uint64_t RegisterFile::raw(std::uint32_t offset) const {
  const unsigned i = find(offset);
  return i == kRegCount ? 0 : value_[i];
}

std::uint32_t RegisterFile::read32(std::uint32_t offset) const {
  if (offset & 3) return 0;
  const unsigned i = find(offset);
  if (i == kRegCount || i == kGcmd) return 0;  // GCMD is write-only: reads return 0
  const unsigned shift = (offset - desc_[i].offset) * 8;
  return static_cast<std::uint32_t>(value_[i] >> shift);
}

std::uint32_t RegisterFile::write32(std::uint32_t offset, std::uint32_t value) {
  if (offset & 3) return kNoAction;
  const unsigned i = find(offset);
  if (i == kRegCount) return kNoAction;
  if (i == kGcmd) return write_gcmd(value);
  if (i == kIectl) return write_iectl(value);
  if (i == kPmen) {
    // 11.4: EPM [31] RW; PRS [0] RO reflects the protected-region state, updated at once.
    if (cap_.plmr || cap_.phmr) {
      const bool epm = value & r::pmen::kEpm;
      value_[kPmen] = epm ? (r::pmen::kEpm | r::pmen::kPrs) : 0;
    }
    return kNoAction;
  }

  const Desc& d = desc_[i];
  const unsigned half = (offset - d.offset) / 4;
  const unsigned shift = half * 32;
  const std::uint64_t writable = (d.writable >> shift) & 0xffffffffull;
  const std::uint64_t rw1c = (d.rw1c >> shift) & 0xffffffffull;
  const std::uint64_t v = value;
  std::uint64_t word = (value_[i] >> shift) & 0xffffffffull;
  word = (word & ~writable) | (v & writable);
  word &= ~(v & rw1c);
  value_[i] = (value_[i] & ~(0xffffffffull << shift)) | (word << shift);

  std::uint32_t actions = kNoAction;
  switch (i) {
    case kRtaddr:
      // RTA bits at or above HAW are reserved: ignored (dropped), counted as a programming error.
      if ((v << shift) & r::mask(63, 12) & ~haw_mask_) ++programming_errors_;
      break;
    case kCcmd:
      if (half == 1 && (value_[i] & r::ccmd::kIcc)) actions |= kContextInvalidate;
      break;
    case kIotlb:
      if (half == 1 && (value_[i] & r::iotlb::kIvt)) actions |= kIotlbInvalidate;
      break;
    case kIqt:
      if (half == 0 && queue_enabled()) actions |= kQueueTailWritten;
      break;
    case kIcs:
      // Software servicing IWC also clears a held (masked) invalidation event (11.4, IP).
      if (!(value_[kIcs] & r::ics::kIwc)) value_[kIectl] &= ~static_cast<std::uint64_t>(r::ectl::kIp);
      break;
    default: break;
  }
  return actions;
}

// GCMD (11.4.4.1). Each write carries the desired state of the enables (TE, QIE, IRE, CFI) and
// at most one one-shot command; status is reflected in GSTS (11.4.4.2) synchronously.
std::uint32_t RegisterFile::write_gcmd(std::uint32_t value) {
  namespace g = r::gcmd;
  std::uint64_t& gsts = value_[kGsts];
  std::uint32_t actions = kNoAction;

  const bool te = value & g::kTe;
  if (te != bool(gsts & g::kTe)) {
    gsts = te ? (gsts | g::kTe) : (gsts & ~std::uint64_t{g::kTe});
    actions |= kTranslationToggled;
  }
  if (value & g::kSrtp) {
    // Latch RTADDR: RTA masked to HAW; TTM 00 = legacy, 01 = scalable (ECAP.SMTS), 10 reserved,
    // 11 abort-DMA (needs ECAP.ADMS, not advertised). Reserved values are undefined in the spec;
    // the model keeps legacy mode and counts a programming error.
    const std::uint64_t rt = value_[kRtaddr];
    root_latched_ = rt & haw_mask_;
    const std::uint64_t ttm = r::rtaddr::ttm(rt);
    ttm_latched_ = ttm;
    scalable_latched_ = (ttm == r::rtaddr::kTtmScalable) && cap_.smts;
    if (ttm == r::rtaddr::kTtmReserved || ttm == r::rtaddr::kTtmAbortDma) ++programming_errors_;
    gsts |= g::kSrtp;  // RTPS: set when the pointer is latched
    actions |= kRootTableSet;
  }
  if ((value & g::kWbf) && cap_.rwbf) {
    // WBFS is set while the flush runs and cleared when it completes: at once in this model.
    gsts &= ~std::uint64_t{g::kWbf};
    actions |= kWriteBufferFlush;
  }
  if (cap_.qi) {
    const bool qie = value & g::kQie;
    if (qie != bool(gsts & g::kQie)) {
      if (!qie && queue_head() != queue_tail()) ++programming_errors_;  // disabling a busy queue
      gsts = qie ? (gsts | g::kQie) : (gsts & ~std::uint64_t{g::kQie});
      // IQH is reset to 0 when queued invalidation is disabled (11.4) and starts at 0 when
      // it is enabled.
      value_[kIqh] = 0;
      if (qie) actions |= kQueueEnabled;
    }
  }
  if (cap_.ir) {
    const bool ire = value & g::kIre;
    gsts = ire ? (gsts | g::kIre) : (gsts & ~std::uint64_t{g::kIre});
    if (value & g::kSirtp) {
      irta_latched_ = value_[kIrta];
      gsts |= g::kSirtp;  // IRTPS
    }
    const bool cfi = value & g::kCfi;
    gsts = cfi ? (gsts | g::kCfi) : (gsts & ~std::uint64_t{g::kCfi});
  }
  // SFL / EAFL: advanced fault logging is not supported (CAP.AFL = 0); ignored.
  return actions;
}

// IECTL (11.4): IM RW, IP RO. Clearing IM while IP is set sends the held message.
std::uint32_t RegisterFile::write_iectl(std::uint32_t value) {
  if (!cap_.qi) return kNoAction;
  std::uint64_t& ctl = value_[kIectl];
  const bool im = value & r::ectl::kIm;
  ctl = im ? (ctl | r::ectl::kIm) : (ctl & ~std::uint64_t{r::ectl::kIm});
  if (!im && (ctl & r::ectl::kIp)) {
    ++invalidation_messages_;
    ctl &= ~std::uint64_t{r::ectl::kIp};
  }
  return kNoAction;
}

void RegisterFile::signal_wait_completion() {
  if (value_[kIcs] & r::ics::kIwc) return;  // IWC already set: no new event
  value_[kIcs] |= r::ics::kIwc;
  std::uint64_t& ctl = value_[kIectl];
  if (ctl & r::ectl::kIm) {
    ctl |= r::ectl::kIp;  // held until IM is cleared or IWC is serviced
  } else {
    ++invalidation_messages_;
  }
}

bool RegisterFile::invalidation_interrupt_pending() const {
  return (value_[kIcs] & r::ics::kIwc) && !(value_[kIectl] & r::ectl::kIm);
}

std::uint32_t RegisterFile::gsts() const { return static_cast<std::uint32_t>(value_[kGsts]); }

void RegisterFile::complete_context_invalidation(std::uint64_t caig) {
  std::uint64_t& v = value_[kCcmd];
  v &= ~(r::ccmd::kIcc | r::mask(60, 59));
  v |= r::put(caig, 60, 59);
}

void RegisterFile::complete_iotlb_invalidation(std::uint64_t iaig) {
  std::uint64_t& v = value_[kIotlb];
  v &= ~(r::iotlb::kIvt | r::mask(58, 57));
  v |= r::put(iaig, 58, 57);
}

bool RegisterFile::queue_enabled() const { return value_[kGsts] & r::gcmd::kQie; }
std::uint64_t RegisterFile::queue_base() const { return r::iq::base(value_[kIqa]); }
bool RegisterFile::queue_256bit() const { return r::iq::dw(value_[kIqa]); }
std::uint64_t RegisterFile::queue_slots() const { return r::iq::slots(value_[kIqa]); }
std::uint64_t RegisterFile::queue_head() const { return r::iq::index(value_[kIqh]); }
std::uint64_t RegisterFile::queue_tail() const { return r::iq::index(value_[kIqt]); }
void RegisterFile::set_queue_head(std::uint64_t slot) { value_[kIqh] = r::put(slot, 18, 4); }
void RegisterFile::set_queue_error_info(std::uint64_t iqei) {
  value_[kIqercd] = (value_[kIqercd] & ~r::mask(3, 0)) | r::put(iqei, 3, 0);
}

}  // namespace vtdsim::core
