// Schema changes applied to a real Postgres: the live schema is made from a
// plan exactly as a migration makes it (mapping DDL, catalog rows), then an
// edited Airtable schema is applied and the columns, catalog rows,
// schema_versions rows and comments are checked.
#include "sync/schema_sync.h"

#include <gtest/gtest.h>

#include "mapping/ddl.h"
#include "mapping/plan_json.h"
#include "pg/catalog.h"
#include "pg/catalog_rows.h"
#include "pg/testing/pg_test.h"
#include "pg/transaction.h"
#include "sync/live_schema.h"

namespace airpg::sync {
namespace {

constexpr const char* kBase = "appSchemaSync0001";

airtable::Field MakeField(std::string type, std::string options, std::string id, std::string name) {
  airtable::Field f;
  f.id = std::move(id);
  f.name = std::move(name);
  f.type = airtable::ParseFieldType(type);
  f.type_name = std::move(type);
  f.options_json = std::move(options);
  return f;
}

airtable::Field Link(std::string id, std::string name, std::string to, std::string inverse) {
  return MakeField("multipleRecordLinks",
                   "{\"linkedTableId\":\"" + to + "\",\"inverseLinkFieldId\":\"" + inverse + "\"}",
                   std::move(id), std::move(name));
}

// Tasks (Name, Notes, Estimate, Done) and People (Name).
airtable::BaseSchema Tasks() {
  airtable::BaseSchema base;
  airtable::Table tasks;
  tasks.id = "tblTasks";
  tasks.name = "Tasks";
  tasks.primary_field_id = "fldName";
  tasks.fields = {MakeField("singleLineText", "", "fldName", "Name"),
                  MakeField("multilineText", "", "fldNotes", "Notes"),
                  MakeField("number", "{\"precision\":1}", "fldEstimate", "Estimate"),
                  MakeField("checkbox", "{\"icon\":\"check\"}", "fldDone", "Done")};
  airtable::Table people;
  people.id = "tblPeople";
  people.name = "People";
  people.primary_field_id = "fldPName";
  people.fields = {MakeField("singleLineText", "", "fldPName", "Name")};
  base.tables = {tasks, people};
  return base;
}

class SchemaSyncTest : public pg::testing::PgTest {
 protected:
  // What `airpg migrate` leaves: the live schema, its catalog rows, two tasks.
  void Migrate(const airtable::BaseSchema& schema) {
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    auto plan = mapping::PlanSchema(schema, {});
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    mapping::SchemaDdl ddl = mapping::BuildSchemaDdl(*plan, "work");
    auto tx = pg::Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(tx->Run("CREATE SCHEMA work").ok());
    for (const auto* part : {&ddl.create, &ddl.finish, &ddl.audit}) {
      for (const auto& s : *part) ASSERT_TRUE(tx->Run(s).ok()) << s;
    }
    for (const auto& c : ddl.comments) {
      pg::Param column = c.column.empty() ? pg::Param() : pg::Param(c.column);
      ASSERT_TRUE(
          tx->Run("SELECT airpg.comment_on($1, $2, $3, $4)", {"work", c.table, column, c.text})
              .ok());
    }
    ASSERT_TRUE(tx->Run("INSERT INTO airpg.bases (base_id, name, schema_name) VALUES ($1, "
                        "'Work', 'work')",
                        {kBase})
                    .ok());
    ASSERT_TRUE(pg::WriteCatalogRows(*tx, kBase, mapping::PlanJson(*plan)).ok());
    ASSERT_TRUE(tx->Run("INSERT INTO work.tasks (airtable_id, name, notes, estimate, done) VALUES "
                        "('recA', 'Write', 'first draft', 2.5, true), "
                        "('recB', 'Review', NULL, 1.0, false)")
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }

  SchemaSyncSummary Apply(const airtable::BaseSchema& schema, SchemaSyncOptions options = {}) {
    auto summary = ApplySchemaChanges(conn(), kBase, schema, options);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : SchemaSyncSummary{};
  }

  std::string Scalar(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    auto rows = conn().Exec(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "<none>";
  }

  std::string ColumnType(const std::string& table, const std::string& column) {
    return Scalar(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = ('work.' || quote_ident($1))::regclass AND a.attname = $2 "
        "AND NOT a.attisdropped",
        {table, column});
  }

  std::string ColumnComment(const std::string& table, const std::string& column) {
    return Scalar(
        "SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute a "
        "WHERE a.attrelid = ('work.' || quote_ident($1))::regclass AND a.attname = $2",
        {table, column});
  }
};

TEST_F(SchemaSyncTest, NothingChangedIsANoOpWithoutARow) {
  Migrate(Tasks());
  SchemaSyncSummary summary = Apply(Tasks());
  EXPECT_TRUE(summary.applied.empty());
  EXPECT_TRUE(summary.reported.empty());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events"), "0");
}

TEST_F(SchemaSyncTest, ATypeChangeKeepsTheOldColumnAddsANewOneAndAsksForARead) {
  Migrate(Tasks());
  airtable::BaseSchema schema = Tasks();
  schema.tables[0].fields[2] = MakeField("singleLineText", "", "fldEstimate", "Estimate");
  SchemaSyncSummary summary = Apply(schema);
  ASSERT_EQ(summary.applied.size(), 1u);
  EXPECT_EQ(summary.applied[0].kind, mapping::ChangeKind::kFieldRetyped);
  EXPECT_EQ(summary.reread_table_ids, std::vector<std::string>{"tblTasks"});
  EXPECT_EQ(ColumnType("tasks", "estimate__v1"), "numeric");
  EXPECT_EQ(ColumnType("tasks", "estimate"), "text");
  EXPECT_EQ(Scalar("SELECT string_agg(estimate__v1::text, ',' ORDER BY id) FROM work.tasks"),
            "2.5,1.0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM work.tasks WHERE estimate IS NULL"), "2");
  EXPECT_NE(ColumnComment("tasks", "estimate__v1").find("before the field changed type"),
            std::string::npos);
  EXPECT_EQ(Scalar("SELECT type || ' ' || sql_type || ' ' || column_name FROM airpg.fields "
                   "WHERE field_id = 'fldEstimate'"),
            "singleLineText text estimate");
  EXPECT_EQ(Scalar("SELECT change FROM airpg.schema_versions"), summary.applied[0].description);
  EXPECT_EQ(Scalar("SELECT ddl FROM airpg.schema_versions"),
            "ALTER TABLE \"work\".\"tasks\" RENAME COLUMN \"estimate\" TO \"estimate__v1\";\n"
            "ALTER TABLE \"work\".\"tasks\"\n  ADD COLUMN \"estimate\" text,\n  ADD CHECK "
            "(\"estimate\" <> '');\n"
            "COMMENT ON COLUMN \"work\".\"tasks\".\"estimate__v1\" IS 'Airtable field "
            "\"Estimate\" (fldEstimate, number) — its values from before the field changed type "
            "to singleLineText; kept by airpg';\n"
            "COMMENT ON COLUMN \"work\".\"tasks\".\"estimate\" IS 'Airtable field \"Estimate\" "
            "(fldEstimate, singleLineText)';\n");
  EXPECT_EQ(Scalar("SELECT kind || ' ' || (detail -> 'reread' ->> 0) FROM airpg.sync_events"),
            "schema tblTasks");
  // The live plan now has the new type, and a second look finds nothing to do.
  std::vector<std::string> warnings;
  auto live = LoadLiveBase(conn(), kBase, &warnings);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->schema, "work");
  EXPECT_EQ(live->plan.FindField("fldEstimate").second->column.sql_type, "text");
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(Apply(schema).applied.empty());
  // Back to a number: the text column is kept as __v2.
  Apply(Tasks());
  EXPECT_EQ(ColumnType("tasks", "estimate__v2"), "text");
  EXPECT_EQ(ColumnType("tasks", "estimate"), "numeric");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions"), "2");
}

TEST_F(SchemaSyncTest, ARemovedFieldKeepsItsColumnMarkedOrIsDroppedWhenConfigured) {
  Migrate(Tasks());
  airtable::BaseSchema schema = Tasks();
  schema.tables[0].fields.erase(schema.tables[0].fields.begin() + 1);  // Notes
  SchemaSyncSummary summary = Apply(schema);
  ASSERT_EQ(summary.applied.size(), 1u);
  EXPECT_TRUE(summary.reread_table_ids.empty());
  EXPECT_EQ(Scalar("SELECT notes FROM work.tasks WHERE airtable_id = 'recA'"), "first draft");
  EXPECT_EQ(Scalar("SELECT removed_at IS NOT NULL FROM airpg.fields WHERE field_id = 'fldNotes'"),
            "t");
  EXPECT_NE(ColumnComment("tasks", "notes").find("deleted in Airtable; kept by airpg"),
            std::string::npos);
  EXPECT_EQ(Scalar("SELECT change FROM airpg.schema_versions"),
            "field fldNotes removed (\"Notes\", multilineText)");
  std::vector<std::string> warnings;
  auto live = LoadLiveBase(conn(), kBase, &warnings);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->plan.FindField("fldNotes").second, nullptr);
  // The audit trigger stays and still records changes to the table.
  ASSERT_TRUE(
      conn().Run("UPDATE work.tasks SET name = 'Write more' WHERE airtable_id = 'recA'").ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE table_name = 'tasks'"), "3");
  // A new field named like it takes another column; dropping the next removal frees nothing it
  // holds.
  schema.tables[0].fields.push_back(MakeField("singleLineText", "", "fldNotes2", "Notes"));
  schema.tables[0].fields.erase(schema.tables[0].fields.begin() + 2);  // Done
  SchemaSyncOptions drop;
  drop.drop_removed = true;
  summary = Apply(schema, drop);
  ASSERT_EQ(summary.applied.size(), 2u);
  EXPECT_EQ(ColumnType("tasks", "notes_2"), "text");
  EXPECT_EQ(ColumnType("tasks", "done"), "<none>");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.fields WHERE field_id = 'fldDone'"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions"), "3");
}

