// Deletes in two-way sync (issue 16), against the emulator and a real
// Postgres:
// - a read of Airtable that began before a delete was applied (on either
//   side, hard or soft) does not bring the record back (stale_reads.h);
// - a Postgres update of a record Airtable deleted is a delete-vs-update
//   conflict decided by the rule (deleted_records.h): airtable_wins and
//   latest tombstone the row, postgres_wins creates the record again and
//   re-points links to it, manual parks it until `conflicts resolve`; in a
//   batch, the other records are sent again, never dead-lettered.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "airtable/transport.h"
#include "base/hex.h"
#include "blobs/blob_store.h"
#include "emulated_base_test.h"
#include "http/client.h"
#include "pg/transaction.h"
#include "sync/authority.h"
#include "sync/conflicts.h"
#include "sync/live_schema.h"
#include "sync/outbox_attachments.h"
#include "sync/outbox_dispatcher.h"
#include "sync/record_applier.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kRegs = "tblRegistrations1";
const std::string kSchema = "delta_analytics_registration_tracking";

class TwoWayDeletesTest : public testing::TwoWayBaseTest {
 protected:
  TwoWayDeletesTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    EmulatedBaseTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(ReadFile(AIRPG_DELTA_SAMPLE), kDelta));
    OpenDispatchConnection();
  }

  void Configure(sync::Authority authority, sync::ConflictRule rule,
                 const std::string& table = "Clients") {
    sync::AuthorityConfig config;
    config.tables[table].authority = authority;
    config.tables[table].conflict = rule;
    config.tables["Registrations"].authority = sync::Authority::kBoth;
    TwoWayBaseTest::Configure(config);
  }

  sync::DispatchReport Dispatch() {
    auto report = DispatchOnce(*client_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::DispatchReport{};
  }

  // Rounds until nothing is pending (a link waits a round for its target's id).
  void DispatchAll() {
    DrainOutbox([this] { Dispatch(); });
  }

  // Postgres's clock now, as a read records when it began.
  std::string Clock() { return Scalar("SELECT clock_timestamp()::text"); }

  // The records as Airtable has them now, in a batch that says its read
  // began at `read_from`.
  sync::ChangeBatch Read(const std::string& table, const std::vector<std::string>& ids,
                         const std::string& read_from) {
    sync::ChangeBatch batch;
    batch.source = "test";
    batch.read_from = read_from;
    for (const auto& id : ids) {
      auto record = client_->GetRecord(kDelta, table, id, /*return_fields_by_field_id=*/true);
      EXPECT_TRUE(record.ok()) << record.status().ToString();
      if (record.ok()) batch.Table(table).upserts.push_back(*record);
    }
    return batch;
  }

  sync::ApplyStats Apply(const sync::ChangeBatch& batch) {
    sync::RecordApplier applier(live_, {});
    auto tx = pg::Transaction::Begin(conn());
    EXPECT_TRUE(tx.ok());
    auto applied = applier.Apply(*tx, batch);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_TRUE(tx->Commit().ok());
    return applied.ok() ? *applied : sync::ApplyStats{};
  }

  // Airtable's delete, applied as the inbound sync applies it.
  void DeleteInAirtableAndApply(const std::string& table_name, const std::string& table,
                                const std::string& id) {
    Control("DELETE", std::string("ui/") + kDelta + "/" + table_name + "/" + id);
    ApplyDelete(table, id);
  }
  void ApplyDelete(const std::string& table, const std::string& id) {
    sync::ChangeBatch batch;
    batch.source = "test";
    batch.Table(table).destroyed.push_back(id);
    Apply(batch);
  }

  bool InAirtable(const std::string& table, const std::string& id) {
    return client_->GetRecord(kDelta, table, id, true).ok();
  }

  Status Sql(const std::string& sql) { return conn().RunScript(sql); }
  std::string Of(const std::string& record_id, const std::string& what) {
    return Scalar("SELECT " + what + " FROM " + clients_ + " WHERE airtable_id = '" + record_id +
                  "'");
  }
  std::string Inserts(const std::string& record_id) {
    return Scalar(
        "SELECT count(*) FROM airpg.audit_log WHERE operation = 'INSERT' AND "
        "airtable_id = '" +
        record_id + "'");
  }
  void UpdateNotes(const std::string& record_id, const std::string& notes) {
    ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET " + Column("fldCliNotes000001") + " = '" + notes +
                    "' WHERE airtable_id = '" + record_id + "'")
                    .ok());
  }
  std::string Deleted(const std::string& record_id) {
    return Scalar("SELECT count(*) FROM " + clients_ + " WHERE airtable_id = '" + record_id +
                  "' AND deleted_at IS NOT NULL");
  }

  const std::string clients_ = kSchema + ".clients";
  const std::string regs_ = kSchema + ".registrations";
};

