#include "vtdsim/spec/fault_reason.hpp"

namespace vtdsim::spec {

const char* fault_reason_name(FaultReason reason) {
  switch (reason) {
    case FaultReason::kNone: return "none";
    case FaultReason::kRootNotPresent: return "root_not_present";
    case FaultReason::kContextNotPresent: return "context_not_present";
    case FaultReason::kInvalidContext: return "invalid_context";
    case FaultReason::kAddressBeyondAgaw: return "address_beyond_agaw";
    case FaultReason::kWriteDenied: return "write_denied";
    case FaultReason::kReadDenied: return "read_denied";
    case FaultReason::kPagingEntryAccessError: return "paging_entry_access_error";
    case FaultReason::kRootTableAccessError: return "root_table_access_error";
    case FaultReason::kContextTableAccessError: return "context_table_access_error";
    case FaultReason::kRootReserved: return "root_reserved";
    case FaultReason::kContextReserved: return "context_reserved";
    case FaultReason::kPagingEntryReserved: return "paging_entry_reserved";
    case FaultReason::kTranslationBlocked: return "translation_blocked";
  }
  return "unknown";
}

}  // namespace vtdsim::spec
