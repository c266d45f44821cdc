// Two-way sync against the emulator and a real Postgres (issue 16): the
// authority matrix enforced by the write guard, the outbox capture, and the
// dispatcher's creates, updates, link changes and deletes reaching Airtable
// exactly once — also when a create's answer is lost — with airpg's own
// writes coming back as webhook payloads changing nothing (no echo), 422s
// dead-lettered and replayable, and a refused token stopping the base's writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <set>
#include <thread>
#include <utility>

#include "airtable/field_type.h"
#include "airtable/transport.h"
#include "daemon/sync_service.h"
#include "emulated_base_test.h"
#include "pg/transaction.h"
#include "sync/audit_trail.h"
#include "sync/authority.h"
#include "sync/conflicts.h"
#include "sync/live_schema.h"
#include "sync/outbox_dispatcher.h"
#include "sync/outbox_store.h"
#include "sync/payload_cycle.h"
#include "sync/record_applier.h"
#include "sync/schema_sync.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kRegs = "tblRegistrations1";

// Counts the write requests that reach Airtable; can drop the answers of the
// next N writes after they were applied (an outcome the client never learns).
class CountingTransport : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    Result<http::Response> response = inner_.Send(call);
    if (call.method != "GET" && call.url.find("/v0/meta/") == std::string::npos &&
        call.url.find("/webhooks") == std::string::npos) {
      ++writes;
      if (after_write && response.ok()) std::exchange(after_write, nullptr)(response->body);
      if (lose_answers > 0) {
        --lose_answers;
        return UnavailableError("connection reset after the request was sent");
      }
    }
    return response;
  }
  std::atomic<int> writes{0};
  std::atomic<int> lose_answers{0};
  // Run once with the answer's body, after the next write's answer arrived.
  std::function<void(const std::string& body)> after_write;

 private:
  airtable::CurlTransport inner_;
};

// The real transport, running `after_read` once, right after the answer to
// the next read of a table's records arrives (before the sync applies it):
// the test puts another process's work exactly there.
class PausingTransport : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    Result<http::Response> response = inner_.Send(call);
    if (after_read && call.method == "GET" &&
        call.url.find("filterByFormula") != std::string::npos) {
      std::exchange(after_read, nullptr)();
    }
    return response;
  }
  std::function<void()> after_read;

 private:
  airtable::CurlTransport inner_;
};

class OutboxTest : public testing::TwoWayBaseTest {
 protected:
  OutboxTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    // A multi-record link (the sample's links are all single: foreign keys),
    // so that a junction is mirrored too.
    Control("POST", std::string("ui/meta/bases/") + kDelta + "/tables/" + kClients + "/fields",
            {{"name", "Partners"},
             {"type", "multipleRecordLinks"},
             {"options", {{"linkedTableId", kClients}, {"prefersSingleRecordLink", false}}}});
    ASSERT_TRUE(Run(kDelta).ok());
    auto transport = std::make_unique<CountingTransport>();
    transport_ = transport.get();
    writer_ = ClientThrough(std::move(transport));
    sync::AuthorityConfig config;  // Clients and Registrations writable, the rest Airtable's
    config.tables["Clients"].authority = sync::Authority::kBoth;
    config.tables["Clients"].fields["Website"] = sync::Authority::kAirtable;
    config.tables["Registrations"].authority = sync::Authority::kPostgres;
    ASSERT_NO_FATAL_FAILURE(Configure(config));
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
  }

  // One round through the counting writer.
  sync::DispatchReport Dispatch() {
    auto report = DispatchOnce(*writer_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::DispatchReport{};
  }

  void DispatchAll() {
    DrainOutbox([this] { Dispatch(); });
  }

  Status Sql(const std::string& sql) { return conn().RunScript(sql); }

  json Record(const std::string& table, const std::string& id) {
    return Control("GET", std::string("ui/") + kDelta + "/" + table + "/" + id);
  }

  // The records (a value: range-for over a temporary's member would dangle).
  json AllRecords(const std::string& table) {
    return Control("GET", std::string("ui/") + kDelta + "/" + table + "?pageSize=100")["records"];
  }

  const std::string clients_ = "delta_analytics_registration_tracking.clients";
  CountingTransport* transport_ = nullptr;
  std::unique_ptr<airtable::Client> writer_;
};

