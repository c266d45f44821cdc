#include "mapping/record_row.h"

#include <gtest/gtest.h>

#include "mapping/testing_cells.h"

namespace airpg::mapping {
namespace {

using testing::MakeField;

// Contacts (primary Name, Email, Score with 1 decimal, Owner collaborator,
// Company single link, Files attachments) and Companies (its inverse).
SchemaPlan Plan() {
  airtable::BaseSchema base;
  airtable::Table contacts;
  contacts.id = "tblContacts";
  contacts.name = "Contacts";
  contacts.primary_field_id = "fldName";
  contacts.fields = {MakeField("singleLineText", "", "fldName", "Name"),
                     MakeField("email", "", "fldEmail", "Email"),
                     MakeField("number", R"({"precision":1})", "fldScore", "Score"),
                     MakeField("singleCollaborator", "", "fldOwner", "Owner"),
                     MakeField("multipleRecordLinks",
                               R"({"linkedTableId":"tblCompanies","prefersSingleRecordLink":true,)"
                               R"("inverseLinkFieldId":"fldPeople"})",
                               "fldCompany", "Company"),
                     MakeField("multipleAttachments", "", "fldFiles", "Files")};
  airtable::Table companies;
  companies.id = "tblCompanies";
  companies.name = "Companies";
  companies.primary_field_id = "fldCoName";
  companies.fields = {
      MakeField("singleLineText", "", "fldCoName", "Name"),
      MakeField("multipleRecordLinks",
                R"({"linkedTableId":"tblContacts","inverseLinkFieldId":"fldCompany"})", "fldPeople",
                "People")};
  base.tables = {contacts, companies};
  auto plan = PlanSchema(base, {});
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

airtable::Record Parse(const char* json) {
  auto record = airtable::ParseRecord(json);
  EXPECT_TRUE(record.ok()) << record.status().ToString();
  return *record;
}

TEST(RecordRowTest, ColumnsReferencesUsersAndAttachmentsOfOneRecord) {
  SchemaPlan plan = Plan();
  const TablePlan& contacts = *plan.FindTable("tblContacts");
  RecordRow row =
      ConvertRecord(contacts, Parse(R"({"id":"rec1","createdTime":"2024-01-02T03:04:05.000Z",
    "fields":{"fldName":"Ada","fldScore":4.5,"fldOwner":{"id":"usrA","email":"a@x.io","name":"A"},
    "fldCompany":["recCo1"],
    "fldFiles":[{"id":"attF","url":"https://x/f.pdf","filename":"f.pdf","size":3,"type":"application/pdf"}]}})"));
  EXPECT_EQ(row.record_id, "rec1");
  EXPECT_EQ(row.created_time, "2024-01-02T03:04:05.000Z");
  ASSERT_EQ(ColumnFields(contacts).size(), row.columns.size());
  // Name, Email (absent → NULL), Score, Owner: the single link is not a column.
  std::vector<std::string> names;
  for (const FieldPlan* f : ColumnFields(contacts)) names.push_back(f->field.id);
  EXPECT_EQ(names, (std::vector<std::string>{"fldName", "fldEmail", "fldScore", "fldOwner"}));
  EXPECT_EQ(row.columns[0].text, "Ada");
  EXPECT_TRUE(row.columns[1].is_null);
  EXPECT_EQ(row.columns[2].text, "4.5");
  EXPECT_EQ(row.columns[3].text, "usrA");
  ASSERT_EQ(row.users.size(), 1u);
  EXPECT_EQ(row.users[0].email, "a@x.io");
  ASSERT_EQ(row.references.size(), 1u);
  EXPECT_EQ(row.references[0].field_id, "fldCompany");
  EXPECT_EQ(row.references[0].target, "recCo1");
  ASSERT_EQ(row.attachments.size(), 1u);
  EXPECT_EQ(row.attachments[0].attachment.id, "attF");
  EXPECT_TRUE(row.rejects.empty());
}

TEST(RecordRowTest, ABadCellIsRejectedWithItsRawValueAndTheRestStillConverts) {
  SchemaPlan plan = Plan();
  const TablePlan& contacts = *plan.FindTable("tblContacts");
  RecordRow row =
      ConvertRecord(contacts, Parse(R"({"id":"rec2","createdTime":"2024-01-02T03:04:05.000Z",
    "fields":{"fldName":"Bo","fldScore":"4.55","fldCompany":["recCo1","recCo2"]}})"));
  EXPECT_EQ(row.columns[0].text, "Bo");
  EXPECT_TRUE(row.columns[2].is_null);  // the rejected score
  ASSERT_EQ(row.rejects.size(), 2u);
  EXPECT_EQ(row.rejects[0].field_id, "fldScore");
  EXPECT_EQ(row.rejects[0].raw_value, "\"4.55\"");
  EXPECT_EQ(row.rejects[1].field_id, "fldCompany");
  EXPECT_NE(row.rejects[1].reason.find("only the first"), std::string::npos);
  EXPECT_EQ(row.rejected_fields.count("fldScore"), 1u);
  ASSERT_EQ(row.references.size(), 1u);  // the first link is kept
  EXPECT_EQ(row.references[0].target, "recCo1");
}

TEST(RecordRowTest, TheInverseOfASingleLinkListsTheRecordsWhoseKeyPointsHere) {
  SchemaPlan plan = Plan();
  RecordRow row = ConvertRecord(*plan.FindTable("tblCompanies"),
                                Parse(R"({"id":"recCo1","createdTime":"2024-01-02T03:04:05.000Z",
    "fields":{"fldCoName":"Acme","fldPeople":["rec1","rec2"]}})"));
  ASSERT_EQ(row.references.size(), 2u);
  EXPECT_EQ(row.references[1].field_id, "fldPeople");
  EXPECT_EQ(row.references[1].target, "rec2");
  EXPECT_TRUE(row.rejects.empty());
}

// Formula errors are values: NULL columns, no rejects, the errors by field
// id in cell_errors (short and long error texts alike) and back.
TEST(RecordRowTest, FormulaErrorsGoToCellErrorsNotTheLedger) {
  airtable::BaseSchema base;
  airtable::Table t;
  t.id = "tblCalc";
  t.name = "Calc";
  t.primary_field_id = "fldName";
  std::string number = R"({"isValid":true,"result":{"type":"number","options":{"precision":0}}})";
  t.fields = {MakeField("singleLineText", "", "fldName", "Name"),
              MakeField("formula", number, "fldA", "A"), MakeField("formula", number, "fldB", "B"),
              MakeField("rollup", number, "fldC", "C")};
  base.tables = {t};
  auto plan = PlanSchema(base, {});
  ASSERT_TRUE(plan.ok());
  RecordRow row = ConvertRecord(
      plan->tables[0], Parse(R"({"id":"rec1","createdTime":"2024-01-02T03:04:05.000Z","fields":{)"
                             R"("fldName":"x","fldA":{"error":"x"},"fldB":0.1,)"
                             R"("fldC":{"specialValue":"Infinity"}}})"));
  EXPECT_TRUE(row.rejects.empty());
  ASSERT_EQ(row.columns.size(), 4u);
  EXPECT_TRUE(row.columns[1].is_null);
  EXPECT_EQ(row.columns[2].text, "0.1");
  EXPECT_TRUE(row.columns[3].is_null);
  ASSERT_TRUE(row.cell_errors.has_value());
  EXPECT_EQ(*row.cell_errors, R"({"fldA":{"error":"x"},"fldC":{"specialValue":"Infinity"}})");
  auto errors =
      ParseCellErrors(R"({"fldC": {"specialValue": "Infinity"}, "fldA": {"error": "x"}})");
  ASSERT_TRUE(errors.ok());
  EXPECT_EQ((*errors)["fldA"], R"({"error":"x"})");
  EXPECT_EQ((*errors)["fldC"], R"({"specialValue":"Infinity"})");
  EXPECT_FALSE(ParseCellErrors("[1]").ok());
}

// airtable_modified_time comes from a lastModifiedTime field that watches
// every field and shows the instant; one watching some fields, or showing
// only the date, does not say when the record changed.
TEST(RecordRowTest, TheModifiedTimeIsALastModifiedTimeFieldWatchingEveryField) {
  const char* kAll =
      R"({"isValid":true,"referencedFieldIds":[],"result":{"type":"dateTime","options":{}}})";
  const char* kSome =
      R"({"isValid":true,"referencedFieldIds":["fldName"],"result":{"type":"dateTime"}})";
  const char* kDate =
      R"({"isValid":true,"referencedFieldIds":[],"result":{"type":"date","options":{}}})";
  auto plan_with = [](std::vector<airtable::Field> extra) {
    airtable::BaseSchema base;
    airtable::Table t;
    t.id = "tblT";
    t.name = "T";
    t.primary_field_id = "fldName";
    t.fields = {MakeField("singleLineText", "", "fldName", "Name")};
    for (auto& f : extra) t.fields.push_back(std::move(f));
    base.tables = {t};
    auto plan = PlanSchema(base, {});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return *plan;
  };
  const char* kRecord =
      R"({"id":"rec1","createdTime":"2024-01-02T03:04:05.000Z","fields":{"fldName":"x",)"
      R"("fldSome":"2024-02-01T00:00:00.000Z","fldDay":"2024-03-01",)"
      R"("fldAll":"2024-04-05T06:07:08.000Z"}})";
  SchemaPlan plan = plan_with({MakeField("lastModifiedTime", kSome, "fldSome", "Name changed"),
                               MakeField("lastModifiedTime", kDate, "fldDay", "Changed on"),
                               MakeField("lastModifiedTime", kAll, "fldAll", "Last Modified")});
  EXPECT_EQ(plan.tables[0].modified_time_field_id, "fldAll");
  RecordRow row = ConvertRecord(plan.tables[0], Parse(kRecord));
  EXPECT_EQ(row.modified_time, "2024-04-05T06:07:08.000Z");
  plan = plan_with({MakeField("lastModifiedTime", kSome, "fldSome", "Name changed"),
                    MakeField("lastModifiedTime", kDate, "fldDay", "Changed on")});
  EXPECT_EQ(plan.tables[0].modified_time_field_id, "");
  EXPECT_EQ(ConvertRecord(plan.tables[0], Parse(kRecord)).modified_time, "");
}

}  // namespace
}  // namespace airpg::mapping
