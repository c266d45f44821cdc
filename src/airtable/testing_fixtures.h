// Reads a captured Airtable response from tests/fixtures/airtable/ (copied
// from the real API captures in shared/airtable/fixtures). Tests only.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace airpg::airtable::testing {

inline std::string Fixture(const std::string& relative_path) {
  std::ifstream in(std::string(AIRPG_FIXTURES_DIR) + "/" + relative_path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace airpg::airtable::testing
