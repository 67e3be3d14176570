#include "vtdsim/trace/qemu_decisions.hpp"

#include <string_view>

#include "vtdsim/trace/compressed_input.hpp"
#include "vtdsim/trace/trace_error.hpp"

namespace vtdsim::trace {

const char* to_string(QemuDecision decision) {
  switch (decision) {
    case QemuDecision::kHit: return "hit";
    case QemuDecision::kMiss: return "miss";
    case QemuDecision::kPassThrough: return "pass-through";
  }
  return "?";
}

QemuDecision decision_of(const core::TranslationResult& result) {
  if (!result.outcome.translated) return QemuDecision::kPassThrough;
  return result.outcome.iotlb_hit ? QemuDecision::kHit : QemuDecision::kMiss;
}

namespace {

// The trace-point name of a line: the run of name characters that starts with "vtd_" after any
// prefix (PID@S.US:, an ISO-8601 time and a space, or none).
std::string_view name_of(std::string_view line) {
  const std::size_t at = line.find("vtd_");
  if (at == std::string_view::npos) return {};
  std::size_t end = at;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  return line.substr(at, end - at);
}

}  // namespace

QemuDecisionLog read_qemu_decisions(const std::string& path) {
  CompressedInput in(path);
  QemuDecisionLog log;
  bool enabled = true;  // as the importer: until a vtd_dmar_enable line says otherwise
  int pending = -1;     // the decision line seen since the last translation, -1 none
  std::string_view line;
  while (in.read_line_view(line)) {
    const std::string_view name = name_of(line);
    if (name == "vtd_iotlb_page_hit") {
      pending = static_cast<int>(QemuDecision::kHit);
    } else if (name == "vtd_iotlb_page_update") {
      pending = static_cast<int>(QemuDecision::kMiss);
    } else if (name == "vtd_translate_pt") {
      pending = static_cast<int>(QemuDecision::kPassThrough);
    } else if (name == "vtd_dmar_enable") {
      enabled = line.substr(line.size() - 1) != "0";
    } else if (name == "vtd_dmar_translate") {
      if (enabled) {
        if (pending < 0)
          throw TraceError(in.display_name(), in.line_number(),
                           "vtd_dmar_translate without a vtd_iotlb_page_hit, vtd_iotlb_page_update or "
                           "vtd_translate_pt line before it: QEMU's decisions cannot be read from this log");
        const auto d = static_cast<QemuDecision>(pending);
        log.decisions.push_back(d);
        log.lines.push_back(in.line_number());
        ++(d == QemuDecision::kHit ? log.hits : d == QemuDecision::kMiss ? log.misses : log.pass_through);
      }
      pending = -1;
    }
  }
  return log;
}

QemuAgreement compare_with_qemu(const QemuDecisionLog& qemu, const std::vector<QemuDecision>& replayed) {
  QemuAgreement a;
  a.same_count = qemu.decisions.size() == replayed.size();
  a.total = qemu.decisions.size();
  const std::size_t n = a.total < replayed.size() ? a.total : replayed.size();
  bool found = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (qemu.decisions[i] == replayed[i]) {
      ++a.equal;
    } else if (!found) {
      found = true;
      a.first_difference = i;
    }
  }
  if (!found && !a.same_count) a.first_difference = n;
  return a;
}

}  // namespace vtdsim::trace
