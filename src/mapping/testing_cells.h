// The cases of testdata/cells.test (one cell per line: field type, options,
// cell, expected cell back), read for the tests that run them: the cell
// converters (cell_value_test.cc) and the verify checksums (checksum_test.cc).
// Tests only; single-thread.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "airtable/schema.h"

namespace airpg::mapping::testing {

// A field of `type` (with its options JSON) for tests of rules and cells.
inline airtable::Field MakeField(std::string type, std::string options = "",
                                 std::string id = "fldTest", std::string name = "Test") {
  airtable::Field f;
  f.id = std::move(id);
  f.name = std::move(name);
  f.type = airtable::ParseFieldType(type);
  f.type_name = std::move(type);
  f.options_json = std::move(options);
  return f;
}

struct CellCase {
  int line = 0;
  airtable::Field field;
  std::optional<std::string> cell;
  std::string expected;  // "=", "absent", "!reason" or JSON
};

inline std::string TrimSpaces(std::string s) {
  size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

inline std::vector<CellCase> LoadCellCases() {
  std::ifstream in(std::string(AIRPG_MAPPING_TESTDATA) + "/cells.test");
  std::vector<CellCase> cases;
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      size_t bar = line.find(" | ", start);
      parts.push_back(TrimSpaces(line.substr(start, bar == std::string::npos ? bar : bar - start)));
      if (bar == std::string::npos) break;
      start = bar + 3;
    }
    EXPECT_EQ(parts.size(), 4u) << "cells.test:" << line_number;
    if (parts.size() != 4) continue;
    CellCase c;
    c.line = line_number;
    c.field = MakeField(parts[0], parts[1] == "-" ? "" : parts[1], "fldCase", "Case");
    if (parts[2] != "absent") c.cell = parts[2];
    c.expected = parts[3];
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace airpg::mapping::testing
