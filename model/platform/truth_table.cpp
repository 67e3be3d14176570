#include "vtdsim/platform/truth_table.hpp"

#include <sstream>

namespace vtdsim::platform {

std::vector<TruthCase> all_truth_cases() {
  std::vector<TruthCase> cases;
  const guest::DmaPolicyRequest policies[] = {guest::DmaPolicyRequest::kStrict, guest::DmaPolicyRequest::kLazy,
                                              guest::DmaPolicyRequest::kPassthrough};
  for (int bits = 0; bits < 32; ++bits) {
    for (guest::DmaPolicyRequest p : policies) {
      TruthCase c;
      c.translated = (bits & 16) == 0;
      c.in_dmar_scope = (bits & 8) == 0;
      c.access_platform = (bits & 4) == 0;
      c.iommu_passthrough = (bits & 2) != 0;
      c.guest_bypass = (bits & 1) != 0;
      c.policy = p;
      cases.push_back(c);
    }
  }
  return cases;
}

PlatformConfig apply(const PlatformConfig& base, const TruthCase& c) {
  PlatformConfig p = base;
  p.guest.dma_policy = c.policy;
  for (DeviceConfig& d : p.devices) {
    d.route = c.translated ? sysc::DmaRoute::kIommu : sysc::DmaRoute::kDirect;
    d.in_dmar_scope = c.in_dmar_scope;
    d.pci.offer_access_platform = c.access_platform;
    d.pci.offer_iommu_passthrough = c.iommu_passthrough;
    d.guest_bypass = c.guest_bypass;
  }
  return p;
}

namespace {
constexpr const char* kScope = "platform:dmar_scope";
constexpr const char* kAccess = "device:access_platform";
constexpr const char* kPass = "device:iommu_passthrough";
constexpr const char* kBypass = "guest:bypass_list";
constexpr const char* kConflict = "device:requires_access_platform_with_passthrough";

std::uint64_t u(const nlohmann::json& j, const char* a, const char* b) {
  return j.contains(a) && j[a].contains(b) ? j[a][b].get<std::uint64_t>() : 0;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ";") + x;
  return s;
}
}  // namespace

TruthOutcome classify(const TruthCase& c, const std::string& name, const nlohmann::json& d) {
  TruthOutcome o;
  o.device = name;
  o.mode = d["guest_dma"]["mode"].get<std::string>();
  o.context = d["guest_dma"]["context"].get<std::string>();
  // Each claim against what the platform does (virtio 1.1+ section 6, ACCESS_PLATFORM): offering
  // it claims nothing about translation ("whether accesses are actually limited or translated is
  // described by platform-specific means", the DMAR scope here); not offering it claims that the
  // device "will always use physical addresses ... not translated further".
  const bool false_scope = c.in_dmar_scope != c.translated;
  const bool false_access = !c.access_platform && c.translated;
  const bool false_pass = c.iommu_passthrough && c.translated;
  const bool false_bypass = c.guest_bypass && c.translated;
  if (false_scope) o.wrong.emplace_back(kScope);
  if (false_access) o.wrong.emplace_back(kAccess);
  if (false_pass) o.wrong.emplace_back(kPass);
  if (false_bypass) o.wrong.emplace_back(kBypass);
  // What the guest acted on, from the decision it made (guest_os.cpp probe):
  std::vector<const char*> acted;
  if (o.mode == "physical") {
    // Physical addresses: the device said it bypasses (IOMMU_PASSTHROUGH, which the guest accepts
    // when offered) or did not offer ACCESS_PLATFORM.
    if (c.iommu_passthrough) acted.push_back(kPass);
    if (!c.access_platform) acted.push_back(kAccess);
  } else if (o.mode == "direct") {
    acted.push_back(kAccess);
    acted.push_back(c.in_dmar_scope ? kBypass : kScope);
  } else {  // iommu, identity
    acted.push_back(kScope);
    acted.push_back(kAccess);
  }

  const std::uint64_t dmas = u(d, "dma", "count");
  const std::uint64_t faults = u(d, "faults", "count");
  const std::uint64_t corrupt = d.value("corruptions", std::uint64_t{0});
  const std::uint64_t stray = d.value("stray", std::uint64_t{0});
  const std::uint64_t work =
      u(d, "workload", "requests") + u(d, "workload", "tx_packets") + u(d, "workload", "rx_packets");
  const bool probed = d.value("probed", false);
  if (!probed) {
    o.outcome = u(d, "virtio", "features_rejected") > 0 ? "device_refused" : "driver_failed";
    if (o.outcome == "device_refused") o.detail = "FEATURES_OK refused";
    // The device refused the guest's choice: it offered IOMMU_PASSTHROUGH (which the guest
    // believed, so it did not accept ACCESS_PLATFORM) and yet insists on ACCESS_PLATFORM. Either
    // the pass-through claim was false, or the device contradicts itself.
    o.blamed.emplace_back(false_pass ? kPass : kConflict);
    return o;
  }
  if (corrupt > 0) {
    o.outcome = "wrong_host_address";
    o.count = corrupt;
  } else if (faults > 0) {
    o.outcome = "faults";
    o.count = faults;
    const nlohmann::json& r = d["faults"]["by_reason"];
    for (auto it = r.begin(); it != r.end(); ++it)
      o.detail += (o.detail.empty() ? "" : " ") + it.key() + "=" + std::to_string(it.value().get<std::uint64_t>());
  } else if (work == 0) {
    o.outcome = "no_progress";
  } else {
    o.outcome = "works";
    o.count = dmas;
    o.iommu_protected = o.mode == "iommu" && c.translated;
  }
  if (stray > 0) o.detail += (o.detail.empty() ? "" : " ") + std::string("stray=") + std::to_string(stray);
  if (o.outcome != "works") {
    for (const char* a : acted) {
      const std::string s(a);
      for (const std::string& w : o.wrong)
        if (w == s) o.blamed.push_back(s);
    }
  }
  return o;
}

std::string truth_csv_header() {
  return "translated,in_dmar_scope,access_platform,iommu_passthrough,guest_bypass,dma_policy,device,"
         "effective_policy,mode,context,outcome,count,detail,iommu_protected,wrong,blamed";
}

std::string truth_csv_row(const TruthCase& c, const std::string& effective_policy, const TruthOutcome& o) {
  const auto b = [](bool v) { return v ? "1" : "0"; };
  std::ostringstream s;
  s << b(c.translated) << ',' << b(c.in_dmar_scope) << ',' << b(c.access_platform) << ',' << b(c.iommu_passthrough)
    << ',' << b(c.guest_bypass) << ',' << guest::to_string(c.policy) << ',' << o.device << ',' << effective_policy
    << ',' << o.mode << ',' << o.context << ',' << o.outcome << ',' << o.count << ',' << o.detail << ','
    << b(o.iommu_protected) << ',' << join(o.wrong) << ',' << join(o.blamed);
  return s.str();
}

}  // namespace vtdsim::platform
