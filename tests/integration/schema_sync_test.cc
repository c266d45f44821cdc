// Schema changes while syncing, end to end: the Delta Analytics sample base
// migrated from the airtable-emulator binary (a child process, reached over
// HTTP as airpg reaches Airtable), then fields added and renamed through the
// emulator's Meta API reach Postgres through sync::RefreshLiveBase, values
// written to them arrive through the record applier, and `airpg verify`
// (migrate::VerifyBase) stays clean. Changes the emulator cannot make (a type
// change, a removal) are made in the schema passed to ApplySchemaChanges.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "airtable/client.h"
#include "airtable/testing/emulator_process.h"
#include "migrate/migrator.h"
#include "migrate/verify.h"
#include "pg/testing/pg_test.h"
#include "pg/transaction.h"
#include "sync/live_schema.h"
#include "sync/record_reader.h"
#include "sync/safety_poll.h"
#include "sync/schema_sync.h"

namespace airpg {
namespace {

using nlohmann::json;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kStaff = "tblStaff000000001";
constexpr const char* kRegulators =
    "tblRegulators0001";  // no computed fields: a write changes one cell
constexpr const char* kSchema = "delta_analytics_registration_tracking";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SchemaSyncIntegrationTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    auto started = airtable::testing::EmulatorProcess::Start(AIRPG_EMULATOR_BINARY,
                                                             ReadFile(AIRPG_DELTA_SAMPLE));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airtable::PacerLimits limits;
    limits.per_base = 1000;
    limits.per_token = 1000;
    pacer_ = std::make_unique<airtable::Pacer>(limits);
    airtable::ClientOptions options;
    options.endpoint_url = emulator_->url();
    options.token = "patSchemaSyncTest.0123456789abcdef";
    options.backoff.initial = std::chrono::milliseconds(5);
    options.backoff.max_delay = std::chrono::milliseconds(20);
    options.backoff.max_attempts = 3;
    client_ = std::make_unique<airtable::Client>(options, *pacer_);
    migrate::MigrateOptions migrate_options;
    migrate_options.base_id = kDelta;
    auto migrated = migrate::Migrate(*client_, conn(), url(), migrate_options);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    ASSERT_EQ(migrated->schema, kSchema);
  }

  // One Meta API request, as a person or script changing the base would send it.
  json Meta(const std::string& method, const std::string& path, const json& body) {
    auto response =
        client_->Call(kDelta, airtable::Priority::kWrite, airtable::Client::Retry::kIfNotApplied,
                      method, "/v0/meta/bases/" + std::string(kDelta) + path, body.dump());
    EXPECT_TRUE(response.ok()) << method << " " << path << ": " << response.status().ToString();
    return response.ok() ? json::parse(*response) : json();
  }

