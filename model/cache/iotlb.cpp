// The IOTLB in its configured organization (iotlb.hpp).
#include "vtdsim/cache/iotlb.hpp"

namespace vtdsim::cache {

namespace {
std::variant<SetAssocIotlb, QemuIotlb> make(const config::CachesConfig& config) {
  if (config.iotlb_organization == config::IotlbOrganization::kQemu)
    return std::variant<SetAssocIotlb, QemuIotlb>(std::in_place_type<QemuIotlb>, config);
  return std::variant<SetAssocIotlb, QemuIotlb>(std::in_place_type<SetAssocIotlb>, config);
}
}  // namespace

Iotlb::Iotlb(const config::CachesConfig& config) : impl_(make(config)) {}

const IotlbEntry* Iotlb::find_in_qemu(SourceId source, Pasid pasid, Iova iova) {
  return std::get_if<QemuIotlb>(&impl_)->find(source, pasid, iova);
}

void Iotlb::fill(const IotlbEntry& in) {
  const int s = page_size_index(in.page_shift);
  if (s < 0) return;  // only 4K, 2M and 1G pages exist (spec 3.7)
  IotlbEntry entry = in;
  entry.iova_base &= ~((1ull << in.page_shift) - 1);
  entry.level = static_cast<std::uint8_t>(s + 1);
  if (impl_.index() == 0) {
    std::get_if<SetAssocIotlb>(&impl_)->fill(entry);
  } else {
    std::get_if<QemuIotlb>(&impl_)->fill(entry);
  }
}

std::uint64_t Iotlb::invalidate(const core::InvalidationRequest& request, const IotlbInvalidationScope& scope) {
  if (impl_.index() == 0) return std::get_if<SetAssocIotlb>(&impl_)->invalidate(scope);
  return std::get_if<QemuIotlb>(&impl_)->invalidate(request);
}

IotlbStats Iotlb::stats() const {
  return visit<IotlbStats>([](const auto& i) { return i.stats(); });
}
std::array<std::uint64_t, 3> Iotlb::held_by_size() const {
  return visit<std::array<std::uint64_t, 3>>([](const auto& i) { return i.held_by_size(); });
}

}  // namespace vtdsim::cache
