#include "sync/echo_match.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace airpg::sync {
namespace {

using nlohmann::json;

mapping::FieldPlan Field(const std::string& id, airtable::FieldType type) {
  mapping::FieldPlan f;
  f.field.id = id;
  f.field.type = type;
  return f;
}

mapping::TablePlan Table() {
  using airtable::FieldType;
  mapping::TablePlan t;
  t.table_id = "tblT";
  t.fields = {Field("fldText", FieldType::kSingleLineText),
              Field("fldSelect", FieldType::kSingleSelect),
              Field("fldTags", FieldType::kMultipleSelects),
              Field("fldLinks", FieldType::kMultipleRecordLinks),
              Field("fldOwner", FieldType::kSingleCollaborator),
              Field("fldDone", FieldType::kCheckbox),
              Field("fldLookup", FieldType::kMultipleLookupValues)};
  return t;
}

// The webhook form of a cell against the REST form of the answer: selects
// are objects there and names here, links objects there and ids here.
TEST(EchoMatchTest, WebhookCellsMatchTheRestAnswerTheyCameFrom) {
  mapping::TablePlan table = Table();
  json answer = {{"fldText", "hello"},
                 {"fldSelect", "Open"},
                 {"fldTags", {"a", "b"}},
                 {"fldLinks", {"recA", "recB"}},
                 {"fldOwner", {{"id", "usr1"}, {"email", "a@b.c"}, {"name", "A"}}}};
  airtable::Cells said = {
      {"fldText", R"("hello")"},
      {"fldSelect", R"({"id":"sel1","name":"Open","color":"blueLight2"})"},
      {"fldTags", R"([{"id":"s1","name":"a","color":"red"},{"id":"s2","name":"b"}])"},
      {"fldLinks", R"([{"id":"recA","name":"A"},{"id":"recB","name":"B"}])"},
      {"fldOwner", R"({"id":"usr1","email":"a@b.c","name":"A","permissionLevel":"create"})"}};
  EXPECT_TRUE(PayloadMatchesAnswer(&table, said, answer));
}

TEST(EchoMatchTest, ADifferentValueOrOrderIsNoEcho) {
  mapping::TablePlan table = Table();
  json answer = {{"fldText", "hello"}, {"fldLinks", {"recA", "recB"}}};
  EXPECT_FALSE(PayloadMatchesAnswer(&table, {{"fldText", R"("hello!")"}}, answer));
  EXPECT_FALSE(PayloadMatchesAnswer(
      &table, {{"fldLinks", R"([{"id":"recB","name":"B"},{"id":"recA","name":"A"}])"}}, answer));
  // A field the answer did not have (empty there) with a value here.
  EXPECT_FALSE(PayloadMatchesAnswer(&table, {{"fldSelect", R"({"id":"s","name":"X"})"}}, answer));
}

// Airtable leaves empty cells out of an answer; a payload says null (or
// false for a checkbox) for a cell the write cleared.
TEST(EchoMatchTest, AnEmptyCellEqualsAnAbsentOne) {
  mapping::TablePlan table = Table();
  json answer = {{"fldText", "x"}};
  EXPECT_TRUE(PayloadMatchesAnswer(
      &table, {{"fldDone", "false"}, {"fldSelect", "null"}, {"fldTags", "[]"}}, answer));
}

// A lookup's payload form ({valuesByLinkedRecordId, linkedRecordIds}) is
// not compared with the answer's flat array: such a record is read.
TEST(EchoMatchTest, ALookupCellIsNeverTakenForAnEcho) {
  mapping::TablePlan table = Table();
  json answer = {{"fldLookup", {"x"}}};
  EXPECT_FALSE(PayloadMatchesAnswer(
      &table,
      {{"fldLookup", R"({"valuesByLinkedRecordId":{"recA":["x"]},"linkedRecordIds":["recA"]})"}},
      answer));
}

// Cells of fields the plan does not know (the `airpg key` before the schema
// sync adds it) compare as they are.
TEST(EchoMatchTest, FieldsOutsideThePlanCompareAsSent) {
  json answer = {{"fldKey", "k-1"}, {"fldNum", 1.5}};
  EXPECT_TRUE(PayloadMatchesAnswer(nullptr, {{"fldKey", R"("k-1")"}, {"fldNum", "1.5"}}, answer));
  EXPECT_FALSE(PayloadMatchesAnswer(nullptr, {{"fldKey", R"("k-2")"}}, answer));
}

}  // namespace
}  // namespace airpg::sync
