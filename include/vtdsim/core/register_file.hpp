// The remapping unit's register file (VT-d spec 11.4). Holds register state and applies the
// read-only / reserved / RW1C rules; side effects (invalidations, queue processing) are carried
// out by RemappingUnit. The fault-status block (FSTS, FECTL, FEDATA, FEADDR, FEUADDR and the fault
// recording registers) lives in FaultRecorder; RemappingUnit routes those offsets there.
//
// Accesses here are aligned 32-bit ("dword") accesses: RemappingUnit splits an aligned 64-bit
// access into its low then high dword, which is also the order the spec asks software to use when
// it writes a 64-bit register as two dwords (spec 11.2 "Software Access to Registers").
#pragma once
#include <array>
#include <cstdint>

#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::core {

class RegisterFile {
 public:
  // Throws std::invalid_argument on a capability configuration the register map cannot hold
  // (NFR out of 1..256, IRO/FRO not 16-byte aligned or overlapping the architectural registers).
  explicit RegisterFile(const config::CapabilityConfig& cap);

  // State the translation path needs.
  // Inline: asked on every translation.
  bool translation_enabled() const { return (value_[kGsts] >> 31) & 1; }  // GSTS.TES, bit 31 (11.4.4.2)
  std::uint64_t root_table_address() const { return root_latched_; }      // RTADDR latched by SRTP (4K aligned)
  bool scalable_mode() const { return scalable_latched_; }                // RTADDR.TTM == 01b latched by SRTP
  std::uint64_t root_table_mode() const { return ttm_latched_; }          // raw TTM latched by SRTP

  // Side effects a write asks of the remapping unit (bit mask returned by write32()).
  enum Action : std::uint32_t {
    kNoAction = 0,
    kContextInvalidate = 1u << 0,   // CCMD.ICC written 1 (11.4)
    kIotlbInvalidate = 1u << 1,     // IOTLB_REG.IVT written 1 (11.4)
    kQueueTailWritten = 1u << 2,    // IQT written while queued invalidation is enabled
    kQueueEnabled = 1u << 3,        // GCMD.QIE 0 -> 1
    kRootTableSet = 1u << 4,        // GCMD.SRTP completed
    kWriteBufferFlush = 1u << 5,    // GCMD.WBF
    kTranslationToggled = 1u << 6,  // GCMD.TE changed GSTS.TES
  };

  // Aligned dword access to a register this class owns; other offsets read 0 and ignore writes.
  std::uint32_t read32(std::uint32_t offset) const;
  std::uint32_t write32(std::uint32_t offset, std::uint32_t value);  // returns Action bits

  // Whether `offset` (dword aligned) falls in one of this class's registers.
  bool owns(std::uint32_t offset) const;

  // Raw views of registers (full 64-bit value; 32-bit registers in the low half).
  std::uint64_t cap() const { return cap_reg_; }
  std::uint64_t ecap() const { return ecap_reg_; }
  std::uint32_t gsts() const;
  std::uint64_t raw(std::uint32_t offset) const;  // offset of the register's first byte
  std::uint32_t iva_offset() const { return iva_offset_; }
  std::uint32_t iotlb_offset() const { return iva_offset_ + 8; }
  const config::CapabilityConfig& capability() const { return cap_; }

  // Completion of register-based invalidation: clears ICC / IVT and reports the actual
  // granularity (CAIG / IAIG; 0 = not performed).
  void complete_context_invalidation(std::uint64_t caig);
  void complete_iotlb_invalidation(std::uint64_t iaig);

  // Queued invalidation state (11.4).
  bool queue_enabled() const;         // GSTS.QIES
  std::uint64_t queue_base() const;   // IQA.IQA
  bool queue_256bit() const;          // IQA.DW (only with ECAP.SMTS)
  std::uint64_t queue_slots() const;  // queue size in 128-bit slots
  std::uint64_t queue_head() const;   // IQH.QH (128-bit slots)
  std::uint64_t queue_tail() const;   // IQT.QT (128-bit slots)
  void set_queue_head(std::uint64_t slot);
  void set_queue_error_info(std::uint64_t iqei);  // IQERCD.IQEI

  // Invalidation completion event (spec 7.4 / 11.4-5): sets ICS.IWC; when IWC was clear an
  // event is signalled: IECTL.IP set, and a message sent at once unless IECTL.IM is set.
  void signal_wait_completion();
  bool invalidation_interrupt_pending() const;  // ICS.IWC set and IECTL.IM clear
  std::uint64_t invalidation_messages() const { return invalidation_messages_; }

  // Latched interrupt-remapping table (GCMD.SIRTP), for completeness; not used by DMA translation.
  std::uint64_t interrupt_table_address() const { return irta_latched_; }

  // Writes that the spec leaves undefined and that the model ignored or adjusted (reserved
  // TTM value, RTADDR beyond HAW, ...), for diagnostics.
  std::uint64_t programming_errors() const { return programming_errors_; }

 private:
  enum Reg : unsigned {
    kVer,
    kCap,
    kEcap,
    kGcmd,
    kGsts,
    kRtaddr,
    kCcmd,
    kPmen,
    kPlmbase,
    kPlmlimit,
    kPhmbase,
    kPhmlimit,
    kIqh,
    kIqt,
    kIqa,
    kIcs,
    kIectl,
    kIedata,
    kIeaddr,
    kIeuaddr,
    kIqercd,
    kIrta,
    kIva,
    kIotlb,
    kRegCount
  };
  struct Desc {
    std::uint32_t offset = 0;
    std::uint8_t size = 0;       // 4 or 8 bytes; 0 = not implemented (reads 0)
    std::uint64_t writable = 0;  // RW bits; everything else is RO or reserved (reads as stored)
    std::uint64_t rw1c = 0;      // write-1-to-clear status bits
  };

  // Finds the register containing `offset`; kRegCount if none.
  unsigned find(std::uint32_t offset) const;
  std::uint32_t write_gcmd(std::uint32_t value);
  std::uint32_t write_iectl(std::uint32_t value);

  config::CapabilityConfig cap_;
  std::uint64_t cap_reg_ = 0;
  std::uint64_t ecap_reg_ = 0;
  std::uint32_t iva_offset_ = 0;
  std::uint64_t haw_mask_ = 0;  // bits [HAW-1:12]
  std::array<Desc, kRegCount> desc_{};
  std::array<std::uint64_t, kRegCount> value_{};
  std::uint64_t root_latched_ = 0;
  bool scalable_latched_ = false;
  std::uint64_t ttm_latched_ = 0;
  std::uint64_t irta_latched_ = 0;
  std::uint64_t invalidation_messages_ = 0;
  std::uint64_t programming_errors_ = 0;
};

}  // namespace vtdsim::core