// Item 2 of session 5: a record deleted in Airtable and tombstoned is not
// brought back by a read that began before the tombstone was applied; a
// read that began after it (the record restored in Airtable) does.
TEST_F(TwoWayDeletesTest, AReadOlderThanAnAirtableDeleteDoesNotBringTheRowBack) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kLatest);
  sync::ChangeBatch older = Read(kClients, {"recCliSolaris001"}, Clock());
  DeleteInAirtableAndApply("Clients", kClients, "recCliSolaris001");
  ASSERT_EQ(Deleted("recCliSolaris001"), "1");

  sync::ApplyStats stats = Apply(older);
  EXPECT_EQ(stats.stale, 1);
  EXPECT_EQ(Deleted("recCliSolaris001"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE airtable_id = 'recCliSolaris001' "
                   "AND new_row ->> 'deleted_at' IS NULL AND old_row ->> 'deleted_at' IS NOT "
                   "NULL"),
            "0");
  // A read of unknown time does not either.
  older.read_from.clear();
  Apply(older);
  EXPECT_EQ(Deleted("recCliSolaris001"), "1");

  // Begun after the tombstone: the record is listed again, so it was restored.
  older.read_from = Clock();
  EXPECT_EQ(Apply(older).stale, 0);
  EXPECT_EQ(Deleted("recCliSolaris001"), "0");
}

// The kill test's "inserted twice": a row deleted in Postgres (hard), its
// delete sent to Airtable, then a read begun before the delete reached
// Airtable is applied: no row comes back.
TEST_F(TwoWayDeletesTest, AReadOlderThanAPostgresHardDeleteDoesNotInsertItAgain) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kLatest);
  sync::ChangeBatch older = Read(kClients, {"recCliHarbor0001"}, Clock());
  ASSERT_TRUE(Sql("DELETE FROM " + clients_ + " WHERE airtable_id = 'recCliHarbor0001'").ok());
  // Pending in the outbox, then sent.
  EXPECT_EQ(Apply(older).stale, 1);
  EXPECT_EQ(Of("recCliHarbor0001", "count(*)"), "0");
  DispatchAll();
  ASSERT_FALSE(InAirtable(kClients, "recCliHarbor0001"));
  EXPECT_EQ(Apply(older).stale, 1);
  EXPECT_EQ(Of("recCliHarbor0001", "count(*)"), "0");
  EXPECT_EQ(Inserts("recCliHarbor0001"), "0");
}

// Item 4 of session 5: a soft delete (deleted_at) is not undone by a read
// older than it, pending in the outbox or already sent.
TEST_F(TwoWayDeletesTest, AReadOlderThanAPostgresSoftDeleteDoesNotUndoIt) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kLatest);
  sync::ChangeBatch older = Read(kClients, {"recCliBluePeak001"}, Clock());
  ASSERT_TRUE(
      Sql("UPDATE " + clients_ + " SET deleted_at = now() WHERE airtable_id = 'recCliBluePeak001'")
          .ok());
  Apply(older);
  EXPECT_EQ(Deleted("recCliBluePeak001"), "1");
  DispatchAll();
  ASSERT_FALSE(InAirtable(kClients, "recCliBluePeak001"));
  EXPECT_EQ(Apply(older).stale, 1);
  EXPECT_EQ(Deleted("recCliBluePeak001"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE origin = 'airtable' AND "
                   "airtable_id = 'recCliBluePeak001'"),
            "0");
}

// Item 3 of session 5, airtable_wins: Postgres's update of a record Airtable
// deleted tombstones the row, with the conflict recorded; nothing is
// dead-lettered.
TEST_F(TwoWayDeletesTest, AnUpdateOfARecordDeletedInAirtableIsTombstonedWhenAirtableWins) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kAirtableWins);
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliSolaris001");
  UpdateNotes("recCliSolaris001", "edited in Postgres");
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.deleted_conflicts, 1);
  EXPECT_EQ(report.dead, 0);
  EXPECT_EQ(Deleted("recCliSolaris001"), "1");
  EXPECT_FALSE(InAirtable(kClients, "recCliSolaris001"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  EXPECT_EQ(Scalar("SELECT string_agg(rule || ' ' || status || ' ' || resolution || ' ' || "
                   "airtable_value::text, ',') FROM airpg.conflicts WHERE record_id = "
                   "'recCliSolaris001' AND field_id = ''"),
            R"(airtable_wins resolved airtable {"deleted": true})");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE operation = 'CONFLICT' AND "
                   "airtable_id = 'recCliSolaris001'"),
            "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE origin = 'airtable' AND "
                   "operation = 'UPDATE' AND airtable_id = 'recCliSolaris001' AND new_row ->> "
                   "'deleted_at' IS NOT NULL"),
            "1");
}

// latest: Airtable does not say when it deleted; airpg saw the delete after
// the Postgres commit, so the delete is the newer change.
TEST_F(TwoWayDeletesTest, AnUpdateOfARecordDeletedInAirtableIsTombstonedUnderLatest) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kLatest);
  UpdateNotes("recCliSolaris001", "edited in Postgres");
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliSolaris001");
  EXPECT_EQ(Dispatch().deleted_conflicts, 1);
  EXPECT_EQ(Deleted("recCliSolaris001"), "1");
  EXPECT_EQ(Scalar("SELECT rule || ' ' || resolution FROM airpg.conflicts WHERE record_id = "
                   "'recCliSolaris001'"),
            "latest airtable");
}

