#include "vtdsim/pciebench_sysc/dma_engine.hpp"

#include <string>

namespace vtdsim::pciebench_sysc {

DmaEngine::DmaEngine(sc_core::sc_module_name name, const pciebench::DeviceConfig& device,
                     const pciebench::BenchPoint& point, std::uint64_t bus_base, unsigned slots, std::uint64_t total,
                     bool wait_for_commits)
    : sc_core::sc_module(name),
      socket("socket"),
      device_(device),
      point_(point),
      bus_base_(bus_base),
      total_(total),
      wait_for_commits_(wait_for_commits),
      rng_(device.seed),
      issue_ns_(total, 0.0),
      completed_(total, false) {
  done_ns_.reserve(total);
  latency_ns_.reserve(total);
  for (unsigned i = 0; i < slots; ++i)
    sc_core::sc_spawn(sc_bind(&DmaEngine::slot, this), (std::string("slot_") + std::to_string(i)).c_str());
}

std::uint64_t DmaEngine::next_offset() {
  const std::uint64_t slots = point_.window_bytes / point_.transfer_bytes;
  std::uint64_t s;
  if (point_.pattern == pciebench::Pattern::kSequential) {
    s = next_slot_;
    next_slot_ = (next_slot_ + 1) % slots;
  } else {
    s = std::uniform_int_distribution<std::uint64_t>(0, slots - 1)(rng_);
  }
  return s * point_.transfer_bytes;
}

void DmaEngine::complete(std::uint64_t id) {
  const double t = now_ns();
  done_ns_.push_back(t);
  latency_ns_.push_back(t - issue_ns_[id]);
  completed_[id] = true;
  --in_flight_;
  if (done_ns_.size() == device_.warmup && on_warmup_done_) on_warmup_done_();
  completed_event_.notify();
}

void DmaEngine::slot() {
  tlm::tlm_generic_payload payload;
  auto* id = new DmaIdExtension;  // owned by payload
  payload.set_extension(id);
  std::vector<unsigned char> data(point_.transfer_bytes);
  const bool read = point_.op == pciebench::Op::kRead;
  for (;;) {
    while (device_.issue_ns > 0 && now_ns() < next_issue_ns_) wait_until_ns(next_issue_ns_);
    if (issued_ >= total_) return;
    next_issue_ns_ = now_ns() + device_.issue_ns;
    const std::uint64_t dma = issued_++;
    issue_ns_[dma] = now_ns();
    if (++in_flight_ > max_in_flight_) max_in_flight_ = in_flight_;
    id->id = dma;
    payload.set_command(read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
    payload.set_address(bus_base_ + next_offset());
    payload.set_data_ptr(data.data());
    payload.set_data_length(static_cast<unsigned>(point_.transfer_bytes));
    payload.set_streaming_width(static_cast<unsigned>(point_.transfer_bytes));
    payload.set_byte_enable_ptr(nullptr);
    payload.set_byte_enable_length(0);
    payload.set_dmi_allowed(false);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay(device_.latency_ns, sc_core::SC_NS);
    socket->b_transport(payload, delay);
    sc_core::wait(delay);
    if (!payload.is_response_ok())
      SC_REPORT_ERROR("vtdsim/pcie-bench",
                      (std::string(name()) + ": a DMA got " + payload.get_response_string()).c_str());
    if (read) {
      complete(dma);
    } else if (wait_for_commits_) {
      while (!completed_[dma]) sc_core::wait(completed_event_);
    }
  }
}

}  // namespace vtdsim::pciebench_sysc
