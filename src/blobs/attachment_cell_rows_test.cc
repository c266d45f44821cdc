// One cell's rows of airpg.attachments changed by the one writer, against a
// real Postgres: serve's edits, the outbox's records and the move of a row's
// placeholder cell to its rec id.
#include "blobs/attachment_cell_rows.h"

#include <gtest/gtest.h>

#include "blobs/attachment_rows.h"
#include "blobs/blob_store.h"
#include "blobs/testing/blob_testing.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::blobs {
namespace {

constexpr char kTable[] = "tblFiles000000001";

class AttachmentCellRowsTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    auto store = BlobStore::Open({});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    sha_ = testing::Sha256Hex("one");
    ASSERT_TRUE((*store)->PutBytes(conn(), sha_, "one").ok());
    // The writes are airpg's own (the guard of catalog_v9 lets them pass).
    ASSERT_TRUE(conn().Run("SET airpg.origin = 'airtable'").ok());
  }

  // Rows of `record` with ids att1…: Airtable's attachments of the cell.
  void Put(const std::string& record, const std::vector<std::string>& ids) {
    std::vector<AttachmentCell> rows;
    for (size_t i = 0; i < ids.size(); ++i) {
      Attachment a;
      a.attachment_id = ids[i];
      a.filename = ids[i] + ".txt";
      a.size = 3;
      a.sha256 = sha_;
      rows.push_back({record, "fldA", static_cast<int>(i), a});
    }
    ASSERT_TRUE(ReplaceAttachmentCells(conn(), "s", kTable, {{record, "fldA"}}, rows).ok());
  }

  // position:id (or position:-filename for a row not in Airtable yet), in order.
  std::string Cell(const std::string& record) {
    auto rows = conn().Exec(
        "SELECT coalesce(string_agg(position || ':' || coalesce(attachment_id, '-' || filename), "
        "',' ORDER BY position), '') FROM airpg.attachments WHERE schema_name = 's' AND "
        "record_id = $1 AND field_id = 'fldA'",
        {record});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::string(rows->Get(0, 0)) : "";
  }

  std::string sha_;
  const CellKey rec1_{"s", "rec1", "fldA"};
};

TEST_F(AttachmentCellRowsTest, ServeEditsRemoveReorderAndAddByUrl) {
  Put("rec1", {"att1", "att2", "att3"});
  ASSERT_TRUE(DeleteAttachmentsAt(conn(), rec1_, {1}).ok());
  ASSERT_TRUE(MoveAttachments(conn(), rec1_, {{0, 1}, {2, 0}}).ok());
  ASSERT_TRUE(AddUrlAttachment(conn(), rec1_, kTable, 2, "scan.pdf", "http://files/scan.pdf",
                               "attReserved000001")
                  .ok());
  EXPECT_EQ(Cell("rec1"), "0:att3,1:att1,2:-scan.pdf");
  auto url = conn().Exec(
      "SELECT source_url, reserved_id, sha256 IS NULL FROM airpg.attachments WHERE position = 2");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(std::string(url->Get(0, 0)), "http://files/scan.pdf");
  EXPECT_EQ(std::string(url->Get(0, 1)), "attReserved000001");
  EXPECT_EQ(std::string(url->Get(0, 2)), "t");
}

TEST_F(AttachmentCellRowsTest, OutboxRecordsWhatAirtableAnsweredAndWhatTheRuleDecided) {
  Put("rec1", {"att1", "att2"});
  ASSERT_TRUE(AddUrlAttachment(conn(), rec1_, kTable, 2, "a.pdf", "http://f/a", "attR1").ok());
  ASSERT_TRUE(AddUrlAttachment(conn(), rec1_, kTable, 3, "b.pdf", "http://f/b", "attR2").ok());
  // Airtable's answer names the sent file: the pending row takes its id.
  ASSERT_TRUE(RecordSentAttachment(conn(), rec1_, 2, "attNew1").ok());
  EXPECT_EQ(Cell("rec1"), "0:att1,1:att2,2:attNew1,3:-b.pdf");
  // The echo brought the answer's attachment as a row of its own already:
  // the pending row goes.
  ASSERT_TRUE(RecordSentAttachment(conn(), rec1_, 3, "att1").ok());
  EXPECT_EQ(Cell("rec1"), "0:att1,1:att2,2:attNew1");
  // Postgres's cell (att2 only) won over Airtable's, which holds att1 and
  // not att2: rows Postgres did not own go, att2 is pending again.
  ASSERT_TRUE(PutBackAttachments(conn(), rec1_, {"att2"}, {"att1"}).ok());
  EXPECT_EQ(Cell("rec1"), "1:-att2.txt");
  // Airtable's cell won: everything it does not hold goes, pending rows too.
  Put("rec1", {"att7"});
  ASSERT_TRUE(AddUrlAttachment(conn(), rec1_, kTable, 5, "c.pdf", "http://f/c", "attR4").ok());
  ASSERT_TRUE(KeepOnlyAttachments(conn(), rec1_, {"att7"}).ok());
  EXPECT_EQ(Cell("rec1"), "0:att7");
}

TEST_F(AttachmentCellRowsTest, APlaceholderCellMovesAfterTheRecordsOwnOrGoes) {
  Put("rec1", {"att1"});
  const CellKey row{"s", "row:7", "fldA"};
  ASSERT_TRUE(AddUrlAttachment(conn(), row, kTable, 0, "a.pdf", "http://f/a", "attR1").ok());
  ASSERT_TRUE(AddUrlAttachment(conn(), row, kTable, 1, "b.pdf", "http://f/b", "attR2").ok());
  ASSERT_TRUE(MoveCellAttachments(conn(), row, kTable, "rec1").ok());
  EXPECT_EQ(Cell("rec1"), "0:att1,1:-a.pdf,2:-b.pdf");
  EXPECT_EQ(Cell("row:7"), "");
  const CellKey gone{"s", "row:8", "fldA"};
  ASSERT_TRUE(AddUrlAttachment(conn(), gone, kTable, 0, "x.pdf", "http://f/x", "attR3").ok());
  ASSERT_TRUE(DeleteCellAttachments(conn(), gone, kTable).ok());
  EXPECT_EQ(Cell("row:8"), "");
}

TEST_F(AttachmentCellRowsTest, AKeptTableIsCopiedToTheStagingSchemaOnce) {
  Put("rec1", {"att1", "att2"});
  auto copied = CopyTableAttachments(conn(), "s", "staging", kTable);
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(*copied, 2);
  copied = CopyTableAttachments(conn(), "s", "staging", kTable);
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(*copied, 0);  // rows the staging schema holds already stay
}

}  // namespace
}  // namespace airpg::blobs
