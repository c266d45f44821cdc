// CaseFile: reads the formula case files under src/formula/testdata/ and
// runs one case through the evaluator. Shared by the evaluator runner
// (case_runner_test.cc) and the Postgres runner (sql_case_runner_test.cc).
// Single-thread (tests).
//
// Format, one directive or case per line; blank lines and lines starting
// with '#' are ignored:
//   fields: Name:singleLineText Price:number Tags:multipleSelects …
//       the table's fields (name:type; a formula/rollup/lookup field is
//       name:type/resultType); resets the record. Field ids are fld<Name>.
//   record: {"Name": "Ann", "Price": 3}
//       the cells (Airtable JSON) of the record the next cases run over.
//   meta: id=recA created=2024-01-01T00:00:00.000Z modified=… now=…
//       record id, created and last-modified times, and the clock.
//   FORMULA ==> EXPECTED
//       EXPECTED is the result as DebugString prints it (value.h): 3.5,
//       "text", TRUE, FALSE, BLANK, #ERROR!, NaN, Infinity,
//       2024-01-02T00:00:00.000Z, ["a", "b"].
//   FORMULA ==> EXPECTED  @eval-only
//       the SQL compiler must refuse the formula (kUnimplemented); without
//       the marker it must compile and return EXPECTED from Postgres.
//   FORMULA ==> !ERROR
//       the formula is rejected (unknown field or function, wrong argument
//       count, syntax error) by both evaluator and compiler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "formula/record.h"
#include "formula/types.h"

namespace airpg::formula::testing {

struct Case {
  std::string file;
  int line = 0;
  std::string formula;
  std::string expected;
  bool eval_only = false;
  bool rejected = false;
  Schema schema;
  std::string record_json = "{}";
  Record record;
  int64_t now_millis = 0;
};

// All cases of one file; a malformed file is an error naming the line.
Result<std::vector<Case>> ReadCaseFile(const std::string& path);

// The *.test files in src/formula/testdata, sorted.
std::vector<std::string> CaseFiles();

// Evaluates a case and renders the result (or "!ERROR" when rejected).
std::string EvaluateCase(const Case& c);

}  // namespace airpg::formula::testing
