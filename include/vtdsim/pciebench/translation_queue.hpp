// The root complex's translation stage as both pcie-bench engines see it: requests enter in
// arrival order; at most `slots` are in translation at once (root_complex.translation_slots, 0 =
// no limit): a request arriving when all are taken starts when the earliest in translation leaves;
// a request leaves when its translation is done and, where order is kept (posted writes always,
// PCIe Base spec 2.4.1; reads with root_complex.in_order_translation), no earlier than the request
// before it. Call enter() and leave() once per request, in arrival order.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace vtdsim::pciebench {

class TranslationQueue {
 public:
  TranslationQueue(std::uint32_t slots, bool in_order_reads) : slots_(slots), in_order_reads_(in_order_reads) {}

  // When a request that reached the translation stage at arrival_ns starts translation.
  double enter(double arrival_ns) {
    if (slots_ == 0 || in_translation_.size() < slots_) return arrival_ns;
    const double start = std::max(arrival_ns, in_translation_.top());
    in_translation_.pop();
    return start;
  }
  // When a request whose translation finished at translated_ns leaves the stage.
  double leave(double translated_ns, bool posted) {
    double t = translated_ns;
    if (posted || in_order_reads_) {
      t = std::max(t, last_leave_ns_);
      last_leave_ns_ = t;
    }
    if (slots_ != 0) in_translation_.push(t);
    return t;
  }
  std::uint32_t slots() const { return slots_; }

 private:
  std::uint32_t slots_;
  bool in_order_reads_;
  double last_leave_ns_ = 0;
  std::priority_queue<double, std::vector<double>, std::greater<double>> in_translation_;  // leave times
};

}  // namespace vtdsim::pciebench
