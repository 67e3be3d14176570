// Fault reason codes recorded in the fault recording registers (VT-d spec 7.1.3,
// "Non-recoverable Fault Reason Encodings"; legacy-mode codes 1h-Dh, scalable-mode codes 30h and up).
#pragma once
#include <cstdint>

namespace vtdsim::spec {

enum class FaultReason : std::uint8_t {
  kNone = 0x00,
  kRootNotPresent = 0x01,            // present bit in root entry clear
  kContextNotPresent = 0x02,         // present bit in context entry clear
  kInvalidContext = 0x03,            // invalid programming of a context entry (TT, AW, ...)
  kAddressBeyondAgaw = 0x04,         // input address above 2^x-1, x = min(MGAW, AGAW)
  kWriteDenied = 0x05,               // write to a page without W permission
  kReadDenied = 0x06,                // read from a page without R permission
  kPagingEntryAccessError = 0x07,    // access to a second-level paging entry failed
  kRootTableAccessError = 0x08,      // access to the root table failed
  kContextTableAccessError = 0x09,   // access to a context table failed
  kRootReserved = 0x0a,              // non-zero reserved field in a present root entry
  kContextReserved = 0x0b,           // non-zero reserved field in a present context entry
  kPagingEntryReserved = 0x0c,       // non-zero reserved field in a present paging entry
  kTranslationBlocked = 0x0d,        // request type blocked by the context entry's TT
  // Scalable mode (VT-d spec 7.1.3 table, SM* codes). Added by the scalable-mode walker.
};

// Short stable name used in stats keys ("not_present_root", ...).
const char* fault_reason_name(FaultReason reason);

}  // namespace vtdsim::spec
