// Issue 15, migrations that never surprise: `--tables` refreshes only the
// named tables and keeps the others with their links; the last K replaced
// schemas stay for `rollback [--to RUN]`; `--schema NEW` moves the mirror and
// keeps the old one as a backup; a run no process holds is `interrupted` and
// can be abandoned; a bad attachments directory creates no run. The
// in-process emulator and a real Postgres, through the library.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stop_token>

#include "emulated_base_test.h"
#include "emulator/generator.h"
#include "migrate/migrator.h"
#include "migrate/run_history.h"
#include "migrate/swap.h"
#include "wait_for.h"

namespace airpg {
namespace {

using nlohmann::json;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kSchema = "delta_analytics_registration_tracking";

class MigrateHistoryTest : public testing::EmulatedBaseTest {
 protected:
  // The Delta sample with Clients ↔ Registrations as a many-to-many link
  // (one junction), so a partial run meets a junction, an FK, a
  // collaborator junction and attachments between refreshed and kept tables.
  void StartDelta() {
    json data = json::parse(testing::ReadFile(AIRPG_DELTA_SAMPLE));
    for (json& table : data["bases"][0]["tables"]) {
      for (json& field : table["fields"]) {
        if (field["id"] == "fldRegClient00001") {
          field["options"]["prefersSingleRecordLink"] = false;
        }
      }
    }
    StartEmulator(data.dump());
  }

  void Patch(const std::string& table, const std::string& record, const json& fields) {
    Send("PATCH", std::string(kDelta) + "/" + table + "/" + record, json{{"fields", fields}});
  }

  // A request to the emulator's person-facing endpoints (/__emulator/ui/…).
  void Send(const std::string& method, const std::string& path, const json& body) {
    http::Client http;
    auto response = http.Send(method, emulator_->url() + "/__emulator/ui/" + path,
                              {{"Content-Type", "application/json"}}, body.dump());
    ASSERT_TRUE(response.ok() && response->status == 200)
        << (response.ok() ? response->body : response.status().ToString());
  }

  // The column or relation the catalog gave a field.
  std::string Column(const std::string& field_id) {
    return Scalar("SELECT column_name FROM airpg.fields WHERE field_id = '" + field_id + "'");
  }
  std::string Relation(const std::string& field_id) {
    return Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = '" + field_id + "'");
  }

  // "client→registration" pairs of the Clients ↔ Registrations junction.
  std::string ClientRegistrationPairs() {
    std::string junction = Relation("fldCliRegs0000001");
    return Scalar(fmt::format(
        "SELECT string_agg(c.airtable_id || '>' || r.airtable_id, ',' ORDER BY c.airtable_id, "
        "r.airtable_id) FROM {s}.{j} j JOIN {s}.clients c ON c.id = j.from_id "
        "JOIN {s}.registrations r ON r.id = j.to_id",
        fmt::arg("s", kSchema), fmt::arg("j", junction)));
  }