// postgres_wins: the record is created again in Airtable with the row's
// values, the row takes the new id, and the registration linking to it
// links to the new record in Airtable.
TEST_F(TwoWayDeletesTest, AnUpdateOfARecordDeletedInAirtableIsCreatedAgainWhenPostgresWins) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kPostgresWins);
  const std::string row = Of("recCliNorthwind01", "id");
  const std::string client = Column("fldRegClient00001");
  ASSERT_EQ(Scalar("SELECT count(*) FROM " + regs_ + " WHERE " + client + " = " + row), "2");
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliNorthwind01");
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  EXPECT_EQ(Dispatch().deleted_conflicts, 1);
  DispatchAll();
  const std::string made = Scalar("SELECT airtable_id FROM " + clients_ + " WHERE id = " + row +
                                  " AND deleted_at IS "
                                  "NULL");
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  EXPECT_NE(made, "recCliNorthwind01");
  auto record = client_->GetRecord(kDelta, kClients, made, false);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->Cell("Notes").value_or(""), "\"edited in Postgres\"");
  EXPECT_EQ(record->Cell("Company").value_or(""), "\"Northwind Lending\"");
  for (const char* reg : {"recRegNwTx000001", "recRegNwCa000001"}) {
    auto r = client_->GetRecord(kDelta, kRegs, reg, false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->Cell("Client").value_or(""), json::array({made}).dump()) << reg;
  }
  EXPECT_EQ(Scalar("SELECT rule || ' ' || resolution FROM airpg.conflicts WHERE record_id = "
                   "'recCliNorthwind01'"),
            "postgres_wins postgres");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'dead'"), "0");
}

// manual: parked with both sides; `conflicts resolve --take postgres`
// creates the record again, `--take airtable` tombstones the row.
TEST_F(TwoWayDeletesTest, AnUpdateOfARecordDeletedInAirtableIsParkedUnderManual) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kManual);
  for (const char* id : {"recCliSolaris001", "recCliBluePeak001"}) {
    Control("DELETE", std::string("ui/") + kDelta + "/Clients/" + id);
    UpdateNotes(id, "edited in Postgres");
  }
  EXPECT_EQ(Dispatch().deleted_conflicts, 2);
  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  std::map<std::string, int64_t> by_record;
  for (const auto& c : *open) {
    by_record[c.record_id] = c.id;
    EXPECT_EQ(c.field_id, "");
    EXPECT_EQ(c.airtable_value, R"({"deleted": true})");
    EXPECT_NE(c.postgres_value.find("edited in Postgres"), std::string::npos) << c.postgres_value;
  }
  EXPECT_EQ(Deleted("recCliSolaris001"), "0");  // untouched while parked
  ASSERT_TRUE(
      sync::ResolveConflict(conn(), by_record["recCliSolaris001"], sync::Take::kPostgres).ok());
  ASSERT_TRUE(
      sync::ResolveConflict(conn(), by_record["recCliBluePeak001"], sync::Take::kAirtable).ok());
  EXPECT_EQ(Dispatch().resolutions, 2);
  DispatchAll();
  EXPECT_EQ(Deleted("recCliBluePeak001"), "1");
  const std::string made = Scalar("SELECT airtable_id FROM " + clients_ + " WHERE " +
                                  Column("fldCliName0000001") + " = 'Solaris Energy Co-op'");
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  EXPECT_NE(made, "recCliSolaris001");
  EXPECT_TRUE(InAirtable(kClients, made));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE applied_at IS NULL"), "0");
}

// The same conflict met on the inbound side: Airtable's delete arrives while
// the Postgres update is still in the outbox. The rule decides there: under
// postgres_wins the row is not tombstoned but created again; under manual
// it is parked once (the update's 422 later meets the same conflict).
TEST_F(TwoWayDeletesTest, AnAirtableDeleteArrivingWhileAnUpdateIsPendingFollowsTheRule) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kPostgresWins);
  UpdateNotes("recCliHarbor0001", "edited in Postgres");
  DeleteInAirtableAndApply("Clients", kClients, "recCliHarbor0001");
  const std::string row = Scalar("SELECT id FROM " + clients_ + " WHERE " +
                                 Column("fldCliName0000001") + " = 'Harbor Mutual'");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + clients_ + " WHERE id = " + row +
                   " AND deleted_at IS NULL AND airtable_id IS NULL"),
            "1");
  DispatchAll();
  const std::string made = Scalar("SELECT airtable_id FROM " + clients_ + " WHERE id = " + row);
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  auto record = client_->GetRecord(kDelta, kClients, made, false);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->Cell("Notes").value_or(""), "\"edited in Postgres\"");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE record_id = 'recCliHarbor0001'"),
            "1")
      << Scalar(
             "SELECT string_agg(conflict_id || ' ' || rule || ' ' || status || ' ' || "
             "coalesce(resolution, '') || ' ' || created_at, E'\\n') FROM airpg.conflicts")
      << Scalar(
             "SELECT string_agg(outbox_id || ' ' || operation || ' ' || coalesce(airtable_id, "
             "'-') || ' ' || status || ' ' || coalesce(last_error, ''), E'\\n') FROM airpg.outbox");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'dead'"), "0");
}

TEST_F(TwoWayDeletesTest, AnAirtableDeleteArrivingWhileAnUpdateIsPendingIsParkedOnceUnderManual) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kManual);
  UpdateNotes("recCliHarbor0001", "edited in Postgres");
  DeleteInAirtableAndApply("Clients", kClients, "recCliHarbor0001");
  EXPECT_EQ(Deleted("recCliHarbor0001"), "0");
  DispatchAll();
  EXPECT_EQ(Deleted("recCliHarbor0001"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) || ' ' || min(status) FROM airpg.conflicts WHERE record_id = "
                   "'recCliHarbor0001'"),
            "1 open");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict'"), "1");
  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  ASSERT_TRUE(sync::ResolveConflict(conn(), open->front().id, sync::Take::kAirtable).ok());
  Dispatch();
  EXPECT_EQ(Deleted("recCliHarbor0001"), "1");
}

