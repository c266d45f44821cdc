// ApiBase: what `airpg serve` needs to answer for one mirrored base — its
// live schema and the plan of its tables and columns, read from the catalog
// (airpg.bases/tables/fields), with every column name as the catalog
// recorded it (so renames such as H4's `<field>_id` single-link columns are
// followed). Reloaded when the catalog's schema version moves.
// Plain values; LoadApiBase is thread-compatible (one Connection per thread).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::api {

struct ApiBase {
  std::string base_id;
  std::string name;
  // As Airtable reported it when the base was last migrated ("" unknown).
  std::string permission_level;
  std::string schema;  // the live Postgres schema
  mapping::SchemaPlan plan;

  // By table id, then Airtable name; nullptr if absent.
  const mapping::TablePlan* FindTable(std::string_view id_or_name) const;
};

// By field id, then exact Airtable name; nullptr if absent.
const mapping::FieldPlan* FindField(const mapping::TablePlan& table, std::string_view id_or_name);

// kNotFound when the base was never migrated.
Result<ApiBase> LoadApiBase(pg::Connection& conn, std::string_view base_id);

}  // namespace airpg::api