  // Every document's registration through its FK, and the ids rows keep.
  std::string DocumentRegistrations() {
    return Scalar(fmt::format(
        "SELECT string_agg(d.id || ':' || d.airtable_id || '>' || r.airtable_id, ',' ORDER BY "
        "d.id) FROM {s}.documents d JOIN {s}.registrations r ON r.id = d.{fk}",
        fmt::arg("s", kSchema), fmt::arg("fk", Column("fldDocReg00000001"))));
  }
};

TEST_F(MigrateHistoryTest, TablesRefreshesOnlyThoseAndKeepsTheOthersWithTheirLinks) {
  StartDelta();
  auto first = Run(kDelta);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string pairs = ClientRegistrationPairs();
  const std::string documents = DocumentRegistrations();
  const std::string registration_ids = Scalar(fmt::format(
      "SELECT string_agg(id || ':' || airtable_id, ',' ORDER BY id) FROM {}.registrations",
      kSchema));
  const std::string team =
      Scalar(fmt::format("SELECT count(*) FROM {}.{}", kSchema, Relation("fldRegTeam0000001")));
  const std::string attachments = Scalar(
      fmt::format("SELECT count(*) FROM airpg.attachments WHERE schema_name = '{}'", kSchema));
  ASSERT_NE(pairs, "");
  ASSERT_NE(documents, "");
  ASSERT_NE(team, "0");
  ASSERT_NE(attachments, "0");

  // Changed in Airtable since: a client's notes and a registration's link
  // (Northwind gives up its California registration to Harbor), and a
  // regulator's name, which the partial run below does not read.
  Patch("Clients", "recCliHarbor0001", {{"Notes", "refreshed"}});
  Patch("Clients", "recCliNorthwind01", {{"Registrations", {"recRegNwTx000001"}}});
  Patch("Clients", "recCliHarbor0001", {{"Registrations", {"recRegNwCa000001"}}});
  Patch("tblRegulators0001", "recRgtTexas000001", {{"Agency", "Texas, renamed"}});
  std::string regulator_name_column =
      Column(Scalar("SELECT field_id FROM airpg.fields WHERE table_id = 'tblRegulators0001' AND "
                    "airtable_name = 'Agency'"));
  ASSERT_FALSE(regulator_name_column.empty());

  migrate::MigrateOptions only_clients;
  only_clients.tables = {"Clients"};
  auto partial = Run(kDelta, only_clients);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  ExpectClean(partial->verify);
  EXPECT_EQ(partial->schema, kSchema);
  EXPECT_FALSE(partial->backup_schema.empty());
  ASSERT_EQ(partial->tables.size(), 5u);
  for (const auto& t : partial->tables) {
    EXPECT_EQ(t.kept, t.table_id != "tblClients0000001") << t.table_name;
  }
  // Every table is still live: the refreshed one has the change, the kept
  // ones are as they were (the regulator's new name was not read), rows keep
  // their ids, and their attachments and collaborators are there.
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM pg_tables WHERE schemaname = '{}' AND "
                               "tablename IN ('clients', 'registrations', 'state_regulators', "
                               "'documents', 'staff')",
                               kSchema)),
            "5");
  EXPECT_EQ(Scalar(fmt::format("SELECT notes FROM {}.clients WHERE airtable_id = "
                               "'recCliHarbor0001'",
                               kSchema)),
            "refreshed");
  EXPECT_NE(Scalar(fmt::format("SELECT {} FROM {}.state_regulators WHERE airtable_id = "
                               "'recRgtTexas000001'",
                               regulator_name_column, kSchema)),
            "Texas, renamed");
  EXPECT_EQ(
      Scalar(fmt::format(
          "SELECT string_agg(id || ':' || airtable_id, ',' ORDER BY id) FROM {}.registrations",
          kSchema)),
      registration_ids);
  EXPECT_EQ(DocumentRegistrations(), documents);
  EXPECT_EQ(
      Scalar(fmt::format("SELECT count(*) FROM {}.{}", kSchema, Relation("fldRegTeam0000001"))),
      team);
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM airpg.attachments WHERE schema_name = '{}'",
                               kSchema)),
            attachments);
  // The junction between the refreshed and a kept table follows the
  // refreshed side: the link Northwind dropped is gone, Harbor's is there.
  EXPECT_EQ(ClientRegistrationPairs(),
            "recCliBluePeak001>recRegBpNy000001,recCliHarbor0001>recRegNwCa000001,"
            "recCliNorthwind01>recRegNwTx000001,recCliSolaris001>recRegSoAz000001");
  EXPECT_NE(pairs, ClientRegistrationPairs());
  // The sync's poll of a kept table goes on from when it was last read (the
  // first run), not from the partial run's start; the refreshed one from that.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_tables"), "4");
  EXPECT_EQ(Scalar("SELECT poll_watermark = (SELECT started_at FROM airpg.runs WHERE run_id = " +
                   std::to_string(first->run_id) +
                   ") FROM airpg.sync_tables WHERE table_id = 'tblRegulators0001'"),
            "t");
  // The kept tables are stale by what changed in their own cells, nothing
  // else: the regulator's name, and the client name a registration looks
  // up (its client changed).
  migrate::VerifyReport report = Verify(kDelta);
  for (const auto& t : report.tables) {
    bool stale = t.table_id == "tblRegulators0001" || t.table_id == "tblRegistrations1";
    EXPECT_EQ(t.different, stale ? 1 : 0) << t.table_name;
    EXPECT_EQ(t.missing_in_postgres + t.missing_in_airtable, 0) << t.table_name;
  }

  // Refreshing the kept side later brings it up to date; a rollback goes
  // back one partial run at a time.
  migrate::MigrateOptions only_regulators;
  only_regulators.tables = {"tblRegulators0001", "Registrations"};
  auto second = Run(kDelta, only_regulators);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ExpectClean(Verify(kDelta));
  auto rolled = migrate::Rollback(conn(), kDelta);
  ASSERT_TRUE(rolled.ok()) << rolled.status().ToString();
  EXPECT_EQ(rolled->active_run, partial->run_id);
  EXPECT_NE(Scalar(fmt::format("SELECT {} FROM {}.state_regulators WHERE airtable_id = "
                               "'recRgtTexas000001'",
                               regulator_name_column, kSchema)),
            "Texas, renamed");
  EXPECT_EQ(ClientRegistrationPairs(),
            "recCliBluePeak001>recRegBpNy000001,recCliHarbor0001>recRegNwCa000001,"
            "recCliNorthwind01>recRegNwTx000001,recCliSolaris001>recRegSoAz000001");
}

