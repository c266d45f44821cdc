// Cell objects: the SQL that reads a mirrored row's collaborator and
// attachment cells as Airtable's API shows them, for serve's answers
// (record_reader.cc): a collaborator as {id, email, name} from airpg.users
// (the users the migrate and the sync saw), attachments as {id, width,
// height, url, filename, size, type} in the cell's order — including files
// written through serve that Airtable does not have yet (their reserved att…
// id and the URL the client gave; catalog_v15). Verify keeps the id-only
// forms of mapping/row_cells.h. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::api {

// The field's cell over row `t` as the text of its JSON value (NULL: empty),
// or nullopt for a field stored otherwise. Values it needs are appended to
// `params`, whose $1 must be the schema name.
std::optional<std::string> CellObjectExpression(const std::string& schema,
                                                const mapping::TablePlan& table,
                                                const mapping::FieldPlan& f,
                                                std::vector<pg::Param>& params);

// Whether CellObjectExpression reads the field (its text is the cell's JSON).
bool IsCellObjectField(const mapping::FieldPlan& f);

}  // namespace airpg::api
