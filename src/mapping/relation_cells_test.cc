#include "mapping/relation_cells.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airtable/record.h"
#include "airtable/testing_fixtures.h"

namespace airpg::mapping {
namespace {

using airtable::FieldType;
using airtable::testing::Fixture;
using nlohmann::json;

// The reason must name what is wrong: it goes to the rejects ledger as is.
void ExpectReject(const Status& status, std::string_view reason) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find(reason), std::string_view::npos) << status.message();
}

TEST(LinkCellTest, RealCellsRoundTrip) {
  Result<airtable::RecordPage> page =
      airtable::ParseRecordPage(Fixture("records/art_gallery_list_records_full.json"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  int links = 0;
  for (const airtable::Record& record : page->records) {
    std::optional<std::string_view> cell = record.Cell("Collection");
    if (!cell) continue;
    Result<std::vector<std::string>> ids = ParseLinkCell(*cell);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    ASSERT_FALSE(ids->empty());
    EXPECT_EQ(LinkCellJson(*ids), *cell);  // records keep cells minified
    links += static_cast<int>(ids->size());
  }
  EXPECT_GE(links, 7);
}

TEST(LinkCellTest, KeepsCellOrder) {
  Result<std::vector<std::string>> ids = ParseLinkCell(R"([ "recB", "recA" , "recC"])");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"recB", "recA", "recC"}));
  EXPECT_EQ(LinkCellJson(*ids), R"(["recB","recA","recC"])");
  EXPECT_EQ(LinkCellJson({}), "[]");
  EXPECT_TRUE(ParseLinkCell("[]").ok());
}

TEST(LinkCellTest, AnythingButRecordIdsIsRejected) {
  ExpectReject(ParseLinkCell("\"recA\"").status(), "array of record ids");
  ExpectReject(ParseLinkCell("[1,2]").status(), "array of record ids");
  ExpectReject(ParseLinkCell("[\"recA\"").status(), "array of record ids");  // truncated
  // The webhook (V2) form is not the REST cell.
  ExpectReject(ParseLinkCell(R"([{"id":"recA","name":"A"}])").status(), "array of record ids");
  ExpectReject(ParseLinkCell(R"(["usrA"])").status(), "not a rec… id");
  ExpectReject(ParseLinkCell(R"(["rec"])").status(), "not a rec… id");
  ExpectReject(ParseLinkCell(R"(["recA","recB","recA"])").status(), "recA twice");
}

TEST(CollaboratorCellTest, SingleKindsReadOneObject) {
  const char* cell =
      R"({"id":"usrBw9fdcVFbu7ug9","email":"ngocnicholas@gmail.com","name":"Ngoc Nicholas",)"
      R"("permissionLevel":"create"})";
  for (FieldType type :
       {FieldType::kSingleCollaborator, FieldType::kCreatedBy, FieldType::kLastModifiedBy}) {
    Result<std::vector<Collaborator>> users = ParseCollaboratorCell(type, cell);
    ASSERT_TRUE(users.ok()) << users.status().ToString();
    ASSERT_EQ(users->size(), 1u);
    EXPECT_EQ((*users)[0].id, "usrBw9fdcVFbu7ug9");
    EXPECT_EQ((*users)[0].email, "ngocnicholas@gmail.com");
    EXPECT_EQ((*users)[0].name, "Ngoc Nicholas");
    // The read form drops the webhook-only keys.
    EXPECT_EQ(CollaboratorCellJson(type, *users),
              R"({"id":"usrBw9fdcVFbu7ug9","email":"ngocnicholas@gmail.com",)"
              R"("name":"Ngoc Nicholas"})");
    ExpectReject(ParseCollaboratorCell(type, "[" + std::string(cell) + "]").status(),
                 "not a collaborator");
  }
}

TEST(CollaboratorCellTest, MultipleReadsAnArrayWithGroupsAndMissingKeys) {
  const char* cell =
      R"([{"id":"usrA0000000000001","email":"a@example.com"},)"
      R"({"id":"ugpB0000000000002","name":"Ops \"on call\" ✓"},{"id":"usrC0000000000003"}])";
  Result<std::vector<Collaborator>> users =
      ParseCollaboratorCell(FieldType::kMultipleCollaborators, cell);
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[1].id, "ugpB0000000000002");
  EXPECT_FALSE((*users)[0].name);
  EXPECT_FALSE((*users)[1].email);
  EXPECT_EQ((*users)[1].name, "Ops \"on call\" ✓");
  EXPECT_FALSE((*users)[2].email || (*users)[2].name);
  std::string rebuilt = CollaboratorCellJson(FieldType::kMultipleCollaborators, *users);
  EXPECT_EQ(json::parse(rebuilt), json::parse(cell));
  EXPECT_EQ(CollaboratorCellJson(FieldType::kMultipleCollaborators, {}), "[]");
}

