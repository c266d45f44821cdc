// Issue 13, "Records and pages": malformed records, repeated ids, cells of
// fields created during the run and pages that are not JSON, served exactly
// as written by RawPagesServer (the emulator normalises what it loads) to the
// real client, migrator and sync reader, over the test's own Postgres.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "airtable/client.h"
#include "migrate/migrator.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"
#include "pg/transaction.h"
#include "raw_pages_server.h"
#include "sync/dead_letters.h"
#include "sync/record_applier.h"
#include "sync/record_reader.h"

namespace airpg {
namespace {

constexpr const char* kBase = "appRawPages00001";
constexpr const char* kTable = "tblRawItems00001";

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(AIRPG_RAW_PAGES_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RawPagesTest : public pg::testing::PgTest {
 protected:
  void Serve() {
    ASSERT_TRUE(server_.Start().ok());
    airtable::PacerLimits limits;
    limits.per_base = 1000;
    limits.per_token = 1000;
    pacer_ = std::make_unique<airtable::Pacer>(limits);
    airtable::ClientOptions options;
    options.endpoint_url = server_.url();
    options.token = "patRawPagesTest0.0123456789abcdef";
    options.backoff.initial = std::chrono::milliseconds(5);
    options.backoff.max_delay = std::chrono::milliseconds(20);
    options.backoff.max_attempts = 3;
    client_ = std::make_unique<airtable::Client>(options, *pacer_);
  }

  Result<migrate::MigrateSummary> Migrate(const std::string& base) {
    migrate::MigrateOptions options;
    options.base_id = base;
    return migrate::Migrate(*client_, conn(), url(), options);
  }

  std::string Scalar(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    auto rows = conn().Exec(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  // The ledger row of a record (and field), "" when there is none.
  std::string Ledger(const std::string& column, const std::string& record_id,
                     const std::string& field_id = "") {
    return Scalar(fmt::format("SELECT {} FROM airpg.rejects WHERE record_id = $1 AND "
                              "coalesce(field_id, '') = $2",
                              column),
                  {record_id, field_id});
  }

  testing::RawPagesServer server_;
  std::unique_ptr<airtable::Pacer> pacer_;
  std::unique_ptr<airtable::Client> client_;
};

TEST_F(RawPagesTest, MalformedRecordsGoToTheLedgerWholeAndTheRestOfTheTableLoads) {
  server_.AddBase(kBase, "Raw Pages", Testdata("schema.json"));
  server_.AddPage(kBase, kTable, "", Testdata("items_1.json"));
  server_.AddPage(kBase, kTable, "itrPage2", Testdata("items_2.json"));
  ASSERT_NO_FATAL_FAILURE(Serve());
  // A refusal nobody foresaw: every staging table named items gets a CHECK
  // constraint (SQLSTATE 23514) as it is created, that one record breaks.
  ASSERT_TRUE(conn()
                  .RunScript(R"(
      CREATE FUNCTION refuse_one() RETURNS event_trigger LANGUAGE plpgsql AS $$
      DECLARE c record;
      BEGIN
        FOR c IN SELECT * FROM pg_event_trigger_ddl_commands()
                 WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE '%.items' LOOP
          EXECUTE format('ALTER TABLE %s ADD CHECK (name IS DISTINCT FROM %L)',
                         c.object_identity, 'refuse me');
        END LOOP;
      END $$;
      CREATE EVENT TRIGGER refuse_one ON ddl_command_end EXECUTE FUNCTION refuse_one();)")
                  .ok());
  auto summary = Migrate(kBase);
  ASSERT_TRUE(conn().RunScript("DROP EVENT TRIGGER refuse_one").ok());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->tables.size(), 1u);
  const migrate::TableSummary& t = summary->tables[0];
  EXPECT_EQ(t.read, 18);
  EXPECT_EQ(t.imported, 7);
  EXPECT_EQ(t.set_aside, 11);  // 9 malformed, 1 refused by Postgres, 1 repeated id
  EXPECT_TRUE(summary->verify.clean());
  EXPECT_EQ(Scalar("SELECT status FROM airpg.runs"), "swapped");
  EXPECT_EQ(Scalar("SELECT imported FROM airpg.run_tables"), "7");
  EXPECT_EQ(Scalar("SELECT count(*) FROM raw_pages.items"), "7");

  // Every malformed record is in the ledger whole, with its JSON and reason.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects WHERE reason LIKE 'malformed record: %' "
                   "AND field_id IS NULL AND table_id = $1",
                   {std::string(kTable)}),
            "9");
  for (const char* id :
       {"recNoTime0000001", "recNullTime00001", "recNow0000000001", "recYesterday0001",
        "recEpoch00000001", "recInfinity00001", "recFieldsList001"}) {
    EXPECT_NE(Ledger("raw_value", id).find(std::string("\"id\":\"") + id + "\""), std::string::npos)
        << id;
  }
  EXPECT_NE(Ledger("reason", "recNow0000000001").find("ISO-8601"), std::string::npos);
  EXPECT_NE(Ledger("reason", "recNoTime0000001").find("createdTime missing"), std::string::npos);
  EXPECT_NE(Ledger("reason", "recFieldsList001").find("fields is not an object"),
            std::string::npos);
  EXPECT_NE(Scalar("SELECT raw_value FROM airpg.rejects WHERE record_id IS NULL AND raw_value "
                   "LIKE '%no id%'"),
            "");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects WHERE record_id IS NULL AND raw_value = "
                   "'42'"),
            "1");