// Postgres may not write a table whose authority is airtable (the message
// names the setting); airpg's inbound apply may; computed fields are refused
// whatever the authority.
TEST_F(OutboxTest, TheWriteGuardEnforcesTheAuthorityMatrix) {
  Status refused = Sql("UPDATE delta_analytics_registration_tracking.staff SET " +
                       Column("fldStfName0000001") + " = 'x'");
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied) << refused.ToString();
  EXPECT_NE(refused.message().find("sync.tables.Staff.authority"), std::string::npos)
      << refused.message();
  Status inserted = Sql("INSERT INTO delta_analytics_registration_tracking.staff DEFAULT VALUES");
  EXPECT_EQ(inserted.code(), StatusCode::kPermissionDenied);
  // airpg's own inbound apply is exempt.
  EXPECT_TRUE(Sql("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE "
                  "delta_analytics_registration_tracking.staff SET " +
                  Column("fldStfName0000001") + " = 'y'; COMMIT")
                  .ok());
  // A field of a writable table kept for Airtable.
  Status website = Sql("UPDATE " + clients_ + " SET " + Column("fldCliSite0000001") + " = 'x'");
  EXPECT_EQ(website.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(website.message().find("sync.tables.Clients.fields.Website"), std::string::npos);
  // Computed: a count, whatever the authority.
  Status count = Sql("UPDATE " + clients_ + " SET " + Column("fldCliRegCount001") + " = 7");
  EXPECT_FALSE(count.ok());
  EXPECT_NE(count.message().find("computed"), std::string::npos) << count.message();
  // A plain field of a writable table is fine, and nothing was queued by the refusals.
  EXPECT_TRUE(Sql("UPDATE " + clients_ + " SET " + Column("fldCliNotes000001") +
                  " = 'ok' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "1");
  // A delete in a writable table whose foreign key cascade clears a link in
  // a read-only one (Airtable clears that cell too) is not refused.
  sync::AuthorityConfig clients_only;
  clients_only.tables["Clients"].authority = sync::Authority::kBoth;
  Configure(clients_only);
  Status cascaded = Sql("DELETE FROM " + clients_ + " WHERE airtable_id = 'recCliSolaris001'");
  EXPECT_TRUE(cascaded.ok()) << cascaded.ToString();
}

// The trigger's list of computed types is airtable::IsComputed's.
TEST_F(OutboxTest, TheGuardsComputedTypesAreTheClientsComputedTypes) {
  for (int t = 0; t <= static_cast<int>(airtable::FieldType::kManualSort); ++t) {
    auto type = static_cast<airtable::FieldType>(t);
    std::string name(airtable::FieldTypeName(type));
    EXPECT_EQ(Scalar("SELECT airpg.is_computed_type('" + name + "')"),
              airtable::IsComputed(type) ? "t" : "f")
        << name;
  }
}

// The capture writes the row, its changed columns, old and new values and
// the origin in the writer's transaction; the inbound apply is never queued;
// a rolled-back write leaves nothing.
TEST_F(OutboxTest, TheCaptureQueuesPostgresChangesOnly) {
  const std::string notes = Column("fldCliNotes000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'from pg' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  EXPECT_EQ(
      Scalar("SELECT operation || ' ' || array_to_string(changed_columns, ',') || ' ' || "
             "origin || ' ' || airtable_id || ' ' || (new_row ->> '" +
             notes + "') FROM airpg.outbox"),
      // Postgres stamps the table's "Last Modified" (lastModifiedTime)
      // column on its own writes (mapping/computed_stamps.cc); the
      // dispatcher never sends a computed column (outbox_cells.cc).
      "UPDATE " + Column("fldCliModified001") + "," + notes + " postgres recCliHarbor0001 from pg");
  ASSERT_TRUE(Sql("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + clients_ + " SET " +
                  notes + " = 'from airtable'; COMMIT")
                  .ok());
  ASSERT_TRUE(Sql("BEGIN; UPDATE " + clients_ + " SET " + notes + " = 'undone'; ROLLBACK").ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "1");
}

// SQL inserts, updates, link changes and deletes (soft and hard) reach
// Airtable; creates get their rec… id written back; nothing is duplicated.
TEST_F(OutboxTest, InsertsUpdatesLinksAndDeletesReachAirtable) {
  RegisterHook();
  const std::string company = Column("fldCliName0000001");
  const std::string notes = Column("fldCliNotes000001");
  const std::string tier = Column("fldCliTier0000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes + " = 'Renewal due', " + tier +
                  " = 'Gold' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ", " + notes +
                  ") VALUES ('Made in Postgres', 'new')")
                  .ok());
  DispatchAll();
  json harbor = Record("Clients", "recCliHarbor0001");
  EXPECT_EQ(harbor["fields"]["Notes"], "Renewal due");
  EXPECT_EQ(harbor["fields"]["Tier"], "Gold");
  std::string made =
      Scalar("SELECT airtable_id FROM " + clients_ + " WHERE " + company + " = 'Made in Postgres'");
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  EXPECT_EQ(Record("Clients", made)["fields"]["Company"], "Made in Postgres");
  EXPECT_EQ(AllRecords("Clients").size(), 5u);

  // Links set in Postgres: a single link (a foreign key column), a
  // multi-record link (junction rows, in order) and collaborators (a junction
  // to airpg.users) become the link fields' new values.
  std::string made_row = "(SELECT id FROM " + clients_ + " WHERE airtable_id = '" + made + "')";
  ASSERT_TRUE(Sql("UPDATE delta_analytics_registration_tracking.registrations SET " +
                  Column("fldRegClient00001") + " = " + made_row +
                  " WHERE airtable_id = 'recRegSoAz000001'")
                  .ok());
  ASSERT_NE(Scalar("SELECT coalesce(relation_table, '') FROM airpg.fields WHERE table_id = "
                   "'tblClients0000001' AND airtable_name = 'Partners'"),
            "")
      << Scalar(
             "SELECT string_agg(airtable_name || ':' || storage, ',') FROM airpg.fields WHERE "
             "table_id = 'tblClients0000001'");
  std::string partners = "delta_analytics_registration_tracking." +
                         Scalar(
                             "SELECT relation_table FROM airpg.fields WHERE table_id = "
                             "'tblClients0000001' AND airtable_name = 'Partners'");
  auto row_of = [&](const std::string& record_id) {
    return "(SELECT id FROM " + clients_ + " WHERE airtable_id = '" + record_id + "')";
  };
  Status linked = Sql("INSERT INTO " + partners + " (from_id, to_id, position) VALUES (" +
                      made_row + ", " + row_of("recCliBluePeak001") + ", 1), (" + made_row + ", " +
                      row_of("recCliNorthwind01") + ", 0)");
  ASSERT_TRUE(linked.ok()) << linked.ToString();
  Status team = Sql(
      "INSERT INTO delta_analytics_registration_tracking.registrations__team (record_id, user_id, "
      "position) SELECT id, 'usrKenjiSato00001', 5 FROM "
      "delta_analytics_registration_tracking.registrations WHERE airtable_id = "
      "'recRegSoAz000001'");
  ASSERT_TRUE(team.ok()) << team.ToString();
  DispatchAll();
  EXPECT_EQ(Record("Registrations", "recRegSoAz000001")["fields"]["Client"], json::array({made}));
  EXPECT_EQ(Record("Clients", made)["fields"]["Partners"],
            json::array({"recCliNorthwind01", "recCliBluePeak001"}));
  EXPECT_EQ(Record("Registrations", "recRegSoAz000001")["fields"]["Team"][0]["id"],
            "usrKenjiSato00001");

  // Soft delete, then a hard delete.
  ASSERT_TRUE(
      Sql("UPDATE " + clients_ + " SET deleted_at = now() WHERE airtable_id = '" + made + "'")
          .ok());
  ASSERT_TRUE(Sql("DELETE FROM " + clients_ + " WHERE airtable_id = 'recCliHarbor0001'").ok());
  DispatchAll();
  EXPECT_EQ(AllRecords("Clients").size(), 3u);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  // The webhook brings airpg's own writes (and the `airpg key` field) back:
  // applied, Postgres equals Airtable and nothing new is queued.
  ApplyPayloads();
  ExpectClean(Verify(kDelta));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
}

// A delete of a record Airtable no longer has is done, not a failure (a
// retried delete whose first answer was lost looks the same).
TEST_F(OutboxTest, ADeleteOfARecordAlreadyGoneIsSuccess) {
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliBluePeak001");
  ASSERT_TRUE(Sql("DELETE FROM " + clients_ + " WHERE airtable_id = 'recCliBluePeak001'").ok());
  ASSERT_TRUE(Sql("UPDATE " + clients_ +
                  " SET deleted_at = now() WHERE airtable_id = "
                  "'recCliHarbor0001'")
                  .ok());
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.dead, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  EXPECT_EQ(AllRecords("Clients").size(), 2u);
}

// A create whose answer is lost (Airtable made the record, airpg never
// heard) is sent again under the same airpg key: one record, not two. The
// same after a "crash" between sending and recording: the key was committed
// before the first send, and the upsert finds the record it made.
TEST_F(OutboxTest, ACreateWhoseAnswerIsLostIsNeverDuplicated) {
  const std::string company = Column("fldCliName0000001");
  ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Lost answer')").ok());
  transport_->lose_answers = 2;  // the client's retries, then the next round's
  for (int i = 0;
       i < 5 && Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") != "0"; ++i) {
    ASSERT_TRUE(Sql("UPDATE airpg.outbox SET available_at = now() WHERE status = 'pending'").ok());
    Dispatch();
  }
  int named = 0;
  for (const auto& r : AllRecords("Clients")) {
    named += r["fields"].value("Company", "") == "Lost answer";
  }
  EXPECT_EQ(named, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + clients_ + " WHERE " + company +
                   " = 'Lost answer' AND airtable_id LIKE 'rec%'"),
            "1");

  // The crash: a create sent (by hand here) under the row's key, its outcome never recorded.
  ASSERT_TRUE(
      Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Crashed after send')").ok());
  std::string row =
      Scalar("SELECT id FROM " + clients_ + " WHERE " + company + " = 'Crashed after send'");
  auto key = sync::EnsureKey(conn(), kClients, std::stoll(row));
  ASSERT_TRUE(key.ok());
  std::string key_field = Scalar(
      "SELECT field_id FROM airpg.fields WHERE table_id = 'tblClients0000001' AND airtable_name = "
      "'airpg key'");
  if (key_field.empty()) {
    auto schema = client_->GetBaseSchema(kDelta, false);
    ASSERT_TRUE(schema.ok());
    key_field = schema->FindTable(kClients)->FindField("airpg key")->id;
  }
  airtable::RecordWrite first;
  first.fields = {{"fldCliName0000001", "\"Crashed after send\""}, {key_field, json(*key).dump()}};
  ASSERT_TRUE(client_->WriteBatch(kDelta, kClients, {first}, {key_field}).status.ok());
  DispatchAll();
  named = 0;
  for (const auto& r : AllRecords("Clients")) {
    named += r["fields"].value("Company", "") == "Crashed after send";
  }
  EXPECT_EQ(named, 1);
}

// A send whose answer was lost may have landed: when the read before the
// next send finds the value of those very changes in Airtable, it is
// Postgres's own write, not an edit there, so the row's newer value goes
// across and no conflict is parked (under `manual`, the strictest rule).
TEST_F(OutboxTest, AnUpdateWhoseAnswerWasLostIsNotTakenForAnAirtableEdit) {
  sync::AuthorityConfig config;
  config.tables["Clients"].authority = sync::Authority::kBoth;
  config.tables["Clients"].conflict = sync::ConflictRule::kManual;
  Configure(config);
  const std::string notes = Column("fldCliNotes000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'first' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  transport_->lose_answers = 6;  // the first try and the client's 5 retries
  Dispatch();
  transport_->lose_answers = 0;
  ASSERT_NE(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'"), "0");
  ASSERT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "first");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'second' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  for (int i = 0;
       i < 5 && Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") != "0"; ++i) {
    ASSERT_TRUE(Sql("UPDATE airpg.outbox SET available_at = now() WHERE status = 'pending'").ok());
    Dispatch();
  }
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "second");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
}

// A create's outcome met the inbound apply of the same create's webhook
// inserting the record as a row of its own: the outcome waited on that row's
// airtable_id and failed with a unique violation once it committed (the round
// ended; the fault test's outbox drained late under load). Recorded once more,
// it takes that row out: one row, with the record's id.
TEST_F(OutboxTest, ACreateWhoseWebhookRowCommitsMeanwhileIsRecordedOnce) {
  const std::string company = Column("fldCliName0000001");
  ASSERT_TRUE(
      Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Made in Postgres')").ok());
  auto other = pg::Connection::Open(url());
  ASSERT_TRUE(other.ok());
  std::thread committer;
  transport_->after_write = [&](const std::string& body) {
    json answer = json::parse(body, nullptr, false);
    std::string record_id = answer["records"][0].value("id", "");
    // The inbound apply's row, not committed yet when the outcome begins.
    ASSERT_TRUE(other->Run("BEGIN").ok());
    ASSERT_TRUE(other->Run("SET LOCAL airpg.origin = 'airtable'").ok());
    ASSERT_TRUE(other
                    ->Run("INSERT INTO " + clients_ + " (" + company +
                              ", airtable_id) VALUES ('webhook copy', $1)",
                          {record_id})
                    .ok());
    committer = std::thread([&] {
      // It commits once the outcome waits on it.
      EXPECT_TRUE(testing::WaitFor(
          [&] {
            return Scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") !=
                   "0";
          },
          std::chrono::milliseconds(30000)));
      EXPECT_TRUE(other->Run("COMMIT").ok());
    });
  };
  sync::DispatchReport report = Dispatch();
  if (committer.joinable()) committer.join();
  EXPECT_EQ(report.created, 1);
  std::string made =
      Scalar("SELECT airtable_id FROM " + clients_ + " WHERE " + company + " = 'Made in Postgres'");
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + clients_ + " WHERE airtable_id = '" + made + "'"),
            "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'"), "0");
}

