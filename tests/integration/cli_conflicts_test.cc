// `airpg conflicts list|show|resolve` as a user runs it: the binary against a
// fresh database holding conflicts the resolver parked (issue 16).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/testing/test_cluster.h"
#include "sync/conflicts.h"

namespace airpg {
namespace {

using nlohmann::json;
using testing::AirpgProcess;

// Parks a manual conflict on `field` of one record; returns its id.
int64_t Park(pg::Connection& conn, const std::string& field, const std::string& airtable,
             const std::string& postgres) {
  auto tx = pg::Transaction::Begin(conn);
  EXPECT_TRUE(tx.ok());
  sync::FieldChange change{
      "appCliConflicts01", "tblClients0000001", "recClient0000001", field, airtable, postgres};
  auto decided =
      sync::ResolveFieldChange(*tx, change, {sync::Authority::kBoth, sync::ConflictRule::kManual});
  EXPECT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_TRUE(tx->Commit().ok());
  auto open = sync::ListConflicts(conn, "open", 1);
  return open.ok() && !open->empty() ? open->front().id : 0;
}

TEST(CliConflictsTest, ListShowAndResolveTheParkedConflicts) {
  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto conn = pg::Connection::Open(db->url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE(pg::EnsureCatalog(*conn).ok());
  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", db->url());

  ProcessOutput none = airpg.Run({"conflicts", "list"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no conflicts"), std::string::npos) << none.out;

  int64_t notes = Park(*conn, "fldNotes", R"("from Airtable")", R"("from Postgres")");
  int64_t city = Park(*conn, "fldCity", R"("Denver")", R"("Boulder")");
  int64_t tags = Park(*conn, "fldTags", R"(["a"])", R"(["b"])");
  ProcessOutput list = airpg.Run({"conflicts", "list", "--status", "open", "--output", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json listed = json::parse(list.out);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["id"], tags);  // newest first

  ProcessOutput show = airpg.Run({"conflicts", "show", std::to_string(notes)});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json shown = json::parse(show.out);
  EXPECT_EQ(shown["airtable_value"], "from Airtable");
  EXPECT_EQ(shown["postgres_value"], "from Postgres");
  EXPECT_EQ(shown["base_value"], nullptr);
  EXPECT_EQ(shown["status"], "open");

  ProcessOutput take = airpg.Run(
      {"conflicts", "resolve", std::to_string(notes), "--take", "postgres", "--output", "json"});
  ASSERT_EQ(take.exit_code, 0) << take.err;
  EXPECT_EQ(json::parse(take.out)["resolved_value"], "from Postgres");
  ProcessOutput airtable =
      airpg.Run({"conflicts", "resolve", std::to_string(city), "--take", "airtable"});
  EXPECT_EQ(airtable.exit_code, 0) << airtable.err;
  ProcessOutput value = airpg.Run({"conflicts", "resolve", std::to_string(tags), "--value",
                                   R"(["a", "b"])", "--output", "json"});
  ASSERT_EQ(value.exit_code, 0) << value.err;
  EXPECT_EQ(json::parse(value.out)["resolved_value"], json::parse(R"(["a", "b"])"));
  auto unapplied = sync::UnappliedResolutions(*conn, "appCliConflicts01");
  ASSERT_TRUE(unapplied.ok());
  EXPECT_EQ(unapplied->size(), 3u);

  // Bad usage exits 2; resolving twice fails the job (1).
  EXPECT_EQ(airpg.Run({"conflicts", "show", "999999"}).exit_code, 2);
  EXPECT_EQ(airpg.Run({"conflicts", "resolve", "999999", "--take", "airtable"}).exit_code, 2);
  EXPECT_EQ(airpg.Run({"conflicts", "resolve", std::to_string(city)}).exit_code, 2);
  EXPECT_EQ(airpg.Run({"conflicts", "resolve", std::to_string(city), "--take", "both"}).exit_code,
            2);
  EXPECT_EQ(airpg.Run({"conflicts", "resolve", std::to_string(city), "--value", "{nope"}).exit_code,
            2);
  EXPECT_EQ(airpg.Run({"conflicts", "list", "--status", "bogus"}).exit_code, 2);
  EXPECT_EQ(
      airpg.Run({"conflicts", "resolve", std::to_string(city), "--take", "postgres"}).exit_code, 1);
}

}  // namespace
}  // namespace airpg
