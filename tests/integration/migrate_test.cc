// airpg migrate end to end: the in-process emulator serving the Delta
// Analytics sample base, the run's throwaway Postgres, the real client.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "emulated_base_test.h"
#include "emulator/generator.h"
#include "migrate/migrator.h"
#include "migrate/swap.h"

namespace airpg {
namespace {

using nlohmann::json;
constexpr const char* kDelta = "appDeltaAnalytic1";

using MigrateTest = testing::EmulatedBaseTest;
using testing::ReadFile;

TEST_F(MigrateTest, DeltaSampleBaseMigratesVerifiesAndJoinsThroughForeignKeys) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  auto summary = Run(kDelta);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->schema, "delta_analytics_registration_tracking");
  EXPECT_EQ(summary->tables.size(), 5u);
  int64_t read = 0;
  for (const auto& t : summary->tables) read += t.read;
  EXPECT_EQ(read, 17);
  EXPECT_TRUE(summary->verify.clean());
  ExpectClean(Verify(kDelta));

  // Registrations join to clients and regulators through the junctions / FKs.
  std::string s = "delta_analytics_registration_tracking";
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = '" +
                   s + "'::regnamespace") != "0",
            true);
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + s + ".registrations"), "4");
  // As a Postgres engineer expects: a single link is `<field>_id`, each
  // table has a view of its live rows, and airtable_modified_time is filled
  // where Airtable says it (Clients' "Last Modified" field watches every
  // field; a record unchanged since the emulator loaded it was last
  // modified when it was created; Registrations have no such field).
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + s + ".registrations_live r JOIN " + s +
                   ".clients_live c ON c.id = r.client_id JOIN " + s +
                   ".state_regulators_live g ON g.id = r.regulator_id"),
            "4");
  EXPECT_EQ(Scalar("SELECT count(*) FILTER (WHERE airtable_modified_time = airtable_created_time) "
                   "|| '/' || count(*) FROM " +
                   s + ".clients"),
            "4/4");
  EXPECT_EQ(Scalar("SELECT count(airtable_modified_time) FROM " + s + ".registrations"), "0");
  // Every attachment's bytes are stored and match the sha256 recorded.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachments a JOIN airpg.blobs b USING (sha256) "
                   "WHERE a.schema_name = '" +
                   s +
                   "' AND encode(sha256(b.content), 'hex') = "
                   "a.sha256"),
            Scalar("SELECT count(*) FROM airpg.attachments WHERE schema_name = '" + s + "'"));
  EXPECT_NE(Scalar("SELECT count(*) FROM airpg.attachments"), "0")
      << Scalar("SELECT string_agg(field_id || ': ' || reason, E'\\n') FROM airpg.rejects");
  EXPECT_EQ(Scalar("SELECT status FROM airpg.runs ORDER BY run_id DESC LIMIT 1"), "swapped");
  EXPECT_NE(Scalar("SELECT count(*) FROM airpg.users"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM information_schema.triggers WHERE trigger_name = "
                   "'airpg_audit' AND event_object_schema = '" +
                   s + "'") == "0",
            false);
}

// A base migrated before single links were `<field>_id` keeps its names
// while syncing (names are kept by id); a new migration builds a new schema
// and gives its keys the new names.
TEST_F(MigrateTest, AMigrationRenamesKeysNamedBeforeFieldIdKeys) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  std::string s = "delta_analytics_registration_tracking";
  // As an older airpg left it.
  ASSERT_TRUE(
      conn().Run("ALTER TABLE " + s + ".registrations RENAME COLUMN client_id TO client").ok());
  ASSERT_TRUE(
      conn()
          .Run(
              "UPDATE airpg.fields SET column_name = 'client' WHERE field_id = 'fldRegClient00001'")
          .ok());
  auto again = Run(kDelta);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Scalar("SELECT column_name FROM airpg.fields WHERE field_id = 'fldRegClient00001'"),
            "client_id");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + s + ".registrations WHERE client_id IS NOT NULL"),
            "4");
  ExpectClean(Verify(kDelta));
}

