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
    c.field.id = "fldCase";
    c.field.name = "Case";
    c.field.type_name = parts[0];
    c.field.type = airtable::ParseFieldType(parts[0]);
    c.field.options_json = parts[1] == "-" ? "" : parts[1];
    if (parts[2] != "absent") c.cell = parts[2];
    c.expected = parts[3];
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace airpg::mapping::testing
