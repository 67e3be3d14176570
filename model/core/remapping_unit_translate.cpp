// SCAFFOLDING (replaced by the translation work).
#include "vtdsim/core/remapping_unit.hpp"

namespace vtdsim::core {
TranslationResult RemappingUnit::translate(const TranslationRequest& request) {
  TranslationResult result;
  result.host = HostAddr(request.iova.value);
  result.page_size = kPageSize4K;
  result.perms = Perms{true, true};
  return result;
}
}  // namespace vtdsim::core
