// The row ↔ formula values binding (formula_row.h) and which formulas the
// evaluator takes (evaluated_plan.h). Rows are written as to_jsonb gives
// them; the values the evaluator writes back are checked against the
// emulator in tests/integration/computed_eval_test.cc.
#include "mapping/formula_row.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "airtable/schema.h"
#include "formula/evaluator.h"
#include "mapping/evaluated_plan.h"

namespace airpg::mapping {
namespace {

constexpr char kSchema[] = R"json({"tables": [
  {"id": "tblA0000000000001", "name": "A", "primaryFieldId": "fldName0000000001", "fields": [
    {"id": "fldName0000000001", "name": "Name", "type": "singleLineText"},
    {"id": "fldNum00000000001", "name": "Num", "type": "number", "options": {"precision": 0}},
    {"id": "fldDone0000000001", "name": "Done", "type": "checkbox"},
    {"id": "fldDay00000000001", "name": "Day", "type": "date"},
    {"id": "fldWhen0000000001", "name": "When", "type": "dateTime",
     "options": {"timeZone": "Europe/Paris"}},
    {"id": "fldTook0000000001", "name": "Took", "type": "duration"},
    {"id": "fldTags0000000001", "name": "Tags", "type": "multipleSelects",
     "options": {"choices": [{"name": "x"}, {"name": "y"}]}},
    {"id": "fldLinks000000001", "name": "Bs", "type": "multipleRecordLinks",
     "options": {"linkedTableId": "tblB0000000000001", "inverseLinkFieldId": "fldBack000000001",
                 "prefersSingleRecordLink": false}},
    {"id": "fldNames000000001", "name": "B names", "type": "multipleLookupValues",
     "options": {"isValid": true, "recordLinkFieldId": "fldLinks000000001",
                 "fieldIdInLinkedTable": "fldBName000000001",
                 "result": {"type": "singleLineText"}}},
    {"id": "fldHalf0000000001", "name": "Half", "type": "formula",
     "options": {"formula": "1 / {fldNum00000000001}", "isValid": true,
                 "result": {"type": "number"}}},
    {"id": "fldOnHalf00000001", "name": "On half", "type": "formula",
     "options": {"formula": "{Half} + 1", "isValid": true, "result": {"type": "number"}}},
    {"id": "fldSlug0000000001", "name": "Slug", "type": "formula",
     "options": {"formula": "REGEX_REPLACE(ARRAYJOIN({B names}, \"-\"), \"[aeiou]\", \"\")",
                 "isValid": true, "result": {"type": "singleLineText"}}},
    {"id": "fldStars000000001", "name": "Stars", "type": "formula",
     "options": {"formula": "REPT(\"*\", {Rem})", "isValid": true,
                 "result": {"type": "singleLineText"}}},
    {"id": "fldRem00000000001", "name": "Rem", "type": "formula",
     "options": {"formula": "MOD(10, {Num})", "isValid": true, "result": {"type": "number"}}},
    {"id": "fldCode0000000001", "name": "Code", "type": "formula",
     "options": {"formula": "REGEX_EXTRACT({Name}, \"[0-9]+\")", "isValid": true,
                 "result": {"type": "singleLineText"}}},
    {"id": "fldParsed00000001", "name": "Parsed", "type": "formula",
     "options": {"formula": "VALUE({Code})", "isValid": true, "result": {"type": "number"}}},
    {"id": "fldOnLink00000001", "name": "On link", "type": "formula",
     "options": {"formula": "REGEX_REPLACE({Bs}, \"a\", \"\")", "isValid": true,
                 "result": {"type": "singleLineText"}}}
  ]},
  {"id": "tblB0000000000001", "name": "B", "primaryFieldId": "fldBName000000001", "fields": [
    {"id": "fldBName000000001", "name": "Name", "type": "singleLineText"},
    {"id": "fldBack000000001", "name": "As", "type": "multipleRecordLinks",
     "options": {"linkedTableId": "tblA0000000000001", "inverseLinkFieldId": "fldLinks000000001",
                 "prefersSingleRecordLink": false}}
  ]}
]})json";

