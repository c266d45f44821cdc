// The harness of serve_list_fuzz.cc: list requests sent through the real
// request handler (api::ApiService::Handle, postgres mode) against a real
// Postgres holding a small seeded table whose names are hostile to SQL.
// The fuzz target starts a private cluster once; serve_list_fuzz_test.cc runs
// the same harness on the test run's cluster. Single-thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace airpg::api {

// Creates the catalog, the table and its rows in the database at `conninfo`
// and the service that answers them. Once per process.
Status ServeListFuzzSetUp(const std::string& conninfo);

// Sends `input` — a query string (GET), or a JSON body (POST …/listRecords)
// when it starts with '{' — through the service. "" when the answer is
// acceptable: 200 with a "records" array, or a 4xx in Airtable's error shape
// ({"error": "TYPE"} or {"error": {"type": "…", "message": "…"}}); otherwise
// what was wrong (any 5xx, which includes a statement Postgres refused, such
// as a syntax error).
std::string ServeListFuzzProblem(std::string_view input);

// Whether the last input that passed was answered with records (200).
bool ServeListFuzzLastListed();

}  // namespace airpg::api
