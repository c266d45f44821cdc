#include "mapping/computed_stamps.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"

namespace airpg::mapping {

std::string AutoNumberSequenceName(std::string_view table_name, std::string_view column_name) {
  std::string name = fmt::format("{}__{}", table_name, column_name).substr(0, 59);
  return name + "_seq";
}

namespace {

// ":col,col…" for a lastModifiedTime field that watches some fields
// (`referencedFieldIds`), "" when it watches every field, or when one it
// watches has no column of this table to compare (a link, attachments).
std::string WatchedColumns(const TablePlan& t, const FieldPlan& f) {
  nlohmann::json options = nlohmann::json::parse(f.field.options_json, nullptr, false);
  if (!options.is_object() || !options.contains("referencedFieldIds") ||
      !options["referencedFieldIds"].is_array() || options["referencedFieldIds"].empty()) {
    return "";
  }
  std::string columns;
  for (const auto& id : options["referencedFieldIds"]) {
    const FieldPlan* watched = id.is_string() ? t.FindField(id.get<std::string>()) : nullptr;
    if (watched == nullptr || !watched->HasColumn() || watched->link_role != LinkRole::kNone ||
        watched->column_name.find_first_of(",:") != std::string::npos) {
      return "";
    }
    columns += (columns.empty() ? ":" : ",") + watched->column_name;
  }
  return columns;
}

}  // namespace

std::vector<std::string> StampDdl(const SchemaPlan& plan, std::string_view schema) {
  std::vector<std::string> out;
  for (const TablePlan& t : plan.tables) {
    std::string table = QualifiedName(schema, t.table_name);
    std::vector<std::string> args;
    for (const FieldPlan& f : t.fields) {
      if (!f.HasColumn()) continue;
      std::string detail = f.column.sql_type == "date" ? "date" : "timestamptz";
      switch (f.field.type) {
        case airtable::FieldType::kCreatedTime:
          args.insert(args.end(), {"created", f.column_name, detail});
          break;
        case airtable::FieldType::kLastModifiedTime:
          args.insert(args.end(), {"modified", f.column_name, detail + WatchedColumns(t, f)});
          break;
        // The collaborator Postgres writes as (airpg.bases.postgres_user_id,
        // catalog_v8.sql); a user column is text, so no detail but the watch.
        case airtable::FieldType::kCreatedBy:
          args.insert(args.end(), {"createdby", f.column_name, ""});
          break;
        case airtable::FieldType::kLastModifiedBy:
          args.insert(args.end(), {"modifiedby", f.column_name, WatchedColumns(t, f)});
          break;
        case airtable::FieldType::kAutoNumber: {
          std::string bare = AutoNumberSequenceName(t.table_name, f.column_name);
          std::string sequence = QualifiedName(schema, bare);
          out.push_back(fmt::format("CREATE SEQUENCE IF NOT EXISTS {}", sequence));
          // Past Airtable's maximum (and any number Postgres gave already).
          out.push_back(fmt::format(
              "SELECT setval({0}, GREATEST((SELECT max({1}) FROM {2}), (SELECT CASE WHEN "
              "is_called THEN last_value ELSE 0 END FROM {3}), 0) + 1, false)",
              SqlStringLiteralForScript(sequence), QuoteIdentifier(f.column_name), table,
              sequence));
          // Unqualified: the schema is renamed when a migration swaps it in.
          args.insert(args.end(), {"autonumber", f.column_name, bare});
          break;
        }
        default:
          break;
      }
    }
    std::string list;
    for (const std::string& a : args) {
      list += (list.empty() ? "" : ", ") + SqlStringLiteralForScript(a);
    }
    out.push_back(fmt::format("DROP TRIGGER IF EXISTS airpg_stamp ON {}", table));
    out.push_back(fmt::format(
        "CREATE TRIGGER airpg_stamp BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION "
        "airpg.stamp_postgres_write({})",
        table, list));
  }
  return out;
}

}  // namespace airpg::mapping
