// Canonical cells of relation fields: links and collaborators compare as
// their whole ordered list of ids, whichever side and format they come from.
#include "sync/canonical_cells.h"

#include <gtest/gtest.h>

namespace airpg::sync {
namespace {

mapping::FieldPlan Field(mapping::Storage storage, mapping::LinkRole role) {
  mapping::FieldPlan f;
  f.column.storage = storage;
  f.link_role = role;
  return f;
}

TEST(CanonicalCellsTest, LinksAreTheirOrderedRecordIds) {
  auto links = Field(mapping::Storage::kJunction, mapping::LinkRole::kJunction);
  EXPECT_TRUE(IsRelationField(links));
  EXPECT_EQ(RelationCell(links, R"(["recB","recA"])"), R"(["recB","recA"])");
  EXPECT_EQ(RelationCell(links, "[]"), "null");
  EXPECT_EQ(RelationCell(links, std::nullopt), "null");
  EXPECT_EQ(CanonicalAirtableCell(links, R"(["recA"])"), R"(["recA"])");
  auto key = Field(mapping::Storage::kForeignKey, mapping::LinkRole::kForeignKey);
  EXPECT_EQ(RelationCell(key, R"(["recA"])"), R"(["recA"])");
  // The inverse side of a junction is Airtable's mirror of the owner: never decided.
  EXPECT_FALSE(
      IsRelationField(Field(mapping::Storage::kJunction, mapping::LinkRole::kJunctionInverse)));
}

TEST(CanonicalCellsTest, CollaboratorsAreTheirUserIdsWhicheverFormat) {
  auto one = Field(mapping::Storage::kUser, mapping::LinkRole::kNone);
  EXPECT_EQ(RelationCell(one, R"({"id":"usrA","email":"a@x","name":"A"})"), R"("usrA")");
  EXPECT_EQ(RelationCell(one, R"({"id":"usrA"})"), R"("usrA")");  // as the dispatcher sends it
  EXPECT_EQ(RelationCell(one, R"("usrA")"), R"("usrA")");         // as Postgres holds it
  EXPECT_EQ(RelationCell(one, "null"), "null");
  auto many = Field(mapping::Storage::kUserJunction, mapping::LinkRole::kNone);
  EXPECT_EQ(RelationCell(many, R"([{"id":"usrB","name":"B"},{"id":"usrA"}])"),
            R"(["usrB","usrA"])");
  EXPECT_EQ(RelationCell(many, R"(["usrB","usrA"])"), R"(["usrB","usrA"])");
}

}  // namespace
}  // namespace airpg::sync
