// libFuzzer target for `airpg serve`'s list requests in postgres mode: the
// input is a list request — a query string (GET), or a JSON body (POST
// …/listRecords) when it starts with '{' — carrying filterByFormula, sort,
// fields[] and the rest, parsed by src/airtable/wire and planned into SQL by
// src/api (PlanListStatement) over a fixed table whose field names are
// hostile to SQL. Checks, beyond "no crash, no sanitizer report":
//  - every $n of the statement has a parameter, and every parameter is used
//    (a value inlined into the text instead would leave one unused);
//  - no value of the request is inlined: every string literal of the
//    statement is one of the formula compiler's own constants
//    (formula/testing/sql_literals.h), and outside quoted identifiers the
//    statement has no ';' (every value is a parameter, every identifier
//    quoted).
// Build with clang: `make fuzz` (docs/serve.md, "Fuzzing").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "airtable/schema.h"
#include "airtable/wire/list_params.h"
#include "api/api_base.h"
#include "api/record_reader.h"
#include "api/testing/fuzz_table.h"
#include "formula/testing/sql_literals.h"
#include "http/url.h"
#include "mapping/schema_plan.h"

namespace {

const airpg::api::ApiBase& Base() {
  static const airpg::api::ApiBase base = [] {
    airpg::Result<airpg::airtable::BaseSchema> schema =
        airpg::airtable::ParseBaseSchema(airpg::api::testing::FuzzTableMeta(/*with_link=*/true));
    if (!schema.ok()) std::abort();
    airpg::Result<airpg::mapping::SchemaPlan> plan =
        airpg::mapping::PlanSchema(*schema, airpg::mapping::KnownNames{});
    if (!plan.ok()) std::abort();
    airpg::api::ApiBase out;
    out.base_id = "appFuzz0000000001";
    out.schema = "fuzz\"schema";
    out.plan = std::move(plan).value();
    return out;
  }();
  return base;
}

// The statement without its quoted identifiers ("…" with "" inside).
std::string Unquoted(std::string_view sql) {
  std::string out;
  bool quoted = false;
  for (char c : sql) {
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted) out += c;
  }
  return out;
}

void Check(const airpg::api::ListStatement& statement) {
  if (Unquoted(statement.sql).find(';') != std::string::npos) std::abort();
  std::set<int> used;
  const auto& allowed = airpg::formula::testing::AllowedSqlLiterals();
  for (const std::string& literal : airpg::formula::testing::SqlLiterals(statement.sql, used)) {
    bool text = !literal.empty() && (literal.front() == '\'' || literal.front() == 'E');
    if (text && allowed.count(literal) == 0) std::abort();
  }
  for (int n : used) {
    if (n < 1 || static_cast<size_t>(n) > statement.params.size()) std::abort();
  }
  if (used.size() != statement.params.size()) std::abort();
}

}  // namespace

// Whether `input` was planned into a statement (which then passed the
// checks); false when the request was refused. list_plan_fuzz_test.cc uses it.
bool ListPlanFuzzPlans(std::string_view input) {
  const airpg::api::ApiBase& base = Base();
  const airpg::mapping::TablePlan& table = base.plan.tables.front();
  airpg::airtable::wire::ApiResult<airpg::airtable::wire::ListParams> params =
      !input.empty() && input.front() == '{'
          ? [&] {
              auto body = airpg::airtable::wire::Json::parse(input, nullptr, false);
              if (body.is_discarded()) {
                return airpg::airtable::wire::ApiResult<airpg::airtable::wire::ListParams>(
                    airpg::airtable::wire::BadJson());
              }
              return airpg::airtable::wire::ParseListBody(body, {});
            }()
          : airpg::airtable::wire::ParseListQuery(airpg::http::ParseQuery(input));
  if (!params.ok()) return false;
  auto statement = airpg::api::PlanListStatement(base, table, *params, 1700000000000);
  if (!statement.ok()) return false;
  Check(*statement);
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ListPlanFuzzPlans(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
