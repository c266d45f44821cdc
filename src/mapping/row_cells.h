// Row cells: how a mirrored row reads back as Airtable V1 cells — one text
// expression per field over the row `t` (columns, links from foreign keys
// and junctions, collaborators, attachments), and the cell JSON from that
// text (PgToCell for columns). The one copy of these rules: `airpg serve`
// answers with them (api/record_reader.cc) and verify rebuilds Airtable's
// cells with them (migrate/postgres_checksums.cc). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

// Whether the field is a link (its cell is an array of record ids).
bool IsLinkField(const FieldPlan& f);

// The field's value over row `t` as text. Values it needs (field ids) are
// appended to `params` (text parameters, as pg::Param), whose $1 must be the
// schema name.
std::string CellExpression(std::string_view schema, const SchemaPlan& plan, const FieldPlan& f,
                           std::vector<std::optional<std::string>>& params);

// The V1 cell JSON for the text CellExpression gave; nullopt for an empty cell.
Result<std::optional<std::string>> CellFromText(const FieldPlan& f,
                                                std::optional<std::string_view> text);

}  // namespace airpg::mapping
