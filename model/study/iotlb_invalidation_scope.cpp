#include "vtdsim/study/iotlb_invalidation_scope.hpp"

namespace vtdsim::study {

IotlbInvalidationScope::IotlbInvalidationScope(const core::InvalidationRequest& r) {
  using G = core::InvalidationGranularity;
  using T = core::InvalidationTarget;
  if (r.target != T::kIotlb && r.target != T::kPasidIotlb) return;
  applies = true;
  const bool pasid_based = r.target == T::kPasidIotlb;
  G g = r.granularity;
  if (g == G::kDevice) g = G::kDomain;
  if (g == G::kPasid && !pasid_based) g = G::kDomain;
  global = g == G::kGlobal;
  page = g == G::kPage;
  compare_pasid = pasid_based && (g == G::kPasid || g == G::kPage);
  domain = r.domain.value;
  pasid = r.pasid.value;
  if (page) {
    const unsigned am = r.address_mask > 52 ? 52 : r.address_mask;
    len = 1ull << (12 + am);
    base = r.addr.value & ~(len - 1);
  }
}

}  // namespace vtdsim::study
