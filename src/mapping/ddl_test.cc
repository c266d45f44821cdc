#include "mapping/ddl.h"

#include <gtest/gtest.h>

#include "airtable/testing_fixtures.h"
#include "base/sql_identifier.h"
#include "mapping/live_view.h"
#include "mapping/naming.h"
#include "mapping/testing_cells.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::mapping {
namespace {

airtable::BaseSchema LoadSchema(const std::string& file) {
  auto schema = airtable::ParseBaseSchema(airtable::testing::Fixture(file));
  EXPECT_TRUE(schema.ok()) << file << ": " << schema.status().ToString();
  return schema.ok() ? *schema : airtable::BaseSchema{};
}

class DdlTest : public pg::testing::PgTest {
 protected:
  void Apply(const SchemaPlan& plan, const std::string& schema) {
    SchemaDdl ddl = BuildSchemaDdl(plan, schema);
    ASSERT_TRUE(conn().Run("CREATE SCHEMA " + QuoteIdentifier(schema)).ok());
    for (const auto& s : ddl.create) ASSERT_TRUE(conn().Run(s).ok()) << s;
    for (const auto& s : ddl.finish) {
      auto st = conn().Run(s);
      ASSERT_TRUE(st.ok()) << s << "\n" << st.ToString();
    }
    for (const auto& c : ddl.comments) {
      pg::Param column = c.column.empty() ? pg::Param() : pg::Param(c.column);
      ASSERT_TRUE(
          conn()
              .Run("SELECT airpg.comment_on($1, $2, $3, $4)", {schema, c.table, column, c.text})
              .ok());
    }
    for (const auto& s : ddl.audit) ASSERT_TRUE(conn().Run(s).ok()) << s;
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "<none>";
  }
};

TEST_F(DdlTest, EveryFixtureSchemaAppliesCleanlyAsStatementsAndAsAScript) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  int n = 0;
  for (const char* file :
       {"meta/base_schema_many_field_types_real.json", "meta/base_schema_art_gallery_real.json",
        "meta/pyairtable_base_schema.json"}) {
    auto plan = PlanSchema(LoadSchema(file), {});
    ASSERT_TRUE(plan.ok()) << file << ": " << plan.status().ToString();
    Apply(*plan, "s" + std::to_string(++n));
    std::string script = RenderDdlScript(BuildSchemaDdl(*plan, "script" + std::to_string(n)),
                                         "script" + std::to_string(n));
    auto st = conn().RunScript(script);
    EXPECT_TRUE(st.ok()) << file << ": " << st.ToString() << "\n" << script;
  }
  // Every mirrored table got its comment with the Airtable id.
  auto rows = conn().Exec(
      "SELECT count(*) FILTER (WHERE obj_description(c.oid) LIKE 'Airtable table %(tbl%'), "
      "count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 's1' AND c.relkind = 'r' AND c.relname NOT LIKE '%\\_\\_%'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), rows->Get(0, 1));
  EXPECT_NE(rows->Get(0, 1), "0");
}

airtable::Field Link(std::string id, std::string name, std::string to, std::string inverse,
                     bool single) {
  airtable::Field f;
  f.id = std::move(id);
  f.name = std::move(name);
  f.type_name = "multipleRecordLinks";
  f.type = airtable::FieldType::kMultipleRecordLinks;
  f.options_json = "{\"linkedTableId\":\"" + to +
                   "\",\"prefersSingleRecordLink\":" + (single ? "true" : "false") +
                   (inverse.empty() ? "" : ",\"inverseLinkFieldId\":\"" + inverse + "\"") + "}";
  return f;
}

airtable::Table MakeTable(std::string id, std::string name, std::vector<airtable::Field> fields) {
  airtable::Table t;
  t.id = std::move(id);
  t.name = std::move(name);
  airtable::Field primary =
      testing::MakeField("singleLineText", "", "fld" + t.id.substr(3) + "Name", "Name");
  t.primary_field_id = primary.id;
  t.fields.push_back(primary);
  for (auto& f : fields) t.fields.push_back(std::move(f));
  return t;
}

TEST_F(DdlTest, LinkPairsShareOneRelationAndSingleLinksBecomeForeignKeys) {
  airtable::BaseSchema base;
  base.tables.push_back(MakeTable("tblReg", "Registrations",
                                  {Link("fldRegClient", "Client", "tblCli", "fldCliRegs", true),
                                   Link("fldRegTags", "Related", "tblReg", "", false)}));
  base.tables.push_back(
      MakeTable("tblCli", "Clients",
                {Link("fldCliRegs", "Registrations", "tblReg", "fldRegClient", false),
                 Link("fldCliPartners", "Partners", "tblReg", "fldRegPartnerOf", false)}));
  base.tables[0].fields.push_back(
      Link("fldRegPartnerOf", "Partner of", "tblCli", "fldCliPartners", false));
  auto plan = PlanSchema(base, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto role = [&](const char* id) { return plan->FindField(id).second->link_role; };
  EXPECT_EQ(role("fldRegClient"), LinkRole::kForeignKey);
  EXPECT_EQ(role("fldCliRegs"), LinkRole::kForeignKeyInverse);
  EXPECT_EQ(role("fldRegTags"), LinkRole::kJunction);  // self-link without inverse
  // The smaller field id owns a many-to-many pair; the inverse reads the same junction.
  EXPECT_EQ(role("fldCliPartners"), LinkRole::kJunction);
  EXPECT_EQ(role("fldRegPartnerOf"), LinkRole::kJunctionInverse);
  EXPECT_EQ(plan->FindField("fldRegPartnerOf").second->relation_table, "clients__partners");
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  Apply(*plan, "crm");
  auto rows = conn().Exec(
      "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND condeferrable "
      "AND connamespace = 'crm'::regnamespace");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), "5");  // client FK, 2 junctions × 2
}