// A partial run's dry run says what would change and writes nothing.
TEST_F(MigrateHistoryTest, DryRunDescribesTheChangesAndWritesNothing) {
  StartDelta();
  ASSERT_TRUE(Run(kDelta).ok());
  Patch("Clients", "recCliHarbor0001", {{"Notes", "new"}});
  Send("POST", std::string("meta/bases/") + kDelta + "/tables/tblClients0000001/fields",
       {{"name", "Renewal Tier"}, {"type", "singleLineText"}});
  const std::string runs = Scalar("SELECT count(*) FROM airpg.runs");
  const std::string schemas = Scalar("SELECT count(*) FROM pg_namespace");
  migrate::MigrateOptions options;
  options.tables = {"Clients"};
  options.dry_run = true;
  auto dry = Run(kDelta, options);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(dry->verify.tables.empty());
  ASSERT_EQ(dry->changes.size(), 5u);
  for (const auto& c : dry->changes) {
    EXPECT_EQ(c.action, c.table_id == "tblClients0000001" ? "refresh" : "keep") << c.table_name;
    EXPECT_TRUE(c.live_rows.has_value()) << c.table_name;
    EXPECT_EQ(c.airtable_records.has_value(), c.action == "refresh") << c.table_name;
    if (c.action == "refresh") {
      EXPECT_EQ(*c.live_rows, 4);
      EXPECT_EQ(*c.airtable_records, 4);
      EXPECT_EQ(c.columns_added, std::vector<std::string>{"renewal_tier"});
    } else {
      EXPECT_TRUE(c.columns_added.empty()) << c.table_name;
    }
    EXPECT_TRUE(c.columns_removed.empty()) << c.table_name;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs"), runs);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace"), schemas);
  EXPECT_NE(Scalar(fmt::format("SELECT notes FROM {}.clients WHERE airtable_id = "
                               "'recCliHarbor0001'",
                               kSchema)),
            "new");
}

// A partial run stopped part way resumes like a whole one: the tables it
// kept or loaded are not copied twice, and the end state is the same.
TEST_F(MigrateHistoryTest, AStoppedPartialRunResumesWithoutDuplicates) {
  StartDelta();
  ASSERT_TRUE(Run(kDelta).ok());
  const std::string documents = DocumentRegistrations();
  std::stop_source stop;
  migrate::MigrateOptions options;
  options.tables = {"Clients"};
  options.stop = stop.get_token();
  int seen = 0;
  options.on_progress = [&](const migrate::TableSummary&) {
    if (++seen == 3) stop.request_stop();
  };
  auto stopped = Run(kDelta, options);
  ASSERT_EQ(stopped.status().code(), StatusCode::kCancelled) << stopped.status().ToString();
  EXPECT_NE(Scalar("SELECT count(*) FROM airpg.run_tables WHERE run_id = (SELECT max(run_id) "
                   "FROM airpg.runs)"),
            "0");
  options.stop = {};
  options.on_progress = nullptr;
  auto resumed = Run(kDelta, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->resumed);
  ExpectClean(resumed->verify);
  ExpectClean(Verify(kDelta));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs"), "2");
  EXPECT_EQ(DocumentRegistrations(), documents);
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM {}.registrations", kSchema)), "4");
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM airpg.attachments WHERE schema_name = '{}'",
                               kSchema)),
            Scalar("SELECT count(*) FROM airpg.attachments WHERE schema_name = 'airpg_backup_" +
                   std::to_string(resumed->run_id) + "'"));
}

