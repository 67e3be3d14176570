#include "vtdsim/trace/qemu_log_fit.hpp"

#include <cstdio>

namespace vtdsim::trace {

namespace {

using Severity = QemuFitFinding::Severity;

std::string binary(unsigned v, int bits) {
  std::string s = "0b";
  for (int b = bits - 1; b >= 0; --b) s += ((v >> b) & 1) ? '1' : '0';
  return s;
}

// The QEMU releases a qemu-organisation configuration models (docs/trace-format.md).
std::string releases_modelled(const config::CachesConfig& k) {
  if (k.qemu_piotlb == config::QemuPasidIotlb::kV10) return "QEMU 10.0 or later";
  return k.qemu_inv_mask_bits == 8 ? "QEMU 7.2 to 9.0" : "QEMU 9.1 or 9.2";
}

const char* release_sign(const std::string& release) {
  if (release == "10.2") return "PASID-cache invalidation lines";
  if (release == "10.1") return "ISO-8601 line times";
  return "vtd_reset_exit or p-iotlb lines";
}

void levels_finding(const QemuImportStats& s, const config::CapabilityConfig& cap, std::vector<QemuFitFinding>& out) {
  for (unsigned levels = 3; levels <= 5; ++levels) {
    if (!(s.legacy_context_levels & (1u << levels))) continue;
    const unsigned bit = 1u << (levels - 2);  // SAGAW bit 1 = 3 levels, 2 = 4, 3 = 5 (spec 11.4.2)
    if (cap.sagaw & bit) continue;
    const unsigned width = 30 + 9 * (levels - 2);
    out.push_back({Severity::kError,
                   "the log's context entries use " + std::to_string(width) + "-bit tables (" + std::to_string(levels) +
                       " levels, AW=" + std::to_string(levels - 2) + ") but iommu.cap.sagaw=" + binary(cap.sagaw, 4) +
                       " does not allow them; use a configs/qemu-*.yaml preset or --set iommu.cap.sagaw=" +
                       binary(cap.sagaw | bit, 4)});
  }
}

}  // namespace

std::vector<QemuFitFinding> check_qemu_log_fit(const QemuImportStats& s, const config::UnitConfig& config,
                                               const QemuReplayFaults& faults) {
  std::vector<QemuFitFinding> out;
  if (faults.faults > 0) {
    levels_finding(s, config.cap, out);
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%llu of %llu translations faulted (the first: %s, at %s), but QEMU logs only translations that "
                  "succeeded: this configuration cannot replay the log faithfully; use a configs/qemu-*.yaml preset, "
                  "or --allow-faults to replay it anyway",
                  static_cast<unsigned long long>(faults.faults), static_cast<unsigned long long>(faults.translations),
                  spec::fault_reason_name(faults.first_reason), faults.first_position.c_str());
    out.push_back({Severity::kError, buf});
  }
  // QEMU declares these trace points (hw/i386/trace-events since 9.x) but 10.0 to 10.2 never call
  // them: the importer reads the raw p-iotlb descriptor instead. A QEMU that logs them without the
  // raw lines would lose those invalidations here.
  for (const char* name : {"vtd_inv_desc_iotlb_pasid_pages", "vtd_inv_desc_iotlb_pasid"})
    if (s.skipped.count(name) && s.pasid_iotlb_pasid + s.pasid_iotlb_page == 0)
      out.push_back({Severity::kError, std::string(name) + " lines (" + std::to_string(s.skipped.at(name)) +
                                           ") without the raw p-iotlb descriptors this importer decodes: these "
                                           "PASID-based invalidations would be lost; --allow-faults replays anyway"});
  for (const auto& [type, count] : s.undecoded_descriptors)
    out.push_back({Severity::kError, std::to_string(count) + " invalidation descriptor(s) of type '" + type +
                                         "' (vtd_inv_desc lines) that this importer cannot decode: if they change "
                                         "QEMU's caches the replay differs from QEMU; --allow-faults replays anyway"});