// Every foreign-key column leads an index (a lookup or a cascade from the
// referenced side never scans), and a junction has one per side.
TEST_F(DdlTest, EveryForeignKeyColumnLeadsAnIndexAndSingleLinksAreNamedWithId) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  airtable::BaseSchema base = LoadSchema("meta/base_schema_many_field_types_real.json");
  base.tables.push_back(
      MakeTable("tblReg", "Registrations",
                {Link("fldRegClient", "Client", "tblCli", "fldCliRegs", true),
                 testing::MakeField("singleLineText", "", "fldRegClientId", "Client ID"),
                 Link("fldRegRelated", "Related", "tblReg", "", false),
                 testing::MakeField("singleCollaborator", "{}", "fldRegOwner", "Owner"),
                 testing::MakeField("multipleCollaborators", "{}", "fldRegTeam", "Team")}));
  base.tables.push_back(MakeTable(
      "tblCli", "Clients", {Link("fldCliRegs", "Registrations", "tblReg", "fldRegClient", false)}));
  auto plan = PlanSchema(base, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // The FK takes `client_id` first (field order); the text field "Client ID" moves aside.
  EXPECT_EQ(plan->FindField("fldRegClient").second->column_name, "client_id");
  EXPECT_EQ(plan->FindField("fldRegClientId").second->column_name, "client_id_2");
  EXPECT_EQ(plan->FindField("fldRegRelated").second->column_name, "related");
  EXPECT_EQ(plan->FindField("fldRegOwner").second->column_name, "owner");
  Apply(*plan, "crm");
  auto unindexed = conn().Exec(
      "SELECT conrelid::regclass::text || ' ' || a.attname FROM pg_constraint c "
      "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
      "WHERE c.contype = 'f' AND c.connamespace = 'crm'::regnamespace AND NOT EXISTS ("
      "SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])");
  ASSERT_TRUE(unindexed.ok()) << unindexed.status().ToString();
  EXPECT_EQ(unindexed->size(), 0) << unindexed->Get(0, 0);
  auto foreign_keys = conn().Exec(
      "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
      "connamespace = 'crm'::regnamespace");
  ASSERT_TRUE(foreign_keys.ok());
  EXPECT_GE(std::stoi(std::string(foreign_keys->Get(0, 0))), 6);  // FK, 2 × 2 junctions, users
}

