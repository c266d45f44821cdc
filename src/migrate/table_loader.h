// Loads one Airtable table into its staging table: pages are fetched on a
// second thread (through the shared pacer) while earlier pages are converted
// and COPYed, so fetch, transform and load overlap. Everything of the table —
// rows, link and collaborator references, attachment rows, rejects, the
// Airtable-side checksums — is written in one transaction that also marks the
// table loaded in airpg.run_tables: a killed run resumes at the first table
// not loaded and never holds half a table.
#pragma once

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "migrate/load_context.h"

namespace airpg::migrate {

Result<TableSummary> LoadTable(LoadContext& ctx, const mapping::TablePlan& table);

// The scratch tables of a staging schema: link and collaborator references
// by record id (resolved once every table is in) and the Airtable-side
// checksums for the post-load check. Dropped before the swap.
std::vector<std::string> ScratchTableDdl(std::string_view staging_schema);

}  // namespace airpg::migrate