  // Postgres's special date inputs never reach a column.
  EXPECT_EQ(Scalar("SELECT count(*) FROM raw_pages.items WHERE NOT isfinite("
                   "airtable_created_time) OR airtable_created_time < '2024-01-01'"),
            "0");
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM raw_pages.items WHERE day IS NOT NULL OR when_ IS NOT NULL"),
      "1");  // only the good record's
  EXPECT_NE(Ledger("reason", "recSpecialDate01", "fldRawDay0000001"), "");
  EXPECT_NE(Ledger("reason", "recSpecialDate01", "fldRawWhen000001"), "");
  // Cells of the wrong JSON type: the cells are ledgered, the record loads.
  EXPECT_EQ(Ledger("raw_value", "recWrongType0001", "fldRawCount00001"), "\"three\"");
  EXPECT_EQ(Ledger("raw_value", "recWrongType0001", "fldRawNotes00001"), "{\"not\":\"text\"}");

  // The same id twice: the last copy is kept, the ledger holds both.
  EXPECT_EQ(Scalar("SELECT name FROM raw_pages.items WHERE airtable_id = 'recDuplicate0001'"),
            "last copy");
  std::string both = Ledger("raw_value", "recDuplicate0001");
  EXPECT_NE(both.find("first copy"), std::string::npos) << both;
  EXPECT_NE(both.find("last copy"), std::string::npos) << both;

  // A value Postgres refuses for a reason nobody foresaw isolates its
  // record; the rest of the batch loads.
  EXPECT_EQ(Scalar("SELECT count(*) FROM raw_pages.items WHERE airtable_id = 'recRefused000001'"),
            "0");
  EXPECT_NE(
      Ledger("reason", "recRefused000001").find("Postgres refused the record: SQLSTATE 23514"),
      std::string::npos)
      << Ledger("reason", "recRefused000001");
  EXPECT_NE(Ledger("raw_value", "recRefused000001").find("\"refuse me\""), std::string::npos);
  // A NUL in text (which Postgres text cannot hold) is the cell's, not the record's.
  EXPECT_EQ(Scalar("SELECT count(*) FROM raw_pages.items WHERE airtable_id = 'recNulByte000001'"),
            "1");
  EXPECT_NE(Ledger("raw_value", "recNulByte000001", "fldRawNotes00001"), "");

  // A cell of a field the run's schema does not have is ledgered, not dropped.
  EXPECT_EQ(Ledger("raw_value", "recNewField00001", "fldCreatedLater1"), "\"late value\"");
  EXPECT_EQ(Ledger("reason", "recNewField00001", "fldCreatedLater1"),
            "field created during migration: run migrate again");
  EXPECT_EQ(Scalar("SELECT name FROM raw_pages.items WHERE airtable_id = 'recNewField00001'"),
            "has a new field");
}

