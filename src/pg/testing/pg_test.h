// PgTest: the GoogleTest fixture for tests that need Postgres. Each test gets
// a fresh database on the run's throwaway cluster (test_cluster.h) and a
// connection to it; the database is dropped after the test.
// Single-thread (tests).
#pragma once

#include <memory>
#include <optional>

#include <gtest/gtest.h>

#include "pg/connection.h"
#include "pg/testing/test_cluster.h"

namespace airpg::pg::testing {

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  Connection& conn() { return *conn_; }
  const std::string& url() const { return database_->url(); }

  // Opens another connection to this test's database.
  Result<Connection> Connect();

 private:
  std::optional<TestDatabase> database_;
  std::optional<Connection> conn_;
};

}  // namespace airpg::pg::testing
