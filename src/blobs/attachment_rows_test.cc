// The one writer of airpg.attachments against a real Postgres: cells
// replaced whole, rows following their schema, deletes by schema, record and
// field.
#include "blobs/attachment_rows.h"

#include <gtest/gtest.h>

#include "blobs/blob_store.h"
#include "blobs/testing/blob_testing.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"
#include "pg/transaction.h"

namespace airpg::blobs {
namespace {

constexpr char kTable[] = "tblFiles000000001";

class AttachmentRowsTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    auto store = BlobStore::Open({});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const char* bytes : {"one", "two"}) {
      std::string sha = testing::Sha256Hex(bytes);
      ASSERT_TRUE((*store)->PutBytes(conn(), sha, bytes).ok());
      shas_.push_back(sha);
    }
  }

  AttachmentCell Cell(const std::string& record, const std::string& field, int position,
                      const std::string& id, int sha) {
    Attachment a;
    a.attachment_id = id;
    a.filename = id + ".txt";
    a.size = 3;
    a.width = position == 0 ? std::optional<int64_t>(640) : std::nullopt;
    a.sha256 = shas_[sha];
    return {record, field, position, a};
  }

  std::string Rows(const std::string& where = "true") {
    auto rows = conn().Exec(
        "SELECT coalesce(string_agg(schema_name || ':' || record_id || ':' || field_id || ':' || "
        "position || ':' || attachment_id || ':' || coalesce(width::text, '-'), ',' ORDER BY "
        "schema_name, record_id, field_id, position), '') FROM airpg.attachments WHERE " +
        where);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::string(rows->Get(0, 0)) : "";
  }

  std::vector<std::string> shas_;
};

TEST_F(AttachmentRowsTest, ReplacesTheListedCellsWholeAndLeavesTheOthers) {
  ASSERT_TRUE(ReplaceAttachmentCells(
                  conn(), "s", kTable, {{"rec1", "fldA"}, {"rec2", "fldA"}},
                  {Cell("rec1", "fldA", 0, "att1", 0), Cell("rec1", "fldA", 1, "att2", 1),
                   Cell("rec2", "fldA", 0, "att3", 0)})
                  .ok());
  EXPECT_EQ(Rows(), "s:rec1:fldA:0:att1:640,s:rec1:fldA:1:att2:-,s:rec2:fldA:0:att3:640");
  // rec1's cell now holds one attachment; rec2's is not listed, so it stays.
  ASSERT_TRUE(ReplaceAttachmentCells(conn(), "s", kTable, {{"rec1", "fldA"}},
                                     {Cell("rec1", "fldA", 0, "att2", 1)})
                  .ok());
  EXPECT_EQ(Rows(), "s:rec1:fldA:0:att2:640,s:rec2:fldA:0:att3:640");
  // A cell listed without rows becomes empty.
  ASSERT_TRUE(ReplaceAttachmentCells(conn(), "s", kTable, {{"rec2", "fldA"}}, {}).ok());
  EXPECT_EQ(Rows(), "s:rec1:fldA:0:att2:640");
}

TEST_F(AttachmentRowsTest, RowsFollowTheirSchemaAndGoByRecordFieldOrSchema) {
  ASSERT_TRUE(ReplaceAttachmentCells(
                  conn(), "staging", kTable, {{"rec1", "fldA"}, {"rec1", "fldB"}, {"rec2", "fldA"}},
                  {Cell("rec1", "fldA", 0, "att1", 0), Cell("rec1", "fldB", 0, "att2", 1),
                   Cell("rec2", "fldA", 0, "att3", 0)})
                  .ok());
  ASSERT_TRUE(MoveSchemaAttachments(conn(), "staging", "live").ok());
  EXPECT_EQ(Rows("schema_name = 'staging'"), "");
  ASSERT_TRUE(DeleteRecordAttachments(conn(), "live", kTable, "rec2").ok());
  ASSERT_TRUE(DeleteFieldAttachments(conn(), "live", "fldB").ok());
  EXPECT_EQ(Rows(), "live:rec1:fldA:0:att1:640");
  ASSERT_TRUE(DeleteSchemaAttachments(conn(), "live").ok());
  EXPECT_EQ(Rows(), "");
  // The blobs stay for other rows.
  auto blobs = conn().Exec("SELECT count(*) FROM airpg.blobs");
  EXPECT_EQ(std::string(blobs->Get(0, 0)), "2");
}

TEST_F(AttachmentRowsTest, AttachmentRowIsTheCopyFormOfTheColumns) {
  std::vector<pg::Param> row = AttachmentRow("s", kTable, Cell("rec1", "fldA", 2, "att9", 1));
  ASSERT_EQ(row.size(), AttachmentColumns().size());
  EXPECT_EQ(row[4], "2");
  EXPECT_EQ(row[5], "att9");
  EXPECT_FALSE(row[7].has_value());  // no content type
  EXPECT_EQ(row[9], shas_[1]);
  EXPECT_FALSE(row[10].has_value());  // no width
}

}  // namespace
}  // namespace airpg::blobs
