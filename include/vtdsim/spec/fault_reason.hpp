// Fault reason codes recorded in the fault recording registers (VT-d spec 7.1.3,
// "Non-recoverable Fault Reason Encodings"; legacy-mode codes 1h-Dh, scalable-mode codes 30h and up).
#pragma once
#include <cstdint>

namespace vtdsim::spec {

enum class FaultReason : std::uint8_t {
  kNone = 0x00,
  kRootNotPresent = 0x01,           // present bit in root entry clear
  kContextNotPresent = 0x02,        // present bit in context entry clear
  kInvalidContext = 0x03,           // invalid programming of a context entry (TT, AW, ...)
  kAddressBeyondAgaw = 0x04,        // input address above 2^x-1, x = min(MGAW, AGAW)
  kWriteDenied = 0x05,              // write to a page without W permission
  kReadDenied = 0x06,               // read from a page without R permission
  kPagingEntryAccessError = 0x07,   // access to a second-level paging entry failed
  kRootTableAccessError = 0x08,     // access to the root table failed
  kContextTableAccessError = 0x09,  // access to a context table failed
  kRootReserved = 0x0a,             // non-zero reserved field in a present root entry
  kContextReserved = 0x0b,          // non-zero reserved field in a present context entry
  kPagingEntryReserved = 0x0c,      // non-zero reserved field in a present paging entry
  kTranslationBlocked = 0x0d,       // request type blocked by the context entry's TT
  // Scalable mode (VT-d spec 7.1.3 table, SM codes; the spec names them RTA.n, SRT.n, SCT.n,
  // SPD.n, SPT.n, SSL.n, SGN.n). Values and meanings cross-checked against two independent
  // public implementations of the table (the Linux VT-d driver's fault-reason strings and
  // VirtualBox's VTDATFAULT enum); only codes both agree on are listed. First-stage codes
  // (SFS.n 70h-77h, 91h; SGN.1-3 80h-82h) were cross-checked against the Linux strings and
  // QEMU's VTDFaultReason (QEMU names 73h, 80h and 91h SFS.4, SGN.1 and SFS.10).
  kSmInvalidRootTableAddress = 0x30,    // RTA.1: invalid RTADDR programming (TTM reserved/unsupported)
  kSmLegacyRequestWithPasid = 0x31,     // RTA.2: request-with-PASID while RTADDR.TTM = legacy
  kSmLegacyPageGroupRequest = 0x32,     // RTA.3: page request while RTADDR.TTM = legacy
  kSmRootAccessError = 0x38,            // SRT.1: access to the scalable-mode root entry failed
  kSmRootNotPresent = 0x39,             // SRT.2: LP/UP present bit clear
  kSmRootReserved = 0x3a,               // SRT.3: non-zero reserved field in a present root entry
  kSmContextAccessError = 0x40,         // SCT.1: access to the scalable-mode context entry failed
  kSmContextNotPresent = 0x41,          // SCT.2: present bit in context entry clear
  kSmContextReserved = 0x42,            // SCT.3: non-zero reserved field in a present context entry
  kSmContextInvalid = 0x43,             // SCT.4: invalid programming of a context entry
  kSmDeviceTlbDisabled = 0x44,          // SCT.5: translation / translated request with DTE = 0
  kSmPasidDisabled = 0x45,              // SCT.6: request-with-PASID with PASIDE = 0
  kSmPasidBeyondDirectory = 0x46,       // SCT.7: PASID beyond the directory size (PDTS)
  kSmPageRequestDisabled = 0x47,        // SCT.8: page request with PRE = 0
  kSmRidPasidError = 0x48,              // SCT.9: RID_PASID field error
  kSmPasidDirAccessError = 0x50,        // SPD.1: access to the PASID-directory entry failed
  kSmPasidDirNotPresent = 0x51,         // SPD.2: present bit in PASID-directory entry clear
  kSmPasidDirReserved = 0x52,           // SPD.3: non-zero reserved field in PASID-directory entry
  kSmPasidEntryAccessError = 0x58,      // SPT.1: access to the PASID-table entry failed
  kSmPasidEntryNotPresent = 0x59,       // SPT.2: present bit in PASID-table entry clear
  kSmPasidEntryReserved = 0x5a,         // SPT.3: non-zero reserved field in PASID-table entry
  kSmPasidEntryInvalid = 0x5b,          // SPT.4: invalid PASID-table entry (PGTT, AW, ...)
  kSmExecuteRequestDisabled = 0x5c,     // SPT.5: execute request with ERE = 0
  kSmSupervisorRequestDisabled = 0x5d,  // SPT.6: supervisor request with SRE = 0
  kSmFsAccessError = 0x70,              // SFS.1: access to a first-stage paging entry failed
  kSmFsNotPresent = 0x71,               // SFS.2: first-stage paging entry with P = 0
  kSmFsReserved = 0x72,                 // SFS.3: non-zero reserved field in a first-stage entry
  kSmFsPointerInvalid = 0x73,           // SFS.4: access through the PASID entry's FSPTPTR failed
  kSmFsNestedBeyondAgaw = 0x74,         // SFS.5: nested: first-stage table address beyond the
                                        //        second-stage address width
  kSmFsNestedPointerReadDenied = 0x75,  // SFS.6: nested: FSPTPTR's page lacks second-stage R
  kSmFsNestedEntryReadDenied = 0x76,    // SFS.7: nested: a first-stage table lacks second-stage R
  kSmFsNestedAdWriteDenied = 0x77,      // SFS.8: nested: A/D update without second-stage W
  kSmSlAccessError = 0x78,              // SSL.1: access to a second-level paging entry failed
  kSmSlNotPresent = 0x79,               // SSL.2: second-level paging entry with R = W = 0
  kSmSlReserved = 0x7a,                 // SSL.3: non-zero reserved field in a second-level entry
  kSmSlPointerInvalid = 0x7b,           // SSL.4: access through the PASID entry's SLPTPTR failed
  kSmSlAdNoSnoop = 0x7c,                // SSL.5: A/D update needed with no-snoop page walk
  kSmFsNonCanonical = 0x80,             // SGN.1: first-stage input address not canonical
  kSmFsUserDenied = 0x81,               // SGN.2: user request to a page with U/S = 0 on its path
  kSmFsExecuteDenied = 0x82,            // SGN.3: execute request to a page with XD = 1 on its path
  kSmAddressBeyondAgaw = 0x84,          // SGN.5: input address beyond the second-level AGAW / MGAW
  kSmWriteDenied = 0x85,                // SGN.6: write / AtomicOp without write permission
  kSmReadDenied = 0x86,                 // SGN.7: read / AtomicOp without read permission
  kSmInterruptAddress = 0x87,           // SGN.8: translated address in the interrupt range
  kSmFsAdUpdateFailed = 0x91,           // SFS.10: writing A/D bits of a first-stage entry failed
};

// Short stable name used in stats keys ("not_present_root", ...).
const char* fault_reason_name(FaultReason reason);

}  // namespace vtdsim::spec