TEST_F(SchemaSyncTest, FieldsStoredInRelationsGetWhatAMigrationWouldGiveThem) {
  Migrate(Tasks());
  airtable::BaseSchema schema = Tasks();
  auto& tasks = schema.tables[0].fields;
  tasks.push_back(MakeField("singleSelect",
                            "{\"choices\":[{\"id\":\"selA\",\"name\":\"High\",\"color\":\"red\"}]}",
                            "fldPriority", "Priority"));
  tasks.push_back(MakeField("multipleCollaborators", "{}", "fldTeam", "Team"));
  tasks.push_back(MakeField("multipleSelects", "{\"choices\":[]}", "fldTags", "Tags"));
  tasks.push_back(Link("fldTaskPeople", "People", "tblPeople", "fldPeopleTasks"));
  schema.tables[1].fields.push_back(Link("fldPeopleTasks", "Tasks", "tblTasks", "fldTaskPeople"));
  tasks.push_back(MakeField("singleCollaborator", "{}", "fldOwner", "Owner"));
  tasks.push_back(MakeField("multipleAttachments", "{\"isReversed\":false}", "fldFiles", "Files"));
  airtable::Field lead = Link("fldLead", "Lead", "tblPeople", "fldLeads");
  lead.options_json = R"({"linkedTableId":"tblPeople","inverseLinkFieldId":"fldLeads",)"
                      R"("prefersSingleRecordLink":true})";
  tasks.push_back(lead);
  schema.tables[1].fields.push_back(Link("fldLeads", "Leads", "tblTasks", "fldLead"));
  SchemaSyncSummary summary = Apply(schema);
  ASSERT_EQ(summary.applied.size(), 9u);
  EXPECT_EQ(summary.reread_table_ids, (std::vector<std::string>{"tblTasks", "tblPeople"}));
  for (const char* table : {"tasks__priority_choices", "tasks__team", "people__tasks"}) {
    EXPECT_EQ(Scalar("SELECT to_regclass($1) IS NOT NULL", {std::string("work.") + table}), "t")
        << table;
  }
  // Foreign keys: the junctions both ways, the single link, the
  // collaborator (a single select has none: its choices may be longer than
  // a btree key holds; issue 13).
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = "
                   "'work'::regnamespace"),
            "6");
  EXPECT_EQ(ColumnType("tasks", "lead_id"), "bigint");  // a single link's key: <field>_id
  // Every foreign-key column added leads an index, as a migration gives it.
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_constraint c WHERE c.contype = 'f' AND "
                   "c.connamespace = 'work'::regnamespace AND NOT EXISTS (SELECT FROM pg_index i "
                   "WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])"),
            "0");
  EXPECT_EQ(ColumnType("tasks", "owner"), "text");
  EXPECT_EQ(ColumnType("tasks", "files"), "<none>");   // rows of airpg.attachments
  EXPECT_EQ(ColumnType("people", "leads"), "<none>");  // the inverse of a foreign key
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'airpg_audit' AND "
                   "tgrelid IN ('work.tasks__team'::regclass, 'work.people__tasks'::regclass)"),
            "2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'work' AND "
                   "indexdef LIKE '%USING gin (tags)%'"),
            "1");
  EXPECT_EQ(Scalar("SELECT string_agg(relation_table, ',' ORDER BY field_id) FROM airpg.fields "
                   "WHERE relation_table IS NOT NULL"),
            "people__tasks,tasks__priority_choices,people__tasks,tasks__team");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions"), "9");
  EXPECT_EQ(Scalar("SELECT ddl FROM airpg.schema_versions WHERE change LIKE '%fldFiles%'"), "");
  // The live plan agrees with what a fresh plan of this schema would say.
  std::vector<std::string> warnings;
  auto live = LoadLiveBase(conn(), kBase, &warnings);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->plan.FindField("fldTaskPeople").second->link_role,
            mapping::LinkRole::kJunctionInverse);
  EXPECT_TRUE(warnings.empty());
  auto view = ReadCatalogView(conn(), kBase);
  ASSERT_TRUE(view.ok());
  auto fresh = mapping::PlanSchema(schema, mapping::KnownNamesOf(*view));
  ASSERT_TRUE(fresh.ok());
  for (const auto& table : fresh->tables) {
    for (const auto& f : table.fields) {
      const mapping::FieldPlan* l = live->plan.FindField(f.field.id).second;
      ASSERT_NE(l, nullptr) << f.field.id;
      EXPECT_EQ(l->column_name, f.column_name) << f.field.id;
      EXPECT_EQ(l->relation_table, f.relation_table) << f.field.id;
      EXPECT_EQ(l->link_role, f.link_role) << f.field.id;
      EXPECT_EQ(l->column.sql_type, f.column.sql_type) << f.field.id;
    }
  }
}

