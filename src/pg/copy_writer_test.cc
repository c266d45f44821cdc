#include "pg/copy_writer.h"

#include <gtest/gtest.h>

#include <fmt/core.h>

#include "pg/testing/pg_test.h"
#include "pg/transaction.h"

namespace airpg::pg {
namespace {

class CopyWriterTest : public testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(conn()
                    .RunScript("CREATE SCHEMA s; CREATE TABLE s.\"Rows\" (id bigint PRIMARY KEY, "
                               "name text, amount numeric(12,2), seen timestamptz, tags text[])")
                    .ok());
  }
};

TEST_F(CopyWriterTest, Loads100000Rows) {
  auto writer = CopyWriter::Start(conn(), "s", "Rows", {"id", "name", "amount", "seen", "tags"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  constexpr int kRows = 100000;
  for (int i = 0; i < kRows; ++i) {
    Param name = i % 10 == 0 ? Param() : Param(fmt::format("row {}\twith tab ✓", i));
    Status s = writer->WriteRow({std::to_string(i), name, fmt::format("{}.{:02}", i, i % 100),
                                 "2024-01-01T00:00:00Z", "{a,\"b c\"}"});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto stored = writer->Finish();
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(*stored, kRows);
  auto rows = conn().Exec(
      "SELECT count(*), count(name), sum(amount), min(name) FILTER (WHERE id = 1), "
      "max(cardinality(tags)) FROM s.\"Rows\"");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "100000");
  EXPECT_EQ(rows->Get(0, 1), "90000");
  // sum(i) + sum(i % 100) / 100 over i < 100000 = 4999950000 + 49500
  EXPECT_EQ(rows->Get(0, 2), "4999999500.00");
  EXPECT_EQ(rows->Get(0, 3), "row 1\twith tab ✓");
  EXPECT_EQ(rows->Get(0, 4), "2");
}

TEST_F(CopyWriterTest, AbandonedCopyStoresNothing) {
  {
    auto writer = CopyWriter::Start(conn(), "s", "Rows", {"id", "name"});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->WriteRow({"1", "one"}).ok());
  }
  auto rows = conn().Exec("SELECT count(*) FROM s.\"Rows\"");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "0");
}

TEST_F(CopyWriterTest, BadRowFailsFinishWithItsReason) {
  auto writer = CopyWriter::Start(conn(), "s", "Rows", {"id", "amount"});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->WriteRow({"1", "12.50"}).ok());
  ASSERT_TRUE(writer->WriteRow({"2", "not a number"}).ok());
  auto stored = writer->Finish();
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(stored.status().message().find("not a number"), std::string_view::npos)
      << stored.status().message();
  // The connection is usable again and nothing was stored.
  auto rows = conn().Exec("SELECT count(*) FROM s.\"Rows\"");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "0");
}

TEST_F(CopyWriterTest, WrongArityIsRejectedBeforeSending) {
  auto writer = CopyWriter::Start(conn(), "s", "Rows", {"id", "name"});
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ(writer->WriteRow({"1"}).code(), StatusCode::kInvalidArgument);
}

TEST_F(CopyWriterTest, CopyInsideATransactionRollsBackWithIt) {
  {
    auto tx = Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    auto writer = CopyWriter::Start(conn(), "s", "Rows", {"id"});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->WriteRow({"5"}).ok());
    auto stored = writer->Finish();
    ASSERT_TRUE(stored.ok());
  }
  auto rows = conn().Exec("SELECT count(*) FROM s.\"Rows\"");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), "0");
}

TEST_F(CopyWriterTest, UnknownTableIsAnError) {
  auto writer = CopyWriter::Start(conn(), "s", "missing", {"id"});
  EXPECT_EQ(writer.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace airpg::pg
