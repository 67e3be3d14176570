// The replacement policy of one cache as a small value type, chosen from configuration
// (config::ReplacementPolicy). Verbs: on_insert / on_hit (set, way, slot) / on_invalidate (set, way) and
// victim(set), which is asked only when every way of the set is valid. Dispatch is a switch on
// the variant index (no virtual calls, no allocation after construction).
#pragma once
#include <cstdint>
#include <variant>

#include "vtdsim/cache/plru_policy.hpp"
#include "vtdsim/cache/random_policy.hpp"
#include "vtdsim/cache/stamp_policy.hpp"
#include "vtdsim/config/unit_config.hpp"

namespace vtdsim::cache {

class ReplacementPolicy {
 public:
  ReplacementPolicy(config::ReplacementPolicy kind, std::uint32_t sets, std::uint32_t ways, std::uint64_t seed)
      : impl_(make(kind, sets, ways, seed)), kind_(kind) {}

  config::ReplacementPolicy kind() const { return kind_; }

  void on_insert(std::uint32_t set, std::uint32_t way) {
    visit<void>([&](auto& p) { p.on_insert(set, way); });
  }
  // slot = set * ways + way (the cache's flat index of the way).
  [[gnu::always_inline]] inline void on_hit(std::uint32_t set, std::uint32_t way, std::size_t slot) {
    visit<void>([&](auto& p) { p.on_hit(set, way, slot); });
  }
  void on_invalidate(std::uint32_t set, std::uint32_t way) {
    visit<void>([&](auto& p) { p.on_invalidate(set, way); });
  }
  std::uint32_t victim(std::uint32_t set) {
    return visit<std::uint32_t>([&](auto& p) { return p.victim(set); });
  }

 private:
  using Variant = std::variant<LruPolicy, PlruPolicy, FifoPolicy, RandomPolicy>;
  static Variant make(config::ReplacementPolicy kind, std::uint32_t sets, std::uint32_t ways, std::uint64_t seed) {
    switch (kind) {
      case config::ReplacementPolicy::kPlru: return PlruPolicy(sets, ways);
      case config::ReplacementPolicy::kFifo: return FifoPolicy(sets, ways);
      case config::ReplacementPolicy::kRandom: return RandomPolicy(sets, ways, seed);
      case config::ReplacementPolicy::kLru: break;
    }
    return LruPolicy(sets, ways);
  }
  template <class R, class F>
  R visit(F&& f) {
    // LRU, the default, is tested first: one compare on the hit path of most configurations.
    if (__builtin_expect(impl_.index() == 0, 1)) return f(*std::get_if<LruPolicy>(&impl_));
    switch (impl_.index()) {
      case 1: return f(*std::get_if<PlruPolicy>(&impl_));
      case 2: return f(*std::get_if<FifoPolicy>(&impl_));
      default: return f(*std::get_if<RandomPolicy>(&impl_));
    }
  }
  Variant impl_;
  config::ReplacementPolicy kind_;
};

}  // namespace vtdsim::cache