// A schema airpg does not own is never taken over: the swap would move it
// aside as a backup and the next migration would drop it. The default name
// gets the base id appended; a --schema naming it is refused before loading.
TEST_F(MigrateTest, ASchemaThatIsNotTheBasesOwnIsNeverTakenOver) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(conn()
                  .RunScript("CREATE SCHEMA delta_analytics_registration_tracking; "
                             "CREATE TABLE delta_analytics_registration_tracking.mine (x int); "
                             "INSERT INTO delta_analytics_registration_tracking.mine VALUES (42)")
                  .ok());
  migrate::MigrateOptions named;
  named.schema = "delta_analytics_registration_tracking";
  auto refused = Run(kDelta, named);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs"), "0");

  auto summary = Run(kDelta);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->schema, "delta_analytics_registration_tracking_app_delta_analytic1");
  auto again = Run(kDelta);  // the second run keeps the schema and swaps it
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->schema, summary->schema);
  EXPECT_EQ(Scalar("SELECT x FROM delta_analytics_registration_tracking.mine"), "42");
  ExpectClean(Verify(kDelta));
}

TEST_F(MigrateTest, GeneratedBaseRoundTripsAndASecondRunSwapsAndRollsBack) {
  json data = emulator::GenerateBase(3, 250, 7);
  std::string base = data["bases"][0]["id"];
  StartEmulator(data.dump());
  auto first = Run(base);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ExpectClean(first->verify);
  ExpectClean(Verify(base));
  auto second = Run(base);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->backup_schema.empty());
  EXPECT_EQ(second->schema, first->schema);  // names kept from the catalog
  auto rolled = migrate::Rollback(conn(), base);
  ASSERT_TRUE(rolled.ok()) << rolled.status().ToString();
  EXPECT_EQ(rolled->active_run, first->run_id);
  ExpectClean(Verify(base));
  EXPECT_EQ(migrate::Rollback(conn(), base).status().code(), StatusCode::kFailedPrecondition);
}

// Issue 6: the link queries of the finish step are planned from statistics
// the run takes itself (ANALYZE, not autovacuum's sample of a half-loaded table).
TEST_F(MigrateTest, Issue6TheRunAnalyzesItsTablesBeforeResolvingLinks) {
  json data = emulator::GenerateBase(2, 300, 5);
  std::string base = data["bases"][0]["id"];
  StartEmulator(data.dump());
  auto summary = Run(base);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  for (const auto& t : summary->tables) {
    EXPECT_EQ(Scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE "
                     "schemaname = '" +
                     summary->schema + "' AND relname = '" + t.table_name + "'"),
              "t")
        << t.table_name;
    EXPECT_EQ(Scalar("SELECT reltuples::bigint FROM pg_class WHERE oid = '" + summary->schema +
                     "." + t.table_name + "'::regclass"),
              "300")
        << t.table_name;
  }
}

TEST_F(MigrateTest, AFailedRunResumesWithoutDuplicates) {
  json data = emulator::GenerateBase(3, 1200, 11);
  std::string base = data["bases"][0]["id"];
  StartEmulator(data.dump());
  // Once the second table has started, every request fails: the run stops
  // part way with one table loaded and the second one's transaction undone.
  migrate::MigrateOptions options;
  std::string first_table;
  bool broke = false;
  options.on_progress = [&](const migrate::TableSummary& t) {
    if (first_table.empty()) first_table = t.table_id;
    if (!broke && t.table_id != first_table) {
      broke = true;
      Control("POST", "faults", {{"error500", 1.0}});
    }
  };
  auto broken = Run(base, options);
  EXPECT_FALSE(broken.ok());
  EXPECT_TRUE(broke);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.run_tables WHERE status = 'loaded'"), "1");
  Control("POST", "faults", {{"error500", 0.0}});
  auto resumed = Run(base);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ExpectClean(resumed->verify);
  ExpectClean(Verify(base));
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs WHERE status = 'swapped'"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs"), "1");
}

