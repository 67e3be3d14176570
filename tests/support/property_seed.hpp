// Seeds for randomized property tests: VTDSIM_SEED=<n> reproduces a run; otherwise a fresh seed
// each run. The seed is printed so any failure can be replayed.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace vtdsim::testing {

inline std::uint64_t property_seed(const char* test_name) {
  std::uint64_t seed = 0;
  if (const char* env = std::getenv("VTDSIM_SEED")) {
    seed = std::strtoull(env, nullptr, 0);
  } else {
    std::random_device device;
    seed = (static_cast<std::uint64_t>(device()) << 32) | device();
  }
  std::cout << "[ seed     ] " << test_name << ": VTDSIM_SEED=" << seed << "\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

}  // namespace vtdsim::testing