// A batch where one record is gone: Airtable refuses all of it (422); the
// others are sent again without it and reach Airtable.
TEST_F(TwoWayDeletesTest, TheOtherRecordsOfABatchWithADeletedOneAreSentAgain) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kAirtableWins);
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliBluePeak001");
  for (const char* id : {"recCliNorthwind01", "recCliBluePeak001", "recCliHarbor0001"}) {
    UpdateNotes(id, std::string("batch ") + id);
  }
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.deleted_conflicts, 1);
  EXPECT_EQ(report.updated, 2);
  EXPECT_EQ(report.dead, 0);
  for (const char* id : {"recCliNorthwind01", "recCliHarbor0001"}) {
    auto r = client_->GetRecord(kDelta, kClients, id, false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->Cell("Notes").value_or(""), json(std::string("batch ") + id).dump());
  }
  EXPECT_EQ(Deleted("recCliBluePeak001"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
}

// A 422 ROW_DOES_NOT_EXIST that names a deleted link target, not the record,
// is still a dead letter (a value Airtable refuses).
TEST_F(TwoWayDeletesTest, AnUpdateLinkingADeletedTargetIsStillADeadLetter) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kPostgresWins);
  const std::string solaris = Of("recCliSolaris001", "id");
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliSolaris001");
  ASSERT_TRUE(Sql("UPDATE " + regs_ + " SET " + Column("fldRegClient00001") + " = " + solaris +
                  " WHERE airtable_id = 'recRegNwTx000001'")
                  .ok());
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.deleted_conflicts, 0);
  EXPECT_EQ(report.dead, 1);
  EXPECT_TRUE(InAirtable(kRegs, "recRegNwTx000001"));
}

// postgres_wins on a record with an attachment: the record created again
// carries the file (same name, same bytes), uploaded again; Airtable
// dropped it with the record.
TEST_F(TwoWayDeletesTest, ARecordCreatedAgainCarriesItsAttachments) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kPostgresWins, "Documents");
  constexpr const char* kDocs = "tblDocuments00001";
  constexpr const char* kFiles = "fldDocFiles000001";
  constexpr const char* kDoc = "recDocNwTxLic0001";
  // The migrated file's bytes are in no store of this test: airpg forgets
  // it (its own bookkeeping), and Postgres adds a file of its own.
  ASSERT_TRUE(Sql(std::string("BEGIN; SET LOCAL airpg.origin = 'airtable'; DELETE FROM "
                              "airpg.attachments WHERE record_id = '") +
                  kDoc + "'; COMMIT;")
                  .ok());
  const std::string bytes = "the signed proof, byte for byte\x01\x02";
  ASSERT_TRUE(
      conn()
          .Run("SELECT airpg.add_attachment($1, 'Documents', $2, 'Files', 'proof.bin', "
               "'application/octet-stream', decode($3, 'hex'))",
               {kSchema, kDoc,
                HexLower(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size())})
          .ok());
  auto store = blobs::BlobStore::Open({});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto push_files = [&] {
    sync::AttachmentDispatchOptions options;
    options.owner = "test";
    options.retry_initial = std::chrono::milliseconds(0);
    options.wait = std::chrono::milliseconds(0);
    for (int i = 0; i < 10; ++i) {
      if (Scalar("SELECT count(*) FROM airpg.attachment_outbox") == "0") return;
      auto report = sync::DispatchAttachments(*client_, *dispatch_conn_, **store, kDelta, options);
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      DispatchAll();
    }
    ADD_FAILURE() << "the attachment outbox did not drain: "
                  << Scalar(
                         "SELECT string_agg(record_id || ' ' || status || ' ' || "
                         "coalesce(last_error, ''), E'\\n') FROM airpg.attachment_outbox");
  };
  push_files();
  const std::string docs = kSchema + ".documents";
  const std::string row = Scalar("SELECT id FROM " + docs + " WHERE airtable_id = '" + kDoc + "'");

  Control("DELETE", std::string("ui/") + kDelta + "/Documents/" + kDoc);
  ASSERT_TRUE(Sql("UPDATE " + docs + " SET " + Column("fldDocTitle000001") +
                  " = 'Texas license, renewed' WHERE id = " + row)
                  .ok());
  EXPECT_EQ(Dispatch().deleted_conflicts, 1);
  DispatchAll();
  push_files();
  const std::string made = Scalar("SELECT airtable_id FROM " + docs + " WHERE id = " + row);
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  EXPECT_NE(made, kDoc);
  json cell = Control("GET", std::string("ui/") + kDelta + "/" + kDocs + "/" + made +
                                 "?returnFieldsByFieldId=true")["fields"][kFiles];
  ASSERT_TRUE(cell.is_array()) << cell.dump();
  ASSERT_EQ(cell.size(), 1u) << cell.dump();
  EXPECT_EQ(cell[0]["filename"], "proof.bin");
  http::Client http;
  auto got = http.Send("GET", cell[0]["url"].get<std::string>());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, bytes);
  // airpg knows the new file: its att… id, under the new record.
  EXPECT_EQ(Scalar("SELECT string_agg(record_id || ' ' || attachment_id, ',') FROM "
                   "airpg.attachments WHERE field_id = '" +
                   std::string(kFiles) + "' AND record_id IN ('" + made + "', 'row:" + row + "')"),
            made + " " + cell[0]["id"].get<std::string>());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'dead'"), "0");
}

