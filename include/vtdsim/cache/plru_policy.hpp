// Tree pseudo-LRU replacement: per set a binary tree of ways-1 bits (ways must be a power of two).
// Each internal node's bit points at the half to evict from next (0 = left, 1 = right); an insert
// or hit flips the bits on the way's path to point away from it. The victim follows the bits from
// the root. Invalidation leaves the bits alone: the container reuses invalid ways before asking.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtdsim::cache {

class PlruPolicy {
 public:
  PlruPolicy(std::uint32_t sets, std::uint32_t ways) : ways_(ways) {
    if (ways == 0 || (ways & (ways - 1)) != 0) {
      throw std::invalid_argument("tree-PLRU replacement needs a power-of-two number of ways, got " +
                                  std::to_string(ways));
    }
    nodes_per_set_ = ways - 1;
    bits_.assign(std::size_t{sets} * (nodes_per_set_ == 0 ? 1 : nodes_per_set_), 0);
  }
  void on_insert(std::uint32_t set, std::uint32_t way) { touch(set, way); }
  void on_hit(std::uint32_t set, std::uint32_t way, std::size_t /*slot*/) { touch(set, way); }
  void on_invalidate(std::uint32_t, std::uint32_t) {}
  std::uint32_t victim(std::uint32_t set) const {
    if (ways_ == 1) return 0;
    const std::uint8_t* tree = &bits_[std::size_t{set} * nodes_per_set_];
    std::uint32_t node = 0;  // heap layout: children of n are 2n+1 and 2n+2
    while (node < nodes_per_set_) node = 2 * node + 1 + tree[node];
    return node - nodes_per_set_;
  }

 private:
  void touch(std::uint32_t set, std::uint32_t way) {
    if (ways_ == 1) return;
    std::uint8_t* tree = &bits_[std::size_t{set} * nodes_per_set_];
    std::uint32_t node = way + nodes_per_set_;  // leaf index in the heap layout
    while (node != 0) {
      const std::uint32_t parent = (node - 1) / 2;
      const bool is_left = node == 2 * parent + 1;
      tree[parent] = is_left ? 1 : 0;  // point at the other half
      node = parent;
    }
  }
  std::uint32_t ways_;
  std::uint32_t nodes_per_set_ = 0;
  std::vector<std::uint8_t> bits_;
};

}  // namespace vtdsim::cache
