// The IOTLB of one remapping unit in the organization the configuration chooses
// (caches.iotlb_organization): the set-associative hardware arrays (shared or per page size,
// set_assoc_iotlb.hpp) or QEMU's emulated table (qemu_iotlb.hpp). Like ReplacementPolicy, a
// variant dispatched by its index (the set-associative organization tested first), with no
// virtual calls and no allocation after construction.
#pragma once
#include <array>
#include <cstdint>
#include <variant>

#include "vtdsim/cache/cache_entries.hpp"
#include "vtdsim/cache/cache_stats.hpp"
#include "vtdsim/cache/invalidation_scope.hpp"
#include "vtdsim/cache/qemu_iotlb.hpp"
#include "vtdsim/cache/set_assoc_iotlb.hpp"
#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::cache {

class Iotlb {
 public:
  explicit Iotlb(const config::CachesConfig& config);

  // The entry of any page size that covers iova (valid until the next fill or invalidation).
  const IotlbEntry* find(SourceId source, DomainId domain, Pasid pasid, Iova iova) {
    if (SetAssocIotlb* hw = std::get_if<SetAssocIotlb>(&impl_); __builtin_expect(hw != nullptr, 1))
      return hw->find(domain, pasid, iova);
    return find_in_qemu(source, pasid, iova);
  }
  // Aligns the entry to its page and sets its level from the page size; other sizes are ignored.
  void fill(const IotlbEntry& entry);
  // An IOTLB or PASID-based-IOTLB invalidation (scope = IotlbInvalidationScope::of(request)).
  std::uint64_t invalidate(const core::InvalidationRequest& request, const IotlbInvalidationScope& scope);

  IotlbStats stats() const;
  std::array<std::uint64_t, 3> held_by_size() const;

 private:
  // Out of line, so that the set-associative path above stays small enough to inline.
  [[gnu::noinline]] const IotlbEntry* find_in_qemu(SourceId source, Pasid pasid, Iova iova);
  template <class R, class F>
  R visit(F&& f) const {
    if (impl_.index() == 0) return f(*std::get_if<SetAssocIotlb>(&impl_));
    return f(*std::get_if<QemuIotlb>(&impl_));
  }
  std::variant<SetAssocIotlb, QemuIotlb> impl_;
};

}  // namespace vtdsim::cache
