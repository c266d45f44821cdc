#include "airtable/cell.h"

#include <gtest/gtest.h>

#include "airtable/testing_fixtures.h"

namespace airpg::airtable {
namespace {

TEST(CellTest, ScalarsInRestForm) {
  EXPECT_EQ(*ReadString(R"("Zoë, \"the\" 🚀")"), "Zoë, \"the\" 🚀");
  EXPECT_EQ(*ReadNumber("12.5"), 12.5);
  EXPECT_EQ(*ReadNumberText("12345678901234567890.12"), "12345678901234567890.12");
  EXPECT_EQ(*ReadBool("true"), true);
  std::vector<std::string> tags = {"A, with comma", "B"};
  EXPECT_EQ(*ReadStrings(R"(["A, with comma","B"])"), tags);
}

TEST(CellTest, WrongShapesAreInvalidArgument) {
  EXPECT_EQ(ReadString("12").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadNumber("\"12\"").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadStrings("[1]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadCollaborator("[]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadAttachments("[\"x\"]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadString("{broken").status().code(), StatusCode::kDataLoss);
}

TEST(CellTest, RealAttachmentsWithThumbnails) {
  auto attachments = ReadAttachments(testing::Fixture("cells/attachments_cell_real.json"));
  ASSERT_TRUE(attachments.ok()) << attachments.status().ToString();
  ASSERT_FALSE(attachments->empty());
  const Attachment& a = attachments->front();
  EXPECT_EQ(a.id, "attLVumLibzCVC78C");
  EXPECT_EQ(a.filename, "blue+light.jpg");
  EXPECT_EQ(a.size, 52668);
  EXPECT_EQ(a.type, "image/jpeg");
  EXPECT_EQ(a.width, 1000);
  EXPECT_EQ(a.thumbnails.at("small").height, 36);
  EXPECT_EQ(a.thumbnails.size(), 3u);
}

TEST(CellTest, CollaboratorsInBothForms) {
  auto rest = ReadCollaborator(R"({"id":"usr1","email":"a@b.c","name":"Ada"})");
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->name, "Ada");
  EXPECT_EQ(rest->permission_level, "");
  auto hook = ReadCollaborators(
      R"([{"id":"usr1","email":"a@b.c","permissionLevel":"edit","profilePicUrl":"https://p"}])");
  ASSERT_TRUE(hook.ok());
  EXPECT_EQ(hook->front().permission_level, "edit");
  EXPECT_EQ(hook->front().name, "");  // users without an account have no name
}

TEST(CellTest, WebhookFormsOfSelectsAndLinks) {
  auto choice = ReadSelectChoice(R"({"id":"selA","name":"Todo","color":"redLight2"})");
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->name, "Todo");
  auto choices = ReadSelectChoices(R"([{"id":"selA","name":"A"},{"id":"selB","name":"B"}])");
  ASSERT_TRUE(choices.ok());
  EXPECT_EQ(choices->at(1).color, "");
  auto links = ReadLinkedRecords(R"([{"id":"recA","name":"Acme"}])");
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(links->front().name, "Acme");
}

TEST(CellTest, ObjectCellsOfComputedAndSpecialTypes) {
  EXPECT_EQ(ReadBarcode(R"({"text":"0123","type":"upce"})")->type, "upce");
  auto button = ReadButton(R"({"label":"Open","url":null})");
  ASSERT_TRUE(button.ok());
  EXPECT_FALSE(button->url.has_value());
  auto ai = ReadAiText(R"({"state":"generated","isStale":true,"value":"Hi"})");
  ASSERT_TRUE(ai.ok());
  EXPECT_TRUE(ai->is_stale);
  EXPECT_EQ(ai->value, "Hi");
  EXPECT_EQ((*ReadSpecialValue(R"({"specialValue":"NaN"})"))->special_value, "NaN");
  EXPECT_EQ((*ReadSpecialValue(R"({"error":"#ERROR!"})"))->error, "#ERROR!");
  EXPECT_FALSE(ReadSpecialValue("42")->has_value());
}

}  // namespace
}  // namespace airpg::airtable