// The lost update the serve flip test found (ServeRouteFlipTest, about one
// run in three): a Postgres-born row is created in Airtable with the value it
// had when the create was built; a newer Postgres change is queued meanwhile.
// While the outbox records the create's answer (its transaction has set the
// row's airtable_id, not committed yet), the inbound apply of the create's
// webhook reads the record: it found no row by that id, so its upsert merged
// into the row once the outcome committed — the create's older cell
// overwrote the pending newer one with no decision, the field's base became
// that older value, and the pending change, now equal to its base, was
// dropped as "nothing to send": both sides older than the last write. The
// record's airpg key names the row: the apply waits for the outcome and
// decides the row as it does any other.
TEST_F(OutboxTest, AnInboundApplyDuringACreatesOutcomeKeepsTheNewerPendingChange) {
  RegisterHook();
  const std::string company = Column("fldCliName0000001");
  const std::string notes = Column("fldCliNotes000001");
  // The `airpg key` field made and mirrored first, as after a sync's first creates.
  ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Warm-up')").ok());
  DispatchAll();
  ApplyPayloads();
  ASSERT_NE(Scalar("SELECT count(*) FROM airpg.fields WHERE table_id = 'tblClients0000001' AND "
                   "airtable_name = 'airpg key'"),
            "0");
  auto live = sync::LoadLiveBase(conn(), kDelta);
  ASSERT_TRUE(live.ok());

  ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ", " + notes +
                  ") VALUES ('Made in Postgres', 'first')")
                  .ok());
  auto holder = pg::Connection::Open(url());
  auto inbound = pg::Connection::Open(url());
  ASSERT_TRUE(holder.ok() && inbound.ok());
  auto waiting = [&](int n) {
    return testing::WaitFor(
        [&] {
          return std::stoi(Scalar(
                     "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) >= n;
        },
        std::chrono::seconds(30));
  };
  std::thread committer, applier_thread;
  std::string record_id;
  transport_->after_write = [&](const std::string& body) {
    record_id = json::parse(body, nullptr, false)["records"][0].value("id", "");
    // Holds the outcome's transaction after it set the row's airtable_id
    // (it records the company's base there) until the inbound apply met it.
    ASSERT_TRUE(holder->Run("BEGIN").ok());
    ASSERT_TRUE(holder
                    ->Run("INSERT INTO airpg.field_sync_state (base_id, table_id, record_id, "
                          "field_id, value) VALUES ($1, $2, $3, 'fldCliName0000001', "
                          "'\"Made in Postgres\"')",
                          {kDelta, kClients, record_id})
                    .ok());
    // The newer Postgres change, queued after the create was claimed.
    ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes + " = 'second' WHERE " + company +
                    " = 'Made in Postgres'")
                    .ok());
    committer = std::thread([&] {
      EXPECT_TRUE(waiting(1)) << "the create's outcome did not wait";
      applier_thread = std::thread([&] {
        sync::RecordApplier applier(*live, {});
        // The `airpg key` field is mirrored already (above).
        sync::PayloadCycleOptions options;
        options.schema_read_after = std::numeric_limits<int64_t>::max();
        auto cycle = sync::RunPayloadCycle(*client_, *inbound, applier, *live, options);
        ASSERT_TRUE(cycle.ok()) << cycle.status().ToString();
        EXPECT_GT(cycle->payloads, 0);
      });
      EXPECT_TRUE(waiting(2)) << "the inbound apply did not meet the outcome";
      EXPECT_TRUE(holder->Run("COMMIT").ok());
    });
  };
  sync::DispatchReport report = Dispatch();
  if (committer.joinable()) committer.join();
  if (applier_thread.joinable()) applier_thread.join();
  EXPECT_EQ(report.created, 1);
  ASSERT_FALSE(record_id.empty());
  auto postgres_notes = [&] {
    return Scalar("SELECT " + notes + " FROM " + clients_ + " WHERE " + company +
                  " = 'Made in Postgres'");
  };
  EXPECT_EQ(postgres_notes(), "second") << "the create's older cell overwrote a pending change";
  DispatchAll();
  ApplyPayloads();
  EXPECT_EQ(Record("Clients", record_id)["fields"]["Notes"], "second");
  EXPECT_EQ(postgres_notes(), "second");
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM " + clients_ + " WHERE " + company + " = 'Made in Postgres'"),
      "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'"), "0");
}

