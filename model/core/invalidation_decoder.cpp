#include "vtdsim/core/invalidation_decoder.hpp"

#include "vtdsim/spec/registers.hpp"

namespace vtdsim::core {

namespace r = spec::reg;
namespace q = spec::qi;

std::uint16_t implemented_domain(std::uint16_t did, const config::CapabilityConfig& cap) {
  const unsigned bits = 4u + 2u * (cap.nd & 7u);
  return bits >= 16 ? did : static_cast<std::uint16_t>(did & ((1u << bits) - 1u));
}

namespace {

// A page-selective request covers 2^am pages from addr aligned down to that size (the low
// address bits are ignored by hardware, 11.4 AM / 6.5.2.3).
Iova aligned_page(std::uint64_t addr, unsigned am) {
  const std::uint64_t span = am >= 52 ? ~0ull : ((1ull << (12 + am)) - 1);
  return Iova(addr & ~span & r::mask(63, 12));
}

// Device-TLB size encoding (6.5.2.5): S = 0 -> one 4K page at ADDR; S = 1 -> the number n of
// consecutive 1 bits in ADDR starting at bit 12 gives a range of 2^(n+1) pages, aligned.
void device_range(InvalidationRequest& req, std::uint64_t addr, bool size_bit) {
  if (!size_bit) {
    req.granularity = InvalidationGranularity::kPage;
    req.addr = Iova(addr & r::mask(63, 12));
    req.address_mask = 0;
    return;
  }
  unsigned n = 0;
  while (n < 52 && (addr & (1ull << (12 + n)))) ++n;
  const unsigned am = n + 1;
  if (am >= 52) {  // the whole address space of the device
    req.granularity = InvalidationGranularity::kDevice;
    req.addr = Iova(0);
    req.address_mask = 0;
    return;
  }
  req.granularity = InvalidationGranularity::kPage;
  req.address_mask = static_cast<std::uint8_t>(am);
  req.addr = aligned_page(addr, am);
}

DecodedDescriptor error(std::uint64_t iqei, q::Type type = q::Type::kWait) {
  DecodedDescriptor d;
  d.kind = DescriptorKind::kError;
  d.type = type;
  d.error_info = static_cast<std::uint8_t>(iqei);
  return d;
}

// Context-cache request from CCMD (CIRG, 11.4.4.3) or cc_inv_dsc (G, 6.5.2.1): both encode
// 01b global, 10b domain-selective, 11b device-selective (with SID and FM). False for 00b.
bool context_request(unsigned g, std::uint16_t did, std::uint16_t sid, std::uint8_t fm,
                     const config::CapabilityConfig& cap, InvalidationRequest& req) {
  static_assert(
      r::ccmd::kGlobal == q::cc::kGlobal && r::ccmd::kDomain == q::cc::kDomain && r::ccmd::kDevice == q::cc::kDevice,
      "CIRG and the descriptor's G share one encoding");
  req.target = InvalidationTarget::kContextCache;
  req.domain = DomainId(implemented_domain(did, cap));
  switch (g) {
    case q::cc::kGlobal:
      req.granularity = InvalidationGranularity::kGlobal;
      req.domain = DomainId();
      return true;
    case q::cc::kDomain: req.granularity = InvalidationGranularity::kDomain; return true;
    case q::cc::kDevice:
      req.granularity = InvalidationGranularity::kDevice;
      req.source = SourceId(sid);
      req.function_mask = fm;
      return true;
    default: return false;
  }
}

// IOTLB request from IOTLB_REG (IIRG, 11.4.8.1, with IVA_REG) or iotlb_inv_dsc (G, 6.5.2.3):
// both encode 01b global, 10b domain-selective, 11b page-selective (ADDR, AM, IH). A page
// request the unit cannot do (CAP.PSI = 0 or AM > CAP.MAMV) becomes domain-selective. Returns
// the granularity actually performed in that encoding (IAIG), 0 for the reserved 00b.
unsigned iotlb_request(unsigned g, std::uint16_t did, bool dr, bool dw, std::uint64_t addr, unsigned am, bool ih,
                       const config::CapabilityConfig& cap, InvalidationRequest& req) {
  static_assert(r::iotlb::kGlobal == q::iotlb::kGlobal && r::iotlb::kDomain == q::iotlb::kDomain &&
                    r::iotlb::kPage == q::iotlb::kPage,
                "IIRG and the descriptor's G share one encoding");
  req.target = InvalidationTarget::kIotlb;
  req.domain = DomainId(implemented_domain(did, cap));
  req.drain_reads = cap.drd && dr;
  req.drain_writes = cap.dwd && dw;
  switch (g) {
    case q::iotlb::kGlobal:
      req.granularity = InvalidationGranularity::kGlobal;
      req.domain = DomainId();
      return g;
    case q::iotlb::kDomain: req.granularity = InvalidationGranularity::kDomain; return g;
    case q::iotlb::kPage:
      if (!cap.psi || am > cap.mamv) {
        req.granularity = InvalidationGranularity::kDomain;  // coarser, reported in IAIG
        return q::iotlb::kDomain;
      }
      req.granularity = InvalidationGranularity::kPage;
      req.address_mask = static_cast<std::uint8_t>(am);
      req.addr = aligned_page(addr, am);
      req.invalidation_hint = ih;
      return g;
    default: return 0;
  }
}

}  // namespace

AtsRange ats_range(const InvalidationRequest& req) {
  if (req.granularity != InvalidationGranularity::kPage || req.address_mask >= 52) {
    return AtsRange{r::mask(62, 12), true};
  }
  if (req.address_mask == 0) return AtsRange{req.addr.value & r::mask(63, 12), false};
  const unsigned ones = req.address_mask - 1u;
  const std::uint64_t low = ones == 0 ? 0 : r::mask(12 + ones - 1, 12);
  return AtsRange{(aligned_page(req.addr.value, req.address_mask).value) | low, true};
}

RegisterInvalidation decode_context_command(std::uint64_t ccmd, const config::CapabilityConfig& cap) {
  RegisterInvalidation out;
  const unsigned g = static_cast<unsigned>(r::ccmd::cirg(ccmd));
  if (!context_request(g, static_cast<std::uint16_t>(r::ccmd::did(ccmd)),
                       static_cast<std::uint16_t>(r::ccmd::sid(ccmd)), static_cast<std::uint8_t>(r::ccmd::fm(ccmd)),
                       cap, out.request))
    return RegisterInvalidation{};  // CIRG 00: reserved
  out.performed = true;
  out.actual_granularity = static_cast<std::uint8_t>(g);
  return out;
}

RegisterInvalidation decode_iotlb_command(std::uint64_t iotlb, std::uint64_t iva, const config::CapabilityConfig& cap) {
  RegisterInvalidation out;
  const unsigned actual =
      iotlb_request(static_cast<unsigned>(r::iotlb::iirg(iotlb)), static_cast<std::uint16_t>(r::iotlb::did(iotlb)),
                    r::iotlb::dr(iotlb), r::iotlb::dw(iotlb), r::iva::addr(iva), static_cast<unsigned>(r::iva::am(iva)),
                    r::iva::ih(iva), cap, out.request);
  if (actual == 0) return RegisterInvalidation{};  // IIRG 00: reserved
  out.performed = true;
  out.actual_granularity = static_cast<std::uint8_t>(actual);
  return out;
}

DecodedDescriptor decode_descriptor(const q::Descriptor& d, const config::CapabilityConfig& cap, bool scalable,
                                    bool wide) {
  // Descriptor width (11.4 IQEI 5): 128-bit descriptors are invalid in scalable mode; DW=1
  // needs ECAP.SMTS (the register bit is not writable otherwise).
  if (scalable && !wide) return error(r::iqercd::kInvalidWidth);
  if (wide && !cap.smts) return error(r::iqercd::kInvalidWidth);

  const unsigned t = q::type(d.lo());
  const unsigned last = scalable ? q::kLastScalableType : q::kLastLegacyType;
  if (t == 0 || t > last) return error(r::iqercd::kInvalidType);
  const auto type = static_cast<q::Type>(t);
  // Types whose capability is not reported are invalid types (6.5.2.5-7, 7.6.1).
  if ((type == q::Type::kDeviceTlb || type == q::Type::kPasidDeviceTlb) && !cap.dt)
    return error(r::iqercd::kInvalidType, type);
  if (type == q::Type::kInterruptEntry && !cap.ir) return error(r::iqercd::kInvalidType, type);
  if (type == q::Type::kPageGroupResponse) return error(r::iqercd::kInvalidType, type);  // ECAP.PRS = 0
  if ((type == q::Type::kPasidIotlb || type == q::Type::kPasidCache || type == q::Type::kPasidDeviceTlb) &&
      !(cap.smts && cap.pasid))
    return error(r::iqercd::kInvalidType, type);

  // The upper 128 bits of a 256-bit descriptor are reserved for every type here.
  if (wide && (d.qw[2] | d.qw[3])) return error(r::iqercd::kReservedField, type);

  const std::uint64_t lo = d.lo(), hi = d.hi();
  auto reserved = [&](std::uint64_t rlo, std::uint64_t rhi) { return (lo & rlo) || (hi & rhi); };

  DecodedDescriptor out;
  out.kind = DescriptorKind::kInvalidate;
  out.type = type;
  InvalidationRequest& req = out.request;

  switch (type) {
    case q::Type::kContextCache: {  // 6.5.2.1
      if (reserved(q::cc::kReservedLo, q::cc::kReservedHi)) return error(r::iqercd::kReservedField, type);
      if (!context_request(q::granularity(lo), q::cc::did(lo), q::cc::sid(lo), q::cc::fm(lo), cap, req))
        return error(r::iqercd::kReservedField, type);  // G = 00 reserved
      return out;
    }
    case q::Type::kIotlb: {  // 6.5.2.3
      if (reserved(q::iotlb::kReservedLo, q::iotlb::kReservedHi)) return error(r::iqercd::kReservedField, type);
      if (iotlb_request(q::granularity(lo), q::iotlb::did(lo), q::iotlb::dr(lo), q::iotlb::dw(lo), q::iotlb::addr(hi),
                        q::iotlb::am(hi), q::iotlb::ih(hi), cap, req) == 0)
        return error(r::iqercd::kReservedField, type);
      return out;
    }
    case q::Type::kPasidIotlb: {  // 6.5.2.4
      if (reserved(q::piotlb::kReservedLo, q::piotlb::kReservedHi)) return error(r::iqercd::kReservedField, type);
      req.target = InvalidationTarget::kPasidIotlb;
      req.domain = DomainId(implemented_domain(q::piotlb::did(lo), cap));
      req.pasid = Pasid(q::piotlb::pasid(lo));
      switch (q::granularity(lo)) {
        case q::piotlb::kPasid: req.granularity = InvalidationGranularity::kPasid; break;
        case q::piotlb::kPage: {
          const unsigned am = q::iotlb::am(hi);
          req.granularity = InvalidationGranularity::kPage;
          req.address_mask = static_cast<std::uint8_t>(am);
          req.addr = aligned_page(q::iotlb::addr(hi), am);
          req.invalidation_hint = q::iotlb::ih(hi);
          break;
        }
        default: return error(r::iqercd::kReservedField, type);  // 00 / 01 reserved
      }
      return out;
    }
    case q::Type::kPasidCache: {  // 6.5.2.2
      if (reserved(q::pc::kReservedLo, q::pc::kReservedHi)) return error(r::iqercd::kReservedField, type);
      req.target = InvalidationTarget::kPasidCache;
      req.domain = DomainId(implemented_domain(q::pc::did(lo), cap));
      switch (q::granularity(lo)) {
        case q::pc::kDomain: req.granularity = InvalidationGranularity::kDomain; break;
        case q::pc::kPasid:
          req.granularity = InvalidationGranularity::kPasid;
          req.pasid = Pasid(q::pc::pasid(lo));
          break;
        case q::pc::kGlobal:
          req.granularity = InvalidationGranularity::kGlobal;
          req.domain = DomainId();
          break;
        default: return error(r::iqercd::kReservedField, type);  // 10 reserved
      }
      return out;
    }
    case q::Type::kDeviceTlb: {  // 6.5.2.5
      if (reserved(q::devtlb::kReservedLo, q::devtlb::kReservedHi)) return error(r::iqercd::kReservedField, type);
      req.target = InvalidationTarget::kDeviceTlb;
      req.source = SourceId(q::devtlb::sid(lo));
      device_range(req, q::devtlb::addr(hi), q::devtlb::s(hi));
      return out;
    }
    case q::Type::kPasidDeviceTlb: {  // 6.5.2.6
      if (reserved(q::pdevtlb::kReservedLo, q::pdevtlb::kReservedHi)) return error(r::iqercd::kReservedField, type);
      req.target = InvalidationTarget::kDeviceTlb;
      req.source = SourceId(q::pdevtlb::sid(lo));
      req.pasid = Pasid(q::pdevtlb::pasid(lo));
      device_range(req, q::pdevtlb::addr(hi), q::pdevtlb::s(hi));
      return out;
    }
    case q::Type::kInterruptEntry: {  // 6.5.2.7
      if (reserved(q::iec::kReservedLo, q::iec::kReservedHi)) return error(r::iqercd::kReservedField, type);
      const unsigned mhmv = cap.ir ? 0xf : 0;  // as advertised in ECAP.MHMV
      if (q::iec::index_selective(lo) && q::iec::im(lo) > mhmv) return error(r::iqercd::kReservedField, type);
      req.target = InvalidationTarget::kInterruptEntry;
      req.granularity = q::iec::index_selective(lo) ? InvalidationGranularity::kPage : InvalidationGranularity::kGlobal;
      return out;
    }
    case q::Type::kWait: {  // 6.5.2.8
      // PD (page-request drain) is reserved without ECAP.PDS, which the model does not report.
      if (reserved(q::wait::kReservedLo | r::bit(7), q::wait::kReservedHi))
        return error(r::iqercd::kReservedField, type);
      out.kind = DescriptorKind::kWait;
      out.status_write = q::wait::sw(lo);
      out.interrupt = q::wait::if_(lo);
      out.fence = q::wait::fn(lo);
      out.status_data = q::wait::status_data(lo);
      out.status_address = q::wait::status_address(hi);
      return out;
    }
    default: return error(r::iqercd::kInvalidType, type);
  }
}

}  // namespace vtdsim::core
