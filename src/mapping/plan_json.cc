#include "mapping/plan_json.h"

#include <nlohmann/json.hpp>

#include "mapping/type_rules.h"

namespace airpg::mapping {

std::string PlanJson(const SchemaPlan& plan) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : plan.tables) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : t.fields) {
      nlohmann::json options = nullptr;
      if (!f.field.options_json.empty()) {
        options = nlohmann::json::parse(f.field.options_json, nullptr, false);
        if (options.is_discarded()) options = nullptr;
      }
      fields.push_back(
          {{"field_id", f.field.id},
           {"airtable_name", f.field.name},
           {"type", f.field.type_name},
           {"options", options},
           {"storage", StorageName(f.column.storage)},
           {"column_name", f.column_name},
           {"sql_type", f.HasColumn() ? f.column.sql_type : ""},
           {"relation_table",
            f.relation_table.empty() ? nlohmann::json() : nlohmann::json(f.relation_table)},
           {"read_only", f.column.read_only},
           {"description", f.field.description}});
    }
    tables.push_back({{"table_id", t.table_id},
                      {"airtable_name", t.airtable_name},
                      {"table_name", t.table_name},
                      {"description", t.description},
                      {"primary_field_id", t.primary_field_id},
                      {"fields", std::move(fields)}});
  }
  return nlohmann::json{{"tables", std::move(tables)}}.dump();
}

}  // namespace airpg::mapping
