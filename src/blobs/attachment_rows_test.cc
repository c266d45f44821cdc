// The one writer of airpg.attachments against a real Postgres: cells
// replaced whole, rows following their schema, deletes by schema, record and
// field (attachment_rows.h); one cell's edits (attachment_cell_rows.h).
#include "blobs/attachment_rows.h"

#include "blobs/attachment_cell_rows.h"

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
    a.id = id;
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

  // Airtable's attachments `ids` as the cell of `record`, field fldA.
  void Put(const std::string& record, const std::vector<std::string>& ids) {
    std::vector<AttachmentCell> rows;
    for (size_t i = 0; i < ids.size(); ++i) {
      rows.push_back(Cell(record, "fldA", static_cast<int>(i), ids[i], 0));
    }
    ASSERT_TRUE(ReplaceAttachmentCells(conn(), "s", kTable, {{record, "fldA"}}, rows).ok());
  }

  // position:id (or position:-filename for a row not in Airtable yet), in order.
  std::string CellOf(const std::string& record) {
    auto rows = conn().Exec(
        "SELECT coalesce(string_agg(position || ':' || coalesce(attachment_id, '-' || filename), "
        "',' ORDER BY position), '') FROM airpg.attachments WHERE schema_name = 's' AND "
        "record_id = $1 AND field_id = 'fldA'",
        {record});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::string(rows->Get(0, 0)) : "";
  }

  std::vector<std::string> shas_;
};

const CellKey kRec1{"s", "rec1", "fldA"};

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

TEST_F(AttachmentRowsTest, ServeEditsRemoveReorderAndAddByUrl) {
  Put("rec1", {"att1", "att2", "att3"});
  ASSERT_TRUE(DeleteAttachmentsAt(conn(), kRec1, {1}).ok());
  ASSERT_TRUE(MoveAttachments(conn(), kRec1, {{0, 1}, {2, 0}}).ok());
  ASSERT_TRUE(AddUrlAttachment(conn(), kRec1, kTable, 2, "scan.pdf", "http://files/scan.pdf",
                               "attReserved000001")
                  .ok());
  EXPECT_EQ(CellOf("rec1"), "0:att3,1:att1,2:-scan.pdf");
  auto url = conn().Exec(
      "SELECT source_url, reserved_id, sha256 IS NULL FROM airpg.attachments WHERE position = 2");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(std::string(url->Get(0, 0)), "http://files/scan.pdf");
  EXPECT_EQ(std::string(url->Get(0, 1)), "attReserved000001");
  EXPECT_EQ(std::string(url->Get(0, 2)), "t");
}

TEST_F(AttachmentRowsTest, OutboxRecordsWhatAirtableAnsweredAndWhatTheRuleDecided) {
  Put("rec1", {"att1", "att2"});
  ASSERT_TRUE(AddUrlAttachment(conn(), kRec1, kTable, 2, "a.pdf", "http://f/a", "attR1").ok());
  ASSERT_TRUE(AddUrlAttachment(conn(), kRec1, kTable, 3, "b.pdf", "http://f/b", "attR2").ok());
  // Airtable's answer names the sent file: the pending row takes its id.
  ASSERT_TRUE(RecordSentAttachment(conn(), kRec1, 2, "attNew1").ok());
  EXPECT_EQ(CellOf("rec1"), "0:att1,1:att2,2:attNew1,3:-b.pdf");
  // The echo brought the answer's attachment as a row of its own already:
  // the pending row goes.
  ASSERT_TRUE(RecordSentAttachment(conn(), kRec1, 3, "att1").ok());
  EXPECT_EQ(CellOf("rec1"), "0:att1,1:att2,2:attNew1");
  // Postgres's cell (att2 only) won over Airtable's, which holds att1 and
  // not att2: rows Postgres did not own go, att2 is pending again.
  ASSERT_TRUE(PutBackAttachments(conn(), kRec1, {"att2"}, {"att1"}).ok());
  EXPECT_EQ(CellOf("rec1"), "1:-att2.txt");
  // Airtable's cell won: everything it does not hold goes, pending rows too.
  Put("rec1", {"att7"});
  ASSERT_TRUE(AddUrlAttachment(conn(), kRec1, kTable, 5, "c.pdf", "http://f/c", "attR4").ok());
  ASSERT_TRUE(KeepOnlyAttachments(conn(), kRec1, {"att7"}).ok());
  EXPECT_EQ(CellOf("rec1"), "0:att7");
}

TEST_F(AttachmentRowsTest, APlaceholderCellMovesAfterTheRecordsOwnOrGoes) {
  Put("rec1", {"att1"});
  const CellKey row{"s", "row:7", "fldA"};
  ASSERT_TRUE(AddUrlAttachment(conn(), row, kTable, 0, "a.pdf", "http://f/a", "attR1").ok());
  ASSERT_TRUE(AddUrlAttachment(conn(), row, kTable, 1, "b.pdf", "http://f/b", "attR2").ok());
  ASSERT_TRUE(MoveCellAttachments(conn(), row, kTable, "rec1").ok());
  EXPECT_EQ(CellOf("rec1"), "0:att1,1:-a.pdf,2:-b.pdf");
  EXPECT_EQ(CellOf("row:7"), "");
  const CellKey gone{"s", "row:8", "fldA"};
  ASSERT_TRUE(AddUrlAttachment(conn(), gone, kTable, 0, "x.pdf", "http://f/x", "attR3").ok());
  ASSERT_TRUE(DeleteCellAttachments(conn(), gone, kTable).ok());
  EXPECT_EQ(CellOf("row:8"), "");
}

TEST_F(AttachmentRowsTest, AKeptTableIsCopiedToTheStagingSchemaOnce) {
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
