// Pruning the sync's history on a real Postgres: old pings and events go,
// recent ones and everything else stay.
#include "daemon/history_retention.h"

#include <gtest/gtest.h>

#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::daemon {
namespace {

class HistoryRetentionTest : public pg::testing::PgTest {
 protected:
  std::string Count(const std::string& sql) {
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::string(rows->Get(0, 0)) : "";
  }
};

TEST_F(HistoryRetentionTest, RowsPastTheirKeepTimeGoAndTheRestStays) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  ASSERT_TRUE(
      conn()
          .RunScript("INSERT INTO airpg.inbox (received_at, base_id, webhook_id, outcome, body) "
                     "VALUES (now() - interval '8 days', 'appA', 'achA', 'accepted', '{}'), "
                     "(now() - interval '6 days', 'appA', 'achA', 'bad_mac', '{}'), "
                     "(now(), 'appA', 'achA', 'accepted', '{}');"
                     "INSERT INTO airpg.sync_events (at, base_id, kind) VALUES "
                     "(now() - interval '31 days', 'appA', 'poll'), "
                     "(now() - interval '29 days', 'appA', 'error'), (now(), 'appA', 'webhook');")
          .ok());
  auto pruned = PruneHistory(conn());
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->pings, 1);
  EXPECT_EQ(pruned->events, 1);
  EXPECT_EQ(Count("SELECT string_agg(outcome, ',' ORDER BY received_at) FROM airpg.inbox"),
            "bad_mac,accepted");
  EXPECT_EQ(Count("SELECT string_agg(kind, ',' ORDER BY at) FROM airpg.sync_events"),
            "error,webhook");
  // A shorter keep time, as configured.
  HistoryRetention day{std::chrono::hours(24), std::chrono::hours(24)};
  pruned = PruneHistory(conn(), day);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->pings, 1);
  EXPECT_EQ(pruned->events, 1);
}

}  // namespace
}  // namespace airpg::daemon
