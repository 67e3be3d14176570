#include "vtdsim/spec/registers.hpp"

namespace vtdsim::spec::reg {

// CAP_REG field positions: VT-d spec 11.4.2.
std::uint64_t make_cap(const config::CapabilityConfig& c) {
  std::uint64_t v = 0;
  v |= put(c.nd, 2, 0);  // ND
  // AFL [3] = 0: advanced fault logging not modelled.
  v |= put(c.rwbf ? 1 : 0, 4, 4);               // RWBF
  v |= put(c.plmr ? 1 : 0, 5, 5);               // PLMR
  v |= put(c.phmr ? 1 : 0, 6, 6);               // PHMR
  v |= put(c.caching_mode ? 1 : 0, 7, 7);       // CM
  v |= put(c.sagaw, 12, 8);                     // SAGAW
  v |= put(c.mgaw ? c.mgaw - 1u : 0u, 21, 16);  // MGAW (holds width - 1)
  v |= put(c.zlr ? 1 : 0, 22, 22);              // ZLR
  v |= put(c.fro / 16u, 33, 24);                // FRO (16-byte units)
  v |= put(c.sllps, 37, 34);                    // SLLPS
  v |= put(c.psi ? 1 : 0, 39, 39);              // PSI
  v |= put(c.nfr ? c.nfr - 1u : 0u, 47, 40);    // NFR (holds count - 1)
  v |= put(c.mamv, 53, 48);                     // MAMV
  v |= put(c.dwd ? 1 : 0, 54, 54);              // DWD
  v |= put(c.drd ? 1 : 0, 55, 55);              // DRD
  v |= put(c.fl1gp ? 1 : 0, 56, 56);            // FL1GP
  v |= put(c.fl5lp ? 1 : 0, 60, 60);            // FL5LP
  // PI [59], ESIRTPS [62], ESRTPS [63] = 0: not modelled. ESRTPS = 0 tells software
  // that SRTP does not invalidate the caches (it must invalidate them globally itself).
  return v;
}

// ECAP_REG field positions: VT-d spec 11.4.3.
std::uint64_t make_ecap(const config::CapabilityConfig& c) {
  std::uint64_t v = 0;
  // C [0] = 0: page-walk accesses are not snooped (software flushes table updates).
  v |= put(c.qi ? 1 : 0, 1, 1);       // QI
  v |= put(c.dt ? 1 : 0, 2, 2);       // DT
  v |= put(c.ir ? 1 : 0, 3, 3);       // IR
  v |= put(c.eim ? 1 : 0, 4, 4);      // EIM
  v |= put(c.pt ? 1 : 0, 6, 6);       // PT
  v |= put(c.sc ? 1 : 0, 7, 7);       // SC
  v |= put(c.iro / 16u, 17, 8);       // IRO (16-byte units)
  v |= put(c.ir ? 0xf : 0, 23, 20);   // MHMV: interrupt-entry-cache handle mask (IR only)
  v |= put(c.nest ? 1 : 0, 26, 26);   // NEST
  v |= put(c.pss, 39, 35);            // PSS
  v |= put(c.pasid ? 1 : 0, 40, 40);  // PASID
  v |= put(c.smts ? 1 : 0, 43, 43);   // SMTS
  v |= put(c.slts ? 1 : 0, 46, 46);   // SLTS
  v |= put(c.flts ? 1 : 0, 47, 47);   // FLTS
  // ECS (bit 24) is deprecated since rev 3.0 and reads 0 whatever the configuration says.
  return v;
}

}  // namespace vtdsim::spec::reg