  std::string Scalar(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    auto rows = conn().Exec(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "<none>";
  }

  std::string ColumnType(const std::string& table, const std::string& column) {
    return Scalar(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON "
        "c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
        "AND c.relname = $2 AND a.attname = $3 AND NOT a.attisdropped",
        {kSchema, table, column});
  }

  std::string ColumnComment(const std::string& table, const std::string& column) {
    return Scalar(
        "SELECT col_description(c.oid, a.attnum) FROM pg_attribute a JOIN pg_class c ON "
        "c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
        "AND c.relname = $2 AND a.attname = $3",
        {kSchema, table, column});
  }

  // Reads the records whole and applies them to the live schema, as a sync cycle does.
  void ApplyRecords(const sync::LiveBase& base, const std::string& table,
                    const std::vector<std::string>& ids) {
    sync::ChangeBatch batch;
    batch.source = "test";
    airtable::ListOptions options;
    options.return_fields_by_field_id = true;
    auto pager = client_->ListRecords(kDelta, table, options);
    for (;;) {
      auto page = pager.Next();
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (!*page) break;
      for (auto& r : (*page)->records) {
        if (ids.empty() || std::find(ids.begin(), ids.end(), r.id) != ids.end())
          batch.Table(table).upserts.push_back(std::move(r));
      }
    }
    sync::RecordApplier applier(base, {});
    auto applied = sync::ApplyWithFollowUps(*client_, conn(), applier, std::move(batch), kDelta,
                                            airtable::Priority::kIncremental);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }

  void ExpectVerifyClean() {
    auto verified = migrate::VerifyBase(*client_, conn(), kDelta);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_TRUE(verified->report.clean());
    for (const auto& t : verified->report.tables) {
      for (const auto& e : t.examples) ADD_FAILURE() << t.table_name << ": " << e;
    }
  }

  std::unique_ptr<airtable::testing::EmulatorProcess> emulator_;
  std::unique_ptr<airtable::Pacer> pacer_;
  std::unique_ptr<airtable::Client> client_;
};

TEST_F(SchemaSyncIntegrationTest,
       FieldsAddedAndRenamedInTheEmulatorReachPostgresAndVerifyStaysClean) {
  // A webhook watching the schema, as the sync keeps one per base.
  auto hook = client_->CreateWebhook(
      kDelta, "", R"({"options":{"filters":{"dataTypes":["tableFields","tableMetadata"]}}})");
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  auto base = sync::LoadLiveBase(conn(), kDelta);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  std::string notes_before = Scalar(
      std::string("SELECT string_agg(coalesce(notes, '-'), '|' ORDER BY airtable_id) FROM ") +
      kSchema + ".clients");

  std::string clients = std::string("/tables/") + kClients;
  json code =
      Meta("POST", clients + "/fields", {{"name", "Account Code"}, {"type", "singleLineText"}});
  json due = Meta("POST", std::string("/tables/") + kRegulators + "/fields",
                  {{"name", "Renewal Due"},
                   {"type", "date"},
                   {"options", {{"dateFormat", {{"name", "iso"}, {"format", "YYYY-MM-DD"}}}}}});
  json region = Meta("POST", clients + "/fields",
                     {{"name", "Region"},
                      {"type", "singleSelect"},
                      {"options", {{"choices", {{{"name", "West"}}, {{"name", "East"}}}}}}});
  Meta("PATCH", clients + "/fields/fldCliNotes000001", {{"name", "Internal Notes"}});
  Meta("PATCH", std::string("/tables/") + kStaff, {{"name", "Team Members"}});

  // The payloads say the schema changed: the sync's cue to look.
  auto payloads = client_->ListPayloads(kDelta, hook->id, 1);
  ASSERT_TRUE(payloads.ok()) << payloads.status().ToString();
  ASSERT_FALSE(payloads->payloads.empty());
  for (const auto& p : payloads->payloads) EXPECT_TRUE(sync::PayloadChangesSchema(p)) << p.json;

  auto summary = sync::RefreshLiveBase(*client_, conn(), *base);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->warnings.empty());
  EXPECT_EQ(base->plan.FindField(due["id"].get<std::string>()).second->column_name, "renewal_due");
  EXPECT_EQ(summary->applied.size(), 5u);
  EXPECT_TRUE(summary->reported.empty());
  EXPECT_EQ(summary->reread_table_ids, (std::vector<std::string>{kClients, kRegulators}));

