// A SchemaPlan as the JSON kept in airpg.runs.plan and read by the catalog
// writers (pg/catalog_rows.h): what airpg.tables and airpg.fields say about
// each table and field. migrate writes a whole plan when it swaps a run in;
// sync writes the tables and fields a schema change touched. Pure and
// thread-safe.
#pragma once

#include <string>

#include "mapping/schema_plan.h"

namespace airpg::mapping {

// {"tables":[{"table_id","airtable_name","table_name","description",
// "primary_field_id","fields":[{"field_id","airtable_name","type","options",
// "storage","column_name","sql_type","relation_table","read_only"}]}]}
std::string PlanJson(const SchemaPlan& plan);

}  // namespace airpg::mapping