// manual, parked, then Airtable's delete arrives through the inbound sync:
// the row keeps its links while the conflict waits, so `conflicts resolve
// --take postgres` creates the record again with the registrations linking
// to it, in Postgres and in Airtable.
TEST_F(TwoWayDeletesTest, TakingPostgresForAParkedDeleteKeepsTheLinks) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kManual);
  const std::string row = Of("recCliNorthwind01", "id");
  const std::string client = Column("fldRegClient00001");
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliNorthwind01");
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  EXPECT_EQ(Dispatch().deleted_conflicts, 1);
  ApplyDelete(kClients, "recCliNorthwind01");  // the webhook's delete, after the park
  EXPECT_EQ(Deleted("recCliNorthwind01"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + regs_ + " WHERE " + client + " = " + row), "2");

  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  ASSERT_TRUE(sync::ResolveConflict(conn(), open->front().id, sync::Take::kPostgres).ok());
  EXPECT_EQ(Dispatch().resolutions, 1);
  DispatchAll();
  const std::string made = Scalar("SELECT airtable_id FROM " + clients_ + " WHERE id = " + row +
                                  " AND deleted_at IS NULL");
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + regs_ + " WHERE " + client + " = " + row), "2");
  for (const char* reg : {"recRegNwTx000001", "recRegNwCa000001"}) {
    auto r = client_->GetRecord(kDelta, kRegs, reg, false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->Cell("Client").value_or(""), json::array({made}).dump()) << reg;
  }
}

// Item 2 of session 6: Airtable's delete reaches Postgres while the
// Postgres update of the row is in flight (claimed, leased, read again from
// Airtable, about to be sent); the update's 422 follows. A transport holds
// the dispatcher just before its PATCH, where the delete is made in Airtable
// and applied as the inbound sync applies it. The conflict is decided once,
// by the inbound apply; the 422 finds that decision and keeps it.
class BeforeFirstPatch : public airtable::Transport {
 public:
  explicit BeforeFirstPatch(std::function<void()> before) : before_(std::move(before)) {}
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    if (call.method == "PATCH" && before_) {
      before_();
      before_ = nullptr;
    }
    return inner_.Send(call);
  }

 private:
  std::function<void()> before_;
  airtable::CurlTransport inner_;
};

class InFlightDeleteTest : public TwoWayDeletesTest {
 protected:
  // One dispatch round of `record`'s update, Airtable's delete of it applied
  // between the claim and the send.
  sync::DispatchReport DispatchWithDeleteInFlight(const std::string& record) {
    bool held = false;
    auto writer = ClientThrough(std::make_unique<BeforeFirstPatch>([&] {
      held = true;
      // Claimed: pending, under a live lease.
      EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending' AND "
                       "lease_until > clock_timestamp()"),
                "1");
      DeleteInAirtableAndApply("Clients", kClients, record);
    }));
    auto report = DispatchOnce(*writer);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(held);
    return report.ok() ? *report : sync::DispatchReport{};
  }

  // The two registrations link to the row in Postgres, and to `made` in Airtable.
  void ExpectLinked(const std::string& row, const std::string& made) {
    EXPECT_EQ(Scalar("SELECT count(*) FROM " + regs_ + " WHERE " + Column("fldRegClient00001") +
                     " = " + row),
              "2");
    for (const char* reg : {"recRegNwTx000001", "recRegNwCa000001"}) {
      auto r = client_->GetRecord(kDelta, kRegs, reg, false);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->Cell("Client").value_or(""), json::array({made}).dump()) << reg;
    }
  }

  // The row's record again in Airtable, with Postgres's edit and its links.
  void ExpectCreatedAgain(const std::string& row) {
    const std::string made = Scalar("SELECT airtable_id FROM " + clients_ + " WHERE id = " + row +
                                    " AND deleted_at IS NULL");
    ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
    EXPECT_NE(made, "recCliNorthwind01");
    auto record = client_->GetRecord(kDelta, kClients, made, false);
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    EXPECT_EQ(record->Cell("Notes").value_or(""), "\"edited in Postgres\"");
    ExpectLinked(row, made);
    EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  }

  // The record's whole-record conflicts, the CONFLICT audit entries and
  // conflict events: one each.
  std::string Conflicts(const std::string& record) {
    return Scalar(
               "SELECT count(*) || ' ' || string_agg(rule || ' ' || status || ' ' || "
               "coalesce(resolution, '-'), ',') FROM airpg.conflicts WHERE record_id = '" +
               record + "'") +
           " / " +
           Scalar(
               "SELECT count(*) FROM airpg.audit_log WHERE operation = 'CONFLICT' AND "
               "airtable_id = '" +
               record + "'") +
           " / " + Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict'");
  }
};

TEST_F(InFlightDeleteTest, TakingPostgresRestoresTheRecordWithItsLinksUnderManual) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kManual);
  const std::string row = Of("recCliNorthwind01", "id");
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  EXPECT_EQ(DispatchWithDeleteInFlight("recCliNorthwind01").deleted_conflicts, 1);
  EXPECT_EQ(Deleted("recCliNorthwind01"), "0");  // parked: untouched, links and all
  EXPECT_EQ(Conflicts("recCliNorthwind01"), "1 manual open - / 1 / 1");
  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  ASSERT_TRUE(sync::ResolveConflict(conn(), open->front().id, sync::Take::kPostgres).ok());
  EXPECT_EQ(Dispatch().resolutions, 1);
  DispatchAll();
  ExpectCreatedAgain(row);
}

