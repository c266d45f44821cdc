#include "pg/catalog_rows.h"

#include <gtest/gtest.h>

#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::pg {
namespace {

constexpr const char* kBase = "appCatalogRows001";

std::string Plan(const std::string& table_name, const std::string& column_name) {
  return R"({"tables":[{"table_id":"tblA","airtable_name":"A","table_name":")" + table_name +
         R"(","description":"","primary_field_id":"fldA","fields":[{"field_id":"fldA",)"
         R"("airtable_name":"Name","type":"singleLineText","options":null,"storage":"column",)"
         R"("column_name":")" +
         column_name +
         R"(","sql_type":"text","relation_table":null,"read_only":false},{"field_id":"fldS",)"
         R"("airtable_name":"Stage","type":"singleSelect","options":{"choices":[]},)"
         R"("storage":"choice","column_name":"stage","sql_type":"text",)"
         R"("relation_table":"a__stage_choices","read_only":false}]}]})";
}

class CatalogRowsTest : public testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(EnsureCatalog(conn()).ok());
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.bases (base_id, name, schema_name) VALUES ($1, 'B', "
                         "'live')",
                         {kBase})
                    .ok());
    ASSERT_TRUE(conn().Run("CREATE SCHEMA live").ok());
    ASSERT_TRUE(
        conn().Run("CREATE TABLE live.a (id bigint, name text, stage text, old text)").ok());
    ASSERT_TRUE(conn().Run("CREATE TABLE live.a__stage_choices (name text PRIMARY KEY)").ok());
  }

  Status Write(const std::string& json, bool upsert) {
    AIRPG_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn()));
    AIRPG_RETURN_IF_ERROR(upsert ? UpsertCatalogRows(tx, kBase, json)
                                 : WriteCatalogRows(tx, kBase, json));
    return tx.Commit();
  }
};

TEST_F(CatalogRowsTest, ReadsWhatWasWrittenWithTheLiveSchemasNames) {
  ASSERT_TRUE(Write(Plan("a", "name"), false).ok());
  auto rows = ReadCatalogRows(conn(), kBase);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->migrated);
  EXPECT_EQ(rows->schema_name, "live");
  ASSERT_EQ(rows->tables.size(), 1u);
  EXPECT_EQ(rows->tables[0].columns, (std::vector<std::string>{"id", "name", "stage", "old"}));
  ASSERT_EQ(rows->fields.size(), 2u);
  EXPECT_EQ(rows->fields[0].field_id, "fldA");
  EXPECT_EQ(rows->fields[0].options_json, "");
  EXPECT_EQ(rows->fields[1].relation_table, "a__stage_choices");
  EXPECT_EQ(rows->fields[1].options_json, "{\"choices\": []}");
  EXPECT_FALSE(rows->fields[1].removed);
  // The relations include the choices table's primary key index.
  EXPECT_EQ(rows->relations,
            (std::vector<std::string>{"a", "a__stage_choices", "a__stage_choices_pkey"}));
  auto none = ReadCatalogRows(conn(), "appUnknown0000001");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->migrated);
  EXPECT_TRUE(none->tables.empty());
}

TEST_F(CatalogRowsTest, UpsertChangesTheListedRowsAndBringsRemovedFieldsBack) {
  ASSERT_TRUE(Write(Plan("a", "name"), false).ok());
  ASSERT_TRUE(
      conn().Run("UPDATE airpg.fields SET removed_at = now() WHERE field_id = 'fldA'").ok());
  ASSERT_TRUE(Write(Plan("a_renamed", "full_name"), true).ok());
  auto rows = ReadCatalogRows(conn(), kBase);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->tables[0].table_name, "a_renamed");
  EXPECT_TRUE(rows->tables[0].columns.empty());  // no such table in the live schema
  ASSERT_EQ(rows->fields.size(), 2u);
  EXPECT_EQ(rows->fields[0].column_name, "full_name");
  EXPECT_FALSE(rows->fields[0].removed);
  // A whole write replaces every row of the base.
  ASSERT_TRUE(Write(R"({"tables":[]})", false).ok());
  rows = ReadCatalogRows(conn(), kBase);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->tables.empty());
  EXPECT_TRUE(rows->fields.empty());
}

}  // namespace
}  // namespace airpg::pg
