#include "pg/cursor.h"

#include <gtest/gtest.h>

#include "pg/testing/pg_test.h"

namespace airpg::pg {
namespace {

class CursorTest : public testing::PgTest {
 protected:
  // Every row of the cursor's first column, comma-terminated.
  static std::string ReadAll(Cursor& cursor) {
    std::string seen;
    for (;;) {
      auto more = cursor.Advance();
      if (!more.ok()) return more.status().ToString();
      if (!*more) return seen;
      seen += cursor.IsNull(0) ? "NULL," : std::string(cursor.Get(0)) + ",";
    }
  }
};

TEST_F(CursorTest, ReadsEveryRowAcrossBatchesThenStaysExhausted) {
  for (int rows : {0, 1, 3, 6, 7}) {
    auto tx = Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    auto cursor = Cursor::Open(*tx, "numbers",
                               "SELECT nullif(g, 2) FROM generate_series(1, $1::int) g ORDER BY g",
                               {std::to_string(rows)}, 3);
    ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
    std::string expected;
    for (int i = 1; i <= rows; ++i) expected += i == 2 ? "NULL," : std::to_string(i) + ",";
    EXPECT_EQ(ReadAll(*cursor), expected) << rows;
    auto again = cursor->Advance();
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
    EXPECT_TRUE(cursor->Close().ok());
    EXPECT_TRUE(cursor->Close().ok());
    EXPECT_FALSE(*cursor->Advance());
    EXPECT_TRUE(tx->Commit().ok());
  }
}

TEST_F(CursorTest, TwoCursorsInOneTransactionAndTheNamesAreFreeAfterIt) {
  for (int round = 0; round < 2; ++round) {
    auto tx = Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    auto a = Cursor::Open(*tx, "a", "SELECT 'a' || g FROM generate_series(1, 4) g", {}, 2);
    auto b = Cursor::Open(*tx, "b", "SELECT 'b' || g FROM generate_series(1, 4) g", {}, 3);
    ASSERT_TRUE(a.ok() && b.ok());
    std::string merged;
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(*a->Advance() && *b->Advance());
      merged += std::string(a->Get(0)) + std::string(b->Get(0));
    }
    EXPECT_EQ(merged, "a1b1a2b2a3b3a4b4");
    // Not closed: the transaction's end closes both, so round 2 may reuse the names.
  }
}

TEST_F(CursorTest, BadQueryOrBatchIsAnError) {
  auto tx = Transaction::Begin(conn());
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(Cursor::Open(*tx, "c", "SELECT 1", {}, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(Cursor::Open(*tx, "c", "SELECT * FROM no_such_table", {}, 10).ok());
}

}  // namespace
}  // namespace airpg::pg
