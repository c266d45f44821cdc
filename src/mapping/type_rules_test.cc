#include "mapping/type_rules.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "airtable/testing_fixtures.h"
#include "mapping/testing_cells.h"

namespace airpg::mapping {
namespace {

using airtable::Field;
using airtable::FieldType;

Field Make(std::string type, std::string options = "") {
  return testing::MakeField(std::move(type), std::move(options));
}

ColumnPlan Plan(std::string type, std::string options = "") {
  Result<ColumnPlan> plan = PlanField(Make(std::move(type), std::move(options)));
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : ColumnPlan{};
}

TEST(TypeRulesTest, EveryKnownTypeHasARule) {
  const char* types[] = {"singleLineText",
                         "email",
                         "url",
                         "multilineText",
                         "number",
                         "percent",
                         "currency",
                         "singleSelect",
                         "multipleSelects",
                         "singleCollaborator",
                         "multipleCollaborators",
                         "multipleRecordLinks",
                         "date",
                         "dateTime",
                         "phoneNumber",
                         "multipleAttachments",
                         "checkbox",
                         "formula",
                         "createdTime",
                         "rollup",
                         "count",
                         "lookup",
                         "multipleLookupValues",
                         "autoNumber",
                         "barcode",
                         "rating",
                         "richText",
                         "duration",
                         "lastModifiedTime",
                         "button",
                         "createdBy",
                         "lastModifiedBy",
                         "externalSyncSource",
                         "aiText",
                         "manualSort"};
  for (const char* type : types) {
    FieldType t = airtable::ParseFieldType(type);
    ASSERT_NE(t, FieldType::kUnknown) << type;
    bool found = false;
    for (const TypeRule& rule : TypeRules()) found = found || rule.type == t;
    EXPECT_TRUE(found) << type;
  }
}

TEST(TypeRulesTest, ScalarsAndTheirConstraints) {
  EXPECT_EQ(Plan("singleLineText").sql_type, "text");
  EXPECT_EQ(Plan("email").check, "{col} <> ''");
  // Precision is display only: every number column is unconstrained numeric.
  EXPECT_EQ(Plan("number", R"({"precision":2})").sql_type, "numeric");
  EXPECT_EQ(Plan("number", R"({"precision":0})").sql_type, "numeric");
  EXPECT_EQ(Plan("currency", R"({"precision":2,"symbol":"$"})").sql_type, "numeric");
  EXPECT_EQ(Plan("percent", R"({"precision":1})").sql_type, "numeric");
  EXPECT_EQ(Plan("number", R"({"precision":1})").cell, &NumberConverter());
  EXPECT_EQ(Plan("duration", R"({"durationFormat":"h:mm"})").sql_type, "interval");
  ColumnPlan rating = Plan("rating", R"({"icon":"star","max":10,"color":"yellowBright"})");
  EXPECT_EQ(rating.sql_type, "smallint");
  EXPECT_EQ(rating.check, "{col} BETWEEN 1 AND 10");
  ColumnPlan checkbox = Plan("checkbox", R"({"icon":"check","color":"greenBright"})");
  EXPECT_EQ(checkbox.sql_type, "boolean");
  EXPECT_TRUE(checkbox.not_null);
  EXPECT_EQ(checkbox.default_sql, "false");
  EXPECT_EQ(Plan("date").sql_type, "date");
  EXPECT_EQ(Plan("dateTime", R"({"timeZone":"America/New_York"})").sql_type, "timestamptz");
}

TEST(TypeRulesTest, RelationsAreRelations) {
  EXPECT_EQ(
      Plan("multipleRecordLinks", R"({"linkedTableId":"tblA","prefersSingleRecordLink":true})")
          .storage,
      Storage::kForeignKey);
  EXPECT_EQ(Plan("multipleRecordLinks", R"({"linkedTableId":"tblA","isReversed":false})").storage,
            Storage::kJunction);
  EXPECT_EQ(Plan("singleSelect").storage, Storage::kChoice);
  ColumnPlan multi = Plan("multipleSelects");
  EXPECT_EQ(multi.storage, Storage::kChoiceArray);
  EXPECT_TRUE(multi.gin_index);
  EXPECT_EQ(Plan("singleCollaborator").storage, Storage::kUser);
  EXPECT_EQ(Plan("multipleCollaborators").storage, Storage::kUserJunction);
  EXPECT_EQ(Plan("multipleAttachments").storage, Storage::kAttachments);
}

TEST(TypeRulesTest, ComputedFieldsFollowTheirResultAndAreReadOnly) {
  ColumnPlan formula = Plan(
      "formula",
      R"({"formula":"1+1","isValid":true,"result":{"type":"number","options":{"precision":0}}})");
  EXPECT_EQ(formula.sql_type, "numeric");
  EXPECT_TRUE(formula.read_only);
  ColumnPlan text_lookup =
      Plan("multipleLookupValues", R"({"isValid":true,"result":{"type":"singleLineText"}})");
  EXPECT_EQ(text_lookup.sql_type, "text[]");
  EXPECT_TRUE(text_lookup.read_only);
  ColumnPlan link_lookup =
      Plan("multipleLookupValues", R"({"isValid":true,"result":{"type":"multipleRecordLinks"}})");
  EXPECT_EQ(link_lookup.sql_type, "jsonb");
  ColumnPlan select_rollup = Plan("rollup", R"({"isValid":true,"result":{"type":"singleSelect"}})");
  EXPECT_EQ(select_rollup.sql_type, "text");
  EXPECT_EQ(select_rollup.storage, Storage::kColumn);  // no FK for a computed copy
  EXPECT_EQ(Plan("createdTime", R"({"result":{"type":"date"}})").sql_type, "date");
  EXPECT_EQ(Plan("lastModifiedTime", R"({"result":{"type":"dateTime"}})").sql_type, "timestamptz");
  // A lookup of collaborators holds user objects; a lookup of a number keeps
  // every digit whatever its own result options show.
  EXPECT_EQ(
      Plan("multipleLookupValues", R"({"isValid":true,"result":{"type":"singleCollaborator"}})")
          .sql_type,
      "jsonb");
  ColumnPlan number_lookup =
      Plan("multipleLookupValues",
           R"({"isValid":true,"result":{"type":"number","options":{"precision":0}}})");
  EXPECT_EQ(number_lookup.sql_type, "numeric[]");
  EXPECT_TRUE(number_lookup.cell_array);
  EXPECT_EQ(Plan("createdTime", R"({"result":{"type":"date","options":{"timeZone":"Asia/Tokyo"}}})")
                .time_zone,
            "Asia/Tokyo");
  EXPECT_TRUE(Plan("count").read_only);
  EXPECT_TRUE(Plan("autoNumber").read_only);
  EXPECT_TRUE(Plan("button").read_only);
}

TEST(TypeRulesTest, UnknownTypesAndBrokenFormulasBecomeJsonbWithAWarning) {
  ColumnPlan unknown = Plan("hologram", R"({"depth":3})");
  EXPECT_EQ(unknown.sql_type, "jsonb");
  EXPECT_NE(unknown.warning.find("hologram"), std::string::npos);
  ColumnPlan broken = Plan("formula", R"({"formula":"{fldX}","isValid":false,"result":null})");
  EXPECT_EQ(broken.sql_type, "jsonb");
  EXPECT_TRUE(broken.read_only);
  EXPECT_FALSE(broken.warning.empty());
  EXPECT_EQ(PlanField(Make("number", "[1,2]")).status().code(), StatusCode::kInvalidArgument);
}

TEST(TypeRulesTest, EveryFieldOfTheRealSchemasHasAPlan) {
  for (const char* file :
       {"meta/base_schema_many_field_types_real.json", "meta/base_schema_art_gallery_real.json"}) {
    auto schema = airtable::ParseBaseSchema(airtable::testing::Fixture(file));
    ASSERT_TRUE(schema.ok()) << file << ": " << schema.status().ToString();
    for (const airtable::Table& t : schema->tables) {
      for (const Field& f : t.fields) {
        Result<ColumnPlan> plan = PlanField(f);
        ASSERT_TRUE(plan.ok()) << f.name << ": " << plan.status().ToString();
        EXPECT_TRUE(plan->warning.empty()) << f.type_name << " " << f.name << ": " << plan->warning;
      }
    }
  }
}

TEST(TypeRulesTest, DocsShowTheRuleTable) {
  std::ifstream in(std::string(AIRPG_DOCS_DIR) + "/type-mapping.md");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string table = TypeMappingMarkdown();
  EXPECT_NE(ss.str().find(table), std::string::npos)
      << "docs/type-mapping.md is out of date; its rule table must read:\n"
      << table;
}

}  // namespace
}  // namespace airpg::mapping
