#include "sync/outbox_cells.h"

#include <fmt/core.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "airtable/field_type.h"

namespace airpg::sync {
namespace {

// "1 day 02:03:04.5", "02:03:04", "-00:00:10": Postgres's interval output
// (IntervalStyle postgres) of a duration column, in seconds.
std::optional<double> IntervalSeconds(const std::string& text) {
  double days = 0, h = 0, m = 0, s = 0;
  std::string rest = text;
  if (size_t d = rest.find(" day"); d != std::string::npos) {
    days = std::stod(rest.substr(0, d));
    size_t space = rest.find(' ', d + 1);
    rest = space == std::string::npos ? "" : rest.substr(space + 1);
  }
  bool negative = !rest.empty() && rest[0] == '-';
  if (negative) rest = rest.substr(1);
  if (!rest.empty() && std::sscanf(rest.c_str(), "%lf:%lf:%lf", &h, &m, &s) != 3) {
    return std::nullopt;
  }
  double clock = h * 3600 + m * 60 + s;
  return days * 86400 + (negative ? -clock : clock);
}

}  // namespace

bool WritableField(const mapping::FieldPlan& field) {
  if (field.column.read_only || airtable::IsComputed(field.field.type)) return false;
  return field.column.storage != mapping::Storage::kAttachments;
}

Result<std::optional<std::string>> CellFromColumn(const mapping::FieldPlan& field,
                                                  const nlohmann::json& value) {
  using mapping::Storage;
  if (!WritableField(field)) return std::optional<std::string>();
  if (value.is_null()) return std::optional<std::string>("null");
  switch (field.column.storage) {
    case Storage::kColumn:
      if (field.column.sql_type == "interval") {
        if (!value.is_string()) break;
        std::optional<double> seconds = IntervalSeconds(value.get<std::string>());
        if (!seconds) break;
        return std::optional<std::string>(nlohmann::json(*seconds).dump());
      }
      return std::optional<std::string>(value.dump());
    case Storage::kChoice:
    case Storage::kChoiceArray:
      return std::optional<std::string>(value.dump());
    case Storage::kUser:
      if (!value.is_string()) break;
      return std::optional<std::string>(nlohmann::json{{"id", value}}.dump());
    default:
      return std::optional<std::string>();
  }
  return InvalidArgumentError(fmt::format("column {} holds {}, not a value of field {} ({})",
                                          field.column_name, value.dump(), field.field.id,
                                          airtable::FieldTypeName(field.field.type)));
}

}  // namespace airpg::sync