TEST_F(InFlightDeleteTest, PostgresWinsCreatesTheRecordAgainOnceWithItsLinks) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kPostgresWins);
  const std::string row = Of("recCliNorthwind01", "id");
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  DispatchWithDeleteInFlight("recCliNorthwind01");
  DispatchAll();
  ExpectCreatedAgain(row);
  EXPECT_EQ(Conflicts("recCliNorthwind01"), "1 postgres_wins resolved postgres / 1 / 1");
}

TEST_F(InFlightDeleteTest, AirtableWinsTombstonesTheRowOnce) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kAirtableWins);
  const std::string row = Of("recCliNorthwind01", "id");
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  DispatchWithDeleteInFlight("recCliNorthwind01");
  DispatchAll();
  EXPECT_EQ(Deleted("recCliNorthwind01"), "1");
  EXPECT_FALSE(InAirtable(kClients, "recCliNorthwind01"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + regs_ + " WHERE " + Column("fldRegClient00001") +
                   " = " + row),
            "0");
  EXPECT_EQ(Conflicts("recCliNorthwind01"), "1 airtable_wins resolved airtable / 1 / 1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
}

// The inbound apply's transaction has decided (postgres_wins) but not
// committed when the update's 422 comes back: the dispatcher waits on the
// row, then finds the decision and keeps it.
TEST_F(InFlightDeleteTest, TheDispatcherWaitsForTheInboundDecisionInProgress) {
  Configure(sync::Authority::kBoth, sync::ConflictRule::kPostgresWins);
  const std::string row = Of("recCliNorthwind01", "id");
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  Control("DELETE", std::string("ui/") + kDelta + "/Clients/recCliNorthwind01");
  auto inbound = pg::Connection::Open(url());
  ASSERT_TRUE(inbound.ok());
  auto tx = pg::Transaction::Begin(*inbound);
  ASSERT_TRUE(tx.ok());
  {
    sync::ChangeBatch batch;
    batch.source = "test";
    batch.Table(kClients).destroyed.push_back("recCliNorthwind01");
    sync::RecordApplier applier(live_, {});
    auto applied = applier.Apply(*tx, batch);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }
  auto pid = dispatch_conn_->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  const std::string dispatcher_pid(pid->Get(0, 0));
  Result<sync::DispatchReport> report = sync::DispatchReport{};
  std::thread dispatcher([&] { report = DispatchOnce(*client_); });
  // The dispatcher, at the 422, waits on the row the inbound apply holds.
  const bool waited = testing::WaitFor(
      [&] {
        return Scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                   "pid = " +
                   dispatcher_pid) != "0";
      },
      std::chrono::milliseconds(60000));
  EXPECT_TRUE(tx->Commit().ok());
  dispatcher.join();
  ASSERT_TRUE(waited);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deleted_conflicts, 1);
  DispatchAll();
  ExpectCreatedAgain(row);
  EXPECT_EQ(Conflicts("recCliNorthwind01"), "1 postgres_wins resolved postgres / 1 / 1");
}

// Item 3 of session 6: under `latest`, a delete learnt from a webhook
// payload counts from the payload's `timestamp` (Airtable's time of the
// delete), not from when airpg saw it. The emulator's clock is frozen an
// hour before or after Postgres's commit, so the order is never a close call.
class PayloadDeleteTimeTest : public TwoWayDeletesTest {
 protected:
  void SetUp() override {
    TwoWayDeletesTest::SetUp();
    Configure(sync::Authority::kBoth, sync::ConflictRule::kLatest);
    RegisterHook();
  }

  // Deletes `record` in Airtable at Postgres's clock now + `offset`.
  void DeleteInAirtableAt(const std::string& record, std::chrono::minutes offset) {
    const int64_t now =
        std::stoll(Scalar("SELECT (extract(epoch FROM clock_timestamp()) * "
                          "1000)::bigint"));
    const int64_t at = now + std::chrono::duration_cast<std::chrono::milliseconds>(offset).count();
    Control("POST", "clock", json{{"freezeAt", at}});
    Control("DELETE", std::string("ui/") + kDelta + "/Clients/" + record);
  }
};

TEST_F(PayloadDeleteTimeTest, APostgresUpdateCommittedAfterTheDeleteCreatesTheRecordAgain) {
  const std::string row = Of("recCliNorthwind01", "id");
  DeleteInAirtableAt("recCliNorthwind01", std::chrono::minutes(-60));
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + clients_ + " WHERE id = " + row +
                   " AND deleted_at IS NULL AND airtable_id IS NULL"),
            "1");
  DispatchAll();
  const std::string made = Scalar("SELECT airtable_id FROM " + clients_ + " WHERE id = " + row +
                                  " AND deleted_at IS NULL");
  ASSERT_EQ(made.rfind("rec", 0), 0u) << made;
  auto record = client_->GetRecord(kDelta, kClients, made, false);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->Cell("Notes").value_or(""), "\"edited in Postgres\"");
  EXPECT_EQ(Scalar("SELECT count(*) || ' ' || string_agg(rule || ' ' || resolution, ',') FROM "
                   "airpg.conflicts WHERE record_id = 'recCliNorthwind01'"),
            "1 latest postgres");
  // The conflict says when Airtable deleted it: the payload's time.
  EXPECT_EQ(Scalar("SELECT airtable_modified_at < postgres_committed_at - interval '30 minutes' "
                   "FROM airpg.conflicts WHERE record_id = 'recCliNorthwind01'"),
            "t");
}