TEST_F(RawPagesTest, APageThatIsNotJsonFailsTheRunNamingTableAndPageAndTheRunIsShownFailed) {
  server_.AddBase(kBase, "Raw Pages", Testdata("schema.json"));
  std::string first = Testdata("items_2.json");
  first.replace(first.rfind('}'), 1, ",\"offset\":\"itrPage2\"}");
  server_.AddPage(kBase, kTable, "", first);
  server_.AddPage(kBase, kTable, "itrPage2", "<html><body>502 Bad Gateway</body></html>");
  ASSERT_NO_FATAL_FAILURE(Serve());
  auto failed = Migrate(kBase);
  ASSERT_FALSE(failed.ok());
  std::string message(failed.status().message());
  EXPECT_NE(message.find("Items"), std::string::npos) << message;
  EXPECT_NE(message.find(kTable), std::string::npos) << message;
  EXPECT_NE(message.find("page 2"), std::string::npos) << message;
  EXPECT_EQ(server_.requests(kBase, kTable, "itrPage2"), 3);  // read again twice by the client
  EXPECT_EQ(Scalar("SELECT status FROM airpg.runs"), "failed");
  EXPECT_NE(Scalar("SELECT error FROM airpg.runs").find("page 2"), std::string::npos);

  // Once the page is whole again, the next migrate resumes that run.
  server_.AddPage(kBase, kTable, "itrPage2", Testdata("items_2.json"));
  auto resumed = Migrate(kBase);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.runs"), "1");
  EXPECT_EQ(Scalar("SELECT status || coalesce(error, '') FROM airpg.runs"), "swapped");
}

// A refusal of every record alone is not the data's fault: the table fails
// (and the run with it) rather than ledgering the whole table.
TEST_F(RawPagesTest, WhenPostgresRefusesEveryRecordTheTableFailsInsteadOfLedgeringThemAll) {
  server_.AddBase(kBase, "Raw Pages", Testdata("schema.json"));
  server_.AddPage(kBase, kTable, "", Testdata("items_2.json"));
  ASSERT_NO_FATAL_FAILURE(Serve());
  ASSERT_TRUE(conn()
                  .RunScript(R"(
      CREATE FUNCTION refuse_all() RETURNS event_trigger LANGUAGE plpgsql AS $$
      DECLARE c record;
      BEGIN
        FOR c IN SELECT * FROM pg_event_trigger_ddl_commands()
                 WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE '%.items' LOOP
          EXECUTE format('ALTER TABLE %s ADD CHECK (airtable_id IS NULL)', c.object_identity);
        END LOOP;
      END $$;
      CREATE EVENT TRIGGER refuse_all ON ddl_command_end EXECUTE FUNCTION refuse_all();)")
                  .ok());
  auto failed = Migrate(kBase);
  ASSERT_TRUE(conn().RunScript("DROP EVENT TRIGGER refuse_all").ok());
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("23514"), std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.rejects"), "0");
  EXPECT_EQ(Scalar("SELECT status FROM airpg.runs"), "failed");
}

