// The write guard of two-way sync (issue 16; docs/two-way-sync.md, "The
// write guard and its threat model") against a real Postgres: a base is
// guarded from its first swap, a write a user's trigger makes is checked
// like any other (only a foreign key's own ON DELETE action passes), the
// bookkeeping columns are airpg's, and once the sync role exists only its
// members may write as airpg's own sync.
#include <gtest/gtest.h>

#include <thread>

#include "emulated_base_test.h"
#include "pg/connection.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
const std::string kSchema = "delta_analytics_registration_tracking";

class WriteGuardTest : public testing::TwoWayBaseTest {
 protected:
  WriteGuardTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    auto run = Run(kDelta);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
  }

  // The authority matrix only (StoreAuthority): the triggers are the swap's.
  void ClientsWritable() {
    sync::AuthorityConfig config;
    config.tables["Clients"].authority = sync::Authority::kBoth;
    StoreAuthority(config);
  }

  Status Sql(const std::string& sql) { return conn().RunScript(sql); }

  const std::string clients_ = kSchema + ".clients";
  const std::string staff_ = kSchema + ".staff";
};

// A base just migrated, with no sync started: Postgres writes are refused
// (the authority defaults to airtable) and, once a table is made
// writable, captured — from the swap on.
TEST_F(WriteGuardTest, AJustMigratedBaseIsGuardedAndCapturedBeforeAnySync) {
  Status refused = Sql("UPDATE " + staff_ + " SET " + Column("fldStfName0000001") + " = 'x'");
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied) << refused.ToString();
  EXPECT_NE(refused.message().find("sync.tables.Staff.authority"), std::string::npos);
  EXPECT_EQ(Sql("INSERT INTO " + clients_ + " DEFAULT VALUES").code(),
            StatusCode::kPermissionDenied);
  ClientsWritable();
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + Column("fldCliNotes000001") +
                  " = 'queued' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE airtable_id = 'recCliHarbor0001'"),
            "1");
}

// A write made by a user's trigger is checked like the write that fired it
// (before, every write below the top level passed: captured for an
// airtable table, then dropped by the dispatcher, so the sides drifted).
// A foreign key's own ON DELETE action still passes: Airtable clears the
// link too.
TEST_F(WriteGuardTest, AWriteFromAUsersTriggerIsCheckedLikeAnyOther) {
  ClientsWritable();
  ASSERT_TRUE(Sql("CREATE FUNCTION public.touch_staff() RETURNS trigger LANGUAGE plpgsql AS $$ "
                  "BEGIN UPDATE " +
                  staff_ + " SET " + Column("fldStfName0000001") +
                  " = 'from a trigger'; RETURN NULL; END $$; CREATE TRIGGER touch_staff AFTER "
                  "UPDATE ON " +
                  clients_ + " FOR EACH ROW EXECUTE FUNCTION public.touch_staff()")
                  .ok());
  Status refused = Sql("UPDATE " + clients_ + " SET " + Column("fldCliNotes000001") +
                       " = 'x' WHERE airtable_id = 'recCliHarbor0001'");
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied) << refused.ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + staff_ + " WHERE " + Column("fldStfName0000001") +
                   " = 'from a trigger'"),
            "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "0");
  ASSERT_TRUE(Sql("DROP TRIGGER touch_staff ON " + clients_).ok());
  // Deleting a client clears the single link of its registrations (an
  // airtable table: ON DELETE SET NULL) and removes its junction rows.
  const std::string regs = kSchema + ".registrations";
  const std::string client_link = Scalar(
      "SELECT column_name FROM airpg.fields WHERE table_id = 'tblRegistrations1' AND type "
      "= 'multipleRecordLinks' AND options ->> 'linkedTableId' = 'tblClients0000001'");
  ASSERT_FALSE(client_link.empty());
  ASSERT_NE(Scalar("SELECT count(*) FROM " + regs + " r JOIN " + clients_ + " c ON c.id = r." +
                   client_link + " WHERE c.airtable_id = 'recCliSolaris001'"),
            "0");
  Status cascaded = Sql("DELETE FROM " + clients_ + " WHERE airtable_id = 'recCliSolaris001'");
  EXPECT_TRUE(cascaded.ok()) << cascaded.ToString();
}

// airtable_id and the other bookkeeping columns are airpg's: an INSERT may
// not name a record (the dispatcher would PATCH that unrelated record) and
// an UPDATE may not change them, whatever the authority; defaults are fine.
TEST_F(WriteGuardTest, BookkeepingColumnsAreNotWrittenFromPostgres) {
  ClientsWritable();
  const std::string company = Column("fldCliName0000001");
  Status named = Sql("INSERT INTO " + clients_ + " (" + company +
                     ", airtable_id) VALUES ('Someone', 'recCliHarbor0001')");
  EXPECT_FALSE(named.ok());
  EXPECT_NE(named.message().find("\"airtable_id\""), std::string::npos) << named.ToString();
  Status moved =
      Sql("UPDATE " + clients_ +
          " SET airtable_id = 'recCliNorthwind02' WHERE airtable_id = 'recCliHarbor0001'");
  EXPECT_FALSE(moved.ok());
  EXPECT_NE(moved.message().find("bookkeeping"), std::string::npos) << moved.ToString();
  Status version = Sql("UPDATE " + clients_ + " SET airpg_version = 99");
  EXPECT_FALSE(version.ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "0");
  EXPECT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('New')").ok());
  // airpg's own apply sets them.
  EXPECT_TRUE(Sql("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + clients_ +
                  " SET airtable_id = 'recCliNew0000001' WHERE airtable_id IS NULL; COMMIT")
                  .ok());
}