TEST_F(SchemaSyncTest, RenamesKeepTheDataAndTheCommentsFollow) {
  Migrate(Tasks());
  airtable::BaseSchema schema = Tasks();
  schema.tables[0].name = "To-dos";
  schema.tables[0].fields[1].name = "Comments";
  SchemaSyncSummary summary = Apply(schema);
  ASSERT_EQ(summary.applied.size(), 2u);
  EXPECT_TRUE(summary.reread_table_ids.empty());
  EXPECT_EQ(Scalar("SELECT comments FROM work.to_dos WHERE airtable_id = 'recA'"), "first draft");
  EXPECT_EQ(ColumnComment("to_dos", "comments"),
            "Airtable field \"Comments\" (fldNotes, multilineText)");
  EXPECT_EQ(Scalar("SELECT obj_description('work.to_dos'::regclass)"),
            "Airtable table \"To-dos\" (tblTasks)");
  EXPECT_EQ(Scalar("SELECT table_name || ' ' || airtable_name FROM airpg.tables WHERE table_id = "
                   "'tblTasks'"),
            "to_dos To-dos");
  EXPECT_EQ(Scalar("SELECT column_name FROM airpg.fields WHERE field_id = 'fldNotes'"), "comments");
}

TEST_F(SchemaSyncTest, HeldBackChangesAreReportedAndChangeNothing) {
  airtable::BaseSchema schema = Tasks();
  schema.tables[0].fields.push_back(Link("fldTaskPeople", "People", "tblPeople", "fldPeopleTasks"));
  schema.tables[1].fields.push_back(Link("fldPeopleTasks", "Tasks", "tblTasks", "fldTaskPeople"));
  Migrate(schema);
  schema.tables[1].fields.pop_back();  // the junction's owner goes, its inverse stays
  schema.tables.push_back(schema.tables[1]);
  schema.tables.back().id = "tblNew";
  SchemaSyncSummary summary = Apply(schema);
  EXPECT_TRUE(summary.applied.empty());
  ASSERT_EQ(summary.reported.size(), 2u);
  EXPECT_EQ(summary.reported[0].kind, mapping::ChangeKind::kTableAdded);
  EXPECT_EQ(summary.reported[1].kind, mapping::ChangeKind::kFieldRemoved);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.fields WHERE removed_at IS NOT NULL"), "0");
}