// The lost update the two-way fault test found (SyncFaultsTest.TwoWay…): the
// inbound sync read a record, airpg's outbox then wrote a newer value of the
// field (and recorded it as the field's base), and the inbound apply took the
// older cell it had read for an Airtable edit — Postgres went back to it and
// the base with it, so the next Postgres change met "an Airtable change": a
// conflict, which in a base without a modification-time field Airtable won at
// the re-read (its edit dated at the read), leaving Airtable the older value
// and Postgres the newer with the outbox drained. A cell older than a value
// airpg recorded since the read is airpg's own older value, not an edit.
TEST_F(OutboxTest, AReadOlderThanOwnWriteIsNotTakenForAnAirtableEdit) {
  RegisterHook();
  const std::string notes = Column("fldCliNotes000001");
  auto update_notes = [&](const std::string& value) {
    ASSERT_TRUE(conn()
                    .Run("UPDATE " + clients_ + " SET " + notes +
                             " = $1 WHERE airtable_id = 'recCliHarbor0001'",
                         {value})
                    .ok());
  };
  auto postgres_notes = [&] {
    return Scalar("SELECT " + notes + " FROM " + clients_ +
                  " WHERE airtable_id = 'recCliHarbor0001'");
  };
  update_notes("first");
  DispatchAll();
  ASSERT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "first");

  // The inbound cycle reads the record (Notes "first"); before it applies
  // it, Postgres writes "second" and the outbox sends it.
  auto pausing = std::make_unique<PausingTransport>();
  PausingTransport& reader_transport = *pausing;
  std::unique_ptr<airtable::Client> reader = ClientThrough(std::move(pausing));
  reader_transport.after_read = [&] {
    update_notes("second");
    DispatchAll();
  };
  {
    auto live = sync::LoadLiveBase(conn(), kDelta);
    ASSERT_TRUE(live.ok());
    sync::RecordApplier applier(*live, {});
    auto cycle = sync::RunPayloadCycle(*reader, conn(), applier, *live);
    ASSERT_TRUE(cycle.ok()) << cycle.status().ToString();
    ASSERT_GT(cycle->payloads, 0);
  }
  ASSERT_EQ(reader_transport.after_read, nullptr) << "the cycle read no record";
  ASSERT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "second");
  EXPECT_EQ(postgres_notes(), "second") << "the stale read went back into Postgres";

  // The next Postgres change reaches Airtable, and the payloads of both
  // writes change nothing.
  update_notes("third");
  DispatchAll();
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "third");
  ApplyPayloads();
  ApplyPayloads();
  EXPECT_EQ(postgres_notes(), "third");
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "third");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'"), "0");
}

