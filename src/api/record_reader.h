// RecordReader: list and get records of a mirrored table from Postgres, in
// Airtable's wire format (request → plan → query → response):
//  - filterByFormula compiled to one SQL condition by src/formula; a formula
//    that does not compile (a function or field the compiler refuses) is
//    evaluated in process over the candidate rows, so a formula Airtable
//    accepts is never refused;
//  - sort, fields[], maxRecords, pageSize, returnFieldsByFieldId,
//    cellFormat=string with timeZone/userLocale, through the shared
//    src/airtable/wire renderer;
//  - offsets as keyset tokens (keyset_token.h);
//  - `view` from the per-view snapshots the sync keeps (pg/view_snapshots.h).
// Every value is a parameter and every identifier is quoted by pg/quote.
// Thread-compatible: one reader per connection (one per request is fine).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/wire/api_error.h"
#include "airtable/wire/list_params.h"
#include "airtable/wire/record_renderer.h"
#include "api/api_base.h"
#include "pg/connection.h"

namespace airpg::api {

// Sees each statement a list runs, with its parameters (bench/serve runs
// the same SQL through pgbench).
using QueryObserver =
    std::function<void(std::string_view sql, const std::vector<pg::Param>& params)>;

// The body of a list-records answer: {"records":[…][,"offset":…]}.
airtable::wire::ApiResult<std::string> ListRecords(pg::Connection& conn, const ApiBase& base,
                                                   const mapping::TablePlan& table,
                                                   const airtable::wire::ListParams& params,
                                                   int64_t now_millis,
                                                   const QueryObserver& observe = nullptr);

// The statement of a list's first page (101 rows) and its parameters,
// planned without a database: request → plan (the fuzz target, tests). Errors
// are Airtable's, as ListRecords answers them.
struct ListStatement {
  std::string sql;
  std::vector<pg::Param> params;
  bool filter_in_sql = true;  // false: the filter is evaluated in process
};
airtable::wire::ApiResult<ListStatement> PlanListStatement(const ApiBase& base,
                                                           const mapping::TablePlan& table,
                                                           const airtable::wire::ListParams& params,
                                                           int64_t now_millis);

// One record; 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND (as Airtable) when
// absent or deleted.
airtable::wire::ApiResult<std::string> GetRecord(pg::Connection& conn, const ApiBase& base,
                                                 const mapping::TablePlan& table,
                                                 const std::string& record_id,
                                                 const airtable::wire::RenderOptions& options);

}  // namespace airpg::api
