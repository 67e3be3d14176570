// Whether a configuration can replay a QEMU log faithfully, judged from what the import saw
// (QemuImportStats) and what the replay did. QEMU logs vtd_dmar_translate only for translations
// that succeeded, so a fault in the replay is a disagreement, never a result; and each QEMU
// release leaves signs in its log that name the preset that fits it (configs/qemu-*.yaml).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/spec/fault_reason.hpp"
#include "vtdsim/trace/qemu_log_importer.hpp"

namespace vtdsim::trace {

struct QemuReplayFaults {
  std::uint64_t translations = 0;
  std::uint64_t faults = 0;
  spec::FaultReason first_reason = spec::FaultReason::kNone;
  std::string first_position;  // "FILE:LINE" of the first faulting translation
};

struct QemuFitFinding {
  enum class Severity : std::uint8_t { kWarning, kError };
  Severity severity = Severity::kWarning;
  std::string what;  // one sentence or two: the cause and the fix
};

// Errors: faults in the replay, raw invalidation descriptors of a type the importer does not
// know. Warnings: a log whose release signs do not fit the preset, scalable-mode domains that
// were guessed or not found, RID_PASID values other than 0, a log without any translation.
std::vector<QemuFitFinding> check_qemu_log_fit(const QemuImportStats& stats, const config::UnitConfig& config,
                                               const QemuReplayFaults& faults);

}  // namespace vtdsim::trace
