// QEMU's own IOTLB decisions in a `-trace 'vtd_*'` log, to check a replay against (never its
// input: the importer does not read these lines, and the agreement tests delete them first).
//
// QEMU's vtd_do_iommu_translate (hw/i386/intel_iommu.c, 7.2 to 10.x) logs, before the
// vtd_dmar_translate line of each translation that succeeded, exactly one of
//   vtd_iotlb_page_hit     an IOTLB hit,
//   vtd_iotlb_page_update  a miss: the page walk's result goes into the IOTLB,
//   vtd_translate_pt       a pass-through context (no IOTLB lookup at all).
// A translation while DMA remapping is off (vtd_dmar_enable 0) has none of them; the importer
// makes no DMA event of it either, so it is not listed here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vtdsim/core/translation.hpp"

namespace vtdsim::trace {

enum class QemuDecision : std::uint8_t { kHit, kMiss, kPassThrough };

const char* to_string(QemuDecision decision);

// The decision a replayed translation made, in QEMU's terms.
QemuDecision decision_of(const core::TranslationResult& result);

struct QemuDecisionLog {
  std::vector<QemuDecision> decisions;  // one per translation the importer turns into a DMA event
  std::vector<std::uint64_t> lines;     // the log line of each one's vtd_dmar_translate
  std::uint64_t hits = 0, misses = 0, pass_through = 0;
};

// Reads QEMU's decisions from a log (plain, gzip or zstd; with or without line prefixes). Throws
// TraceError when a translation while remapping is on has no decision line before it.
QemuDecisionLog read_qemu_decisions(const std::string& path);

struct QemuAgreement {
  std::uint64_t total = 0;  // translations compared
  std::uint64_t equal = 0;
  bool same_count = true;              // the replay made as many translations as QEMU logged
  std::uint64_t first_difference = 0;  // index of the first translation that differs (if any)
  bool all_equal() const { return same_count && equal == total; }
};

QemuAgreement compare_with_qemu(const QemuDecisionLog& qemu, const std::vector<QemuDecision>& replayed);

}  // namespace vtdsim::trace
