// A SchemaPlan as the JSON kept in airpg.runs.plan: what the catalog's
// airpg.tables and airpg.fields rows say after the run is swapped in (and
// again after a rollback to it). Also the KnownNames a new plan starts from.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/transaction.h"

namespace airpg::migrate {

// {"tables":[{"table_id",…,"fields":[{"field_id",…}]}]}
std::string PlanJson(const mapping::SchemaPlan& plan);

// Replaces the base's rows in airpg.tables and airpg.fields with `plan_json`.
Status WriteCatalogRows(pg::Transaction& tx, std::string_view base_id, std::string_view plan_json);

// The names the catalog gave this base's tables, fields and relation tables.
Result<mapping::KnownNames> ReadKnownNames(pg::Connection& conn, std::string_view base_id);

}  // namespace airpg::migrate