TEST_F(SchemaSyncTest, AMigrationOfTheBaseHoldsChangesOff) {
  Migrate(Tasks());
  auto other = Connect();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(
      other->Run("SELECT pg_advisory_lock(hashtext('airpg.migrate:' || $1))", {kBase}).ok());
  airtable::BaseSchema schema = Tasks();
  schema.tables[0].fields.push_back(MakeField("date", "{}", "fldDue", "Due"));
  auto summary = ApplySchemaChanges(conn(), kBase, schema);
  EXPECT_EQ(summary.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ColumnType("tasks", "due"), "<none>");
  EXPECT_EQ(ApplySchemaChanges(conn(), "appNeverMigrated1", schema).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(PayloadChangesSchemaTest, FieldAndTableChangesCountRecordChangesDoNot) {
  airtable::Payload payload;
  payload.tables.emplace_back();
  payload.tables[0].changed_records.emplace_back();
  EXPECT_FALSE(PayloadChangesSchema(payload));
  payload.tables[0].created_fields_json = "{\"fldX\":{\"name\":\"X\",\"type\":\"date\"}}";
  EXPECT_TRUE(PayloadChangesSchema(payload));
  payload.tables[0].created_fields_json.clear();
  payload.tables[0].destroyed_field_ids = {"fldX"};
  EXPECT_TRUE(PayloadChangesSchema(payload));
  payload.tables[0].destroyed_field_ids.clear();
  payload.destroyed_table_ids = {"tblX"};
  EXPECT_TRUE(PayloadChangesSchema(payload));
}

}  // namespace
}  // namespace airpg::sync
