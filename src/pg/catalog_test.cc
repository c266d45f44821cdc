#include "pg/catalog.h"

#include <gtest/gtest.h>

#include <thread>

#include "pg/catalog_sql.h"
#include "pg/catalog_users.h"
#include "pg/testing/pg_test.h"

namespace airpg::pg {
namespace {

using testing::PgTest;

class CatalogTest : public PgTest {};

TEST_F(CatalogTest, CreatesTheCatalogOnceAndIsIdempotent) {
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  auto rows = conn().Exec("SELECT count(*), max(version) FROM airpg.catalog_versions");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), std::to_string(CatalogVersion()));
  EXPECT_EQ(rows->Get(0, 1), std::to_string(CatalogVersion()));
}

TEST_F(CatalogTest, UpgradesAVersionOneCatalogToTheSyncTables) {
  // A database migrated by an airpg that knew only version 1.
  ASSERT_TRUE(conn().RunScript(std::string(CatalogMigrations()[0])).ok());
  ASSERT_TRUE(conn().Run("INSERT INTO airpg.catalog_versions (version) VALUES (1)").ok());
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  auto rows = conn().Exec(
      "SELECT count(*) FROM pg_tables WHERE schemaname = 'airpg' AND tablename IN "
      "('sync_bases', 'sync_tables', 'inbox', 'dead_letters', 'sync_events')");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "5");
}

TEST_F(CatalogTest, ConcurrentCallersBothSucceed) {
  auto other = Connect();
  ASSERT_TRUE(other.ok());
  Status first, second;
  std::thread t([&] { first = EnsureCatalog(conn()); });
  second = EnsureCatalog(*other);
  t.join();
  EXPECT_TRUE(first.ok()) << first.ToString();
  EXPECT_TRUE(second.ok()) << second.ToString();
}

TEST_F(CatalogTest, RefusesACatalogNewerThanThisBuild) {
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  ASSERT_TRUE(conn()
                  .Run("INSERT INTO airpg.catalog_versions (version) VALUES ($1::int)",
                       {std::to_string(CatalogVersion() + 1)})
                  .ok());
  Status s = EnsureCatalog(conn());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("upgrade airpg"), std::string::npos) << s.ToString();
}

TEST_F(CatalogTest, AuditTriggerRecordsOriginChangedColumnsAndSkipsNoOps) {
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  ASSERT_TRUE(conn()
                  .RunScript(R"sql(
    CREATE SCHEMA s;
    CREATE TABLE s.t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                      airtable_id text UNIQUE, name text, n int);
    CREATE TRIGGER airpg_audit AFTER INSERT OR UPDATE OR DELETE ON s.t
      FOR EACH ROW EXECUTE FUNCTION airpg.audit_row();
    INSERT INTO s.t (airtable_id, name, n) VALUES ('rec1', 'a', 1);
    BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE s.t SET name = 'b'; COMMIT;
    UPDATE s.t SET name = 'b';
    DELETE FROM s.t;
  )sql")
                  .ok());
  auto rows = conn().Exec(
      "SELECT operation, origin, airtable_id, changed_columns, old_row->>'name', "
      "new_row->>'name' FROM airpg.audit_log ORDER BY audit_id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3);  // the no-op update is not logged
  EXPECT_EQ(rows->Get(0, 0), "INSERT");
  EXPECT_EQ(rows->Get(0, 1), "postgres");
  EXPECT_EQ(rows->Get(1, 0), "UPDATE");
  EXPECT_EQ(rows->Get(1, 1), "airtable");
  EXPECT_EQ(rows->Get(1, 2), "rec1");
  EXPECT_EQ(rows->Get(1, 3), "{name}");
  EXPECT_EQ(rows->Get(1, 4), "a");
  EXPECT_EQ(rows->Get(1, 5), "b");
  EXPECT_EQ(rows->Get(2, 0), "DELETE");
  EXPECT_TRUE(rows->IsNull(2, 5));
}

TEST_F(CatalogTest, AuditLogIsPartitionedByMonth) {
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  auto rows = conn().Exec(
      "SELECT count(*) FROM pg_inherits WHERE inhparent = 'airpg.audit_log'::regclass "
      "AND inhrelid = ('airpg.audit_log_' || to_char(now(), 'YYYY_MM'))::regclass");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "1");
  ASSERT_TRUE(conn().Run("SELECT airpg.ensure_audit_partitions(5)").ok());
  rows =
      conn().Exec("SELECT count(*) FROM pg_inherits WHERE inhparent = 'airpg.audit_log'::regclass");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), "7");  // six months and the default partition
}

TEST_F(CatalogTest, UpsertUsersAddsNewUsersAndKeepsWhatANewSightingLacks) {
  ASSERT_TRUE(EnsureCatalog(conn()).ok());
  ASSERT_TRUE(UpsertUsers(conn(), {{"usrA", "a@x.io", "Ann"}, {"usrA", "a@x.io", "Ann"}}).ok());
  ASSERT_TRUE(UpsertUsers(conn(), {{"usrA", std::nullopt, "Ann B"}, {"usrB", "b@x.io", {}}}).ok());
  auto rows = conn().Exec("SELECT user_id, email, name FROM airpg.users ORDER BY user_id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2);
  EXPECT_EQ(rows->Get(0, 1), "a@x.io");  // kept: the second sighting had no email
  EXPECT_EQ(rows->Get(0, 2), "Ann B");
  EXPECT_TRUE(rows->IsNull(1, 2));
}

}  // namespace
}  // namespace airpg::pg
