// Register side effects of the remapping unit: MMIO routing, register-based invalidation
// (VT-d spec 6.5.1) and queued invalidation (spec 6.5.2). The queue is processed synchronously at
// the IQT write; the timing model adds its cost from commands().
#include "vtdsim/core/invalidation_decoder.hpp"
#include "vtdsim/core/remapping_unit.hpp"
#include "vtdsim/spec/invalidation_descriptor.hpp"
#include "vtdsim/spec/registers.hpp"

namespace vtdsim::core {

namespace r = spec::reg;

std::uint64_t RemappingUnit::read_register(std::uint32_t offset, unsigned size) {
  // Aligned dword or quadword accesses only (spec 11.2 "Software Access to Registers").
  if (size == 8 && !(offset & 7)) {
    return read32(offset) | (static_cast<std::uint64_t>(read32(offset + 4)) << 32);
  }
  if (size == 4 && !(offset & 3)) return read32(offset);
  return 0;
}

void RemappingUnit::write_register(std::uint32_t offset, unsigned size, std::uint64_t value) {
  if (size == 8 && !(offset & 7)) {
    // A quadword write acts as its low dword then its high dword (side effects of CCMD / IOTLB
    // trigger on the high dword, of IQT on the low dword).
    write32(offset, static_cast<std::uint32_t>(value));
    write32(offset + 4, static_cast<std::uint32_t>(value >> 32));
  } else if (size == 4 && !(offset & 3)) {
    write32(offset, static_cast<std::uint32_t>(value));
  }
}

std::uint32_t RemappingUnit::read32(std::uint32_t offset) {
  switch (offset) {
    case r::kFsts: return faults_.read_fsts();
    case r::kFectl: return faults_.read_fectl();
    case r::kFedata: return faults_.fedata();
    case r::kFeaddr: return faults_.feaddr();
    case r::kFeuaddr: return faults_.feuaddr();
    default: break;
  }
  const std::uint32_t fro = config_.cap.fro;
  if (offset >= fro && offset < fro + r::kFaultRecordSize * faults_.records()) {
    const std::uint32_t rel = offset - fro;
    return faults_.read_record(rel / r::kFaultRecordSize, (rel % r::kFaultRecordSize) / 4);
  }
  return registers_.read32(offset);
}

void RemappingUnit::write32(std::uint32_t offset, std::uint32_t value) {
  switch (offset) {
    case r::kFsts: {
      const bool iqe_before = faults_.read_fsts() & r::fsts::kIqe;
      faults_.write_fsts(value);
      // Hardware resumes fetching at IQH once software clears IQE (6.5.2.10).
      if (iqe_before && !(faults_.read_fsts() & r::fsts::kIqe)) process_invalidation_queue();
      return;
    }
    case r::kFectl: faults_.write_fectl(value); return;
    case r::kFedata: faults_.write_fedata(value); return;
    case r::kFeaddr: faults_.write_feaddr(value); return;
    case r::kFeuaddr: faults_.write_feuaddr(value); return;
    default: break;
  }
  const std::uint32_t fro = config_.cap.fro;
  if (offset >= fro && offset < fro + r::kFaultRecordSize * faults_.records()) {
    const std::uint32_t rel = offset - fro;
    faults_.write_record(rel / r::kFaultRecordSize, (rel % r::kFaultRecordSize) / 4, value);
    return;
  }
  run_register_actions(registers_.write32(offset, value));
}

void RemappingUnit::run_register_actions(std::uint32_t actions) {
  if (actions & RegisterFile::kContextInvalidate) {
    // 6.5.1 / 11.4. Register-based invalidation while queued invalidation is enabled is not
    // allowed (6.5.2); the model does not perform it and reports CAIG = 0.
    RegisterInvalidation cmd;
    if (!registers_.queue_enabled()) cmd = decode_context_command(registers_.raw(r::kCcmd), config_.cap);
    if (cmd.performed) {
      invalidate(cmd.request);
      ++commands_.register_commands;
    } else {
      ++commands_.rejected_commands;
    }
    registers_.complete_context_invalidation(cmd.actual_granularity);  // ICC cleared when done
  }
  if (actions & RegisterFile::kIotlbInvalidate) {
    // 6.5.1 / 11.4. IAIG = 0 tells software the request was not performed.
    RegisterInvalidation cmd;
    if (!registers_.queue_enabled()) {
      cmd = decode_iotlb_command(registers_.raw(registers_.iotlb_offset()), registers_.raw(registers_.iva_offset()),
                                 config_.cap);
    }
    if (cmd.performed) {
      invalidate(cmd.request);
      ++commands_.register_commands;
    } else {
      ++commands_.rejected_commands;
    }
    registers_.complete_iotlb_invalidation(cmd.actual_granularity);  // IVT cleared when done
  }
  if (actions & (RegisterFile::kQueueTailWritten | RegisterFile::kQueueEnabled)) process_invalidation_queue();
}

bool RemappingUnit::fault_interrupt_pending() const { return faults_.interrupt_pending(); }

void RemappingUnit::queue_error(std::uint64_t iqei) {
  ++commands_.queue_errors;
  registers_.set_queue_error_info(iqei);
  faults_.raise_status(r::fsts::kIqe);
}

// Queued invalidation (6.5.2): fetch descriptors from IQH up to IQT, apply each in order, and
// advance IQH past it. On an invalid descriptor, IQE is set and IQH is left pointing at it
// (6.5.2.10); nothing more is fetched until software clears IQE. A wait descriptor's status write
// happens after every earlier descriptor was applied, so software that sees the status has no
// stale cache entry left.
void RemappingUnit::process_invalidation_queue() {
  if (!registers_.queue_enabled()) return;
  if (faults_.read_fsts() & r::fsts::kIqe) return;

  const std::uint64_t slots = registers_.queue_slots();  // in 128-bit units
  const bool wide = registers_.queue_256bit();
  const std::uint64_t step = wide ? 2 : 1;
  const std::uint64_t tail = registers_.queue_tail();
  std::uint64_t head = registers_.queue_head();
  if (head == tail) return;
  if (tail >= slots) return queue_error(r::iqercd::kInvalidTail);
  if (wide && (tail & 1)) return queue_error(r::iqercd::kTailMisaligned);
  if (head >= slots || (wide && (head & 1))) return queue_error(r::iqercd::kInvalidTail);  // IQA changed under it
  const std::uint64_t ttm = registers_.root_table_mode();
  if (ttm == r::rtaddr::kTtmReserved || ttm == r::rtaddr::kTtmAbortDma) return queue_error(r::iqercd::kInvalidTtm);

  const bool scalable = registers_.scalable_mode();
  const std::uint64_t base = registers_.queue_base();
  // head advances by `step` modulo `slots` and tail is aligned and inside the queue: the loop
  // ends within slots / step iterations.
  while (head != tail) {
    spec::qi::Descriptor d;
    const std::uint64_t addr = base + head * 16;
    if (!memory_.read(addr, d.qw.data(), wide ? 32 : 16)) return queue_error(r::iqercd::kFetchError);
    const DecodedDescriptor dec = decode_descriptor(d, config_.cap, scalable, wide);
    if (dec.kind == DescriptorKind::kError) return queue_error(dec.error_info);
    if (dec.kind == DescriptorKind::kInvalidate) {
      invalidate(dec.request);
    } else {
      ++commands_.wait_descriptors;
      if (dec.status_write) {
        if (!memory_.write32(dec.status_address, dec.status_data)) return queue_error(r::iqercd::kFetchError);
        ++commands_.status_writes;
      }
      if (dec.interrupt) {
        ++commands_.wait_interrupts;
        registers_.signal_wait_completion();
      }
      // FN (fence): descriptors are applied in order and synchronously here, so every later
      // descriptor already waits for this one.
    }
    ++commands_.descriptors;
    head = (head + step) % slots;
    registers_.set_queue_head(head);
  }
}

}  // namespace vtdsim::core