TEST(CollaboratorCellTest, NoCollaboratorIsNullForSingleKinds) {
  EXPECT_EQ(CollaboratorCellJson(FieldType::kSingleCollaborator, {}), "null");
  Result<std::vector<Collaborator>> none =
      ParseCollaboratorCell(FieldType::kSingleCollaborator, "null");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(CollaboratorCellTest, BadCellsAreRejected) {
  FieldType multiple = FieldType::kMultipleCollaborators;
  ExpectReject(ParseCollaboratorCell(multiple, R"({"id":"usrA"})").status(), "not collaborators");
  ExpectReject(ParseCollaboratorCell(multiple, R"(["usrA"])").status(), "not collaborators");
  ExpectReject(ParseCollaboratorCell(multiple, "[{").status(), "not valid JSON");
  ExpectReject(ParseCollaboratorCell(multiple, R"([{"email":"a@example.com"}])").status(),
               "without an id");
  ExpectReject(ParseCollaboratorCell(multiple, R"([{"id":"recA"}])").status(),
               "not a usr… or ugp… id");
  ExpectReject(ParseCollaboratorCell(multiple, R"([{"id":"usrA"},{"id":"usrA"}])").status(),
               "usrA twice");
  EXPECT_EQ(ParseCollaboratorCell(FieldType::kSingleLineText, R"({"id":"usrA"})").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(AttachmentCellTest, RealCellRoundTripsWithoutThumbnails) {
  std::string cell = Fixture("cells/attachments_cell_real.json");
  Result<std::vector<Attachment>> files = ParseAttachmentCell(cell);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ((*files)[0].id, "attLVumLibzCVC78C");
  EXPECT_EQ((*files)[0].filename, "blue+light.jpg");
  EXPECT_EQ((*files)[0].size, 52668);
  EXPECT_EQ((*files)[0].type, "image/jpeg");
  EXPECT_EQ((*files)[3].width, 600);
  EXPECT_TRUE((*files)[0].thumbnails.empty());
  json expected = json::parse(cell);
  for (json& file : expected) file.erase("thumbnails");
  EXPECT_EQ(json::parse(AttachmentCellJson(*files)), expected);
}

TEST(AttachmentCellTest, RowsWithoutUrlOrTypeBuildTheKeysTheyHave) {
  std::vector<Attachment> rows(2);
  rows[0].id = "attA0000000000001";
  rows[0].filename = "notes \"v2\".txt";
  rows[1].id = "attB0000000000002";
  rows[1].filename = "pic.png";
  rows[1].type = "image/png";
  rows[1].width = 10;
  rows[1].height = 20;
  rows[1].sha256 = "ab";  // airpg's, never part of Airtable's form
  std::string built = AttachmentCellJson(rows);
  EXPECT_EQ(built,
            R"([{"id":"attA0000000000001","filename":"notes \"v2\".txt","size":0},)"
            R"({"id":"attB0000000000002","width":10,"height":20,"filename":"pic.png","size":0,)"
            R"("type":"image/png"}])");
  Result<std::vector<Attachment>> back = ParseAttachmentCell(built);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)[0].filename, "notes \"v2\".txt");
  EXPECT_EQ((*back)[0].size, 0);  // the reader's 0 for a size never sent
  EXPECT_FALSE((*back)[0].width);
  EXPECT_EQ((*back)[1].height, 20);
  EXPECT_EQ(AttachmentCellJson({}), "[]");
}

TEST(AttachmentCellTest, BadCellsAreRejected) {
  ExpectReject(ParseAttachmentCell(R"({"id":"attA"})").status(), "not attachments");
  ExpectReject(ParseAttachmentCell(R"([{"url":"https://x/y.png"}])").status(), "not an att… id");
  ExpectReject(ParseAttachmentCell(R"([{"id":"attA","filename":"a","size":-1}])").status(),
               "size -1");
  ExpectReject(ParseAttachmentCell(R"([{"id":"attA","filename":"a","width":4294967296}])").status(),
               "width 4294967296");
  ExpectReject(ParseAttachmentCell("[").status(), "not valid JSON");
}

}  // namespace
}  // namespace airpg::mapping
