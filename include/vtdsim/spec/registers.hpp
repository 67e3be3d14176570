// Remapping-hardware register offsets and fields (Intel VT-d spec rev 4.x, chapter 11
// "Translation Hardware Register Descriptions", 11.4). Constants and small accessors only; the
// read/write semantics live in core::RegisterFile and core::FaultRecorder.
// The 11.4.x subsection numbers beyond RTADDR_REG (11.4.5) differ between spec revisions, so later
// registers are cited by their spec name (CCMD_REG, FSTS_REG, FRCD_REG, IQA_REG, ...) in 11.4.
#pragma once
#include <cstdint>

#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::spec::reg {

// Bits [hi:lo] of a value, and the mask of those bits.
constexpr std::uint64_t mask(unsigned hi, unsigned lo) {
  return (hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
constexpr std::uint64_t field(std::uint64_t v, unsigned hi, unsigned lo) { return (v & mask(hi, lo)) >> lo; }
constexpr std::uint64_t bit(unsigned n) { return 1ull << n; }
constexpr std::uint64_t put(std::uint64_t value, unsigned hi, unsigned lo) { return (value << lo) & mask(hi, lo); }

// ---- Register offsets (spec 11.4, Table "Register Address Map") -------------------------------
constexpr std::uint32_t kVer = 0x00;       // 32-bit, 11.4.1
constexpr std::uint32_t kCap = 0x08;       // 64-bit, 11.4.2
constexpr std::uint32_t kEcap = 0x10;      // 64-bit, 11.4.3
constexpr std::uint32_t kGcmd = 0x18;      // 32-bit, 11.4.4.1
constexpr std::uint32_t kGsts = 0x1c;      // 32-bit, 11.4.4.2
constexpr std::uint32_t kRtaddr = 0x20;    // 64-bit, 11.4.5
constexpr std::uint32_t kCcmd = 0x28;      // 64-bit, 11.4 (context command)
constexpr std::uint32_t kFsts = 0x34;      // 32-bit, 11.4 (fault status)
constexpr std::uint32_t kFectl = 0x38;     // 32-bit, 11.4 (fault event control)
constexpr std::uint32_t kFedata = 0x3c;    // 32-bit, 11.4
constexpr std::uint32_t kFeaddr = 0x40;    // 32-bit, 11.4
constexpr std::uint32_t kFeuaddr = 0x44;   // 32-bit, 11.4
constexpr std::uint32_t kAflog = 0x58;     // 64-bit, 11.4 (advanced fault log; CAP.AFL = 0 here)
constexpr std::uint32_t kPmen = 0x64;      // 32-bit, 11.4 (protected memory enable)
constexpr std::uint32_t kPlmbase = 0x68;   // 32-bit, 11.4
constexpr std::uint32_t kPlmlimit = 0x6c;  // 32-bit, 11.4
constexpr std::uint32_t kPhmbase = 0x70;   // 64-bit, 11.4
constexpr std::uint32_t kPhmlimit = 0x78;  // 64-bit, 11.4
constexpr std::uint32_t kIqh = 0x80;       // 64-bit, 11.4 invalidation queue head
constexpr std::uint32_t kIqt = 0x88;       // 64-bit, 11.4 invalidation queue tail
constexpr std::uint32_t kIqa = 0x90;       // 64-bit, 11.4 invalidation queue address
constexpr std::uint32_t kIcs = 0x9c;       // 32-bit, 11.4 invalidation completion status
constexpr std::uint32_t kIectl = 0xa0;     // 32-bit, 11.4 invalidation event control
constexpr std::uint32_t kIedata = 0xa4;    // 32-bit, 11.4
constexpr std::uint32_t kIeaddr = 0xa8;    // 32-bit, 11.4
constexpr std::uint32_t kIeuaddr = 0xac;   // 32-bit, 11.4
constexpr std::uint32_t kIqercd = 0xb0;    // 64-bit, 11.4 invalidation queue error record
constexpr std::uint32_t kIrta = 0xb8;      // 64-bit, 11.4 interrupt remapping table address
// IVA_REG at ECAP.IRO * 16 and IOTLB_REG at IVA + 8 (11.4); fault recording
// registers at CAP.FRO * 16, 16 bytes each (11.4 FRCD_REG).
constexpr std::uint32_t kIotlbFromIva = 0x08;
constexpr std::uint32_t kFaultRecordSize = 16;

// ---- VER_REG (11.4.1): MAX [7:4], MIN [3:0] ---------------------------------------------------
constexpr std::uint32_t kVersionValue = 0x10;  // architecture version 1.0, as QEMU's model reports

// ---- CAP_REG (11.4.2) -------------------------------------------------------------------------
namespace cap {
constexpr std::uint64_t nd(std::uint64_t c) { return field(c, 2, 0); }  // domains 2^(4+2*ND)
constexpr bool afl(std::uint64_t c) { return c & bit(3); }
constexpr bool rwbf(std::uint64_t c) { return c & bit(4); }
constexpr bool plmr(std::uint64_t c) { return c & bit(5); }
constexpr bool phmr(std::uint64_t c) { return c & bit(6); }
constexpr bool cm(std::uint64_t c) { return c & bit(7); }
constexpr std::uint64_t sagaw(std::uint64_t c) { return field(c, 12, 8); }
constexpr std::uint64_t mgaw(std::uint64_t c) { return field(c, 21, 16) + 1; }  // field holds MGAW-1
constexpr bool zlr(std::uint64_t c) { return c & bit(22); }
constexpr std::uint64_t fro(std::uint64_t c) { return field(c, 33, 24) * 16; }  // bytes
constexpr std::uint64_t sllps(std::uint64_t c) { return field(c, 37, 34); }
constexpr bool psi(std::uint64_t c) { return c & bit(39); }
constexpr std::uint64_t nfr(std::uint64_t c) { return field(c, 47, 40) + 1; }  // field holds NFR-1
constexpr std::uint64_t mamv(std::uint64_t c) { return field(c, 53, 48); }
constexpr bool dwd(std::uint64_t c) { return c & bit(54); }
constexpr bool drd(std::uint64_t c) { return c & bit(55); }
constexpr bool fl1gp(std::uint64_t c) { return c & bit(56); }
constexpr bool pi(std::uint64_t c) { return c & bit(59); }
constexpr bool fl5lp(std::uint64_t c) { return c & bit(60); }
constexpr bool esirtps(std::uint64_t c) { return c & bit(62); }
constexpr bool esrtps(std::uint64_t c) { return c & bit(63); }
}  // namespace cap

// ---- ECAP_REG (11.4.3) ------------------------------------------------------------------------
namespace ecap {
constexpr bool c(std::uint64_t e) { return e & bit(0); }                       // page-walk coherency
constexpr bool qi(std::uint64_t e) { return e & bit(1); }                      // queued invalidation
constexpr bool dt(std::uint64_t e) { return e & bit(2); }                      // device-TLB
constexpr bool ir(std::uint64_t e) { return e & bit(3); }                      // interrupt remapping
constexpr bool eim(std::uint64_t e) { return e & bit(4); }                     // extended interrupt mode
constexpr bool pt(std::uint64_t e) { return e & bit(6); }                      // pass-through
constexpr bool sc(std::uint64_t e) { return e & bit(7); }                      // snoop control
constexpr std::uint64_t iro(std::uint64_t e) { return field(e, 17, 8) * 16; }  // bytes
constexpr std::uint64_t mhmv(std::uint64_t e) { return field(e, 23, 20); }
constexpr bool mts(std::uint64_t e) { return e & bit(25); }
constexpr bool nest(std::uint64_t e) { return e & bit(26); }
constexpr bool prs(std::uint64_t e) { return e & bit(29); }
constexpr bool ers(std::uint64_t e) { return e & bit(30); }
constexpr bool srs(std::uint64_t e) { return e & bit(31); }
constexpr bool nwfs(std::uint64_t e) { return e & bit(33); }
constexpr bool eafs(std::uint64_t e) { return e & bit(34); }
constexpr std::uint64_t pss(std::uint64_t e) { return field(e, 39, 35); }  // PASID bits - 1
constexpr bool pasid(std::uint64_t e) { return e & bit(40); }
constexpr bool dit(std::uint64_t e) { return e & bit(41); }
constexpr bool pds(std::uint64_t e) { return e & bit(42); }
constexpr bool smts(std::uint64_t e) { return e & bit(43); }
constexpr bool slads(std::uint64_t e) { return e & bit(45); }
constexpr bool slts(std::uint64_t e) { return e & bit(46); }
constexpr bool flts(std::uint64_t e) { return e & bit(47); }
constexpr bool smpwcs(std::uint64_t e) { return e & bit(48); }
constexpr bool rps(std::uint64_t e) { return e & bit(49); }
}  // namespace ecap

// Builds CAP_REG / ECAP_REG from the configured capabilities (fields clamped to their widths).
std::uint64_t make_cap(const config::CapabilityConfig& c);
std::uint64_t make_ecap(const config::CapabilityConfig& c);

// ---- GCMD_REG / GSTS_REG (11.4.4): command bit n is reflected by status bit n ------------------
namespace gcmd {
constexpr std::uint32_t kTe = 1u << 31;     // translation enable            / GSTS.TES
constexpr std::uint32_t kSrtp = 1u << 30;   // set root table pointer (1-shot) / GSTS.RTPS
constexpr std::uint32_t kSfl = 1u << 29;    // set fault log (deprecated)  / GSTS.FLS
constexpr std::uint32_t kEafl = 1u << 28;   // enable advanced fault logging / GSTS.AFLS
constexpr std::uint32_t kWbf = 1u << 27;    // write buffer flush (1-shot)  / GSTS.WBFS
constexpr std::uint32_t kQie = 1u << 26;    // queued invalidation enable   / GSTS.QIES
constexpr std::uint32_t kIre = 1u << 25;    // interrupt remapping enable   / GSTS.IRES
constexpr std::uint32_t kSirtp = 1u << 24;  // set interrupt remap table ptr (1-shot) / GSTS.IRTPS
constexpr std::uint32_t kCfi = 1u << 23;    // compatibility format interrupt / GSTS.CFIS
}  // namespace gcmd

// ---- RTADDR_REG (11.4.5): RTA [63:12], TTM [11:10] --------------------------------------------
namespace rtaddr {
constexpr std::uint64_t rta(std::uint64_t v) { return v & mask(63, 12); }
constexpr std::uint64_t ttm(std::uint64_t v) { return field(v, 11, 10); }
constexpr std::uint64_t kTtmLegacy = 0b00;
constexpr std::uint64_t kTtmScalable = 0b01;
constexpr std::uint64_t kTtmReserved = 0b10;
constexpr std::uint64_t kTtmAbortDma = 0b11;  // needs ECAP.ADMS (not advertised here: reserved)
}  // namespace rtaddr

// ---- CCMD_REG (11.4) ----------------------------------------------------------------------
namespace ccmd {
constexpr std::uint64_t kIcc = bit(63);
constexpr std::uint64_t cirg(std::uint64_t v) { return field(v, 62, 61); }  // requested granularity
constexpr std::uint64_t caig(std::uint64_t v) { return field(v, 60, 59); }  // actual granularity
constexpr std::uint64_t fm(std::uint64_t v) { return field(v, 33, 32); }
constexpr std::uint64_t sid(std::uint64_t v) { return field(v, 31, 16); }
constexpr std::uint64_t did(std::uint64_t v) { return field(v, 15, 0); }
constexpr std::uint64_t kGlobal = 0b01, kDomain = 0b10, kDevice = 0b11;  // CIRG/CAIG encodings
constexpr std::uint64_t kCaigShift = 59;
}  // namespace ccmd

// ---- IOTLB_REG and IVA_REG (11.4) -------------------------------------------------------------
namespace iotlb {
constexpr std::uint64_t kIvt = bit(63);
constexpr std::uint64_t iirg(std::uint64_t v) { return field(v, 61, 60); }
constexpr std::uint64_t iaig(std::uint64_t v) { return field(v, 58, 57); }
constexpr bool dr(std::uint64_t v) { return v & bit(49); }
constexpr bool dw(std::uint64_t v) { return v & bit(48); }
constexpr std::uint64_t did(std::uint64_t v) { return field(v, 47, 32); }
constexpr std::uint64_t kGlobal = 0b01, kDomain = 0b10, kPage = 0b11;  // IIRG/IAIG encodings
constexpr std::uint64_t kIaigShift = 57;
}  // namespace iotlb
namespace iva {
constexpr std::uint64_t addr(std::uint64_t v) { return v & mask(63, 12); }
constexpr bool ih(std::uint64_t v) { return v & bit(6); }
constexpr std::uint64_t am(std::uint64_t v) { return field(v, 5, 0); }
}  // namespace iva

// ---- FSTS_REG (11.4) ----------------------------------------------------------------------
namespace fsts {
constexpr std::uint32_t kPfo = 1u << 0;  // primary fault overflow (RW1C)
constexpr std::uint32_t kPpf = 1u << 1;  // primary pending fault (RO: any FRCD.F set)
constexpr std::uint32_t kAfo = 1u << 2;  // advanced fault overflow (AFL unsupported: 0)
constexpr std::uint32_t kApf = 1u << 3;  // advanced pending fault (AFL unsupported: 0)
constexpr std::uint32_t kIqe = 1u << 4;  // invalidation queue error (RW1C)
constexpr std::uint32_t kIce = 1u << 5;  // invalidation completion error (RW1C)
constexpr std::uint32_t kIte = 1u << 6;  // invalidation time-out error (RW1C)
constexpr std::uint32_t fri(std::uint32_t v) { return (v >> 8) & 0xff; }  // fault record index
constexpr std::uint32_t kRw1c = kPfo | kIqe | kIce | kIte;
// Status fields whose setting is a fault-event condition (spec 7.3.1).
constexpr std::uint32_t kEventCauses = kPfo | kPpf | kIqe | kIce | kIte;
}  // namespace fsts

// ---- FECTL_REG / IECTL_REG (11.4): IM [31] RW, IP [30] RO -------------------------------------
namespace ectl {
constexpr std::uint32_t kIm = 1u << 31;
constexpr std::uint32_t kIp = 1u << 30;
}  // namespace ectl

// ---- FRCD_REG (11.4): 128 bits --------------------------------------------------------------
// [63:12] FI (faulting page address), [79:64] SID, [92] T2, [93] PRIV, [94] EXE, [95] PP,
// [103:96] FR, [123:104] PV, [125:124] AT, [126] T1 (0 = write, 1 = read), [127] F (RW1C).
namespace frcd {
constexpr std::uint64_t fi(std::uint64_t lo) { return lo & mask(63, 12); }
constexpr std::uint64_t sid(std::uint64_t hi) { return field(hi, 15, 0); }
constexpr bool t2(std::uint64_t hi) { return hi & bit(28); }
constexpr bool priv(std::uint64_t hi) { return hi & bit(29); }
constexpr bool exe(std::uint64_t hi) { return hi & bit(30); }
constexpr bool pp(std::uint64_t hi) { return hi & bit(31); }
constexpr std::uint64_t fr(std::uint64_t hi) { return field(hi, 39, 32); }
constexpr std::uint64_t pv(std::uint64_t hi) { return field(hi, 59, 40); }
constexpr std::uint64_t at(std::uint64_t hi) { return field(hi, 61, 60); }
constexpr bool t1(std::uint64_t hi) { return hi & bit(62); }
constexpr bool f(std::uint64_t hi) { return hi & bit(63); }
constexpr std::uint64_t kF = bit(63);
}  // namespace frcd

// ---- PMEN_REG (11.4): EPM [31] RW, PRS [0] RO ---------------------------------------------
namespace pmen {
constexpr std::uint32_t kEpm = 1u << 31;
constexpr std::uint32_t kPrs = 1u << 0;
}  // namespace pmen

// ---- Queued invalidation registers (11.4) --------------------------------------------------
namespace iq {
// IQH_REG / IQT_REG: QH / QT [18:4], offset of the descriptor in 128-bit units.
constexpr std::uint64_t kIndexMask = mask(18, 4);
constexpr std::uint64_t index(std::uint64_t v) { return field(v, 18, 4); }
// IQA_REG: IQA [63:12] base, DW [11] (256-bit descriptors, needs ECAP.SMTS), QS [2:0] (2^QS 4K pages).
constexpr std::uint64_t base(std::uint64_t iqa) { return iqa & mask(63, 12); }
constexpr bool dw(std::uint64_t iqa) { return iqa & bit(11); }
constexpr std::uint64_t qs(std::uint64_t iqa) { return field(iqa, 2, 0); }
// Queue size in 128-bit slots: 2^QS pages of 256 slots.
constexpr std::uint64_t slots(std::uint64_t iqa) { return 256ull << qs(iqa); }
}  // namespace iq
namespace ics {
constexpr std::uint32_t kIwc = 1u << 0;  // invalidation wait descriptor complete (RW1C)
}
// IQERCD_REG (11.4): IQEI [3:0], ITESID [47:32], ICESID [63:48].
namespace iqercd {
constexpr std::uint64_t iqei(std::uint64_t v) { return field(v, 3, 0); }
// Invalidation queue error info encodings (11.4, IQEI; valid while FSTS.IQE is set).
constexpr std::uint64_t kNoInfo = 0;          // info not available
constexpr std::uint64_t kInvalidTail = 1;     // invalid tail pointer (IQT beyond the queue)
constexpr std::uint64_t kFetchError = 2;      // fetching a descriptor resulted in an error
constexpr std::uint64_t kInvalidType = 3;     // invalid descriptor type (Table 23, 6.5.2.10)
constexpr std::uint64_t kReservedField = 4;   // reserved field violation in a valid type
constexpr std::uint64_t kInvalidWidth = 5;    // DW=0 in scalable mode (or DW=1 without SMTS/ADMS)
constexpr std::uint64_t kTailMisaligned = 6;  // DW=1 and IQT bit 4 set
constexpr std::uint64_t kInvalidTtm = 7;      // invalid RTADDR_REG.TTM value
}  // namespace iqercd
// IRTA_REG (11.4): IRTA [63:12], EIME [11], S [3:0].
namespace irta {
constexpr std::uint64_t base(std::uint64_t v) { return v & mask(63, 12); }
constexpr bool eime(std::uint64_t v) { return v & bit(11); }
constexpr std::uint64_t s(std::uint64_t v) { return field(v, 3, 0); }
}  // namespace irta

}  // namespace vtdsim::spec::reg