  // Columns, with the rules' types; the renamed column kept its data.
  EXPECT_EQ(ColumnType("clients", "account_code"), "text");
  EXPECT_EQ(ColumnType("state_regulators", "renewal_due"), "date");
  EXPECT_EQ(ColumnType("clients", "region"), "text");
  EXPECT_EQ(ColumnType("clients", "notes"), "<none>");
  EXPECT_EQ(ColumnType("clients", "internal_notes"), "text");
  EXPECT_EQ(Scalar(std::string("SELECT string_agg(coalesce(internal_notes, '-'), '|' ORDER BY "
                               "airtable_id) FROM ") +
                   kSchema + ".clients"),
            notes_before);
  EXPECT_EQ(Scalar(std::string("SELECT count(*) FROM ") + kSchema +
                   ".clients WHERE account_code IS NULL AND region IS NULL"),
            "4");
  EXPECT_EQ(Scalar(std::string("SELECT count(*) FILTER (WHERE renewal_due IS NULL) = count(*) "
                               "FROM ") +
                   kSchema + ".state_regulators"),
            "t");
  EXPECT_EQ(Scalar("SELECT to_regclass($1) IS NOT NULL",
                   {std::string(kSchema) + ".clients__region_choices"}),
            "t");
  EXPECT_EQ(Scalar("SELECT to_regclass($1) IS NOT NULL", {std::string(kSchema) + ".team_members"}),
            "t");
  // Comments carry the new names.
  EXPECT_EQ(ColumnComment("clients", "internal_notes"),
            "Airtable field \"Internal Notes\" (fldCliNotes000001, multilineText)");
  EXPECT_EQ(ColumnComment("state_regulators", "renewal_due"),
            "Airtable field \"Renewal Due\" (" + due["id"].get<std::string>() + ", date)");
  // The catalog, by field id.
  EXPECT_EQ(Scalar("SELECT airtable_name || ' ' || column_name FROM airpg.fields WHERE field_id = "
                   "'fldCliNotes000001'"),
            "Internal Notes internal_notes");
  EXPECT_EQ(Scalar("SELECT type || ' ' || column_name || ' ' || relation_table FROM airpg.fields "
                   "WHERE field_id = $1",
                   {region["id"].get<std::string>()}),
            "singleSelect region clients__region_choices");
  EXPECT_EQ(Scalar("SELECT table_name FROM airpg.tables WHERE table_id = $1", {kStaff}),
            "team_members");
  // One schema_versions row per change, with its DDL.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions WHERE run_id IS NULL"), "5");
  EXPECT_EQ(Scalar("SELECT ddl FROM airpg.schema_versions WHERE change = $1",
                   {"field " + code["id"].get<std::string>() +
                    " added (\"Account Code\", singleLineText)"}),
            "ALTER TABLE \"delta_analytics_registration_tracking\".\"clients\"\n  ADD COLUMN "
            "\"account_code\" text,\n  ADD CHECK (\"account_code\" <> '');\n"
            "COMMENT ON COLUMN \"delta_analytics_registration_tracking\".\"clients\".\"account_"
            "code\" IS 'Airtable field \"Account Code\" (" +
                code["id"].get<std::string>() + ", singleLineText)';\n");
  EXPECT_EQ(Scalar("SELECT ddl FROM airpg.schema_versions WHERE change = $1",
                   {"field fldCliNotes000001 renamed (\"Notes\" → \"Internal Notes\")"})
                .rfind("ALTER TABLE \"delta_analytics_registration_tracking\".\"clients\" RENAME "
                       "COLUMN \"notes\" TO \"internal_notes\";\n",
                       0),
            0u);
  ExpectVerifyClean();

  // A value written in Airtable reaches its new column through the record
  // applier, with the refreshed plan: still clean.
  std::string record_id =
      Scalar(std::string("SELECT min(airtable_id) FROM ") + kSchema + ".state_regulators");
  airtable::RecordWrite write{record_id, {{due["id"], "\"2025-01-31\""}}};
  auto written = client_->UpdateRecords(kDelta, kRegulators, {write});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ApplyRecords(*base, kRegulators, {record_id});
  EXPECT_EQ(Scalar(std::string("SELECT renewal_due FROM ") + kSchema +
                       ".state_regulators WHERE airtable_id = $1",
                   {record_id}),
            "2025-01-31");
  ExpectVerifyClean();
  // Nothing more to do, and the live plan matches the columns.
  auto again = sync::SyncSchema(*client_, conn(), kDelta);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->applied.empty());
  std::vector<std::string> warnings;
  auto live = sync::LoadLiveBase(conn(), kDelta, &warnings);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->plan.FindField(due["id"].get<std::string>()).second->column_name, "renewal_due");
  EXPECT_TRUE(warnings.empty());
}

