// The functional DMA-remapping unit (no SystemC, no time): registers, root/context/PASID tables,
// second-level walks, caches, invalidation and fault recording. The timing model turns its
// answers into cycles; the replay engine and the SystemC module both drive this one class.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "vtdsim/cache/translation_caches.hpp"
#include "vtdsim/config/unit_config.hpp"
#include "vtdsim/core/fault_recorder.hpp"
#include "vtdsim/core/invalidation.hpp"
#include "vtdsim/core/register_file.hpp"
#include "vtdsim/core/translation.hpp"
#include "vtdsim/mem/physical_memory.hpp"

namespace vtdsim::core {

// What processing software's register writes produced (for the timing model and stats):
// invalidations applied and queued-invalidation descriptors consumed.
struct CommandCounters {
  std::uint64_t invalidations = 0;  // InvalidationRequests applied (any source)
  std::uint64_t entries_dropped = 0;
  std::uint64_t descriptors = 0;  // QI descriptors processed
  std::uint64_t wait_descriptors = 0;
  std::uint64_t queue_errors = 0;       // IQE raised
  std::uint64_t register_commands = 0;  // CCMD / IOTLB_REG invalidations performed
  std::uint64_t rejected_commands = 0;  // register invalidations not performed (reserved
                                        // granularity, or issued while QI is enabled)
  std::uint64_t status_writes = 0;      // wait-descriptor status writes to memory
  std::uint64_t wait_interrupts = 0;    // wait descriptors with IF (ICS.IWC set)
};

class RemappingUnit {
 public:
  // The unit walks its tables, fetches its queue and writes wait status and A/D bits in `memory`
  // (SparseMemory in replay, the platform's memory over TLM in a SystemC platform).
  RemappingUnit(const config::UnitConfig& config, mem::PhysicalMemory& memory);

  // MMIO register access at the spec offsets (VT-d spec 11.4), size 4 or 8 bytes.
  std::uint64_t read_register(std::uint32_t offset, unsigned size);
  void write_register(std::uint32_t offset, unsigned size, std::uint64_t value);

  // Translates one DMA request. Faults are recorded in the fault recording registers.
  // No allocation on this path.
  TranslationResult translate(const TranslationRequest& request);
  // The translation `request` would get, from the tables alone and without side effects: no cache
  // is looked up or filled, no fault is recorded, no A/D bit is written (a read-only walk). For
  // debug accesses (TLM transport_dbg); the result's walk lists the reads it made.
  TranslationResult translate_debug(const TranslationRequest& request) const;

  // Applies an invalidation to the caches directly (trace replay, tests); returns entries dropped.
  std::uint64_t invalidate(const InvalidationRequest& request);

  // A unit reset: every register to its reset value (VT-d spec 11.4: translation and queued
  // invalidation disabled, fault records clear, FECTL.IM and IECTL.IM set) and every cache empty
  // (the entries are counted as invalidated in the cache statistics). Tables in memory, the
  // counters and the device-TLB handler are kept; a device's own ATC is not part of the unit.
  void reset();

  // Fault event interrupt line (FSTS has an unmasked pending condition, FECTL.IM clear).
  bool fault_interrupt_pending() const;
  // Invalidation completion event line (ICS.IWC set, IECTL.IM clear).
  bool invalidation_interrupt_pending() const { return registers_.invalidation_interrupt_pending(); }

  // Device-TLB (ATS) invalidations (dev_tlb_inv_dsc / p_dev_tlb_inv_dsc, or a trace event) are
  // passed to this handler by invalidate(); whoever owns the devices' TLBs sets it (returns the
  // entries it dropped). core::ats_range() turns the request back into the ATS ADDR/S form.
  using DeviceTlbHandler = std::function<std::uint64_t(const InvalidationRequest&)>;
  void set_device_tlb_handler(DeviceTlbHandler handler) { device_tlb_handler_ = std::move(handler); }
  // Told of every invalidation invalidate() applies, from a register, the queue or a caller, with
  // the entries it dropped (the statistics' invalidation counters).
  using InvalidationObserver = std::function<void(const InvalidationRequest&, std::uint64_t dropped)>;
  void set_invalidation_observer(InvalidationObserver observer) { invalidation_observer_ = std::move(observer); }

  const config::UnitConfig& config() const { return config_; }
  mem::PhysicalMemory& memory() { return memory_; }
  cache::TranslationCaches& caches() { return caches_; }
  const cache::TranslationCaches& caches() const { return caches_; }
  RegisterFile& registers() { return registers_; }
  const RegisterFile& registers() const { return registers_; }
  FaultRecorder& faults() { return faults_; }
  const CommandCounters& commands() const { return commands_; }

 private:
  // Parts of translate() (model/core/remapping_unit_translate.cpp). The hit path stays in
  // translate(); context resolution and the walk are out of line.
  void fail_translation(const TranslationRequest& request, TranslationResult& result, spec::FaultReason reason,
                        bool fpd);
  // Inlined into translate() (the IOTLB-hit path) and walk_and_fill().
  [[gnu::always_inline]] inline void finish_translation(const TranslationRequest& request, TranslationResult& result,
                                                        const cache::IotlbEntry& leaf, bool scalable, bool fpd);
  // Resolves the context from the tables into resolved_context_ (a context-cache miss).
  [[gnu::noinline]] const cache::ContextCacheEntry& resolve_context(const TranslationRequest& request, bool scalable,
                                                                    TranslationResult& result);
  [[gnu::noinline]] void walk_and_fill(const TranslationRequest& request, const cache::ContextCacheEntry& context,
                                       bool scalable, TranslationResult& result);
  // PGTT 001b / 011b contexts: the first-stage (nested) walk (model/core/first_stage_walker.cpp).
  [[gnu::noinline]] void translate_first_stage(const TranslationRequest& request,
                                               const cache::ContextCacheEntry& context, TranslationResult& result);

  // Register side effects (model/core/remapping_unit_registers.cpp).
  void process_invalidation_queue();
  std::uint32_t read32(std::uint32_t offset);
  void write32(std::uint32_t offset, std::uint32_t value);
  void run_register_actions(std::uint32_t actions);
  void queue_error(std::uint64_t iqei);

  config::UnitConfig config_;
  mem::PhysicalMemory& memory_;
  RegisterFile registers_;
  FaultRecorder faults_;
  cache::TranslationCaches caches_;
  // The context of the translation in progress when it missed the context cache (or was not
  // cached): valid until that translation ends.
  cache::ContextCacheEntry resolved_context_;
  CommandCounters commands_;
  DeviceTlbHandler device_tlb_handler_;
  InvalidationObserver invalidation_observer_;
};

}  // namespace vtdsim::core