TEST_F(MigrateTest, VerifyFindsARowChangedInPostgresAndAMissingOne) {
  json data = emulator::GenerateBase(1, 50, 3);
  std::string base = data["bases"][0]["id"];
  StartEmulator(data.dump());
  auto summary = Run(base);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(migrate::VerifyBase(*client_, conn(), "appNeverMigrated1").status().code(),
            StatusCode::kFailedPrecondition);
  std::string table = summary->schema + "." + summary->tables[0].table_name;
  // The first text column of the table, whatever the generator named it.
  std::string column =
      Scalar("SELECT column_name FROM information_schema.columns WHERE table_schema = '" +
             summary->schema + "' AND table_name = '" + summary->tables[0].table_name +
             "' AND data_type = 'text' AND column_name <> 'airtable_id' ORDER BY ordinal_position "
             "LIMIT 1");
  ASSERT_FALSE(column.empty());
  // Behind airpg's back, past the write guard the swap installed (as the
  // inbound apply writes: origin airtable).
  ASSERT_TRUE(conn()
                  .RunScript("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + table +
                             " SET \"" + column +
                             "\" = 'changed in postgres' "
                             "WHERE id = (SELECT min(id) FROM " +
                             table + "); UPDATE " + table +
                             " SET deleted_at = now() "
                             "WHERE id = (SELECT max(id) FROM " +
                             table + "); COMMIT")
                  .ok());
  migrate::VerifyReport report = Verify(base);
  ASSERT_EQ(report.tables.size(), 1u);
  EXPECT_FALSE(report.clean());
  EXPECT_EQ(report.tables[0].different, 1);
  EXPECT_EQ(report.tables[0].missing_in_postgres, 1);
  EXPECT_EQ(report.tables[0].examples.size(), 2u);
}

TEST_F(MigrateTest, BadCellsLandInTheLedgerWithAReasonAndTheRunCompletes) {
  json data = json::parse(ReadFile(AIRPG_DELTA_SAMPLE));
  json& tables = data["bases"][0]["tables"];
  int fees = 0;
  for (json& table : tables) {
    for (json& record : table["records"]) {
      json& fields = record["fields"];
      // More decimals than the currency field's precision shows: a number is
      // a double in Airtable, the precision display only; kept exactly.
      if (fields.contains("Annual Fee")) {
        fields["Annual Fee"] = 1234.56789;
        ++fees;
      }
      // A link to a record that does not exist (as when it is deleted
      // between the reads of the two tables); the inverse cell agrees.
      if (record["id"] == "recRegNwTx000001") {
        fields["Regulator"] = json::array({"recDoesNotExist01"});
      }
      if (record["id"] == "recRgtTexas000001") {
        json kept = json::array();
        for (const json& id : fields["Registrations"]) {
          if (id != "recRegNwTx000001") kept.push_back(id);
        }
        fields["Registrations"] = kept;
      }
    }
  }
  StartEmulator(data.dump());
  auto summary = Run(kDelta);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->link_rejects, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects r JOIN airpg.fields f USING (field_id) "
                   "WHERE f.airtable_name = 'Annual Fee'"),
            "0");
  std::string schema =
      Scalar("SELECT schema_name FROM airpg.bases WHERE base_id = '" + std::string(kDelta) + "'");
  EXPECT_EQ(Scalar("SELECT count(*) FROM \"" + schema +
                   "\".clients WHERE annual_fee::text = '1234.56789'"),
            std::to_string(fees));
  EXPECT_GT(fees, 0);
  EXPECT_EQ(Scalar("SELECT reason FROM airpg.rejects WHERE raw_value = 'recDoesNotExist01'"),
            "link to recDoesNotExist01, which is not a record of table State Regulators");
  // The rejected cells are explained by the ledger: verify is clean.
  ExpectClean(summary->verify);
  ExpectClean(Verify(kDelta));
}