// A view of each table's live rows: `<table>_live`, moved aside when a
// table holds that name; tombstones are not in it, and neither is airpg's
// bookkeeping.
TEST_F(DdlTest, EachTableHasAViewOfItsLiveRowsNamedApartFromEveryTable) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  airtable::BaseSchema base;
  base.tables.push_back(MakeTable("tblCli", "Clients", {}));
  base.tables.push_back(MakeTable("tblCliLive", "Clients Live", {}));
  auto plan = PlanSchema(base, {});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->tables[1].table_name, "clients_live");
  EXPECT_EQ(plan->tables[0].live_view, "clients_live_2");
  EXPECT_EQ(plan->tables[1].live_view, "clients_live_live");
  Apply(*plan, "crm");
  ASSERT_TRUE(conn()
                  .Run("INSERT INTO crm.clients (airtable_id, name, deleted_at) VALUES "
                       "('recA', 'Ada', NULL), ('recB', 'Bo', now()), ('recC', 'Cy', NULL)")
                  .ok());
  EXPECT_EQ(Scalar("SELECT string_agg(name, ',' ORDER BY name) FROM crm.clients_live_2"), "Ada,Cy");
  EXPECT_EQ(Scalar("SELECT count(*) FROM crm.clients_live"), "0");  // the table, not a view
  EXPECT_EQ(Scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
                   "attrelid = 'crm.clients_live_2'::regclass"),
            "id,airtable_id,airtable_created_time,airtable_modified_time,name");
  // Simple enough for Postgres to write through.
  ASSERT_TRUE(
      conn().Run("UPDATE crm.clients_live_2 SET name = 'Ada L' WHERE airtable_id = 'recA'").ok());
  EXPECT_EQ(Scalar("SELECT name FROM crm.clients WHERE airtable_id = 'recA'"), "Ada L");
}

