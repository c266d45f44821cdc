// ReplayableSeed: the seed of a randomised test (kill delays, fault rolls),
// taken from `env_var` when set — to replay a run — else fresh. It is
// printed and recorded as the test's "seed" property, so a failure names the
// value that replays it. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace airpg::testing {

inline uint64_t ReplayableSeed(const char* env_var) {
  const char* replay = std::getenv(env_var);
  uint64_t seed = replay != nullptr ? std::strtoull(replay, nullptr, 10) : std::random_device{}();
  std::cout << "[ seed     ] " << env_var << "=" << seed << "\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

}  // namespace airpg::testing