// Issue 14: every attachment of a cell that cannot be stored has its own row
// in the ledger, not only the cell's first.
TEST_F(MigrateTest, Issue14EveryFailedAttachmentOfACellIsInTheLedger) {
  json data = json::parse(ReadFile(AIRPG_DELTA_SAMPLE));
  bool found = false;
  for (json& table : data["bases"][0]["tables"]) {
    for (json& record : table["records"]) {
      if (record["id"] != "recDocBpNyApp0001") continue;
      json& files = record["fields"]["Files"];
      ASSERT_GE(files.size(), 2u);
      // Fewer bytes than announced: each download is refused as a size mismatch.
      files[0]["content"] = "c2hvcnQ=";  // "short"
      files[1]["content"] = "dGlueQ==";  // "tiny"
      found = true;
    }
  }
  ASSERT_TRUE(found);
  StartEmulator(data.dump());
  auto summary = Run(kDelta);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects WHERE record_id = 'recDocBpNyApp0001' "
                   "AND field_id = 'fldDocFiles000001'"),
            "2");
  EXPECT_EQ(Scalar("SELECT string_agg(substr(reason, 1, 27), ',' ORDER BY reason) FROM "
                   "airpg.rejects WHERE record_id = 'recDocBpNyApp0001'"),
            "attachment attBpNyForm00001,attachment attBpNyLogo00001");
  ExpectClean(summary->verify);
}

// One line of testdata/bad_cells.test.
struct BadCell {
  int line = 0;
  std::string type, options, cell, raw, reason;
  std::string field_id, field_name, record_id;
};

std::vector<BadCell> ReadBadCells(const std::string& path) {
  std::vector<BadCell> cases;
  std::ifstream in(path);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts;
    for (size_t at = 0;;) {
      size_t bar = line.find(" | ", at);
      parts.push_back(line.substr(at, bar == std::string::npos ? bar : bar - at));
      if (bar == std::string::npos) break;
      at = bar + 3;
    }
    EXPECT_EQ(parts.size(), 5u) << path << ":" << number;
    if (parts.size() != 5) continue;
    BadCell c{number, parts[0], parts[1], parts[2], parts[3], parts[4]};
    size_t i = cases.size() + 1;
    c.field_id = fmt::format("fldBadCell{:07d}", i);
    c.field_name = fmt::format("c{:02d} {}", i, c.type);
    c.record_id = fmt::format("recBadCell{:07d}", i);
    cases.push_back(std::move(c));
  }
  return cases;
}

// A base whose "Bad cells" table has one field and one record per case, a
// record with no bad cell, and the "Targets" table the link fields point at.
json BadCellsBase(const std::vector<BadCell>& cases) {
  json fields =
      json::array({{{"id", "fldBadCellName001"}, {"name", "Name"}, {"type", "singleLineText"}}});
  json targets_fields =
      json::array({{{"id", "fldTargetName0001"}, {"name", "Name"}, {"type", "singleLineText"}}});
  json records = json::array({{{"id", "recBadCellAllGood"}, {"fields", {{"Name", "all good"}}}}});
  // target record → inverse field name → the records that link to it
  std::map<std::string, std::map<std::string, json>> back;
  for (const BadCell& c : cases) {
    json field = {{"id", c.field_id}, {"name", c.field_name}, {"type", c.type}};
    json options = c.options == "-" ? json::object() : json::parse(c.options);
    json cell = json::parse(c.cell);
    if (c.type == "multipleRecordLinks") {
      std::string inverse_id = "fldBack" + c.field_id.substr(10) + "000";
      std::string inverse_name = c.field_name + " back";
      options["linkedTableId"] = "tblBadCellTargets";
      options["inverseLinkFieldId"] = inverse_id;
      targets_fields.push_back({{"id", inverse_id},
                                {"name", inverse_name},
                                {"type", "multipleRecordLinks"},
                                {"options",
                                 {{"linkedTableId", "tblBadCellsTable1"},
                                  {"inverseLinkFieldId", c.field_id},
                                  {"prefersSingleRecordLink", false}}}});
      for (const json& id : cell.is_array() ? cell : json::array({cell})) {
        std::string target = id.get<std::string>();
        if (target.rfind("recTarget", 0) == 0) {
          json& ids = back[target][inverse_name];
          if (ids.is_null()) ids = json::array();
          ids.push_back(c.record_id);
        }
      }
    }
    if (!options.empty()) field["options"] = options;
    fields.push_back(field);
    records.push_back(
        {{"id", c.record_id}, {"fields", {{"Name", c.field_name}, {c.field_name, cell}}}});
  }
  json targets = json::array();
  for (const char* id : {"recTarget0000001", "recTarget0000002"}) {
    json cells = {{"Name", id}};
    for (const auto& [name, ids] : back[id]) cells[name] = ids;
    targets.push_back({{"id", id}, {"fields", cells}});
  }
  json tables = json::array({{{"id", "tblBadCellsTable1"},
                              {"name", "Bad cells"},
                              {"fields", fields},
                              {"records", records}},
                             {{"id", "tblBadCellTargets"},
                              {"name", "Targets"},
                              {"fields", targets_fields},
                              {"records", targets}}});
  return {{"user", {{"id", "usrBadCellsUser01"}, {"email", "u@example.com"}, {"name", "U"}}},
          {"bases", json::array({{{"id", "appBadCellsBase01"},
                                  {"name", "Bad cells"},
                                  {"permissionLevel", "create"},
                                  {"tables", tables}}})}};
}