// Once the sync role (airpg.guard_settings) exists, a role outside it may
// not claim airpg's origin or echo to get past the guard; its members may.
TEST_F(WriteGuardTest, OnlyTheSyncRoleMayWriteAsAirpgsOwnSync) {
  ClientsWritable();
  // Roles are the cluster's: named after this test's database.
  const std::string suffix = Scalar("SELECT substr(md5(current_database()), 1, 10)");
  const std::string sync_role = "airpg_sync_" + suffix, app = "airpg_app_" + suffix;
  ASSERT_TRUE(Sql("CREATE ROLE " + sync_role + "; CREATE ROLE " + app + "; GRANT USAGE ON SCHEMA " +
                  kSchema + ", airpg TO " + app + "; GRANT ALL ON ALL TABLES IN SCHEMA " + kSchema +
                  ", airpg TO " + app + "; GRANT ALL ON ALL SEQUENCES IN SCHEMA " + kSchema +
                  ", airpg TO " + app + "; UPDATE airpg.guard_settings SET sync_role = '" +
                  sync_role + "'")
                  .ok());
  const std::string name = Column("fldStfName0000001");
  const std::string notes = Column("fldCliNotes000001");
  auto as_app = [&](const std::string& setting, const std::string& sql) {
    return Sql("BEGIN; SET LOCAL ROLE " + app + "; SET LOCAL " + setting + "; " + sql + "; COMMIT");
  };
  Status claimed = as_app("airpg.origin = 'airtable'",
                          "UPDATE " + staff_ + " SET " + name + " = 'sneaked past'");
  EXPECT_EQ(claimed.code(), StatusCode::kPermissionDenied) << claimed.ToString();
  EXPECT_NE(claimed.message().find(sync_role), std::string::npos) << claimed.ToString();
  ASSERT_TRUE(Sql("ROLLBACK").ok());
  Status echo =
      as_app("airpg.echo = 'on'", "UPDATE " + clients_ + " SET " + notes + " = 'unaudited'");
  EXPECT_EQ(echo.code(), StatusCode::kPermissionDenied) << echo.ToString();
  ASSERT_TRUE(Sql("ROLLBACK").ok());
  // A plain write of a writable table is still the application's to make.
  EXPECT_TRUE(as_app("airpg.origin = 'postgres'", "UPDATE " + clients_ + " SET " + notes +
                                                      " = 'fine' WHERE airtable_id = "
                                                      "'recCliHarbor0001'")
                  .ok());
  ASSERT_TRUE(Sql("GRANT " + sync_role + " TO " + app).ok());
  Status member =
      as_app("airpg.origin = 'airtable'", "UPDATE " + staff_ + " SET " + name + " = 'the sync'");
  EXPECT_TRUE(member.ok()) << member.ToString();
  ASSERT_TRUE(Sql("DROP OWNED BY " + app + "; DROP ROLE " + app + "; DROP ROLE " + sync_role).ok());
}

// The install of the guard and capture is one transaction over every live
// table, so other DDL on those tables (serve building a sort index
// CONCURRENTLY, an application's migration) can deadlock with it; Postgres
// aborts one side. The install is the victim here (it waits first, and the
// other session's deadlock_timeout is longer): it is run again and ends
// installed, instead of failing the sync's start.
TEST_F(WriteGuardTest, AnInstallThatMeetsADeadlockIsRunAgain) {
  auto live = sync::LoadLiveBase(conn(), kDelta);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  ASSERT_GE(live->plan.tables.size(), 2u);
  const std::string first = kSchema + "." + live->plan.tables.front().table_name;
  const std::string last = kSchema + "." + live->plan.tables.back().table_name;
  auto other = pg::Connection::Open(url());
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE(other
                  ->RunScript("SET deadlock_timeout = '30s'; BEGIN; LOCK TABLE " + last +
                              " IN SHARE ROW EXCLUSIVE MODE")
                  .ok());
  Status installed = InternalError("not run");
  std::thread installer([&] {
    auto own = pg::Connection::Open(url());
    installed = own.ok() ? sync::InstallWriteTriggers(*own, *live) : own.status();
  });
  // The install holds the first table and waits for the last one.
  const std::string waiting =
      "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '" + last + "'::regclass";
  bool blocked = testing::WaitFor([&] { return Scalar(waiting) == "1"; }, std::chrono::seconds(20));
  Status crossed = blocked ? other->Run("LOCK TABLE " + first + " IN SHARE ROW EXCLUSIVE MODE")
                           : InternalError("the install never waited");
  Status committed = other->Run("COMMIT");
  installer.join();
  ASSERT_TRUE(blocked);
  EXPECT_TRUE(crossed.ok()) << crossed.ToString();
  EXPECT_TRUE(committed.ok()) << committed.ToString();
  EXPECT_TRUE(installed.ok()) << installed.ToString();
  for (const std::string& table : {first, last}) {
    EXPECT_EQ(Scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + table +
                     "'::regclass AND tgname IN ('airpg_guard', 'airpg_capture')"),
              "2")
        << table;
  }
}

}  // namespace
}  // namespace airpg