// The first copy of a repeated id was written by an earlier COPY batch (over
// 5,000 records before it): it is taken out of the staging table again.
TEST_F(RawPagesTest, AnIdListedAgainAfterItsFirstCopyWasWrittenKeepsTheLastCopy) {
  server_.AddBase(kBase, "Raw Pages", Testdata("schema.json"));
  auto record = [](int i, const std::string& name) {
    return fmt::format(
        R"({{"id":"rec{:013d}","createdTime":"2024-03-01T10:00:00.000Z","fields":{{"fldRawName000001":"{}","fldRawCount00001":{}}}}})",
        i, name, i);
  };
  constexpr int kPages = 50;
  for (int p = 0; p < kPages; ++p) {
    std::string body = "{\"records\":[";
    for (int i = 0; i < 100; ++i) body += (i ? "," : "") + record(p * 100 + i, "first copy");
    body += fmt::format("],\"offset\":\"itr{}\"}}", p + 1);
    server_.AddPage(kBase, kTable, p == 0 ? "" : fmt::format("itr{}", p), body);
  }
  server_.AddPage(kBase, kTable, fmt::format("itr{}", kPages),
                  "{\"records\":[" + record(7, "last copy") + "]}");
  ASSERT_NO_FATAL_FAILURE(Serve());
  auto summary = Migrate(kBase);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->verify.clean());
  EXPECT_EQ(summary->tables[0].read, 5001);
  EXPECT_EQ(summary->tables[0].imported, 5000);
  EXPECT_EQ(Scalar("SELECT count(*) FROM raw_pages.items"), "5000");
  EXPECT_EQ(Scalar("SELECT name FROM raw_pages.items WHERE airtable_id = 'rec0000000000007'"),
            "last copy");
  std::string both = Ledger("raw_value", "rec0000000000007");
  EXPECT_NE(both.find("\"kept\":{\"id\":\"rec0000000000007\""), std::string::npos) << both;
  EXPECT_NE(both.find("first copy"), std::string::npos) << both;
}

// The sync's reads share the page parser: a malformed record becomes a dead
// letter, is never taken for a deleted one, and never fails the cycle.
TEST_F(RawPagesTest, TheSyncsRecordReadsDeadLetterMalformedRecordsAndApplyTheRest) {
  server_.AddBase(kBase, "Raw Pages", Testdata("schema.json"));
  server_.AddPage(kBase, kTable, "", Testdata("items_2.json"));
  ASSERT_NO_FATAL_FAILURE(Serve());
  auto migrated = Migrate(kBase);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  auto plan = migrate::PlanBase(*client_, &conn(), kBase, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  sync::LiveBase live{kBase, "raw_pages", *plan};

  server_.AddPage(kBase, kTable, "", Testdata("items_1.json"));
  server_.AddPage(kBase, kTable, "itrPage2", R"({"records":[]})");
  sync::TouchedRecords wanted;
  wanted[kTable] = {"recGood000000001", "recNow0000000001", "recGone000000001"};
  for (int cycle = 1; cycle <= 2; ++cycle) {
    auto batch = sync::ReadRecords(*client_, kBase, wanted, airtable::Priority::kIncremental);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_EQ(batch->tables.size(), 1u);
    EXPECT_EQ(batch->tables[0].malformed.size(), 9u);
    // A malformed record without an id may be the one not listed: nothing
    // is taken for deleted on that evidence.
    EXPECT_TRUE(batch->tables[0].destroyed.empty());
    batch->source = "webhook";
    sync::RecordApplier applier(live, {});
    auto applied = sync::ApplyWithFollowUps(*client_, conn(), applier, *std::move(batch), kBase,
                                            airtable::Priority::kIncremental);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.dead_letters WHERE field_id IS NULL AND reason "
                     "LIKE 'malformed record: %'"),
              "9");
    EXPECT_EQ(Scalar("SELECT min(attempts) FROM airpg.dead_letters WHERE field_id IS NULL"),
              std::to_string(cycle));
  }
  EXPECT_NE(Scalar("SELECT payload FROM airpg.dead_letters WHERE record_id = 'recNow0000000001'")
                .find("\"createdTime\":\"now\""),
            std::string::npos);
  EXPECT_EQ(Scalar("SELECT name FROM raw_pages.items WHERE airtable_id = 'recGood000000001'"),
            "good one");
  EXPECT_EQ(Scalar("SELECT count(*) FROM raw_pages.items WHERE deleted_at IS NOT NULL"), "0");
}

}  // namespace
}  // namespace airpg
