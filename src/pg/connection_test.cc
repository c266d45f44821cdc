#include "pg/connection.h"

#include <gtest/gtest.h>

#include "pg/quote.h"
#include "pg/testing/pg_test.h"

namespace airpg::pg {
namespace {

using testing::PgTest;

class ConnectionTest : public PgTest {};

TEST_F(ConnectionTest, RoundTripsNullsAndUnicode) {
  const std::string unicode = "Zoë Ångström — 東京 🚀 \"quoted\" 'single' \\back\ttab\nline";
  auto rows = conn().Exec("SELECT $1::text, $2::text, $3::text IS NULL, length($1::text)",
                          {unicode, std::nullopt, std::nullopt});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), unicode);
  EXPECT_TRUE(rows->IsNull(0, 1));
  EXPECT_EQ(rows->Optional(0, 1), std::nullopt);
  EXPECT_EQ(rows->Get(0, 2), "t");
  // Counted in characters, not bytes: the session speaks UTF-8.
  size_t code_points = 0;
  for (unsigned char c : unicode) code_points += (c & 0xC0) != 0x80;
  EXPECT_EQ(rows->Get(0, 3), std::to_string(code_points));
}

TEST_F(ConnectionTest, ExecPreparedPreparesEachStatementOnceAndSurvivesATypeChange) {
  ASSERT_TRUE(conn().Run("CREATE TABLE prepared_t (id int, v int)").ok());
  ASSERT_TRUE(conn().Run("INSERT INTO prepared_t VALUES (1, 10), (2, 20)").ok());
  const std::string sql = "SELECT v FROM prepared_t WHERE id = $1::int";
  for (const char* id : {"1", "2", "1"}) {
    auto rows = conn().ExecPrepared(sql, {id});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->Get(0, 0), id == std::string("2") ? "20" : "10");
  }
  auto prepared = conn().Exec("SELECT count(*) FROM pg_prepared_statements");
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->Get(0, 0), "1");
  // A DDL that changes the result's type: Postgres refuses the cached plan
  // (0A000); the statement is prepared again and answers in the new type.
  ASSERT_TRUE(conn().Run("ALTER TABLE prepared_t ALTER COLUMN v TYPE text").ok());
  auto after = conn().ExecPrepared(sql, {"2"});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->Get(0, 0), "20");
  // An error of the statement itself is returned, not retried into success.
  EXPECT_FALSE(conn().ExecPrepared(sql, {"not a number"}).ok());
}

TEST_F(ConnectionTest, RoundTripsNumericPrecision) {
  const std::string big = "12345678901234567890.123456789012345678";
  auto rows =
      conn().Exec("SELECT $1::numeric, $1::numeric(40,18) * 2, $2::numeric(10,2)", {big, "0.005"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), big);
  EXPECT_EQ(rows->Get(0, 1), "24691357802469135780.246913578024691356");
  EXPECT_EQ(rows->Get(0, 2), "0.01");
}

TEST_F(ConnectionTest, RoundTripsTimestamptzInUtc) {
  ASSERT_TRUE(conn().Run("SET TIME ZONE 'UTC'").ok());
  auto rows =
      conn().Exec("SELECT $1::timestamptz, $2::timestamptz, $1::timestamptz = $2::timestamptz",
                  {"2024-02-29T23:59:59.123456Z", "2024-03-01T01:59:59.123456+02:00"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "2024-02-29 23:59:59.123456+00");
  EXPECT_EQ(rows->Get(0, 2), "t");
}

TEST_F(ConnectionTest, RoundTripsArraysWithNullsAndQuotes) {
  std::vector<std::optional<std::string>> tags = {"a,b", std::nullopt, "say \"hi\"", "back\\slash",
                                                  "",    "NULL",       "日本"};
  auto rows = conn().Exec("SELECT $1::text[], cardinality($1::text[]), ($1::text[])[2] IS NULL",
                          {ArrayLiteral(tags)});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  auto parsed = ParseArray(rows->Get(0, 0));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, tags);
  EXPECT_EQ(rows->Get(0, 1), "7");
  EXPECT_EQ(rows->Get(0, 2), "t");
}

TEST_F(ConnectionTest, ValuesNeverBecomeSql) {
  ASSERT_TRUE(conn().Run("CREATE TABLE t (v text)").ok());
  const std::string hostile = "x'); DROP TABLE t; --";
  ASSERT_TRUE(conn().Run("INSERT INTO t VALUES ($1)", {hostile}).ok());
  auto rows = conn().Exec("SELECT v FROM t");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(rows->Get(0, 0), hostile);
}

TEST_F(ConnectionTest, ErrorsAreTranslatedBySqlState) {
  ASSERT_TRUE(conn().Run("CREATE TABLE u (id int PRIMARY KEY, n int NOT NULL)").ok());
  ASSERT_TRUE(conn().Run("INSERT INTO u VALUES (1, 1)").ok());
  EXPECT_EQ(conn().Run("INSERT INTO u VALUES (1, 2)").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(conn().Run("INSERT INTO u VALUES (2, NULL)").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conn().Run("SELECT $1::int", {"twelve"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conn().Run("SELECT * FROM no_such_table").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(conn().Run("SELEC 1").code(), StatusCode::kInternal);
  Status s = conn().Run("INSERT INTO u VALUES (1, 3)");
  EXPECT_NE(s.message().find("SQLSTATE 23505"), std::string_view::npos) << s.message();
}

TEST_F(ConnectionTest, ScriptsRunSeveralStatements) {
  ASSERT_TRUE(conn().RunScript("CREATE TABLE s (x int); INSERT INTO s VALUES (1), (2);").ok());
  auto rows = conn().Exec("SELECT count(*) FROM s");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), "2");
  EXPECT_EQ(conn().RunScript("SELECT 1; SELECT 1/0; SELECT 2").code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ConnectionTest, ReportsServerVersionAndHealth) {
  EXPECT_TRUE(conn().IsHealthy());
  EXPECT_GE(conn().ServerVersion(), 150000);
}

TEST(ConnectionOpenTest, UnreachableServerIsUnavailableWithoutPassword) {
  auto conn = Connection::Open("postgresql://app:TopSecret99@127.0.0.1:1/db?connect_timeout=2");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(conn.status().message().find("TopSecret99"), std::string_view::npos);
}

TEST(ConnectionOpenTest, MalformedStringIsInvalidArgument) {
  auto conn = Connection::Open("postgresql://app:TopSecret99@host:port/db");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conn.status().message().find("TopSecret99"), std::string_view::npos);
}

}  // namespace
}  // namespace airpg::pg