TEST_F(PayloadDeleteTimeTest, APostgresUpdateCommittedBeforeTheDeleteLoses) {
  UpdateNotes("recCliNorthwind01", "edited in Postgres");
  DeleteInAirtableAt("recCliNorthwind01", std::chrono::minutes(60));
  ApplyPayloads();
  EXPECT_EQ(Deleted("recCliNorthwind01"), "1");
  DispatchAll();
  EXPECT_EQ(Deleted("recCliNorthwind01"), "1");
  EXPECT_FALSE(InAirtable(kClients, "recCliNorthwind01"));
  EXPECT_EQ(Scalar("SELECT count(*) || ' ' || string_agg(rule || ' ' || resolution, ',') FROM "
                   "airpg.conflicts WHERE record_id = 'recCliNorthwind01'"),
            "1 latest airtable");
  EXPECT_EQ(Scalar("SELECT airtable_modified_at > postgres_committed_at + interval '30 minutes' "
                   "FROM airpg.conflicts WHERE record_id = 'recCliNorthwind01'"),
            "t");
}

// Soft deletes (deleted_at) with a multi-record link too: the sample's
// links are all single (foreign keys), so Clients gets "Partners" (a
// junction) with a lookup and a count through it, and Northwind and Solaris
// list Harbor there.
class TwoWaySoftDeletesTest : public TwoWayDeletesTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    json data = json::parse(ReadFile(AIRPG_DELTA_SAMPLE));
    for (json& table : data["bases"][0]["tables"]) {
      if (table["id"] != kClients) continue;
      table["fields"].push_back({{"id", kPartners},
                                 {"name", "Partners"},
                                 {"type", "multipleRecordLinks"},
                                 {"options",
                                  {{"linkedTableId", kClients},
                                   {"isReversed", false},
                                   {"prefersSingleRecordLink", false}}}});
      table["fields"].push_back({{"id", "fldCliPartnerNm01"},
                                 {"name", "Partner Names"},
                                 {"type", "multipleLookupValues"},
                                 {"options",
                                  {{"isValid", true},
                                   {"recordLinkFieldId", kPartners},
                                   {"fieldIdInLinkedTable", "fldCliName0000001"},
                                   {"result", {{"type", "singleLineText"}}}}}});
      table["fields"].push_back(
          {{"id", "fldCliPartnerCt01"},
           {"name", "Partner Count"},
           {"type", "count"},
           {"options", {{"isValid", true}, {"recordLinkFieldId", kPartners}}}});
      for (json& record : table["records"]) {
        if (record["id"] == "recCliNorthwind01" || record["id"] == "recCliSolaris001") {
          record["fields"]["Partners"] = json::array({"recCliHarbor0001"});
          record["fields"]["Partner Names"] = json::array({"Harbor Mutual"});
          record["fields"]["Partner Count"] = 1;
        }
      }
    }
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(data.dump(), kDelta));
    OpenDispatchConnection();
    Configure(sync::Authority::kBoth, sync::ConflictRule::kLatest);
    partners_ = kSchema + "." +
                Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = '" +
                       std::string(kPartners) + "'");
  }

  static constexpr const char* kPartners = "fldCliPartners001";
  std::string RowOf(const std::string& record_id) { return Of(record_id, "id"); }
  // A registration's Client (FK, as row id) and Client Name (the lookup's
  // stored value) in Postgres.
  std::string RegClient(const std::string& reg) {
    return Scalar("SELECT coalesce(" + Column("fldRegClient00001") + "::text, 'none') || ' ' || " +
                  "coalesce(" + Column("fldRegClientName1") + "::text, 'none') FROM " + regs_ +
                  " WHERE airtable_id = '" + reg + "'");
  }
  // A record's cell as Airtable has it now ("[]" for an empty one).
  std::string Cell(const std::string& table, const std::string& id, const std::string& field) {
    auto r = client_->GetRecord(kDelta, table, id, false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::string(r->Cell(field).value_or("[]")) : "";
  }

  size_t ClientsInAirtable() {
    return Control("GET", std::string("ui/") + kDelta + "/Clients?pageSize=100")["records"].size();
  }

  std::string partners_;
};

