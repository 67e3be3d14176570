// Random replacement, reproducible: a splitmix64 generator seeded from configuration picks the
// victim way. Same seed and same access sequence give the same evictions.
#pragma once
#include <cstdint>

namespace vtdsim::cache {

class RandomPolicy {
 public:
  RandomPolicy(std::uint32_t /*sets*/, std::uint32_t ways, std::uint64_t seed) : ways_(ways), state_(seed) {}
  void on_insert(std::uint32_t, std::uint32_t) {}
  void on_hit(std::uint32_t, std::uint32_t, std::size_t) {}
  void on_invalidate(std::uint32_t, std::uint32_t) {}
  std::uint32_t victim(std::uint32_t) { return static_cast<std::uint32_t>(next() % ways_); }

 private:
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint32_t ways_;
  std::uint64_t state_;
};

}  // namespace vtdsim::cache
