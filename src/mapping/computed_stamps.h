// ComputedStamps: the DDL with which Postgres keeps createdTime,
// lastModifiedTime, createdBy, lastModifiedBy (as the base's configured
// collaborator, catalog_v8.sql) and autoNumber fields current for the rows it writes
// (issue 18): per mirrored table, a sequence for each autoNumber column,
// moved past the highest number Airtable gave, and a BEFORE INSERT OR
// UPDATE trigger running airpg.stamp_postgres_write() (catalog_v5.sql) with
// the table's stamped columns; a lastModifiedTime field that watches some
// fields (`referencedFieldIds`) is stamped only when one of their columns
// changes. Rows the sync writes (origin 'airtable') keep Airtable's values.
// Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/schema_plan.h"

namespace airpg::mapping {

// "<table>__<column>_seq" (shortened to fit 63 bytes).
std::string AutoNumberSequenceName(std::string_view table_name, std::string_view column_name);

// Idempotent statements: CREATE SEQUENCE IF NOT EXISTS + setval past the
// column's maximum, DROP TRIGGER IF EXISTS + CREATE TRIGGER, for every table.
std::vector<std::string> StampDdl(const SchemaPlan& plan, std::string_view schema);

}  // namespace airpg::mapping