  const config::CachesConfig& k = config.caches;
  if (k.iotlb_organization == config::IotlbOrganization::kQemu) {
    const std::string shown = qemu_release_shown(s);
    const std::string modelled = releases_modelled(k);
    if (!shown.empty() && k.qemu_piotlb != config::QemuPasidIotlb::kV10)
      out.push_back({Severity::kWarning, "the log shows QEMU " + shown + " or later (" + release_sign(shown) +
                                             ") but the configuration models " + modelled +
                                             "; use configs/qemu-10.0.yaml (or configs/qemu.yaml)"});
    if (shown.empty() && k.qemu_piotlb == config::QemuPasidIotlb::kV10)
      out.push_back({Severity::kWarning,
                     "the configuration models QEMU 10.0 or later but the log shows no sign of it (no vtd_reset_exit, "
                     "p-iotlb, ISO-time or PASID-cache lines): for a log of QEMU 7.2 to 9.0 use configs/qemu-7.2.yaml, "
                     "of 9.1 or 9.2 configs/qemu-9.1.yaml"});
    if (s.pasid_iotlb_page > 0 && k.qemu_first_stage == config::QemuStage::kSecond)
      out.push_back({Severity::kWarning,
                     "the guest flushed with page-selective PASID-based IOTLB invalidations (" +
                         std::to_string(s.pasid_iotlb_page) +
                         "): it uses first-stage tables (QEMU x-flts=on), which QEMU invalidates differently; use "
                         "configs/qemu-10.0.yaml (iommu.iotlb.qemu_first_stage: auto) or configs/qemu-10.0-flts.yaml"});
    const std::uint64_t legacy_psi =
        s.used.count("vtd_inv_desc_iotlb_pages") ? s.used.at("vtd_inv_desc_iotlb_pages") : 0;
    if (k.qemu_first_stage == config::QemuStage::kFirst && s.pasid_iotlb_page == 0 && legacy_psi > 0)
      out.push_back({Severity::kWarning,
                     "the configuration models first-stage entries (x-flts=on) but the guest flushed pages with "
                     "legacy IOTLB invalidations only: it uses second-stage tables; use configs/qemu-10.0.yaml"});
    if (k.qemu_first_stage == config::QemuStage::kAuto && s.pasid_iotlb_page > 0 && legacy_psi > 0)
      out.push_back({Severity::kWarning,
                     "the guest flushed pages with both legacy and PASID-based IOTLB invalidations: "
                     "iommu.iotlb.qemu_first_stage: auto took the stage from the first of them; if QEMU ran with "
                     "x-flts=on use configs/qemu-10.0-flts.yaml, else --set iommu.iotlb.qemu_first_stage=false"});
  }
  if (!s.sm_domains_inferred.empty()) {
    std::string list;
    for (const auto& n : s.sm_domains_inferred) list += (list.empty() ? "" : ", ") + n;
    out.push_back({Severity::kWarning,
                   "scalable-mode log whose attach-time invalidations do not name every device's domain (caching "
                   "mode off, or QEMU before 10.0 with Linux 6.12): QEMU does not log the PASID entries that hold "
                   "the domain-ids, so these were inferred from the invalidations around each device's DMA: " +
                       list + "; check with --check-qemu"});
  }
  if (s.sm_stage_unknown)
    out.push_back({Severity::kWarning,
                   "scalable-mode log without any IOTLB invalidation after its first translation, so whether QEMU ran "
                   "with x-flts=on (first-stage tables) is not known: replayed with second-stage tables; if it did, "
                   "replay with --qemu-flts=on (--qemu-flts=off says it did not)"});
  if (s.invalidations_of_unknown_domains > 0)
    out.push_back({Severity::kWarning, std::to_string(s.invalidations_of_unknown_domains) +
                                           " invalidation(s) name a domain-id that no device of this scalable-mode "
                                           "log is known to use: they drop nothing in the replay"});
  if (faults.translations == 0)
    out.push_back({Severity::kWarning,
                   "the log has no translation (no vtd_dmar_translate line while DMA remapping was on): QEMU "
                   "translated nothing, as for pass-through contexts and devices without iommu_platform=on, or the "
                   "trace left out vtd_dmar_translate; there is nothing to replay"});
  if (s.nonzero_rid_pasid > 0)
    out.push_back({Severity::kWarning, "scalable-mode context entries with RID_PASID != 0 (" +
                                           std::to_string(s.nonzero_rid_pasid) +
                                           "): PASID-selective invalidations are matched as if it were 0"});
  return out;
}

}  // namespace vtdsim::trace
