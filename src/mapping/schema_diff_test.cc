#include "mapping/schema_diff.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "airtable/testing_fixtures.h"
#include "mapping/naming.h"
#include "mapping/schema_change_ddl.h"
#include "mapping/testing_cells.h"

namespace airpg::mapping {
namespace {

using testing::MakeField;

// The catalog as a migration of `plan` leaves it: options as jsonb prints
// them (keys reordered), every column and relation present.
CatalogView ViewOf(const SchemaPlan& plan) {
  CatalogView view;
  view.schema = "live";
  for (const auto& t : plan.tables) {
    CatalogTable table{t.table_id,    t.airtable_name,    t.table_name,
                       t.description, t.primary_field_id, {}};
    for (const auto& c : BookkeepingColumns()) table.columns.push_back(c);
    view.relations.push_back(t.table_name);
    for (const auto& f : t.fields) {
      CatalogField field;
      field.field_id = f.field.id;
      field.table_id = t.table_id;
      field.airtable_name = f.field.name;
      field.type_name = f.field.type_name;
      if (!f.field.options_json.empty())
        field.options_json = nlohmann::json::parse(f.field.options_json).dump(1);
      field.storage = StorageName(f.column.storage);
      field.column_name = f.column_name;
      field.sql_type = f.HasColumn() ? f.column.sql_type : "";
      field.relation_table = f.relation_table;
      if (f.HasColumn()) table.columns.push_back(f.column_name);
      if (!f.relation_table.empty()) view.relations.push_back(f.relation_table);
      view.fields.push_back(std::move(field));
    }
    view.tables.push_back(std::move(table));
  }
  return view;
}

CatalogView Migrated(const airtable::BaseSchema& schema) {
  auto plan = PlanSchema(schema, {});
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? ViewOf(*plan) : CatalogView{};
}

airtable::Table MakeTable(std::string id, std::string name, std::vector<airtable::Field> fields) {
  airtable::Table t;
  t.id = std::move(id);
  t.name = std::move(name);
  t.primary_field_id = fields.front().id;
  t.fields = std::move(fields);
  return t;
}

airtable::Field Link(std::string id, std::string name, std::string to, std::string inverse) {
  return MakeField("multipleRecordLinks",
                   "{\"linkedTableId\":\"" + to + "\",\"prefersSingleRecordLink\":false" +
                       (inverse.empty() ? "" : ",\"inverseLinkFieldId\":\"" + inverse + "\"") + "}",
                   std::move(id), std::move(name));
}

// Tasks (Name, Notes, Estimate, Done) and People (Name).
airtable::BaseSchema Tasks() {
  airtable::BaseSchema base;
  base.tables.push_back(
      MakeTable("tblTasks", "Tasks",
                {MakeField("singleLineText", "", "fldName", "Name"),
                 MakeField("multilineText", "", "fldNotes", "Notes"),
                 MakeField("number", "{\"precision\":1}", "fldEstimate", "Estimate"),
                 MakeField("checkbox", "{\"icon\":\"check\",\"color\":\"greenBright\"}", "fldDone",
                           "Done")}));
  base.tables.push_back(
      MakeTable("tblPeople", "People", {MakeField("singleLineText", "", "fldPName", "Name")}));
  return base;
}

std::vector<std::string> Texts(const SchemaDiff& diff, bool applied) {
  std::vector<std::string> out;
  for (const auto& c : diff.changes) {
    if (c.applies == applied) out.push_back(c.description);
  }
  return out;
}

TEST(SchemaDiffTest, TheSchemaTheCatalogRecordedHasNoChanges) {
  for (const char* file :
       {"meta/base_schema_many_field_types_real.json", "meta/base_schema_art_gallery_real.json",
        "meta/pyairtable_base_schema.json"}) {
    auto schema = airtable::ParseBaseSchema(airtable::testing::Fixture(file));
    ASSERT_TRUE(schema.ok()) << file;
    auto diff = DiffSchema(Migrated(*schema), *schema);
    ASSERT_TRUE(diff.ok()) << file << ": " << diff.status().ToString();
    EXPECT_TRUE(diff->changes.empty()) << file << ": " << diff->changes.front().description;
    EXPECT_TRUE(diff->warnings.empty()) << file;
  }
}

TEST(SchemaDiffTest, AFieldAddedToAFixtureTableGetsItsColumnAndTheTableIsReadAgain) {
  auto schema =
      airtable::ParseBaseSchema(airtable::testing::Fixture("meta/pyairtable_base_schema.json"));
  ASSERT_TRUE(schema.ok());
  CatalogView view = Migrated(*schema);
  schema->tables[0].fields.push_back(MakeField("date", "{}", "fldDueDate00000", "Due date"));
  auto diff = DiffSchema(view, *schema);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  ASSERT_EQ(diff->changes.size(), 1u);
  const SchemaChange& c = diff->changes[0];
  EXPECT_EQ(c.kind, ChangeKind::kFieldAdded);
  EXPECT_EQ(c.description, "field fldDueDate00000 added (\"Due date\", date)");
  EXPECT_TRUE(c.applies);
  EXPECT_TRUE(c.reread);
  EXPECT_EQ(diff->after.FindField("fldDueDate00000").second->column_name, "due_date");
  ChangeDdl ddl = BuildChangeDdl(*diff, c, "live");
  ASSERT_EQ(ddl.statements.size(), 1u);
  EXPECT_EQ(ddl.statements[0],
            "ALTER TABLE \"live\".\"apartments\"\n  ADD COLUMN \"due_date\" date");
  ASSERT_EQ(ddl.comments.size(), 1u);
  EXPECT_EQ(ddl.comments[0].column, "due_date");
}

TEST(SchemaDiffTest, NewColumnsAvoidNamesKeptForRemovedFieldsAndOldVersions) {
  airtable::BaseSchema base = Tasks();
  CatalogView view = Migrated(base);
  // Notes was removed earlier (its column kept); a leftover column "memo" exists.
  for (auto& f : view.fields) f.removed = f.removed || f.field_id == "fldNotes";
  view.tables[0].columns.push_back("memo");
  auto& fields = base.tables[0].fields;
  fields.erase(fields.begin() + 1);
  fields.push_back(MakeField("singleLineText", "", "fldNotes2", "Notes"));
  fields.push_back(MakeField("singleLineText", "", "fldMemo", "Memo"));
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_EQ(Texts(*diff, true),
            (std::vector<std::string>{"field fldNotes2 added (\"Notes\", singleLineText)",
                                      "field fldMemo added (\"Memo\", singleLineText)"}));
  EXPECT_EQ(diff->after.FindField("fldNotes2").second->column_name, "notes_2");
  EXPECT_EQ(diff->after.FindField("fldMemo").second->column_name, "memo_2");
}

TEST(SchemaDiffTest, RenamesRenameColumnsAndTablesByIdWithFreeNames) {
  airtable::BaseSchema base = Tasks();
  CatalogView view = Migrated(base);
  base.tables[0].name = "To-dos";
  base.tables[0].fields[1].name = "Comments";  // notes → comments
  base.tables[0].fields[2].name = "Done";      // taken by fldDone → done_2
  base.tables[0].fields[3].name = "Finished";  // frees "done" only after Estimate took done_2
  base.tables[1].fields[0].name = "NAME";      // same snake_case: no column rename
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  ASSERT_EQ(diff->changes.size(), 5u);
  EXPECT_EQ(diff->changes[0].kind, ChangeKind::kTableRenamed);
  EXPECT_EQ(diff->changes[0].new_name, "to_dos");
  auto renamed = [&](const std::string& id) -> const SchemaChange& {
    for (const auto& c : diff->changes) {
      if (c.field_id == id) return c;
    }
    static SchemaChange none;
    ADD_FAILURE() << id;
    return none;
  };
  EXPECT_EQ(renamed("fldNotes").new_name, "comments");
  EXPECT_EQ(renamed("fldNotes").description, "field fldNotes renamed (\"Notes\" → \"Comments\")");
  EXPECT_EQ(renamed("fldEstimate").new_name, "done_2");
  EXPECT_EQ(renamed("fldDone").new_name, "finished");
  EXPECT_EQ(renamed("fldPName").old_name, renamed("fldPName").new_name);
  for (const auto& c : diff->changes) EXPECT_FALSE(c.reread) << c.description;
  EXPECT_EQ(diff->after.FindTable("tblTasks")->table_name, "to_dos");
  // The DDL renames in order and uses the table's new name.
  ChangeDdl table = BuildChangeDdl(*diff, diff->changes[0], "live");
  EXPECT_EQ(table.statements,
            std::vector<std::string>{"ALTER TABLE \"live\".\"tasks\" RENAME TO \"to_dos\""});
  ChangeDdl notes = BuildChangeDdl(*diff, renamed("fldNotes"), "live");
  EXPECT_EQ(notes.statements,
            std::vector<std::string>{"ALTER TABLE \"live\".\"to_dos\" RENAME COLUMN \"notes\" TO "
                                     "\"comments\""});
  EXPECT_TRUE(BuildChangeDdl(*diff, renamed("fldPName"), "live").statements.empty());
}

// A single-record link's FK column is `<field>_id`; renaming the field in
// Airtable renames the column to `<new name>_id`, and a view of the table's
// live rows follows the table's name.
TEST(SchemaDiffTest, ARenamedSingleLinkRenamesItsForeignKeyToTheNewNameWithId) {
  airtable::BaseSchema base = Tasks();
  base.tables[0].fields.push_back(MakeField(
      "multipleRecordLinks", "{\"linkedTableId\":\"tblPeople\",\"prefersSingleRecordLink\":true}",
      "fldOwner", "Owner"));
  CatalogView view = Migrated(base);
  auto before = PlanSchema(base, {});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->FindField("fldOwner").second->column_name, "owner_id");
  EXPECT_EQ(before->FindTable("tblTasks")->live_view, "tasks_live");
  base.tables[0].name = "Chores";
  base.tables[0].fields.back().name = "Assignee";
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  const SchemaChange* rename = nullptr;
  for (const auto& c : diff->changes) {
    if (c.field_id == "fldOwner") rename = &c;
  }
  ASSERT_NE(rename, nullptr);
  EXPECT_EQ(rename->kind, ChangeKind::kFieldRenamed);
  EXPECT_EQ(rename->old_name, "owner_id");
  EXPECT_EQ(rename->new_name, "assignee_id");
  EXPECT_EQ(diff->after.FindField("fldOwner").second->column_name, "assignee_id");
  EXPECT_EQ(diff->before.FindTable("tblTasks")->live_view, "tasks_live");
  EXPECT_EQ(diff->after.FindTable("tblTasks")->live_view, "chores_live");
}

TEST(SchemaDiffTest, ATypeTheColumnCannotHoldKeepsTheOldColumnAndAddsANewOne) {
  airtable::BaseSchema base = Tasks();
  CatalogView view = Migrated(base);
  view.tables[0].columns.push_back("estimate__v1");  // an earlier change kept one already
  base.tables[0].fields[2] = MakeField("singleLineText", "", "fldEstimate", "Estimate");
  // Same column (text, CHECK <> ''): the catalog learns the type, no DDL.
  base.tables[0].fields[1] = MakeField("richText", "", "fldNotes", "Notes");
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  ASSERT_EQ(diff->changes.size(), 2u);
  const SchemaChange& retyped = diff->changes[0];
  EXPECT_EQ(retyped.kind, ChangeKind::kFieldRetyped);
  EXPECT_EQ(retyped.old_name, "estimate");
  EXPECT_EQ(retyped.new_name, "estimate__v2");
  EXPECT_TRUE(retyped.reread);
  EXPECT_EQ(retyped.description,
            "field fldEstimate changed type (\"Estimate\", number numeric → singleLineText "
            "text): column estimate kept as estimate__v2");
  EXPECT_EQ(diff->changes[1].kind, ChangeKind::kFieldOptionsChanged);
  EXPECT_FALSE(diff->changes[1].reread);
  ChangeDdl ddl = BuildChangeDdl(*diff, retyped, "live");
  EXPECT_EQ(ddl.statements,
            (std::vector<std::string>{
                "ALTER TABLE \"live\".\"tasks\" RENAME COLUMN \"estimate\" TO \"estimate__v2\"",
                "ALTER TABLE \"live\".\"tasks\"\n  ADD COLUMN \"estimate\" text,\n  ADD CHECK "
                "(\"estimate\" <> '')"}));
  EXPECT_TRUE(BuildChangeDdl(*diff, diff->changes[1], "live").statements.empty());
  // A precision change is display only: the options change, the column stays.
  base = Tasks();
  base.tables[0].fields[2].options_json = "{\"precision\":2}";
  diff = DiffSchema(Migrated(Tasks()), base);
  ASSERT_TRUE(diff.ok());
  ASSERT_EQ(diff->changes.size(), 1u);
  EXPECT_EQ(diff->changes[0].kind, ChangeKind::kFieldOptionsChanged);
}

TEST(SchemaDiffTest, RemovedFieldsAreKeptOrDroppedAndRestoredOnesComeBack) {
  airtable::BaseSchema base = Tasks();
  CatalogView view = Migrated(base);
  view.fields[1].removed = true;  // Notes, removed earlier, is back
  base.tables[0].fields.erase(base.tables[0].fields.begin() + 3);  // Done removed now
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  ASSERT_EQ(diff->changes.size(), 2u);
  EXPECT_EQ(diff->changes[0].kind, ChangeKind::kFieldRemoved);
  EXPECT_EQ(diff->changes[0].description, "field fldDone removed (\"Done\", checkbox)");
  EXPECT_FALSE(diff->changes[0].reread);
  EXPECT_EQ(diff->changes[1].kind, ChangeKind::kFieldRestored);
  EXPECT_TRUE(diff->changes[1].reread);
  ChangeDdl kept = BuildChangeDdl(*diff, diff->changes[0], "live");
  EXPECT_TRUE(kept.statements.empty());
  ASSERT_EQ(kept.comments.size(), 1u);
  EXPECT_NE(kept.comments[0].text.find("deleted in Airtable; kept by airpg"), std::string::npos);
  ChangeDdl dropped = BuildChangeDdl(*diff, diff->changes[0], "live", {/*drop_removed=*/true});
  EXPECT_EQ(
      dropped.statements,
      std::vector<std::string>{"ALTER TABLE \"live\".\"tasks\" DROP COLUMN IF EXISTS \"done\""});
}

TEST(SchemaDiffTest, TablesAddedOrRemovedAreReportedNotApplied) {
  airtable::BaseSchema base = Tasks();
  CatalogView view = Migrated(base);
  base.tables.erase(base.tables.begin() + 1);
  base.tables.push_back(
      MakeTable("tblInvoices", "Invoices", {MakeField("singleLineText", "", "fldIName", "No")}));
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_FALSE(diff->HasApplicable());
  EXPECT_EQ(Texts(*diff, false),
            (std::vector<std::string>{
                "table tblInvoices added (\"Invoices\"): not mirrored; a new table needs a "
                "migration (`airpg migrate`)",
                "table tblPeople removed from Airtable (\"People\"): its Postgres table people is "
                "kept"}));
}

TEST(SchemaDiffTest, ALinkPairAddedTogetherGetsItsJunction) {
  airtable::BaseSchema base = Tasks();
  CatalogView view = Migrated(base);
  base.tables[0].fields.push_back(Link("fldTaskPeople", "People", "tblPeople", "fldPeopleTasks"));
  base.tables[1].fields.push_back(Link("fldPeopleTasks", "Tasks", "tblTasks", "fldTaskPeople"));
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  ASSERT_EQ(Texts(*diff, true).size(), 2u);
  const FieldPlan* owner = diff->after.FindField("fldPeopleTasks").second;
  EXPECT_EQ(owner->link_role, LinkRole::kJunction);  // the smaller id owns the pair
  EXPECT_EQ(owner->relation_table, "people__tasks");
  for (const auto& c : diff->changes) {
    ChangeDdl ddl = BuildChangeDdl(*diff, c, "live");
    if (c.field_id == "fldPeopleTasks") {
      ASSERT_GE(ddl.statements.size(), 3u);
      EXPECT_EQ(ddl.statements[0].rfind("CREATE TABLE \"live\".\"people__tasks\"", 0), 0u);
    } else {
      EXPECT_TRUE(ddl.statements.empty());  // the inverse side reads the same junction
    }
  }
}

TEST(SchemaDiffTest, ChangesThatWouldMoveALinkPairsStorageAreHeldBack) {
  airtable::BaseSchema base = Tasks();
  base.tables[0].fields.push_back(Link("fldTaskPeople", "People", "tblPeople", "fldPeopleTasks"));
  base.tables[1].fields.push_back(Link("fldPeopleTasks", "Tasks", "tblTasks", "fldTaskPeople"));
  CatalogView view = Migrated(base);
  // The junction's owner goes, its inverse stays: the inverse would own a
  // junction pointing the other way.
  base.tables[1].fields.pop_back();
  auto diff = DiffSchema(view, base);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_FALSE(diff->HasApplicable());
  ASSERT_EQ(diff->changes.size(), 1u);
  EXPECT_EQ(diff->changes[0].description,
            "field fldPeopleTasks removed (\"Tasks\", multipleRecordLinks): not applied, the "
            "storage of link field fldTaskPeople would change; run `airpg migrate`");
  EXPECT_EQ(diff->after.FindField("fldTaskPeople").second->link_role, LinkRole::kJunctionInverse);
}

}  // namespace
}  // namespace airpg::mapping