// airpg's own write comes back as a webhook payload and changes nothing: one
// Postgres update gives one Airtable write, one audit row and no second
// outbox row.
TEST_F(OutboxTest, OwnWritesComingBackChangeNothing) {
  RegisterHook();
  const std::string notes = Column("fldCliNotes000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'Echo?' WHERE airtable_id = 'recCliSolaris001'")
                  .ok());
  int before = transport_->writes;
  DispatchAll();
  EXPECT_EQ(transport_->writes - before, 1);
  ApplyPayloads();
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE airtable_id = 'recCliSolaris001'"),
            "1")
      << Scalar(
             "SELECT string_agg(origin || ':' || array_to_string(changed_columns, ','), ' ') "
             "FROM airpg.audit_log");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "1");
  Dispatch();
  EXPECT_EQ(transport_->writes - before, 1);
  EXPECT_EQ(Record("Clients", "recCliSolaris001")["fields"]["Notes"], "Echo?");
}

// A 422 (a link to a record deleted in Airtable that the sync has not
// applied yet; a new select option is sent with typecast, so it is no
// longer one: outbox_release_test) is a dead letter with the request,
// Airtable's answer and its error type; the other records of the batch go
// through; a replay sends the row as it is then.
TEST_F(OutboxTest, A422IsADeadLetterWithItsRequestAndAnswerAndReplays) {
  const std::string regs = "delta_analytics_registration_tracking.registrations";
  const std::string client = Column("fldRegClient00001");
  const std::string notes = Column("fldCliNotes000001");
  auto row_of = [&](const std::string& record_id) {
    return "(SELECT id FROM " + clients_ + " WHERE airtable_id = '" + record_id + "')";
  };
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliBluePeak001");
  ASSERT_TRUE(Sql("UPDATE " + regs + " SET " + client + " = " + row_of("recCliBluePeak001") +
                  " WHERE airtable_id = 'recRegSoAz000001'")
                  .ok());
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'fine' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.dead, 1);
  EXPECT_EQ(report.updated, 1);
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "fine");
  EXPECT_EQ(Scalar("SELECT error_type FROM airpg.outbox WHERE status = 'dead'"),
            "ROW_DOES_NOT_EXIST");
  EXPECT_NE(
      Scalar("SELECT request FROM airpg.outbox WHERE status = 'dead'").find("recCliBluePeak001"),
      std::string::npos);
  EXPECT_NE(Scalar("SELECT response FROM airpg.outbox WHERE status = 'dead'").find("422"),
            std::string::npos);
  // The link is pointed at a live record (as the sync would clear it); the
  // replay sends the row as it is now, and it lands.
  ASSERT_TRUE(Sql("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + regs + " SET " + client +
                  " = " + row_of("recCliHarbor0001") +
                  " WHERE airtable_id = 'recRegSoAz000001'; COMMIT")
                  .ok());
  auto replayed = sync::ReplayDeadChanges(conn(), kDelta, {});
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 1);
  Dispatch();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  EXPECT_EQ(Record("Registrations", "recRegSoAz000001")["fields"]["Client"],
            json::array({"recCliHarbor0001"}));
}

