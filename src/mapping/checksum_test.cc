#include "mapping/checksum.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "airtable/record.h"
#include "airtable/testing_fixtures.h"
#include "mapping/cell_value.h"
#include "mapping/relation_cells.h"
#include "mapping/testing_cells.h"
#include "pg/quote.h"
#include "pg/testing/pg_test.h"

namespace airpg::mapping {
namespace {

using airtable::Field;
using airtable::testing::Fixture;

Field Make(std::string type, std::string options = "") {
  return testing::MakeField(std::move(type), std::move(options));
}

// The canonical text of `cell` in a field of `type`; "!CODE" when refused.
std::string Canon(const Field& field, std::optional<std::string_view> cell,
                  bool unordered_links = false) {
  Result<ColumnPlan> plan = PlanField(field);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  if (!plan.ok()) return "!PLAN";
  Result<std::string> canonical = CanonicalCell(field, *plan, cell, unordered_links);
  if (!canonical.ok()) return "!" + std::string(StatusCodeName(canonical.status().code()));
  return *canonical;
}

// Every spelling in `cells` must give one canonical text, and not an error.
void ExpectSame(const Field& field, const std::vector<std::optional<std::string>>& cells) {
  std::string first = Canon(field, cells[0]);
  EXPECT_NE(first.substr(0, 1), "!") << field.type_name << " " << cells[0].value_or("absent");
  for (const auto& cell : cells) {
    EXPECT_EQ(Canon(field, cell), first) << field.type_name << " " << cell.value_or("absent");
  }
}

TEST(CanonicalCellTest, SpellingsOfOneValueAgree) {
  ExpectSame(Make("number", R"({"precision":2})"), {"1.5", "1.50", "1.5e0", "15E-1", " 1.5 "});
  ExpectSame(Make("currency", R"({"precision":2})"), {"1200", "1200.00", "1.2e3"});
  ExpectSame(Make("duration"), {"3600", "3600.0", "3.6e3"});
  ExpectSame(Make("dateTime", R"({"timeZone":"utc"})"),
             {R"("2022-09-05T07:00:00.000Z")", R"("2022-09-05T07:00:00Z")",
              R"("2022-09-05T07:00:00.0Z")", R"("2022-09-05T07:00:00.000000Z")"});
  ExpectSame(Make("singleLineText"), {R"("Zoë")", R"("Zo\u00eb")"});
  ExpectSame(Make("barcode"), {R"({"text":"0123","type":"upce"})", R"({ "type": "upce",
             "text": "0123" })"});
  ExpectSame(Make("hologram"), {R"({"a":1.50,"b":[1,{"c":"\u00e9","d":null}]})",
                                R"({"b":[1.0,{"d":null,"c":"é"}],"a":15e-1})"});
  ExpectSame(Make("multipleSelects", R"({"choices":[]})"), {R"(["A","B"])", R"([ "A" , "B" ])"});
}

TEST(CanonicalCellTest, EveryEmptyFormIsTheEmptyValue) {
  const std::optional<std::string> absent;
  struct Empty {
    Field field;
    std::vector<std::optional<std::string>> cells;
  } empties[] = {
      {Make("checkbox"), {absent, "false"}},
      {Make("singleLineText"), {absent, R"("")"}},
      {Make("multipleSelects", R"({"choices":[]})"), {absent, "[]"}},
      {Make("multipleRecordLinks", R"({"linkedTableId":"tblX"})"), {absent, "[]"}},
      {Make("multipleRecordLinks", R"({"prefersSingleRecordLink":true})"), {absent, "[]"}},
      {Make("multipleCollaborators"), {absent, "[]"}},
      {Make("singleCollaborator"), {absent, "null"}},
      {Make("multipleAttachments"), {absent, "[]"}},
      {Make("hologram"), {absent, "null", "[]"}},
  };
  for (const Empty& e : empties) {
    for (const auto& cell : e.cells) {
      EXPECT_EQ(Canon(e.field, cell), "") << e.field.type_name << " " << cell.value_or("absent");
    }
  }
  EXPECT_NE(Canon(Make("checkbox"), "true"), "");
}

TEST(CanonicalCellTest, DifferentValuesNeverShareAText) {
  Field selects = Make("multipleSelects", R"({"choices":[]})");
  std::vector<std::string> texts = {
      Canon(selects, R"(["a,b"])"),
      Canon(selects, R"(["a","b"])"),
      Canon(selects, R"(["ab"])"),
      Canon(selects, R"(["b","a"])"),
      Canon(selects, R"(["1:a"])"),
      Canon(selects, R"([""])"),
      Canon(Make("number", R"({"precision":2})"), "1.5"),
      Canon(Make("number", R"({"precision":2})"), "1.51"),
      Canon(Make("dateTime", R"({"timeZone":"utc"})"), R"("2022-09-05T07:00:00.001Z")"),
      Canon(Make("dateTime", R"({"timeZone":"utc"})"), R"("2022-09-05T07:00:00.000Z")"),
      Canon(Make("singleLineText"), R"("Zoë")"),
      Canon(Make("singleLineText"), R"("zoë")"),
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    for (size_t j = i + 1; j < texts.size(); ++j) EXPECT_NE(texts[i], texts[j]) << i << " " << j;
  }
}

TEST(CanonicalCellTest, LinkOrderMattersUnlessUnordered) {
  Field links = Make("multipleRecordLinks", R"({"linkedTableId":"tblX"})");
  EXPECT_NE(Canon(links, R"(["recA","recB"])"), Canon(links, R"(["recB","recA"])"));
  EXPECT_EQ(Canon(links, R"(["recA","recB"])", true), Canon(links, R"(["recB","recA"])", true));
  EXPECT_NE(Canon(links, R"(["recA","recB"])", true), Canon(links, R"(["recA","recC"])", true));
}

TEST(CanonicalCellTest, CollaboratorsCountByIdOnly) {
  Field user = Make("singleCollaborator");
  EXPECT_EQ(Canon(user, R"({"id":"usrA","email":"a@x.com","name":"A"})"),
            Canon(user, R"({"id":"usrA","email":"new@x.com"})"));
  EXPECT_NE(Canon(user, R"({"id":"usrA"})"), Canon(user, R"({"id":"usrB"})"));
  Field users = Make("multipleCollaborators");
  EXPECT_NE(Canon(users, R"([{"id":"usrA"},{"id":"ugpB"}])"),
            Canon(users, R"([{"id":"ugpB"},{"id":"usrA"}])"));
  Field created_by = Make("createdBy");
  EXPECT_EQ(Canon(created_by, R"({"id":"usrA","name":"A"})"), Canon(user, R"({"id":"usrA"})"));
}

TEST(CanonicalCellTest, AttachmentsIgnoreUrlsButNotFiles) {
  Field files = Make("multipleAttachments");
  std::string base = Canon(files, Fixture("cells/attachments_cell_real.json"));
  auto edited = [&](std::string from, std::string to) {
    std::string cell = Fixture("cells/attachments_cell_real.json");
    cell.replace(cell.find(from), from.size(), to);
    return Canon(files, cell);
  };
  EXPECT_EQ(edited("https://v5.airtableusercontent.com/v3/u/43/43/1754193600000/NiCY",
                   "https://v5.airtableusercontent.com/v3/u/44/44/1754200000000/Zz"),
            base);
  EXPECT_EQ(edited("\"width\": 36", "\"width\": 37"), base);  // a thumbnail
  EXPECT_NE(edited("blue+light.jpg", "blue light.jpg"), base);
  EXPECT_NE(edited("52668", "52669"), base);
  EXPECT_NE(edited("\"image/jpeg\"", "\"image/png\""), base);
  // Rows keep no URL and may lack a size Airtable never sent.
  EXPECT_EQ(Canon(files, R"([{"id":"attA","filename":"a.txt","size":0}])"),
            Canon(files, R"([{"id":"attA","url":"https://x/a","filename":"a.txt"}])"));
}

TEST(CanonicalCellTest, UnconvertibleCellsAreTheConvertersError) {
  EXPECT_EQ(Canon(Make("number", R"({"precision":2})"), R"("12")"), "!INVALID_ARGUMENT");
  EXPECT_EQ(Canon(Make("multipleRecordLinks"), R"(["usrA"])"), "!INVALID_ARGUMENT");
  EXPECT_EQ(Canon(Make("multipleAttachments"), "{}"), "!INVALID_ARGUMENT");
  Field links = Make("multipleRecordLinks");
  Result<std::string> bad = CanonicalCell(links, *PlanField(links), R"(["recA","recA"])");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Test"), std::string_view::npos) << bad.status().message();
}

TEST(RecordChecksumTest, FramedFieldsInIdOrder) {
  RecordChecksum empty;
  EXPECT_EQ(empty.Finish(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The format is pinned: checksums are compared across airpg versions.
  RecordChecksum sum;
  sum.Add("fldB", "[1:a");
  sum.Add("fldA", "=x");
  EXPECT_EQ(sum.Finish(), "29d015c5046c884b6dd9392bc28b33bee5e96122e6a03aca236f89f225dd99fb");
  // Finish leaves it empty for the next record.
  EXPECT_EQ(sum.Finish(), empty.Finish());
}

TEST(RecordChecksumTest, OrderAndEmptyCellsDoNotCountValuesDo) {
  auto checksum = [](std::vector<std::pair<std::string, std::string>> cells) {
    RecordChecksum sum;
    for (const auto& [field_id, canonical] : cells) sum.Add(field_id, canonical);
    return sum.Finish();
  };
  std::string base = checksum({{"fldA", "=1"}, {"fldB", "=two"}, {"fldC", "[1:x"}});
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(checksum({{"fldC", "[1:x"}, {"fldA", "=1"}, {"fldB", "=two"}}), base);
  EXPECT_EQ(checksum({{"fldA", "=1"}, {"fldB", "=two"}, {"fldD", ""}, {"fldC", "[1:x"}}), base);
  EXPECT_NE(checksum({{"fldA", "=1"}, {"fldB", "=twO"}, {"fldC", "[1:x"}}), base);
  EXPECT_NE(checksum({{"fldA", "=1"}, {"fldB", "=two"}}), base);
  EXPECT_NE(checksum({{"fldA", "=1"}, {"fldB", "=two"}, {"fldE", "[1:x"}}), base);
  // Length prefixes: moving bytes between an id and its value is a change.
  EXPECT_NE(checksum({{"fldA", "=1"}}), checksum({{"fldA=", "1"}}));
}

// What `airpg verify` does, with Postgres in the loop: the cell Airtable
// sent and the cell rebuilt from what the loader stored must agree.
class ChecksumPgTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(conn().RunScript("SET TIME ZONE 'UTC'").ok());
  }

  // The value as Postgres prints it once cast to the column's type.
  PgValue Stored(const std::string& sql_type, const PgValue& value) {
    if (value.is_null) return value;  // a formula error keeps its cell_error
    pg::Param param = value.text;
    if (value.array) {
      std::vector<std::optional<std::string>> items(value.array->begin(), value.array->end());
      param = pg::ArrayLiteral(items);
    }
    Result<pg::Rows> rows = conn().Exec("SELECT $1::" + sql_type, {param});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->IsNull(0, 0)) return PgValue::Null();
    if (!value.array) return PgValue::Scalar(std::string(rows->Get(0, 0)));
    Result<std::vector<std::optional<std::string>>> parsed = pg::ParseArray(rows->Get(0, 0));
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (!parsed.ok()) return PgValue::Null();
    return PgValue::Array(std::move(*parsed));
  }

  // The cell the verifier rebuilds from the rows the loader made of `cell`.
  std::optional<std::string> Rebuilt(const Field& field, const ColumnPlan& plan,
                                     std::optional<std::string_view> cell) {
    if (plan.storage == Storage::kColumn || plan.storage == Storage::kChoice ||
        plan.storage == Storage::kChoiceArray) {
      Result<PgValue> value = CellToPg(field, plan, cell);
      EXPECT_TRUE(value.ok()) << value.status().ToString();
      Result<std::optional<std::string>> back =
          PgToCell(field, plan, Stored(plan.sql_type, value.ok() ? *value : PgValue::Null()));
      EXPECT_TRUE(back.ok()) << back.status().ToString();
      return back.ok() ? *back : std::nullopt;
    }
    if (!cell) return std::nullopt;
    if (plan.storage == Storage::kAttachments) {
      std::vector<Attachment> rows = *ParseAttachmentCell(*cell);
      for (Attachment& row : rows) row.url.clear();  // expires: never stored
      return AttachmentCellJson(rows);
    }
    if (plan.storage == Storage::kUser || plan.storage == Storage::kUserJunction) {
      return CollaboratorCellJson(field.type, *ParseCollaboratorCell(field.type, *cell));
    }
    return LinkCellJson(*ParseLinkCell(*cell));
  }
};

TEST_F(ChecksumPgTest, EveryCellsTestCaseAgreesWithItsRebuild) {
  int compared = 0;
  for (const testing::CellCase& c : testing::LoadCellCases()) {
    if (c.expected[0] == '!') continue;
    SCOPED_TRACE("cells.test:" + std::to_string(c.line) + " " + c.field.type_name);
    ColumnPlan plan = *PlanField(c.field);
    std::optional<std::string> rebuilt = Rebuilt(c.field, plan, c.cell);
    EXPECT_EQ(Canon(c.field, rebuilt), Canon(c.field, c.cell)) << rebuilt.value_or("absent");
    ++compared;
  }
  EXPECT_GE(compared, 30);
}

TEST_F(ChecksumPgTest, RealRecordsMatchTheirRowsAndNotAnEditedCopy) {
  Result<airtable::BaseSchema> schema =
      airtable::ParseBaseSchema(Fixture("meta/base_schema_art_gallery_real.json"));
  Result<airtable::RecordPage> page =
      airtable::ParseRecordPage(Fixture("records/art_gallery_list_records_full.json"));
  ASSERT_TRUE(schema.ok() && page.ok());
  const airtable::Table* table = schema->FindTable("tblUmsH10MkIMMGYP");
  ASSERT_NE(table, nullptr);
  for (const airtable::Record& record : page->records) {
    SCOPED_TRACE(record.id);
    RecordChecksum from_airtable, from_rows, edited;
    for (const Field& field : table->fields) {
      ColumnPlan plan = *PlanField(field);
      std::optional<std::string_view> cell = record.Cell(field.name);
      std::optional<std::string> rebuilt = Rebuilt(field, plan, cell);
      std::string canonical = *CanonicalCell(field, plan, cell);
      from_airtable.Add(field.id, canonical);
      from_rows.Add(field.id, *CanonicalCell(field, plan, rebuilt));
      if (field.name == "Bio") {
        ASSERT_TRUE(cell.has_value());
        std::string changed = std::string(cell->substr(0, cell->size() - 1)) + ".\"";
        edited.Add(field.id, *CanonicalCell(field, plan, changed));
      } else {
        edited.Add(field.id, canonical);
      }
    }
    std::string checksum = from_airtable.Finish();
    EXPECT_EQ(from_rows.Finish(), checksum);
    EXPECT_NE(edited.Finish(), checksum);
  }
}

}  // namespace
}  // namespace airpg::mapping
