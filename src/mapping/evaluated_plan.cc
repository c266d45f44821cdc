#include "mapping/evaluated_plan.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "formula/evaluator.h"
#include "formula/json_value.h"
#include "formula/parser.h"
#include "formula/time_zone.h"
#include "mapping/formula_row.h"

namespace airpg::mapping {
namespace {

void FieldReferences(const formula::Node& node, std::vector<std::string>& out) {
  if (node.kind == formula::NodeKind::kField) out.push_back(node.text);
  for (const formula::NodePtr& arg : node.args) FieldReferences(*arg, out);
}

const FieldPlan* FindByNameOrId(const TablePlan& t, std::string_view name_or_id) {
  // Names first, as formulas resolve them (formula::Schema::Find).
  for (const FieldPlan& f : t.fields) {
    if (f.field.name == name_or_id) return &f;
  }
  return t.FindField(name_or_id);
}

bool IsFormulaInvalid(const FieldPlan& f) {
  nlohmann::json options = nlohmann::json::parse(f.field.options_json, nullptr, false);
  return options.is_object() && options.contains("isValid") && options["isValid"] == false;
}

struct Candidate {
  const FieldPlan* field = nullptr;
  std::shared_ptr<const formula::Node> root;
  std::string reason;
  std::vector<const FieldPlan*> reads;
};

// One table's candidates → the evaluable ones, in dependency order. A
// candidate qualifies once every field it reads is carried by the row and
// either computed in SQL (or plain) or a candidate that qualified before.
std::vector<EvaluatedFormula> Order(std::vector<Candidate> candidates,
                                    const std::set<std::string>& not_in_sql) {
  std::vector<EvaluatedFormula> out;
  std::set<std::string> done;
  for (bool progress = true; progress;) {
    progress = false;
    for (const Candidate& c : candidates) {
      if (done.count(c.field->field.id)) continue;
      bool ready = true;
      for (const FieldPlan* r : c.reads) {
        if (!RowCarriesField(*r) || (not_in_sql.count(r->field.id) && !done.count(r->field.id))) {
          ready = false;
        }
      }
      if (!ready) continue;
      out.push_back({c.field, c.root, c.reason});
      done.insert(c.field->field.id);
      progress = true;
    }
  }
  return out;
}

// The value as a later formula of the row reads it: through its cell, as
// the emulator feeds a computed cell back (an empty text is blank, …).
formula::Value AsCell(const FieldPlan& field, const formula::Value& value) {
  formula::FieldInfo info = FormulaFieldInfo(field);
  std::string cell = formula::CellJsonFromValue(value, info.result_type);
  if (cell == "null") return formula::Value::Blank();
  Result<formula::JsonValue> parsed = formula::ParseJson(cell);
  if (!parsed.ok()) return formula::Value::Error();
  Result<formula::Value> back = formula::CellValue(info, *parsed);
  return back.ok() ? *back : formula::Value::Error();
}

}  // namespace

Result<std::vector<EvaluatedValue>> EvaluateRow(const EvaluatedTable& table,
                                                std::string_view row_json, int64_t now_millis) {
  AIRPG_ASSIGN_OR_RETURN(formula::Record record, FormulaRecordFromRow(*table.table, row_json));
  formula::Schema schema = FormulaSchema(*table.table);
  formula::EvalOptions options;
  options.now_millis = now_millis;
  options.zones = formula::SystemTimeZones();
  std::vector<EvaluatedValue> out;
  for (const EvaluatedFormula& f : table.formulas) {
    Result<formula::Value> value = formula::Evaluate(*f.root, schema, record, options);
    // Only what the type checker rejects fails outright; Airtable shows it as #ERROR!.
    formula::Value result = value.ok() ? *value : formula::Value::Error();
    record.cells[f.field->field.id] = AsCell(*f.field, result);
    Result<PgValue> column = ColumnValueFromResult(*f.field, result);
    if (column.ok()) {
      out.push_back({f, std::move(*column), ""});
    } else {
      out.push_back({f, PgValue::Null(), std::string(column.status().message())});
    }
  }
  return out;
}

const EvaluatedTable* EvaluatedPlan::Find(std::string_view table_id) const {
  for (const EvaluatedTable& t : tables) {
    if (t.table->table_id == table_id) return &t;
  }
  return nullptr;
}

EvaluatedPlan PlanEvaluated(const SchemaPlan& plan, const ComputedPlan& computed) {
  std::map<std::string, std::vector<const NotComputedField*>> by_table;
  std::set<std::string> not_in_sql;
  for (const NotComputedField& f : computed.not_computed) {
    by_table[f.table_id].push_back(&f);
    not_in_sql.insert(f.field_id);
  }
  EvaluatedPlan out;
  for (const TablePlan& t : plan.tables) {
    auto it = by_table.find(t.table_id);
    if (it == by_table.end()) continue;
    std::vector<Candidate> candidates;
    for (const NotComputedField* n : it->second) {
      const FieldPlan* f = t.FindField(n->field_id);
      if (f == nullptr || f->field.type != airtable::FieldType::kFormula || !RowCarriesField(*f) ||
          f->column.sql_type == "jsonb" || IsFormulaInvalid(*f)) {
        continue;
      }
      nlohmann::json options = nlohmann::json::parse(f->field.options_json, nullptr, false);
      if (!options.is_object() || !options.contains("formula") || !options["formula"].is_string()) {
        continue;
      }
      Result<formula::NodePtr> root = formula::Parse(options["formula"].get<std::string>());
      if (!root.ok()) continue;
      Candidate c{f, std::shared_ptr<const formula::Node>(std::move(*root)), n->reason, {}};
      std::vector<std::string> names;
      FieldReferences(*c.root, names);
      bool known = true;
      for (const std::string& name : names) {
        const FieldPlan* r = FindByNameOrId(t, name);
        if (r == nullptr) known = false;
        if (r != nullptr) c.reads.push_back(r);
      }
      if (known) candidates.push_back(std::move(c));
    }
    std::vector<EvaluatedFormula> formulas = Order(std::move(candidates), not_in_sql);
    if (!formulas.empty()) out.tables.push_back({&t, std::move(formulas)});
  }
  return out;
}

bool IsEvaluated(const EvaluatedPlan& evaluated, std::string_view field_id) {
  for (const EvaluatedTable& t : evaluated.tables) {
    for (const EvaluatedFormula& f : t.formulas) {
      if (f.field->field.id == field_id) return true;
    }
  }
  return false;
}

std::vector<std::string> NotComputedInSqlLines(const ComputedPlan& computed,
                                               const EvaluatedPlan& evaluated) {
  std::vector<std::string> out;
  for (const NotComputedField& f : computed.not_computed) {
    out.push_back(fmt::format("{}.{} ({}, {}): {}: {}", f.table_name, f.field_name, f.field_id,
                              f.type_name,
                              IsEvaluated(evaluated, f.field_id) ? "computed by airpg on write"
                                                                 : "stays Airtable-computed",
                              f.reason));
  }
  return out;
}

}  // namespace airpg::mapping
