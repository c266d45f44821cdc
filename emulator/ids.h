// IdGenerator: Airtable-shaped ids — a 3-letter prefix and 14 characters of
// [0-9A-Za-z] (API.md §1.3). Seedable so a run with a fixed seed produces
// the same ids. Ids reserved (those of a loaded data file) are never handed
// out: a file made by `generate` with the emulator's own seed holds exactly
// the ids its stream would draw. Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include "airtable/wire/ids.h"

namespace airpg::emulator {

class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed);

  // e.g. Next("rec") → "recA1b2C3d4E5f6G7"; never a reserved id.
  std::string Next(std::string_view prefix);
  // `length` random characters of [0-9A-Za-z].
  std::string Random(size_t length);
  // An id in use that Next must not return.
  void Reserve(std::string_view id);

 private:
  std::string RandomLocked(size_t length);

  std::mutex mu_;
  std::mt19937_64 rng_;                    // guarded by mu_
  std::unordered_set<std::string> taken_;  // guarded by mu_
};

// Whether `id` has the shape prefix + 14 alphanumerics (the wire format's).
using airtable::wire::LooksLikeId;

}  // namespace airpg::emulator