// A refused token (403) stops the base's writes with a clear status: the
// changes stay queued and nothing is sent until the sync starts again.
TEST_F(OutboxTest, ARefusedTokenStopsTheBasesWrites) {
  const std::string notes = Column("fldCliNotes000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'no token' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  Control("POST", "faults", {{"failNext", {{"status", 403}, {"count", 1}}}});
  sync::DispatchOptions options;
  options.claim.owner = "test";
  options.claim.debounce = std::chrono::milliseconds(0);
  sync::OutboxDispatcher dispatcher(*writer_, *dispatch_conn_, kDelta, options);
  auto first = dispatcher.RunOnce();
  EXPECT_EQ(first.status().code(), StatusCode::kPermissionDenied) << first.status().ToString();
  EXPECT_NE(Scalar("SELECT writes_stopped FROM airpg.sync_bases"), "");
  int before = transport_->writes;
  auto second = dispatcher.RunOnce();
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(transport_->writes, before);
  EXPECT_EQ(Scalar("SELECT status FROM airpg.outbox"), "pending");
  ASSERT_TRUE(sync::ResumeWrites(conn(), kDelta).ok());
  ASSERT_TRUE(Sql("UPDATE airpg.outbox SET available_at = now()").ok());
  DispatchAll();
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Notes"], "no token");
}

// Links and collaborators are decided per field like scalars, on the whole
// ordered list: a link both sides changed since the last sync — Airtable's
// edit not applied to Postgres yet when the dispatcher sends Postgres's — is
// one conflict of the field (here parked under `manual`), read from Airtable
// before the write; neither side's list is overwritten until it is resolved,
// and the resolution reaches the losing side.
TEST_F(OutboxTest, ALinkBothSidesChangedIsOneConflictOnItsWholeList) {
  RegisterHook();
  sync::AuthorityConfig config;
  config.tables["Clients"].authority = sync::Authority::kBoth;
  config.tables["Clients"].conflict = sync::ConflictRule::kManual;
  Configure(config);
  const std::string partners_field = Scalar(
      "SELECT field_id FROM airpg.fields WHERE table_id = 'tblClients0000001' AND airtable_name "
      "= 'Partners'");
  const std::string partners =
      "delta_analytics_registration_tracking." +
      Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = '" + partners_field + "'");
  auto row_of = [&](const std::string& record_id) {
    return "(SELECT id FROM " + clients_ + " WHERE airtable_id = '" + record_id + "')";
  };
  airtable::RecordWrite in_airtable;
  in_airtable.id = "recCliHarbor0001";
  in_airtable.fields.emplace_back(partners_field,
                                  json::array({"recCliBluePeak001", "recCliSolaris001"}).dump());
  ASSERT_TRUE(client_->WriteBatch(kDelta, kClients, {in_airtable}, {}).status.ok());
  ASSERT_TRUE(Sql("INSERT INTO " + partners + " (from_id, to_id, position) VALUES (" +
                  row_of("recCliHarbor0001") + ", " + row_of("recCliNorthwind01") + ", 0)")
                  .ok());
  int before = transport_->writes;
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.reads, 1);
  EXPECT_EQ(transport_->writes - before, 0);  // nothing left to send
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Partners"],
            json::array({"recCliBluePeak001", "recCliSolaris001"}));
  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].field_id, partners_field);
  EXPECT_EQ(json::parse((*open)[0].airtable_value),
            json::array({"recCliBluePeak001", "recCliSolaris001"}));
  EXPECT_EQ(json::parse((*open)[0].postgres_value), json::array({"recCliNorthwind01"}));
  EXPECT_EQ(json::parse((*open)[0].base_value.value_or("0")), nullptr);  // no partners before
  // Airtable's edit arrives: Postgres keeps its list while the field is parked.
  ApplyPayloads();
  const std::string harbor_links =
      "SELECT string_agg(c.airtable_id, ',' ORDER BY j.position) FROM " + partners + " j JOIN " +
      clients_ + " c ON c.id = j.to_id WHERE j.from_id = " + row_of("recCliHarbor0001");
  EXPECT_EQ(Scalar(harbor_links), "recCliNorthwind01");
  // The operator takes Airtable's list: it reaches Postgres, in order.
  ASSERT_TRUE(sync::ResolveConflict(conn(), (*open)[0].id, sync::Take::kAirtable).ok());
  EXPECT_EQ(Dispatch().resolutions, 1);
  EXPECT_EQ(Scalar(harbor_links), "recCliBluePeak001,recCliSolaris001");
  DispatchAll();
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE status = 'open'"), "0");
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Partners"],
            json::array({"recCliBluePeak001", "recCliSolaris001"}));
}