// One bad cell of every kind the loader refuses (testdata/bad_cells.test):
// each lands in the ledger with its record, field, raw value and a reason,
// every record is imported, and verify is clean.
TEST_F(MigrateTest, BadCellOfEveryKindLandsInTheLedgerAndTheRunCompletes) {
  std::vector<BadCell> cases = ReadBadCells(AIRPG_BAD_CELLS);
  ASSERT_GT(cases.size(), 20u);
  StartEmulator(BadCellsBase(cases).dump());
  auto summary = Run("appBadCellsBase01");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ExpectClean(summary->verify);
  ExpectClean(Verify("appBadCellsBase01"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM bad_cells.bad_cells"), std::to_string(cases.size() + 1));
  EXPECT_EQ(Scalar("SELECT count(*) FROM bad_cells.targets"), "2");

  int rejecting = 0;
  for (const BadCell& c : cases) {
    SCOPED_TRACE(fmt::format("bad_cells.test:{}: {} {}", c.line, c.type, c.cell));
    auto rows = conn().Exec(
        "SELECT raw_value, reason, table_id, base_id, run_id FROM airpg.rejects "
        "WHERE record_id = $1 AND field_id = $2",
        {c.record_id, c.field_id});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    if (c.raw == "kept") {
      EXPECT_EQ(rows->size(), 0) << rows->Get(0, 1);
      continue;
    }
    ++rejecting;
    ASSERT_EQ(rows->size(), 1);
    std::string raw(rows->Get(0, 0)), reason(rows->Get(0, 1));
    EXPECT_NE(reason.find(c.reason), std::string::npos) << reason;
    EXPECT_EQ(rows->Get(0, 2), "tblBadCellsTable1");
    EXPECT_EQ(rows->Get(0, 3), "appBadCellsBase01");
    EXPECT_EQ(rows->Get(0, 4), std::to_string(summary->run_id));
    if (c.raw == "=") {
      EXPECT_EQ(json::parse(raw, nullptr, false), json::parse(c.cell)) << raw;
    } else {
      EXPECT_NE(raw.find(c.raw), std::string::npos) << raw;
    }
  }
  // A single-record link holding two records keeps the first; the inverse
  // cell of the second, which lists the record, is in the ledger too.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects WHERE table_id = 'tblBadCellTargets' AND "
                   "record_id = 'recTarget0000002' AND reason LIKE '%is not kept%'"),
            "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects"), std::to_string(rejecting + 1));
}

}  // namespace
}  // namespace airpg