// A schema change keeps a live view that only changes names or gains
// columns (views built on it keep working), and rebuilds one whose columns
// would break.
TEST_F(DdlTest, ALiveViewIsAlteredInPlaceWhenItCanBeAndRebuiltWhenNot) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  airtable::BaseSchema base;
  base.tables.push_back(
      MakeTable("tblCli", "Clients",
                {testing::MakeField("number", "{\"precision\":0}", "fldCliFee", "Fee")}));
  auto before = PlanSchema(base, {});
  ASSERT_TRUE(before.ok());
  Apply(*before, "crm");
  ASSERT_TRUE(conn()
                  .Run("INSERT INTO crm.clients (airtable_id, name, fee) VALUES ('recA', 'Ada', 5)")
                  .ok());
  ASSERT_TRUE(conn().Run("CREATE VIEW crm.fees AS SELECT name, fee FROM crm.clients_live").ok());
  // Renamed table and field, a field added: kept, altered.
  base.tables[0].name = "Customers";
  base.tables[0].fields[1].name = "Charge";
  base.tables[0].fields.push_back(testing::MakeField("singleLineText", "", "fldCliCity", "City"));
  KnownNames known;
  known.tables["tblCli"] = "customers";
  known.columns["fldCliFee"] = "charge";
  known.columns["fldCliName"] = "name";
  auto after = PlanSchema(base, known);
  ASSERT_TRUE(after.ok());
  auto view_columns = [&](const std::string& view) {
    std::vector<std::string> out;
    auto rows = conn().Exec(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 "
        "ORDER BY attnum",
        {view});
    for (int i = 0; rows.ok() && i < rows->size(); ++i) out.emplace_back(rows->Get(i, 0));
    return out;
  };
  LiveViewUpkeep upkeep = PlanLiveViewUpkeep(&before->tables[0], &after->tables[0], "crm",
                                             view_columns("crm.clients_live"));
  EXPECT_TRUE(upkeep.before.empty());
  ASSERT_TRUE(conn().Run("ALTER TABLE crm.clients RENAME TO customers").ok());
  ASSERT_TRUE(conn().Run("ALTER TABLE crm.customers RENAME COLUMN fee TO charge").ok());
  ASSERT_TRUE(conn().Run("ALTER TABLE crm.customers ADD COLUMN city text").ok());
  for (const auto& s : upkeep.after) ASSERT_TRUE(conn().Run(s).ok()) << s;
  EXPECT_EQ(Scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
                   "attrelid = 'crm.customers_live'::regclass"),
            "id,airtable_id,airtable_created_time,airtable_modified_time,name,charge,city");
  EXPECT_EQ(Scalar("SELECT fee FROM crm.fees"), "5");  // the view built on it still works
  // A retype: the view goes before the change and comes back after it.
  auto retyped_schema = base;
  retyped_schema.tables[0].fields[1] =
      testing::MakeField("singleLineText", "", "fldCliFee", "Charge");
  auto retyped = PlanSchema(retyped_schema, known);
  ASSERT_TRUE(retyped.ok());
  upkeep = PlanLiveViewUpkeep(&after->tables[0], &retyped->tables[0], "crm",
                              view_columns("crm.customers_live"));
  EXPECT_EQ(upkeep.before,
            std::vector<std::string>{"DROP VIEW IF EXISTS \"crm\".\"customers_live\""});
  ASSERT_EQ(upkeep.after.size(), 1u);
  EXPECT_EQ(upkeep.after[0].rfind("CREATE VIEW", 0), 0u);
}

TEST_F(DdlTest, EveryBookkeepingColumnHasAComment) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  auto plan = PlanSchema(LoadSchema("meta/base_schema_art_gallery_real.json"), {});
  ASSERT_TRUE(plan.ok());
  Apply(*plan, "art");
  std::string names;
  for (const auto& c : BookkeepingColumns()) names += (names.empty() ? "'" : ",'") + c + "'";
  auto missing = conn().Exec(
      "SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = "
      "a.attrelid WHERE c.relnamespace = 'art'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 "
      "AND col_description(c.oid, a.attnum) IS NULL AND (a.attname IN (" +
      names + ") OR a.attname IN ('from_id', 'to_id', 'inverse_position'))");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->size(), 0) << missing->Get(0, 0);
}

TEST_F(DdlTest, KnownNamesAreKeptAcrossRenames) {
  airtable::BaseSchema base;
  base.tables.push_back(MakeTable("tblA", "Leads (renamed)", {}));
  KnownNames known;
  known.tables["tblA"] = "leads";
  known.columns["fldAName"] = "full_name";
  auto plan = PlanSchema(base, known);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->tables[0].table_name, "leads");
  EXPECT_EQ(plan->tables[0].fields[0].column_name, "full_name");
}

TEST_F(DdlTest, LinksToTablesLeftOutKeepTheirIdsWithAWarning) {
  airtable::BaseSchema base;
  base.tables.push_back(MakeTable("tblA", "A", {Link("fldAB", "B", "tblB", "fldBA", false)}));
  base.tables.push_back(MakeTable("tblB", "B", {Link("fldBA", "A", "tblA", "fldAB", false)}));
  auto plan = PlanSchema(base, {}, {"A"});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->tables.size(), 1u);
  EXPECT_EQ(plan->tables[0].fields[1].link_role, LinkRole::kUnlinkedIds);
  EXPECT_EQ(plan->tables[0].fields[1].column.sql_type, "text[]");
  EXPECT_EQ(plan->warnings.size(), 1u);
  EXPECT_EQ(PlanSchema(base, {}, {"Nope"}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace airpg::mapping