TEST_F(SchemaSyncIntegrationTest, ATypeChangeAndARemovalMadeInTheSchemaAreTracked) {
  auto schema = client_->GetBaseSchema(kDelta, false);
  ASSERT_TRUE(schema.ok());
  std::string branches_before =
      Scalar(std::string("SELECT string_agg(branch_count::text, ',' ORDER BY airtable_id) FROM ") +
             kSchema + ".registrations");
  for (auto& table : schema->tables) {
    for (auto& field : table.fields) {
      if (field.id == "fldRegUnits000001") {  // Branch Count: number → text
        field.type_name = "singleLineText";
        field.type = airtable::FieldType::kSingleLineText;
        field.options_json.clear();
      }
    }
    if (table.id == "tblDocuments00001") {  // Reviewed (checkbox) removed
      std::erase_if(table.fields, [](const auto& f) { return f.id == "fldDocReviewed001"; });
    }
  }
  auto summary = sync::ApplySchemaChanges(conn(), kDelta, *schema);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->applied.size(), 2u);
  EXPECT_EQ(summary->applied[0].kind, mapping::ChangeKind::kFieldRemoved);
  EXPECT_EQ(summary->applied[1].kind, mapping::ChangeKind::kFieldRetyped);
  EXPECT_EQ(summary->reread_table_ids, std::vector<std::string>{"tblRegistrations1"});
  // The old values stay in the kept column; the new one waits for the re-read.
  EXPECT_EQ(ColumnType("registrations", "branch_count__v1"), "numeric");
  EXPECT_EQ(ColumnType("registrations", "branch_count"), "text");
  EXPECT_EQ(Scalar(std::string("SELECT string_agg(branch_count__v1::text, ',' ORDER BY "
                               "airtable_id) FROM ") +
                   kSchema + ".registrations"),
            branches_before);
  EXPECT_EQ(Scalar(std::string("SELECT count(*) FROM ") + kSchema +
                   ".registrations WHERE branch_count IS NOT NULL"),
            "0");
  EXPECT_EQ(Scalar("SELECT change FROM airpg.schema_versions WHERE change LIKE '%changed type%'"),
            "field fldRegUnits000001 changed type (\"Branch Count\", number numeric → "
            "singleLineText text): column branch_count kept as branch_count__v1");
  // The removed field's column is kept and marked.
  EXPECT_EQ(ColumnType("documents", "reviewed"), "boolean");
  EXPECT_EQ(Scalar("SELECT removed_at IS NOT NULL FROM airpg.fields WHERE field_id = "
                   "'fldDocReviewed001'"),
            "t");
  EXPECT_NE(ColumnComment("documents", "reviewed").find("deleted in Airtable"), std::string::npos);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions WHERE run_id IS NULL"), "2");
  // The full read the change asked for is owed, durably, until a poll does
  // it: the poll reads every record, unfiltered, and moves the watermark on.
  EXPECT_EQ(Scalar("SELECT poll_watermark::text FROM airpg.sync_tables WHERE table_id = "
                   "'tblRegistrations1'"),
            "-infinity");
  auto base = sync::LoadLiveBase(conn(), kDelta);
  ASSERT_TRUE(base.ok());
  sync::RecordApplier applier(*base, {});
  auto polled = sync::PollTable(*client_, conn(), applier, *base, "tblRegistrations1");
  ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  EXPECT_EQ(polled->formula, "");
  EXPECT_EQ(std::to_string(polled->read),
            Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".registrations"));
  EXPECT_EQ(Scalar("SELECT poll_watermark > now() - interval '1 hour' FROM airpg.sync_tables "
                   "WHERE table_id = 'tblRegistrations1'"),
            "t");
  // Airtable (which never changed the field) still sends numbers, which the
  // text column cannot hold, so each such cell waits in the dead-letter
  // queue and nothing is lost.
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM airpg.dead_letters WHERE field_id = 'fldRegUnits000001' "
             "AND status IN ('retrying', 'dead')"),
      Scalar(std::string("SELECT count(branch_count__v1) FROM ") + kSchema + ".registrations"));
  EXPECT_EQ(Scalar(std::string("SELECT count(branch_count) FROM ") + kSchema + ".registrations"),
            "0");
}

