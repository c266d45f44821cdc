#include "airtable/schema.h"

#include <gtest/gtest.h>

#include "airtable/testing_fixtures.h"

namespace airpg::airtable {
namespace {

TEST(SchemaTest, ParsesEveryFieldTypeOfARealSchema) {
  auto schema = ParseBaseSchema(testing::Fixture("meta/base_schema_many_field_types_real.json"));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->tables.size(), 4u);
  int fields = 0;
  for (const Table& t : schema->tables) {
    EXPECT_FALSE(t.primary_field_id.empty()) << t.id;
    EXPECT_NE(t.FindField(t.primary_field_id), nullptr) << t.id;
    for (const Field& f : t.fields) {
      ++fields;
      EXPECT_FALSE(f.type_name.empty());
      // Every type in a real schema is known to this build, or kept by name.
      if (f.type == FieldType::kUnknown) ADD_FAILURE() << "unknown type " << f.type_name;
    }
  }
  EXPECT_EQ(fields, 34);
  const Table& first = schema->tables.front();
  EXPECT_EQ(schema->FindTable(first.id), &first);
  EXPECT_EQ(schema->FindTable(first.name), &first);
}

TEST(SchemaTest, KeepsOptionsAndViews) {
  auto schema = ParseBaseSchema(testing::Fixture("meta/base_schema_art_gallery_real.json"));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  bool saw_options = false, saw_visible = false;
  for (const Table& t : schema->tables) {
    for (const Field& f : t.fields) saw_options = saw_options || !f.options_json.empty();
    for (const View& v : t.views) saw_visible = saw_visible || !v.visible_field_ids.empty();
  }
  EXPECT_TRUE(saw_options);
  EXPECT_TRUE(saw_visible);
}

TEST(SchemaTest, UnknownTypesAreKeptByName) {
  auto schema = ParseBaseSchema(
      R"({"tables":[{"id":"tblA","name":"T","primaryFieldId":"fldA","fields":[
          {"id":"fldA","name":"N","type":"hologram","options":{"depth":3}}],"views":[]}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const Field& f = schema->tables[0].fields[0];
  EXPECT_EQ(f.type, FieldType::kUnknown);
  EXPECT_EQ(f.type_name, "hologram");
  EXPECT_EQ(f.options_json, R"({"depth":3})");
}

TEST(SchemaTest, MalformedSchemasAreDataLoss) {
  for (std::string_view body : {"", "{}", R"({"tables":[{"name":"x","fields":[]}]})",
                                R"({"tables":[{"id":"tblA","fields":[{"name":"n"}]}]})"}) {
    EXPECT_EQ(ParseBaseSchema(body).status().code(), StatusCode::kDataLoss) << body;
  }
}

TEST(SchemaTest, ParsesTheRealBaseList) {
  auto list = ParseBaseList(testing::Fixture("meta/list_bases_real.json"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_FALSE(list->bases.empty());
  EXPECT_EQ(list->bases[0].id.substr(0, 3), "app");
  EXPECT_FALSE(list->bases[0].name.empty());
  EXPECT_EQ(ParseBaseList("{\"tables\":[]}").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace airpg::airtable
