#include "pg/testing/pg_test.h"

namespace airpg::pg::testing {

void PgTest::SetUp() {
  Result<TestDatabase> database = TestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status().ToString();
  database_.emplace(std::move(database).value());
  Result<Connection> conn = Connect();
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  conn_.emplace(std::move(conn).value());
}

void PgTest::TearDown() {
  conn_.reset();
  database_.reset();
}

Result<Connection> PgTest::Connect() { return Connection::Open(database_->url()); }

}  // namespace airpg::pg::testing
