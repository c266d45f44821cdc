#include "emulator/ids.h"

#include <cctype>

namespace airpg::emulator {
namespace {
constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}  // namespace

IdGenerator::IdGenerator(uint64_t seed) : rng_(seed) {}

std::string IdGenerator::RandomLocked(size_t length) {
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) out.push_back(kAlphabet[rng_() % kAlphabet.size()]);
  return out;
}

std::string IdGenerator::Random(size_t length) {
  std::lock_guard lock(mu_);
  return RandomLocked(length);
}

std::string IdGenerator::Next(std::string_view prefix) {
  std::lock_guard lock(mu_);
  for (;;) {
    std::string id = std::string(prefix) + RandomLocked(14);
    if (!taken_.count(id)) return id;
  }
}

void IdGenerator::Reserve(std::string_view id) {
  std::lock_guard lock(mu_);
  taken_.emplace(id);
}

}  // namespace airpg::emulator
