#include "pg/transaction.h"

#include <gtest/gtest.h>

#include "pg/testing/pg_test.h"

namespace airpg::pg {
namespace {

class TransactionTest : public testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(conn().Run("CREATE TABLE t (v int)").ok());
  }
  std::string Count() {
    auto rows = conn().Exec("SELECT count(*) FROM t");
    return rows.ok() ? std::string(rows->Get(0, 0)) : rows.status().ToString();
  }
};

TEST_F(TransactionTest, RollsBackUnlessCommitted) {
  {
    auto tx = Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(tx->Run("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(Count(), "0");
}

TEST_F(TransactionTest, CommitKeepsTheChanges) {
  auto tx = Transaction::Begin(conn(), Isolation::kSerializable);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Run("INSERT INTO t VALUES ($1)", {"7"}).ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(Count(), "1");
  EXPECT_EQ(tx->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransactionTest, CommitAfterAFailedStatementIsAnError) {
  auto tx = Transaction::Begin(conn());
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Run("INSERT INTO t VALUES (1)").ok());
  EXPECT_FALSE(tx->Run("INSERT INTO t VALUES ('x')").ok());
  EXPECT_EQ(tx->Commit().code(), StatusCode::kAborted);
  EXPECT_EQ(Count(), "0");
}

TEST_F(TransactionTest, ConnectionIsReusableAfterRollback) {
  {
    auto tx = Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    EXPECT_FALSE(tx->Run("SELECT 1/0").ok());
  }
  auto tx = Transaction::Begin(conn());
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  ASSERT_TRUE(tx->Run("INSERT INTO t VALUES (2)").ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(Count(), "1");
}

}  // namespace
}  // namespace airpg::pg