SchemaPlan Plan() {
  Result<airtable::BaseSchema> schema = airtable::ParseBaseSchema(kSchema);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  Result<SchemaPlan> plan = PlanSchema(*schema, {});
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

std::string Column(const TablePlan& t, const std::string& field_id) {
  return t.FindField(field_id)->column_name;
}

TEST(FormulaRowTest, ARowBindsAsAirtablesCells) {
  SchemaPlan plan = Plan();
  const TablePlan& a = plan.tables[0];
  nlohmann::json row = {{"id", 7},
                        {"airtable_id", "recA000000000001"},
                        {"airtable_created_time", "2024-01-02T03:04:05.123456+00:00"},
                        {"airtable_modified_time", nullptr},
                        {Column(a, "fldName0000000001"), "pear"},
                        {Column(a, "fldNum00000000001"), 2.5},
                        {Column(a, "fldDone0000000001"), false},
                        {Column(a, "fldDay00000000001"), "2024-03-01"},
                        {Column(a, "fldWhen0000000001"), "2024-03-01T10:00:00+01:00"},
                        {Column(a, "fldTook0000000001"), 90},  // FormulaRowSql gives seconds
                        {Column(a, "fldTags0000000001"), {"x", "y"}},
                        {Column(a, "fldNames000000001"), {"ab", nullptr, "cd"}},
                        {Column(a, "fldHalf0000000001"), nullptr},
                        {"airpg_cell_errors", {{"fldHalf0000000001", {{"error", "#ERROR!"}}}}}};
  Result<formula::Record> r = FormulaRecordFromRow(a, row.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->record_id, "recA000000000001");
  EXPECT_EQ(formula::FormatIsoUtc(r->created_millis), "2024-01-02T03:04:05.123Z");
  EXPECT_FALSE(r->modified_millis.has_value());
  auto cell = [&](const std::string& id) {
    auto it = r->cells.find(id);
    return it == r->cells.end() ? std::string("absent") : formula::DebugString(it->second);
  };
  EXPECT_EQ(cell("fldName0000000001"), "\"pear\"");
  EXPECT_EQ(cell("fldNum00000000001"), "2.5");
  EXPECT_EQ(cell("fldDone0000000001"), "FALSE");
  EXPECT_EQ(cell("fldDay00000000001"), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(cell("fldWhen0000000001"), "2024-03-01T09:00:00.000Z");  // an instant, in UTC
  EXPECT_EQ(cell("fldTook0000000001"), "90");
  EXPECT_EQ(cell("fldTags0000000001"), "[\"x\", \"y\"]");
  EXPECT_EQ(cell("fldNames000000001"), "[\"ab\", BLANK, \"cd\"]");
  EXPECT_EQ(cell("fldHalf0000000001"), "#ERROR!");  // the recorded error, not a blank
  EXPECT_EQ(cell("fldLinks000000001"), "absent");   // a relation: not in the row
  EXPECT_EQ(cell("fldOnHalf00000001"), "absent");   // an empty cell

  // Evaluated over the binding, as the evaluator on writes does.
  formula::Schema schema = FormulaSchema(a);
  auto slug = formula::EvaluateFormula(
      "REGEX_REPLACE(ARRAYJOIN({B names}, \"-\"), \"[aeiou]\", \"\")", schema, *r, {});
  ASSERT_TRUE(slug.ok()) << slug.status().ToString();
  EXPECT_EQ(formula::DebugString(*slug), "\"b-cd\"");  // ARRAYJOIN skips the blank
}

TEST(FormulaRowTest, ResultsBecomeColumnValues) {
  SchemaPlan plan = Plan();
  const TablePlan& a = plan.tables[0];
  const FieldPlan& half = *a.FindField("fldHalf0000000001");
  const FieldPlan& slug = *a.FindField("fldSlug0000000001");
  auto number = ColumnValueFromResult(half, formula::Value::Number(0.5));
  ASSERT_TRUE(number.ok()) << number.status().ToString();
  EXPECT_EQ(number->text, "0.5");
  auto error = ColumnValueFromResult(half, formula::Value::Error());
  ASSERT_TRUE(error.ok());
  EXPECT_TRUE(error->is_null);
  EXPECT_EQ(error->cell_error.value_or(""), R"({"error":"#ERROR!"})");
  auto infinity = ColumnValueFromResult(half, formula::Value::Number(1.0 / 0.0));
  ASSERT_TRUE(infinity.ok());
  EXPECT_TRUE(infinity->is_null);
  EXPECT_TRUE(infinity->cell_error.has_value());
  auto text = ColumnValueFromResult(slug, formula::Value::Text("b-cd"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->text, "b-cd");
  auto blank = ColumnValueFromResult(slug, formula::Value::Text(""));
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(blank->is_null);
  EXPECT_FALSE(blank->cell_error.has_value());
}

TEST(FormulaRowTest, DurationsAreReadAsSeconds) {
  SchemaPlan plan = Plan();
  std::string sql = FormulaRowSql(plan.tables[0], "v");
  EXPECT_NE(
      sql.find("extract(epoch from \"v\".\"" + Column(plan.tables[0], "fldTook0000000001") + "\")"),
      std::string::npos)
      << sql;
  EXPECT_EQ(FormulaRowSql(plan.tables[1], "v"), "to_jsonb(\"v\")");
}

TEST(EvaluatedPlanTest, TakesTheFormulasSqlRefusesInDependencyOrder) {
  SchemaPlan plan = Plan();
  ComputedPlan computed = PlanComputed(plan, "s");
  EvaluatedPlan evaluated = PlanEvaluated(plan, computed);
  ASSERT_EQ(evaluated.tables.size(), 1u);
  std::vector<std::string> ids;
  for (const EvaluatedFormula& f : evaluated.tables[0].formulas) ids.push_back(f.field->field.id);
  // Half (a division) is computed in SQL, so not here; Stars comes after
  // Rem and Parsed after Code, which they read; a link read from the row is
  // not carried.
  EXPECT_EQ(ids, (std::vector<std::string>{"fldOnHalf00000001", "fldSlug0000000001",
                                           "fldRem00000000001", "fldCode0000000001",
                                           "fldParsed00000001", "fldStars000000001"}));
  std::vector<std::string> lines = NotComputedInSqlLines(computed, evaluated);
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  for (const char* expected : {
           "a.On half (fldOnHalf00000001, formula): computed by airpg on write: cannot translate "
           "to SQL exactly: field {Half}, whose cells may be error values",
           "a.Slug (fldSlug0000000001, formula): computed by airpg on write: cannot translate to "
           "SQL exactly: REGEX_REPLACE with a pattern that is not a literal",
           "a.Rem (fldRem00000000001, formula): computed by airpg on write: ",
           "a.Stars (fldStars000000001, formula): computed by airpg on write: ",
           "a.Code (fldCode0000000001, formula): computed by airpg on write: ",
           "a.Parsed (fldParsed00000001, formula): computed by airpg on write: ",
           "a.On link (fldOnLink00000001, formula): stays Airtable-computed",
       }) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << " in\n" << all;
  }
  EXPECT_EQ(all.find("a.Half "), std::string::npos) << all;  // computed in SQL
}

// The plan applied to a row as S.<table>_computed gives it (Half, a
// division, computed there, its error in airpg_cell_errors): each result
// feeds the formulas after it, an error value included, and becomes its
// column's value.
TEST(EvaluatedPlanTest, EvaluatesARowInOrder) {
  SchemaPlan plan = Plan();
  const TablePlan& a = plan.tables[0];
  EvaluatedPlan evaluated = PlanEvaluated(plan, PlanComputed(plan, "s"));
  ASSERT_EQ(evaluated.tables.size(), 1u);
  auto values_of = [&](const std::string& name, double num) {
    nlohmann::json row = {{"airtable_id", "recA000000000001"},
                          {Column(a, "fldName0000000001"), name},
                          {Column(a, "fldNum00000000001"), num},
                          {Column(a, "fldNames000000001"), {"ab", "cd"}}};
    if (num != 0) {
      row[Column(a, "fldHalf0000000001")] = 1 / num;
    } else {
      row[Column(a, "fldHalf0000000001")] = nullptr;
      row["airpg_cell_errors"] = {{"fldHalf0000000001", {{"error", "#ERROR!"}}}};
    }
    auto values = EvaluateRow(evaluated.tables[0], row.dump(), 1709683200000);
    EXPECT_TRUE(values.ok()) << values.status().ToString();
    std::map<std::string, std::string> out;
    for (const EvaluatedValue& v : *values) {
      out[v.formula.field->field.name] = v.value.cell_error.value_or(v.value.text);
    }
    return out;
  };
  std::map<std::string, std::string> four = values_of("pear42", 4);
  EXPECT_EQ(four["On half"], "1.25");  // Half read from the row
  EXPECT_EQ(four["Slug"], "b-cd");
  EXPECT_EQ(four["Rem"], "2");
  EXPECT_EQ(four["Stars"], "**");  // Rem's result, evaluated before it
  EXPECT_EQ(four["Code"], "42");
  EXPECT_EQ(four["Parsed"], "42");
  std::map<std::string, std::string> zero = values_of("pear", 0);
  constexpr char kError[] = R"({"error":"#ERROR!"})";
  EXPECT_EQ(zero["On half"], kError);  // it reads Half's recorded error
  EXPECT_EQ(zero["Code"], kError);     // REGEX_EXTRACT without a match
  EXPECT_EQ(zero["Parsed"], kError);   // it reads Code's error
  // MOD by 0 is NaN, as JavaScript's %: a special value, not #ERROR!.
  EXPECT_EQ(zero["Rem"], R"({"specialValue":"NaN"})");
  EXPECT_EQ(zero["Stars"], kError);  // REPT with a NaN count
}

}  // namespace
}  // namespace airpg::mapping