// A collaborator field too: Airtable's change not applied yet is read
// before the write and decided with the rule (`airtable_wins` here) on the
// whole list, so Postgres's edit of the same field does not overwrite it.
TEST_F(OutboxTest, ACollaboratorFieldBothSidesChangedFollowsTheRule) {
  RegisterHook();
  sync::AuthorityConfig config;
  config.tables["Registrations"].authority = sync::Authority::kBoth;
  config.tables["Registrations"].conflict = sync::ConflictRule::kAirtableWins;
  Configure(config);
  const std::string team = "delta_analytics_registration_tracking.registrations__team";
  const std::string reg =
      "(SELECT id FROM delta_analytics_registration_tracking.registrations WHERE airtable_id = "
      "'recRegSoAz000001')";
  airtable::RecordWrite in_airtable;  // the team was empty on both sides
  in_airtable.id = "recRegSoAz000001";
  in_airtable.fields.emplace_back("fldRegTeam0000001",
                                  json::array({{{"id", "usrMariaLopez0001"}}}).dump());
  ASSERT_TRUE(client_->WriteBatch(kDelta, kRegs, {in_airtable}, {}).status.ok());
  ASSERT_TRUE(Sql("INSERT INTO " + team + " (record_id, user_id, position) SELECT " + reg +
                  ", 'usrKenjiSato00001', 0")
                  .ok());
  Dispatch();
  const json cell = Record("Registrations", "recRegSoAz000001")["fields"]["Team"];
  ASSERT_EQ(cell.size(), 1u) << cell.dump();
  EXPECT_EQ(cell[0]["id"], "usrMariaLopez0001");
  EXPECT_EQ(Scalar("SELECT resolution || ' ' || airtable_value::text || ' ' || "
                   "postgres_value::text FROM airpg.conflicts WHERE field_id = "
                   "'fldRegTeam0000001'"),
            R"(airtable ["usrMariaLopez0001"] ["usrKenjiSato00001"])");
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT string_agg(user_id, ',') FROM " + team + " WHERE record_id = " + reg),
            "usrMariaLopez0001");
}

// Every push, conflict and resolution is in airpg.sync_events and in the
// audit log with its origin; a push marks the audit row of the Postgres
// write it sent (one update, one audit row), and the echo adds none.
TEST_F(OutboxTest, PushesConflictsAndResolutionsAreAuditedWithTheirOrigin) {
  RegisterHook();
  sync::AuthorityConfig config;
  config.tables["Clients"].authority = sync::Authority::kBoth;
  config.tables["Clients"].conflict = sync::ConflictRule::kManual;
  Configure(config);
  const std::string notes = Column("fldCliNotes000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'pushed' WHERE airtable_id = 'recCliSolaris001'")
                  .ok());
  DispatchAll();
  EXPECT_EQ(Scalar("SELECT origin || ' ' || operation || ' ' || pushed_record || ' ' || "
                   "(pushed_at IS NOT NULL) FROM airpg.audit_log WHERE airtable_id = "
                   "'recCliSolaris001'"),
            "postgres UPDATE recCliSolaris001 true");
  EXPECT_EQ(Scalar("SELECT sum(records) FROM airpg.sync_events WHERE kind = 'push'"), "1");
  // Both sides edit Harbor's notes; the re-read finds the clash.
  airtable::RecordWrite in_airtable;
  in_airtable.id = "recCliHarbor0001";
  in_airtable.fields.emplace_back("fldCliNotes000001", json("from Airtable").dump());
  ASSERT_TRUE(client_->WriteBatch(kDelta, kClients, {in_airtable}, {}).status.ok());
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'from Postgres' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  Dispatch();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict'"), "1");
  EXPECT_EQ(Scalar("SELECT origin || ' ' || (detail ->> 'outcome') || ' ' || (detail ->> "
                   "'airtable') FROM airpg.audit_log WHERE operation = 'CONFLICT' AND "
                   "airtable_id = 'recCliHarbor0001'"),
            "postgres parked from Airtable");
  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  ASSERT_TRUE(sync::ResolveConflict(conn(), (*open)[0].id, sync::Take::kAirtable).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict_resolved'"), "1");
  EXPECT_EQ(Scalar("SELECT origin || ' ' || (detail ->> 'take') FROM airpg.audit_log WHERE "
                   "operation = 'RESOLVE' AND airtable_id = 'recCliHarbor0001'"),
            "airtable airtable");
  // The echo of every write leaves no audit row.
  DispatchAll();
  ApplyPayloads();
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE airtable_id = 'recCliSolaris001'"),
            "1");
  auto rows = sync::ReadAudit(conn(), "clients", "", 100);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  // `airpg audit` reads them back.
  EXPECT_EQ(std::count_if(rows->begin(), rows->end(),
                          [](const sync::AuditRow& r) {
                            return r.operation == "CONFLICT" && r.origin == "postgres" &&
                                   r.airtable_id == "recCliHarbor0001";
                          }),
            1);
}

// A migrate of some tables swaps in new relations: they carry the write
// guard and the outbox capture from the swap on, and the authority matrix
// stays, so a Postgres write right after is queued (authority postgres) or
// refused (authority airtable) without the sync starting again.
TEST_F(OutboxTest, TablesASwapReplacesAreGuardedAndCapturedAtOnce) {
  migrate::MigrateOptions options;
  options.tables = {"Registrations", "Staff"};
  auto run = Run(kDelta, options);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(Scalar("SELECT authority FROM airpg.sync_authority WHERE table_id = '" +
                   std::string(kRegs) + "'"),
            "postgres");
  const std::string regs = "delta_analytics_registration_tracking.registrations";
  ASSERT_TRUE(Sql("UPDATE " + regs + " SET " + Column("fldRegRef00000001") +
                  " = 'after the swap' WHERE airtable_id = 'recRegSoAz000001'")
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE table_id = '" + std::string(kRegs) +
                   "' AND status = 'pending'"),
            "1");
  Status refused = Sql("UPDATE delta_analytics_registration_tracking.staff SET " +
                       Column("fldStfName0000001") + " = 'x'");
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied) << refused.ToString();
  DispatchAll();
  EXPECT_EQ(Record("Registrations", "recRegSoAz000001")["fields"]["Reference"], "after the swap");
}

