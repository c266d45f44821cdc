// The outbox's read before write is skipped only when it cannot matter
// (sync/outbox_reread.h, InboundState): the inbound sync listed the webhook's
// payloads to the end after the change was committed and applied them, no
// ping came since, and no payload since the change named the record. Against
// the emulator and a real Postgres.
#include <gtest/gtest.h>

#include "emulated_base_test.h"
#include "sync/authority.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
const std::string kSchema = "delta_analytics_registration_tracking";
const std::string kClients = kSchema + ".clients";

class OutboxRereadTest : public testing::TwoWayBaseTest {
 protected:
  OutboxRereadTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(ReadFile(AIRPG_DELTA_SAMPLE), kDelta));
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
    ASSERT_NO_FATAL_FAILURE(RegisterHook());
    sync::AuthorityConfig config;
    config.tables["Clients"].authority = sync::Authority::kBoth;
    ASSERT_NO_FATAL_FAILURE(Configure(config));
    notes_ = Column("fldCliNotes000001");
    // The migration's own payloads (none, or the hook's first) applied: a
    // listing to the end that is older than every change below.
    ApplyPayloads();
  }

  void SetNotes(const std::string& record_id, const std::string& value) {
    ASSERT_TRUE(conn()
                    .Run("UPDATE " + kClients + " SET " + notes_ + " = $1 WHERE airtable_id = $2",
                         {value, record_id})
                    .ok());
  }

  sync::DispatchReport Dispatch() {
    auto report = DispatchOnce(*client_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::DispatchReport{};
  }

  json Fields(const std::string& record_id) {
    return Control("GET",
                   std::string("ui/") + kDelta + "/tblClients0000001/" + record_id)["fields"];
  }

  // What the webhook receiver records when Airtable pings.
  void RecordPing() {
    ASSERT_TRUE(conn()
                    .Run("UPDATE airpg.sync_bases SET last_ping_at = clock_timestamp() WHERE "
                         "base_id = $1",
                         {kDelta})
                    .ok());
  }

  std::string notes_;
};

// Two records changed in Postgres; Airtable edits one of them (another
// field), and the inbound sync applies that payload. The listing is past
// both changes and no ping came since: the record no payload named is not
// read, the one a payload named is.
TEST_F(OutboxRereadTest, TheReadIsSkippedOnlyForRecordsNoPayloadNamedSinceTheirChange) {
  SetNotes("recCliHarbor0001", "from Postgres 1");
  SetNotes("recCliSolaris001", "from Postgres 2");
  Control("PATCH", std::string("ui/") + kDelta + "/tblClients0000001/recCliSolaris001",
          {{"fields", {{"Phone", "555-0100"}}}});
  sync::PayloadCycleResult cycle = ApplyPayloads();
  ASSERT_GT(cycle.payloads, 0);
  ASSERT_FALSE(cycle.more);
  const sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.updated, 2);
  EXPECT_EQ(report.reads_skipped, 1);  // Harbor
  EXPECT_EQ(report.reads, 1);          // Solaris, named by the payload
  EXPECT_EQ(Fields("recCliHarbor0001")["Notes"], "from Postgres 1");
  EXPECT_EQ(Fields("recCliSolaris001")["Notes"], "from Postgres 2");
  EXPECT_EQ(Fields("recCliSolaris001")["Phone"], "555-0100");
  EXPECT_EQ(Scalar("SELECT sum(requests) || ' ' || sum((detail ->> 'skipped')::int) FROM "
                   "airpg.sync_events WHERE kind = 'outbox_read'"),
            "1 1");
}

// No listing since the change was committed: Airtable may hold an edit
// Postgres has not seen, so the record is read.
TEST_F(OutboxRereadTest, AChangeNewerThanTheLastListingIsRead) {
  SetNotes("recCliHarbor0001", "from Postgres");
  const sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.updated, 1);
  EXPECT_EQ(report.reads_skipped, 0);
  EXPECT_EQ(report.reads, 1);
}

// A ping since the listing: Airtable has payloads the inbound sync has not
// listed, which may name the record; it is read.
TEST_F(OutboxRereadTest, APingSinceTheListingMeansTheRecordIsRead) {
  SetNotes("recCliHarbor0001", "from Postgres");
  ApplyPayloads();
  RecordPing();
  const sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.updated, 1);
  EXPECT_EQ(report.reads_skipped, 0);
  EXPECT_EQ(report.reads, 1);
}

// An Airtable edit of the same field made after the listing, with no ping
// yet, is what the skip cannot see; with a ping (as Airtable sends one for
// every payload) it is read and decided by the rule (latest: Airtable's edit
// is newer and wins), never overwritten.
TEST_F(OutboxRereadTest, AnEditThatPingedIsDecidedByTheRuleNotOverwritten) {
  SetNotes("recCliHarbor0001", "from Postgres");
  ApplyPayloads();
  Control("PATCH", std::string("ui/") + kDelta + "/tblClients0000001/recCliHarbor0001",
          {{"fields", {{"Notes", "edited in Airtable"}}}});
  RecordPing();
  const sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.reads_skipped, 0);
  EXPECT_EQ(report.reads, 1);
  EXPECT_EQ(Fields("recCliHarbor0001")["Notes"], "edited in Airtable");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE record_id = 'recCliHarbor0001'"),
            "1");
}

}  // namespace
}  // namespace airpg