// migrate.keep_backups: the last K replaced schemas stay; rollback --to any
// of their runs, plain rollback one step at a time.
TEST_F(MigrateHistoryTest, KeepsTheLastKBackupsAndRollsBackToANamedRun) {
  json data = emulator::GenerateBase(1, 20, 3);
  std::string base = data["bases"][0]["id"];
  StartEmulator(data.dump());
  migrate::MigrateOptions options;
  options.keep_backups = 2;
  std::vector<int64_t> runs;
  for (int i = 0; i < 4; ++i) {
    auto summary = Run(base, options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    runs.push_back(summary->run_id);
  }
  auto backups = migrate::ListBackups(conn(), base);
  ASSERT_TRUE(backups.ok()) << backups.status().ToString();
  ASSERT_EQ(backups->size(), 2u);
  EXPECT_EQ((*backups)[0].run_id, runs[2]);
  EXPECT_EQ((*backups)[1].run_id, runs[1]);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'airpg_backup_%'"), "2");

  // The first run's schema is gone: --to it is bad input; the live run too.
  EXPECT_EQ(migrate::Rollback(conn(), base, runs[0]).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(migrate::Rollback(conn(), base, runs[3]).status().code(), StatusCode::kInvalidArgument);
  auto to = migrate::Rollback(conn(), base, runs[1]);
  ASSERT_TRUE(to.ok()) << to.status().ToString();
  EXPECT_EQ(to->active_run, runs[1]);
  EXPECT_EQ(to->rolled_back_run, runs[3]);
  ExpectClean(Verify(base));
  EXPECT_EQ(Scalar("SELECT active_run_id FROM airpg.bases"), std::to_string(runs[1]));
  // Runs 3 and 4 are undone and their backups dropped; run 2's own backup
  // (of run 1) went when the third swap kept only two.
  EXPECT_EQ(Scalar("SELECT string_agg(status, ',' ORDER BY run_id) FROM airpg.runs"),
            "superseded,swapped,rolled_back,rolled_back");
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'airpg_%'"), "0");
  EXPECT_EQ(migrate::Rollback(conn(), base).status().code(), StatusCode::kFailedPrecondition);

  // Plain rollback after two more runs goes back one step each time.
  auto fifth = Run(base, options);
  auto sixth = Run(base, options);
  ASSERT_TRUE(fifth.ok() && sixth.ok());
  auto step = migrate::Rollback(conn(), base);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->active_run, fifth->run_id);
  step = migrate::Rollback(conn(), base);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->active_run, runs[1]);
  ExpectClean(Verify(base));
}

// --schema NEW moves the mirror: the old schema is the backup, and a
// rollback puts it back under its old name.
TEST_F(MigrateHistoryTest, SchemaMoveKeepsTheOldSchemaAsABackupAndRollsBack) {
  StartDelta();
  auto first = Run(kDelta);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  migrate::MigrateOptions moved;
  moved.schema = "delta_moved";
  auto second = Run(kDelta, moved);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->backup_schema, "airpg_backup_" + std::to_string(second->run_id));
  EXPECT_EQ(Scalar("SELECT schema_name FROM airpg.bases"), "delta_moved");
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM pg_namespace WHERE nspname = '{}'", kSchema)),
            "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM delta_moved.clients"), "4");
  ExpectClean(Verify(kDelta));

  auto rolled = migrate::Rollback(conn(), kDelta);
  ASSERT_TRUE(rolled.ok()) << rolled.status().ToString();
  EXPECT_EQ(rolled->schema, kSchema);
  EXPECT_EQ(rolled->active_run, first->run_id);
  EXPECT_EQ(Scalar("SELECT schema_name FROM airpg.bases"), kSchema);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('delta_moved', "
                   "'airpg_backup_" +
                   std::to_string(second->run_id) + "')"),
            "0");
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM {}.clients", kSchema)), "4");
  // Attachment rows follow their schema both ways.
  EXPECT_EQ(Scalar("SELECT count(DISTINCT schema_name) FROM airpg.attachments"), "1");
  EXPECT_EQ(Scalar("SELECT min(schema_name) FROM airpg.attachments"), kSchema);
  ExpectClean(Verify(kDelta));
}

