#include "sync/canonical_cells.h"

#include <nlohmann/json.hpp>

#include "mapping/cell_value.h"
#include "pg/quote.h"
#include "sync/outbox_cells.h"

namespace airpg::sync {
namespace {

using nlohmann::json;

// A column value → the cell in one canonical form ("null" for empty).
std::string Canonical(const mapping::FieldPlan& f, const mapping::PgValue& value) {
  Result<std::optional<std::string>> cell = mapping::PgToCell(f.field, f.column, value);
  if (!cell.ok() || !*cell || **cell == "false" || **cell == "\"\"" || **cell == "[]") {
    return "null";
  }
  return **cell;
}

bool IsUserField(const mapping::FieldPlan& f) {
  using mapping::Storage;
  return f.column.storage == Storage::kUser || f.column.storage == Storage::kUserJunction;
}

}  // namespace

bool IsRelationField(const mapping::FieldPlan& f) {
  using mapping::LinkRole;
  using mapping::Storage;
  const Storage s = f.column.storage;
  if (s == Storage::kUser || s == Storage::kUserJunction) return true;
  return f.link_role == LinkRole::kForeignKey || f.link_role == LinkRole::kJunction;
}

bool DecidedPerField(const mapping::FieldPlan& f) {
  using mapping::Storage;
  if (!WritableField(f)) return false;
  if (IsRelationField(f)) return true;
  const Storage s = f.column.storage;
  return f.HasColumn() &&
         (s == Storage::kColumn || s == Storage::kChoice || s == Storage::kChoiceArray);
}

std::string CanonicalColumnText(const mapping::FieldPlan& f, std::optional<std::string_view> text) {
  mapping::PgValue value;
  if (text) {
    if (f.column.sql_type.ends_with("[]")) {
      auto items = pg::ParseArray(*text);
      if (!items.ok()) return "null";
      value = mapping::PgValue::Array(std::move(items).value());
    } else {
      value = mapping::PgValue::Scalar(std::string(*text));
    }
  }
  return Canonical(f, value);
}

std::string CanonicalColumnJson(const mapping::FieldPlan& f,
                                const std::optional<std::string>& json_text) {
  if (!json_text) return "null";
  json v = json::parse(*json_text, nullptr, false);
  if (v.is_discarded() || v.is_null()) return "null";
  if (v.is_array()) {
    std::vector<std::optional<std::string>> items;
    for (const auto& item : v) {
      items.push_back(item.is_string() ? std::optional(item.get<std::string>())
                                       : std::optional(item.dump()));
    }
    return Canonical(f, mapping::PgValue::Array(std::move(items)));
  }
  if (v.is_boolean()) return Canonical(f, mapping::PgValue::Scalar(v.get<bool>() ? "t" : "f"));
  if (v.is_string()) return Canonical(f, mapping::PgValue::Scalar(v.get<std::string>()));
  return Canonical(f, mapping::PgValue::Scalar(v.dump()));
}

// The loader's text of some values is not Postgres's print (date-times):
// when that does not convert back, Airtable's cell is its own canonical form
// (the form PgToCell gives for Postgres's print of them).
std::string CanonicalAirtableCell(const mapping::FieldPlan& f,
                                  std::optional<std::string_view> cell) {
  if (IsRelationField(f)) return RelationCell(f, cell);
  if (!cell) return "null";
  Result<mapping::PgValue> value = mapping::CellToPg(f.field, f.column, cell);
  if (!value.ok()) return std::string(*cell);  // not representable: it differs
  if (value->is_null) return "null";
  Result<std::optional<std::string>> back = mapping::PgToCell(f.field, f.column, *value);
  if (!back.ok() || !*back) return std::string(*cell);
  return Canonical(f, *value);
}

std::string RelationCell(const mapping::FieldPlan& f, std::optional<std::string_view> cell) {
  if (!cell) return "null";
  json v = json::parse(*cell, nullptr, false);
  if (v.is_discarded() || v.is_null()) return "null";
  auto id_of = [](const json& item) -> json {
    if (item.is_object()) return item.value("id", json());
    return item;
  };
  if (IsUserField(f) && f.column.storage == mapping::Storage::kUser) {
    json id = id_of(v.is_array() && !v.empty() ? v[0] : v);
    return id.is_string() && !id.get<std::string>().empty() ? id.dump() : "null";
  }
  if (!v.is_array()) v = json::array({v});
  json ids = json::array();
  for (const auto& item : v) {
    json id = id_of(item);
    if (id.is_string()) ids.push_back(id);
  }
  return ids.empty() ? "null" : ids.dump();
}

}  // namespace airpg::sync
