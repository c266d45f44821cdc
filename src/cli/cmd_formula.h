// `airpg formula check|eval|sql`: for people debugging a filterByFormula.
// Parses and type-checks a formula against a table's schema (a Meta-API JSON
// file, or read from Airtable with --base), evaluates it on a record given as JSON, or prints the
// PostgreSQL it compiles to and its parameters. Single-thread.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "cli/config.h"

namespace airpg::cli {

struct FormulaOptions {
  std::string action;  // check | eval | sql
  std::string formula;
  std::string schema_file;  // Meta API JSON ({"tables":[…]}); "" = no fields
  std::string base;         // app…: read the schema from Airtable instead of a file
  std::string table;        // table id or name; may be omitted with one table
  std::string record_json;  // eval: {"Field name or id": cell, …}
  std::string now;          // eval/sql: ISO time for NOW()/TODAY(); "" = the clock
  bool filter = false;      // sql: compile as a WHERE condition
  bool json = false;        // --output json
};

// `config` is needed only with --base (for the endpoint and token): without
// it the formula tools work with no config at all.
int RunFormula(const Result<Config>& config, const FormulaOptions& options);

}  // namespace airpg::cli