// Several dispatchers share one outbox: every change is sent once.
TEST_F(OutboxTest, ConcurrentDispatchersSendEachRecordOnce) {
  const std::string company = Column("fldCliName0000001");
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Shared " +
                    std::to_string(i) + "')")
                    .ok());
  }
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([this, w] {
      auto c = pg::Connection::Open(url());
      ASSERT_TRUE(c.ok());
      sync::DispatchOptions options;
      options.claim.owner = "worker" + std::to_string(w);
      options.claim.debounce = std::chrono::milliseconds(0);
      options.claim.max_records = 7;
      sync::OutboxDispatcher dispatcher(*writer_, *c, kDelta, options);
      for (int i = 0; i < 20; ++i) {
        auto r = dispatcher.RunOnce();
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (r->claimed == 0) {
          auto left = c->Exec("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'");
          if (left.ok() && left->Get(0, 0) == "0") break;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  std::multiset<std::string> names;
  for (const auto& r : AllRecords("Clients")) {
    names.insert(r["fields"].value("Company", ""));
  }
  for (int i = 0; i < 30; ++i) EXPECT_EQ(names.count("Shared " + std::to_string(i)), 1u) << i;
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + clients_ + " WHERE airtable_id IS NULL"), "0");
}

// The conflict seam: a resolver (H8's rules) may keep Airtable's value of a
// field of a table both sides write; what it takes out is not sent.
TEST_F(OutboxTest, TheConflictSeamDecidesWhatAnUpdateOfABothTableSends) {
  const std::string notes = Column("fldCliNotes000001");
  const std::string tier = Column("fldCliTier0000001");
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes + " = 'pg notes', " + tier +
                  " = 'Gold' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  sync::DispatchOptions options;
  options.claim.owner = "test";
  options.claim.debounce = std::chrono::milliseconds(0);
  int asked = 0;
  options.resolve_conflicts = [&](const sync::TableAuthority& table, int64_t,
                                  airtable::RecordWrite& write) {
    ++asked;
    EXPECT_EQ(table.authority, sync::Authority::kBoth);
    std::erase_if(write.fields, [](const auto& f) { return f.first == "fldCliNotes000001"; });
    return Status::Ok();
  };
  sync::OutboxDispatcher dispatcher(*writer_, *dispatch_conn_, kDelta, options);
  ASSERT_TRUE(dispatcher.RunOnce().ok());
  EXPECT_EQ(asked, 1);
  json harbor = Record("Clients", "recCliHarbor0001");
  EXPECT_EQ(harbor["fields"]["Tier"], "Gold");
  EXPECT_EQ(harbor["fields"]["Notes"], "Onboarding; waiting for articles of incorporation.");
}

// `airpg sync`'s service end to end: the matrix stored and enforced at
// start, a Postgres update reaching Airtable through the dispatcher thread,
// its webhook echo (a real ping to the service's receiver) applied and
// changing nothing: one Airtable write, one audit row, one outbox row.
TEST_F(OutboxTest, TheSyncServiceSendsPostgresChangesOnceAndIgnoresTheirEcho) {
  daemon::SyncServiceOptions options;
  options.base_id = kDelta;
  options.conninfo = url();
  options.loopback_pings = true;
  options.syncer.sweep_interval = std::chrono::hours(1);
  options.syncer.payload_interval = std::chrono::milliseconds(200);
  for (const auto& t : live_.plan.tables) {
    options.syncer.poll_intervals[t.table_id] = std::chrono::minutes(10);
  }
  options.authority.tables["Clients"].authority = sync::Authority::kBoth;
  options.outbox.claim.debounce = std::chrono::milliseconds(20);
  options.outbox_idle = std::chrono::milliseconds(20);
  std::atomic<int> steps{0};
  options.on_step = [&](const sync::StepReport&) { ++steps; };
  std::stop_source stop;
  Status result;
  std::thread service(
      [&] { result = daemon::RunSyncService(*writer_, options, stop.get_token()); });
  ASSERT_TRUE(testing::WaitFor([&] { return steps > 0; }, std::chrono::seconds(20)));
  EXPECT_EQ(Scalar("SELECT authority FROM airpg.sync_authority WHERE table_id = "
                   "'tblClients0000001'"),
            "both");
  EXPECT_EQ(Sql("UPDATE delta_analytics_registration_tracking.staff SET deleted_at = now()").code(),
            StatusCode::kPermissionDenied);
  const std::string notes = Column("fldCliNotes000001");
  std::string cursor = Scalar("SELECT cursor FROM airpg.sync_bases");
  int before = transport_->writes;
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + notes +
                  " = 'via the service' WHERE airtable_id = 'recCliSolaris001'")
                  .ok());
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Record("Clients", "recCliSolaris001")["fields"]["Notes"] == "via the service"; },
      std::chrono::seconds(20)));
  // The echo: the payload of airpg's own write read and applied (the cursor moves past it).
  EXPECT_TRUE(
      testing::WaitFor([&] { return Scalar("SELECT cursor FROM airpg.sync_bases") != cursor; },
                       std::chrono::seconds(20)));
  int after_echo_steps = steps;
  ASSERT_TRUE(
      testing::WaitFor([&] { return steps > after_echo_steps + 2; }, std::chrono::seconds(20)));
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(transport_->writes - before, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE airtable_id = 'recCliSolaris001'"),
            "1")
      << Scalar(
             "SELECT string_agg(operation || ':' || origin || ':' || "
             "coalesce(array_to_string(changed_columns, ','), ''), ' ') FROM airpg.audit_log "
             "WHERE airtable_id = 'recCliSolaris001'");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "1");
  EXPECT_EQ(Scalar("SELECT status FROM airpg.outbox"), "done");
}

}  // namespace
}  // namespace airpg