// The live-rows views follow every change in the same DDL transaction: a
// renamed table's view is renamed (and a view built on it keeps working), a
// renamed single link's FK column is `<new name>_id` in the table and the
// view, a dropped column (which a view would pin) and a retyped one are gone
// from the view or take the new type.
TEST_F(SchemaSyncIntegrationTest, TheLiveViewsFollowRenamesDropsAndRetypes) {
  auto live = [&](const std::string& view) {
    return Scalar(
        "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = "
        "to_regclass($1) AND attnum > 0",
        {std::string(kSchema) + "." + view});
  };
  ASSERT_NE(live("registrations_live").find(",client_id,"), std::string::npos)
      << live("registrations_live");
  ASSERT_NE(live("documents_live").find(",reviewed"), std::string::npos);
  ASSERT_TRUE(conn()
                  .Run(std::string("CREATE VIEW ") + kSchema +
                       ".gold_clients AS SELECT company FROM " + kSchema +
                       ".clients_live WHERE tier = 'Gold'")
                  .ok());
  std::string gold = Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".gold_clients");
  auto schema = client_->GetBaseSchema(kDelta, false);
  ASSERT_TRUE(schema.ok());
  for (auto& table : schema->tables) {
    if (table.id == kClients) table.name = "Customers";
    for (auto& field : table.fields) {
      if (field.id == "fldRegClient00001") field.name = "Customer";
      if (field.id == "fldRegUnits000001") {  // Branch Count: number → text
        field.type_name = "singleLineText";
        field.type = airtable::FieldType::kSingleLineText;
        field.options_json.clear();
      }
    }
    if (table.id == "tblDocuments00001") {  // Reviewed (checkbox) removed
      std::erase_if(table.fields, [](const auto& f) { return f.id == "fldDocReviewed001"; });
    }
  }
  sync::SchemaSyncOptions options;
  options.drop_removed = true;
  auto summary = sync::ApplySchemaChanges(conn(), kDelta, *schema, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->applied.size(), 4u);
  EXPECT_EQ(ColumnType("registrations", "customer_id"), "bigint");
  EXPECT_EQ(ColumnType("registrations", "client_id"), "<none>");
  EXPECT_EQ(ColumnType("documents", "reviewed"), "<none>");
  EXPECT_EQ(Scalar("SELECT to_regclass($1) IS NULL", {std::string(kSchema) + ".clients_live"}),
            "t");
  EXPECT_NE(live("customers_live").find("airtable_modified_time,company,"), std::string::npos);
  // A view built on a live view that only changed names still works.
  EXPECT_EQ(Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".gold_clients"), gold);
  std::string registrations = live("registrations_live");
  EXPECT_NE(registrations.find(",customer_id,"), std::string::npos) << registrations;
  EXPECT_EQ(registrations.find("client_id"), std::string::npos) << registrations;
  EXPECT_EQ(registrations.find("branch_count__v1"), std::string::npos) << registrations;
  EXPECT_EQ(Scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                   "to_regclass($1) AND attname = 'branch_count'",
                   {std::string(kSchema) + ".registrations_live"}),
            "text");
  EXPECT_EQ(live("documents_live").find("reviewed"), std::string::npos);
  // The view holds the live rows only, joined through the renamed key.
  // As the inbound apply tombstones (origin airtable: past the write guard).
  ASSERT_TRUE(conn()
                  .RunScript(std::string("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE ") +
                             kSchema +
                             ".registrations SET deleted_at = now() WHERE airtable_id = "
                             "'recRegSoAz000001'; COMMIT")
                  .ok());
  EXPECT_EQ(Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".registrations_live r JOIN " +
                   kSchema + ".customers_live c ON c.id = r.customer_id"),
            std::to_string(std::stoi(Scalar(std::string("SELECT count(*) FROM ") + kSchema +
                                            ".registrations WHERE customer_id IS NOT NULL")) -
                           1));
}

}  // namespace
}  // namespace airpg