// A soft delete of a record Airtable has, linked from two clients through
// Partners (a junction, with a lookup and a count through it): the record
// is deleted in Airtable, which drops the links; in Postgres the junction
// rows go too (not sent: Airtable dropped them itself) and the lookups and
// counts are Airtable's again, so verify is clean.
TEST_F(TwoWaySoftDeletesTest, ASoftDeleteLeavesItsLinksOnBothSides) {
  const std::string harbor = RowOf("recCliHarbor0001");
  const std::string names = Column("fldCliPartnerNm01");
  const std::string count = Column("fldCliPartnerCt01");
  ASSERT_EQ(Scalar("SELECT count(*) FROM " + partners_ + " WHERE to_id = " + harbor), "2");
  ASSERT_EQ(Cell(kClients, "recCliNorthwind01", "Partner Names"), R"(["Harbor Mutual"])");
  ASSERT_TRUE(
      Sql("UPDATE " + clients_ + " SET deleted_at = now() WHERE airtable_id = 'recCliHarbor0001'")
          .ok());
  DispatchAll();
  EXPECT_FALSE(InAirtable(kClients, "recCliHarbor0001"));
  for (const char* linking : {"recCliNorthwind01", "recCliSolaris001"}) {
    EXPECT_EQ(Cell(kClients, linking, "Partners"), "[]") << linking;
    EXPECT_EQ(Cell(kClients, linking, "Partner Names"), "[]") << linking;
    EXPECT_EQ(Cell(kClients, linking, "Partner Count"), "0") << linking;
    EXPECT_EQ(Of(linking, "coalesce(" + names + "::text, 'none') || ' ' || coalesce(" + count +
                              "::text, 'none')"),
              "none 0")
        << linking;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + partners_ + " WHERE to_id = " + harbor), "0");
  EXPECT_EQ(Deleted("recCliHarbor0001"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  ExpectClean(Verify(kDelta));
}

// A soft delete of a row whose create never reached Airtable (the
// dispatcher has not run since its insert), linked from a registration
// (foreign key) and from Harbor's Partners (junction): nothing is sent for
// it, the links to it go, and the linking records end as Airtable has them.
TEST_F(TwoWaySoftDeletesTest, ASoftDeleteOfARowNeverCreatedLeavesItsLinksAndSendsNothing) {
  const size_t clients_before = ClientsInAirtable();
  const std::string row = Scalar("INSERT INTO " + clients_ + " (" + Column("fldCliName0000001") +
                                 ") VALUES ('Never Pushed Ltd') RETURNING id");
  ASSERT_TRUE(Sql("UPDATE " + regs_ + " SET " + Column("fldRegClient00001") + " = " + row +
                  " WHERE airtable_id = 'recRegNwTx000001'")
                  .ok());
  ASSERT_TRUE(Sql("INSERT INTO " + partners_ + " (from_id, to_id, position) VALUES (" +
                  RowOf("recCliNorthwind01") + ", " + row + ", 1)")
                  .ok());
  ASSERT_TRUE(Sql("UPDATE " + clients_ + " SET deleted_at = now() WHERE id = " + row).ok());
  DispatchAll();
  EXPECT_EQ(ClientsInAirtable(), clients_before);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'push' AND table_id = '" +
                   std::string(kClients) + "'"),
            "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + clients_ + " WHERE id = " + row +
                   " AND airtable_id IS NULL AND deleted_at IS NOT NULL"),
            "1");
  EXPECT_EQ(RegClient("recRegNwTx000001"), "none none");
  EXPECT_EQ(Cell(kRegs, "recRegNwTx000001", "Client"), "[]");
  EXPECT_EQ(Cell(kRegs, "recRegNwTx000001", "Client Name"), "[]");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + partners_ + " WHERE to_id = " + row), "0");
  EXPECT_EQ(Cell(kClients, "recCliNorthwind01", "Partners"), R"(["recCliHarbor0001"])");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  ExpectClean(Verify(kDelta));
}

// A soft delete committed after the dispatcher claimed the round's changes
// (a trigger on the claim does it, in the claim's transaction): the row's
// claimed change (a Notes edit) is moot and its delete waits for the round
// that claims it, so the registration update of this round, linking the
// record, reaches Airtable first; the next round leaves the links and
// deletes. Before, the delete went at once (Clients before Registrations)
// and the update naming the deleted record was a 422, dead-lettered.
TEST_F(TwoWaySoftDeletesTest, ASoftDeleteCommittedAfterTheClaimWaitsForItsOwnRound) {
  const std::string northwind = RowOf("recCliNorthwind01");
  ASSERT_TRUE(Sql("UPDATE " + regs_ + " SET " + Column("fldRegClient00001") + " = " + northwind +
                  " WHERE airtable_id = 'recRegBpNy000001'")
                  .ok());
  UpdateNotes("recCliNorthwind01", "edited just before its delete");
  ASSERT_TRUE(Sql("CREATE TABLE public.claimed_once (at timestamptz);"
                  "CREATE FUNCTION public.soft_delete_on_claim() RETURNS trigger LANGUAGE plpgsql "
                  "AS $$ BEGIN IF NOT EXISTS (SELECT 1 FROM public.claimed_once) THEN "
                  "INSERT INTO public.claimed_once VALUES (now()); UPDATE " +
                  clients_ + " SET deleted_at = now() WHERE id = " + northwind +
                  "; END IF; RETURN NULL; END $$;"
                  "CREATE TRIGGER soft_delete_on_claim AFTER UPDATE OF lease_owner ON "
                  "airpg.outbox FOR EACH STATEMENT EXECUTE FUNCTION public.soft_delete_on_claim()")
                  .ok());
  DispatchAll();
  ASSERT_EQ(Scalar("SELECT count(*) FROM public.claimed_once"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
  EXPECT_FALSE(InAirtable(kClients, "recCliNorthwind01"));
  for (const char* reg : {"recRegBpNy000001", "recRegNwTx000001", "recRegNwCa000001"}) {
    EXPECT_EQ(Cell(kRegs, reg, "Client"), "[]") << reg;
    EXPECT_EQ(RegClient(reg), "none none") << reg;
  }
  ExpectClean(Verify(kDelta));
}

}  // namespace
}  // namespace airpg
