// Row cells: how `airpg serve` reads a mirrored row back as Airtable V1
// cells — one text expression per field over the row `t` (columns, links
// from foreign keys and junctions, collaborators, attachments), and the cell
// JSON from that text (mapping::PgToCell for columns). The same rules as
// verify's rebuild (migrate/postgres_checksums.cc), which api may not call;
// TODO(issue 17): one copy below both once pg::ParseArray moves down.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::api {

// Whether the field is a link (its cell is an array of record ids).
bool IsLink(const mapping::FieldPlan& f);

// The field's value over row `t` as text; values it needs (schema name,
// field ids) are appended to `params`, whose $1 must be the schema name.
std::string CellExpression(std::string_view schema, const mapping::SchemaPlan& plan,
                           const mapping::FieldPlan& f, std::vector<pg::Param>& params);

// The V1 cell JSON for the text CellExpression gave; nullopt for an empty cell.
Result<std::optional<std::string>> CellFromText(const mapping::FieldPlan& f,
                                                std::optional<std::string_view> text);

}  // namespace airpg::api
