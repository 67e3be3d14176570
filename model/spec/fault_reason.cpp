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
    case FaultReason::kSmInvalidRootTableAddress: return "sm_invalid_root_table_address";
    case FaultReason::kSmLegacyRequestWithPasid: return "sm_legacy_request_with_pasid";
    case FaultReason::kSmLegacyPageGroupRequest: return "sm_legacy_page_group_request";
    case FaultReason::kSmRootAccessError: return "sm_root_access_error";
    case FaultReason::kSmRootNotPresent: return "sm_root_not_present";
    case FaultReason::kSmRootReserved: return "sm_root_reserved";
    case FaultReason::kSmContextAccessError: return "sm_context_access_error";
    case FaultReason::kSmContextNotPresent: return "sm_context_not_present";
    case FaultReason::kSmContextReserved: return "sm_context_reserved";
    case FaultReason::kSmContextInvalid: return "sm_context_invalid";
    case FaultReason::kSmDeviceTlbDisabled: return "sm_device_tlb_disabled";
    case FaultReason::kSmPasidDisabled: return "sm_pasid_disabled";
    case FaultReason::kSmPasidBeyondDirectory: return "sm_pasid_beyond_directory";
    case FaultReason::kSmPageRequestDisabled: return "sm_page_request_disabled";
    case FaultReason::kSmRidPasidError: return "sm_rid_pasid_error";
    case FaultReason::kSmPasidDirAccessError: return "sm_pasid_dir_access_error";
    case FaultReason::kSmPasidDirNotPresent: return "sm_pasid_dir_not_present";
    case FaultReason::kSmPasidDirReserved: return "sm_pasid_dir_reserved";
    case FaultReason::kSmPasidEntryAccessError: return "sm_pasid_entry_access_error";
    case FaultReason::kSmPasidEntryNotPresent: return "sm_pasid_entry_not_present";
    case FaultReason::kSmPasidEntryReserved: return "sm_pasid_entry_reserved";
    case FaultReason::kSmPasidEntryInvalid: return "sm_pasid_entry_invalid";
    case FaultReason::kSmExecuteRequestDisabled: return "sm_execute_request_disabled";
    case FaultReason::kSmSupervisorRequestDisabled: return "sm_supervisor_request_disabled";
    case FaultReason::kSmFsAccessError: return "sm_fs_access_error";
    case FaultReason::kSmFsNotPresent: return "sm_fs_not_present";
    case FaultReason::kSmFsReserved: return "sm_fs_reserved";
    case FaultReason::kSmFsPointerInvalid: return "sm_fs_pointer_invalid";
    case FaultReason::kSmFsNestedBeyondAgaw: return "sm_fs_nested_beyond_agaw";
    case FaultReason::kSmFsNestedPointerReadDenied: return "sm_fs_nested_pointer_read_denied";
    case FaultReason::kSmFsNestedEntryReadDenied: return "sm_fs_nested_entry_read_denied";
    case FaultReason::kSmFsNestedAdWriteDenied: return "sm_fs_nested_ad_write_denied";
    case FaultReason::kSmSlAccessError: return "sm_sl_access_error";
    case FaultReason::kSmSlNotPresent: return "sm_sl_not_present";
    case FaultReason::kSmSlReserved: return "sm_sl_reserved";
    case FaultReason::kSmSlPointerInvalid: return "sm_sl_pointer_invalid";
    case FaultReason::kSmSlAdNoSnoop: return "sm_sl_ad_no_snoop";
    case FaultReason::kSmFsNonCanonical: return "sm_fs_non_canonical";
    case FaultReason::kSmFsUserDenied: return "sm_fs_user_denied";
    case FaultReason::kSmFsExecuteDenied: return "sm_fs_execute_denied";
    case FaultReason::kSmAddressBeyondAgaw: return "sm_address_beyond_agaw";
    case FaultReason::kSmWriteDenied: return "sm_write_denied";
    case FaultReason::kSmReadDenied: return "sm_read_denied";
    case FaultReason::kSmInterruptAddress: return "sm_interrupt_address";
    case FaultReason::kSmFsAdUpdateFailed: return "sm_fs_ad_update_failed";
  }
  return "unknown";
}

}  // namespace vtdsim::spec
