// airpg migrate end to end: the in-process emulator serving the Delta
// Analytics sample base, the run's throwaway Postgres, the real client.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "airtable/client.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/client.h"
#include "migrate/migrator.h"
#include "migrate/swap.h"
#include "migrate/verify.h"
#include "pg/testing/pg_test.h"

namespace airpg {
namespace {

using nlohmann::json;
constexpr const char* kDelta = "appDeltaAnalytic1";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MigrateTest : public pg::testing::PgTest {
 protected:
  void StartEmulator(const std::string& data_json) {
    emulator::EmulatorOptions options;
    options.data_json = data_json;
    options.rate_limits = false;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airtable::PacerLimits limits;
    limits.per_base = 1000;
    limits.per_token = 1000;
    pacer_ = std::make_unique<airtable::Pacer>(limits);
    airtable::ClientOptions client_options;
    client_options.endpoint_url = emulator_->url();
    client_options.token = "patMigrateTest000.0123456789abcdef";
    client_options.backoff.initial = std::chrono::milliseconds(5);
    client_options.backoff.max_delay = std::chrono::milliseconds(20);
    client_options.backoff.max_attempts = 3;
    client_ = std::make_unique<airtable::Client>(client_options, *pacer_);
  }

  json Control(const std::string& method, const std::string& path, const json& body = nullptr) {
    http::Client http;
    auto response =
        http.Send(method, emulator_->url() + "/__emulator/" + path,
                  {{"Content-Type", "application/json"}}, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(response.ok());
    return response.ok() ? json::parse(response->body, nullptr, false) : json();
  }

  Result<migrate::MigrateSummary> Run(const std::string& base,
                                      migrate::MigrateOptions options = {}) {
    options.base_id = base;
    return migrate::Migrate(*client_, conn(), url(), options);
  }

  migrate::VerifyReport Verify(const std::string& base) {
    auto verified = migrate::VerifyBase(*client_, conn(), base);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    return verified.ok() ? verified->report : migrate::VerifyReport{};
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  static void ExpectClean(const migrate::VerifyReport& report) {
    EXPECT_TRUE(report.clean());
    for (const auto& t : report.tables) {
      for (const auto& e : t.examples) ADD_FAILURE() << t.table_name << ": " << e;
    }
  }

  std::unique_ptr<emulator::Emulator> emulator_;
  std::unique_ptr<airtable::Pacer> pacer_;
  std::unique_ptr<airtable::Client> client_;
};

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
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + table + " SET \"" + column +
                       "\" = 'changed in postgres' "
                       "WHERE id = (SELECT min(id) FROM " +
                       table + ")")
                  .ok());
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + table +
                       " SET deleted_at = now() "
                       "WHERE id = (SELECT max(id) FROM " +
                       table + ")")
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
      // More decimals than the currency field's precision: not rounded.
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
                   "WHERE f.airtable_name = 'Annual Fee' AND r.reason <> '' AND r.raw_value = "
                   "'1234.56789'"),
            std::to_string(fees));
  EXPECT_GT(fees, 0);
  EXPECT_EQ(Scalar("SELECT reason FROM airpg.rejects WHERE raw_value = 'recDoesNotExist01'"),
            "link to recDoesNotExist01, which is not a record of table State Regulators");
  // The rejected cells are explained by the ledger: verify is clean.
  ExpectClean(summary->verify);
  ExpectClean(Verify(kDelta));
}

}  // namespace
}  // namespace airpg