// A run whose process is gone is `interrupted`; one a process holds is
// `running` and cannot be abandoned; abandoning drops its staging schema.
TEST_F(MigrateHistoryTest, ARunNoProcessHoldsIsInterruptedAndCanBeAbandoned) {
  json data = emulator::GenerateBase(2, 300, 5);
  std::string base = data["bases"][0]["id"];
  StartEmulator(data.dump());
  int64_t run_id = 0;
  {
    // Its own session, as a migrate process has; stopped after the first page.
    auto own = pg::Connection::Open(url());
    ASSERT_TRUE(own.ok()) << own.status().ToString();
    std::stop_source stop;
    migrate::MigrateOptions options;
    options.base_id = base;
    options.stop = stop.get_token();
    options.on_progress = [&](const migrate::TableSummary&) { stop.request_stop(); };
    auto stopped = migrate::Migrate(*client_, *own, url(), options);
    ASSERT_EQ(stopped.status().code(), StatusCode::kCancelled) << stopped.status().ToString();
    auto runs = migrate::ListRuns(*own, base);
    ASSERT_TRUE(runs.ok() && runs->size() == 1u);
    run_id = runs->front().run_id;
    EXPECT_EQ(runs->front().status, "running");  // its session holds the base
    EXPECT_EQ(migrate::AbandonRun(conn(), run_id).status().code(), StatusCode::kFailedPrecondition);
  }
  // The session is gone (the server ends it a moment after the client
  // leaves): nobody holds the run.
  auto status = [&] {
    auto runs = migrate::ListRuns(conn(), base);
    return runs.ok() && runs->size() == 1u ? runs->front().status : std::string();
  };
  EXPECT_TRUE(testing::WaitFor([&] { return status() == "interrupted"; }, std::chrono::seconds(10)))
      << status();
  auto runs = migrate::ListRuns(conn(), base);
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  EXPECT_FALSE(runs->front().finished_at.has_value());
  // No table was loaded: no data, not zero.
  EXPECT_FALSE(runs->front().tables.has_value());
  EXPECT_FALSE(runs->front().records_read.has_value());
  std::string staging = Scalar("SELECT staging_schema FROM airpg.runs");
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + staging + "'"), "1");

  auto abandoned = migrate::AbandonRun(conn(), run_id);
  ASSERT_TRUE(abandoned.ok()) << abandoned.status().ToString();
  EXPECT_EQ(abandoned->dropped_schema, staging);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + staging + "'"), "0");
  EXPECT_EQ(Scalar("SELECT status FROM airpg.runs"), "abandoned");
  EXPECT_EQ(migrate::AbandonRun(conn(), run_id).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(migrate::AbandonRun(conn(), run_id + 100).status().code(),
            StatusCode::kInvalidArgument);
  // The next migrate starts afresh.
  auto again = Run(base);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->resumed);
  ExpectClean(Verify(base));
}

// What can be checked before the run exists is checked first: an attachments
// directory that cannot be made leaves no run and no staging schema.
TEST_F(MigrateHistoryTest, ABadAttachmentsDirectoryCreatesNoRun) {
  StartDelta();
  std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("airpg-not-a-dir-" + std::to_string(::getpid()));
  std::ofstream(file) << "x";
  migrate::MigrateOptions options;
  options.attachments_dir = (file / "attachments").string();
  auto refused = Run(kDelta, options);
  std::filesystem::remove(file);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'airpg_staging_%'"), "0");
}

}  // namespace
}  // namespace airpg
