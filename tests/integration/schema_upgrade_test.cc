// A base migrated by an older airpg, synced by this one (issue 13): its live
// schema, turned back here into the old shape with SQL (no airpg_cell_errors,
// numeric(38,2) numbers, choices tables keyed by name with a foreign key), is
// brought up to date when `airpg sync` starts, and a change with a formula
// error and a 17-digit number arrives exactly; `airpg verify` reads the old
// shape without aborting. And two things the sync must not lose: cells of a
// field the live plan does not know yet (dead-lettered, then carried once
// the schema sync has the field), and a multiple-select value longer than a
// GIN entry holds (the field's GIN index gives way, recorded).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <stop_token>
#include <string>
#include <thread>

#include "airtable/record.h"
#include "daemon/sync_service.h"
#include "emulated_base_test.h"
#include "pg/transaction.h"
#include "sync/base_syncer.h"
#include "sync/dead_letter_replay.h"
#include "sync/live_schema.h"
#include "sync/record_applier.h"
#include "sync/schema_sync.h"
#include "sync/schema_upgrade.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
constexpr const char* kBase = "appUpgradeBase001";
constexpr const char* kTable = "tblUpgradeItems01";
constexpr const char* kSchema = "upgrade_base";

json UpgradeBase() {
  json fields = json::array(
      {{{"id", "fldUpgName0000001"}, {"name", "Name"}, {"type", "singleLineText"}},
       {{"id", "fldUpgAmount00001"},
        {"name", "Amount"},
        {"type", "number"},
        {"options", {{"precision", 2}}}},
       {{"id", "fldUpgRatio000001"},
        {"name", "Ratio"},
        {"type", "formula"},
        {"options",
         {{"isValid", true},
          {"formula", "1/0"},
          {"referencedFieldIds", json::array()},
          {"result", {{"type", "number"}, {"options", {{"precision", 2}}}}}}}},
       {{"id", "fldUpgStatus00001"},
        {"name", "Status"},
        {"type", "singleSelect"},
        {"options", {{"choices", json::array({{{"id", "selUpgOpen0000001"}, {"name", "Open"}}})}}}},
       {{"id", "fldUpgTags0000001"},
        {"name", "Tags"},
        {"type", "multipleSelects"},
        {"options", {{"choices", json::array({{{"id", "selUpgTagA0000001"}, {"name", "a"}}})}}}},
       {{"id", "fldUpgOwner000001"}, {"name", "Owner"}, {"type", "singleCollaborator"}}});
  json records = json::array({{{"id", "recUpgRow00000001"},
                               {"fields",
                                {{"Name", "one"},
                                 {"Amount", 1.5},
                                 {"Ratio", {{"error", "#ERROR!"}}},
                                 {"Status", "Open"},
                                 {"Tags", json::array({"a"})}}}}});
  json tables = json::array({{{"id", kTable},
                              {"name", "Items"},
                              {"primaryFieldId", "fldUpgName0000001"},
                              {"fields", fields},
                              {"records", records}}});
  return {{"bases", json::array({{{"id", kBase},
                                  {"name", "Upgrade base"},
                                  {"permissionLevel", "create"},
                                  {"tables", tables}}})}};
}

// A random-looking text of `size` bytes: pglz finds nothing to compress, so
// it is as long in an index entry as it is here.
std::string Incompressible(size_t size) {
  std::string text;
  uint64_t x = 88172645463325252ull;
  while (text.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    text += static_cast<char>('!' + x % 90);
  }
  return text;
}

class SchemaUpgradeTest : public testing::EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    StartEmulator(UpgradeBase().dump());
    auto migrated = Run(kBase);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    // The migrate holds the base's lock for its session's life (its process
    // ends with it); the test's connection goes on, so it lets go here.
    Sql("SELECT pg_advisory_unlock_all()");
  }

  void Sql(const std::string& sql) {
    Status s = conn().Run(sql);
    ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
  }

  std::string Column(const std::string& field_id) {
    return Scalar("SELECT column_name FROM airpg.fields WHERE field_id = '" + field_id + "'");
  }

  // The live schema as an airpg from before issue 13 left it (and before
  // issue 15: no live-rows view).
  void MakeOldShape() {
    std::string items = std::string(kSchema) + ".items";
    Sql("DROP VIEW " + items + "_live");
    Sql("COMMENT ON COLUMN " + items + ".airtable_modified_time IS NULL");
    Sql("DROP INDEX " + Scalar(fmt::format("SELECT indexrelid::regclass::text FROM pg_index i "
                                           "JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
                                           "a.attnum = i.indkey[0] WHERE i.indrelid = "
                                           "'{}'::regclass AND a.attname = '{}'",
                                           items, Column("fldUpgOwner000001"))));
    std::string choices =
        std::string(kSchema) + "." +
        Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = 'fldUpgStatus00001'");
    Sql("DROP VIEW " + items + "_computed");  // issue 18's computed view came later
    Sql("ALTER TABLE " + items + " DROP COLUMN airpg_cell_errors");
    Sql(
        fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE numeric(38,2), ALTER COLUMN {} TYPE "
                    "numeric(38,2)",
                    items, Column("fldUpgAmount00001"), Column("fldUpgRatio000001")));
    Sql("UPDATE airpg.fields SET sql_type = 'numeric(38,2)' WHERE field_id IN "
        "('fldUpgAmount00001', 'fldUpgRatio000001')");
    Sql("DROP TABLE " + choices);
    Sql("CREATE TABLE " + choices +
        " (name text PRIMARY KEY, airtable_choice_id text, color text, position integer)");
    Sql("INSERT INTO " + choices +
        " (name, airtable_choice_id) VALUES ('Open', 'selUpgOpen0000001')");
    Sql(
        fmt::format("ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} (name) ON UPDATE CASCADE "
                    "DEFERRABLE INITIALLY DEFERRED",
                    items, Column("fldUpgStatus00001"), choices));
  }

  std::string Row(const std::string& expression) {
    return Scalar(fmt::format("SELECT {} FROM {}.items WHERE airtable_id = 'recUpgRow00000001'",
                              expression, kSchema));
  }
};

TEST_F(SchemaUpgradeTest, AnOldLiveSchemaIsUpgradedWhenTheSyncStartsAndAChangeArrivesExactly) {
  MakeOldShape();
  // verify reads airpg_cell_errors: on the old shape it goes on without it.
  auto verified = migrate::VerifyBase(*client_, conn(), kBase);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();

  // Changed in Airtable: 17 significant digits (numeric(38,2) would round
  // them). The formula error comes with the record.
  Control("PATCH", std::string("ui/") + kBase + "/Items/recUpgRow00000001",
          {{"fields", {{"Amount", json::parse("0.29999999999999877")}}}});

  daemon::SyncServiceOptions options;
  options.base_id = kBase;
  options.conninfo = url();
  options.loopback_pings = true;
  options.syncer.sweep_interval = std::chrono::hours(1);
  std::stop_source stop;
  Status result;
  std::thread service(
      [&] { result = daemon::RunSyncService(*client_, options, stop.get_token()); });
  bool arrived = testing::WaitFor(
      [&] {
        auto rows = conn().Exec(
            fmt::format("SELECT {}::text FROM {}.items WHERE airtable_id = 'recUpgRow00000001'",
                        Column("fldUpgAmount00001"), kSchema));
        return rows.ok() && rows->size() == 1 && rows->Get(0, 0) == "0.29999999999999877";
      },
      std::chrono::seconds(30));
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  ASSERT_TRUE(arrived);
  EXPECT_EQ(Row("airpg_cell_errors::text"), R"({"fldUpgRatio000001": {"error": "#ERROR!"}})");
  EXPECT_EQ(Row(Column("fldUpgRatio000001") + " IS NULL"), "t");

  // The upgrade: each DDL in the schema versions, the catalog's types current.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions WHERE change LIKE 'upgrade:%'"),
            "6");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions WHERE change = "
                   "'upgrade: index on foreign key items.owner'"),
            "1");
  // The live-rows view is back, over the widened column, and the bookkeeping
  // columns have their comments.
  EXPECT_NE(Scalar(fmt::format("SELECT col_description('{}.items'::regclass, attnum) FROM "
                               "pg_attribute WHERE attrelid = '{}.items'::regclass AND attname = "
                               "'airtable_modified_time'",
                               kSchema, kSchema)),
            "");
  EXPECT_EQ(Scalar(fmt::format("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
                               "attrelid = '{}.items_live'::regclass AND attname = '{}'",
                               kSchema, Column("fldUpgAmount00001"))),
            "numeric");
  EXPECT_EQ(Scalar("SELECT string_agg(DISTINCT sql_type, ',') FROM airpg.fields WHERE field_id IN "
                   "('fldUpgAmount00001', 'fldUpgRatio000001')"),
            "numeric");
  EXPECT_EQ(Scalar(fmt::format("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
                               "attrelid = '{}.items'::regclass AND attname = '{}'",
                               kSchema, Column("fldUpgAmount00001"))),
            "numeric");
  // The choices table has the new shape: a choice longer than a btree entry
  // holds goes in (the old key refused it).
  const std::string long_choice = Incompressible(4000);
  std::string choices =
      std::string(kSchema) + "." +
      Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = 'fldUpgStatus00001'");
  EXPECT_EQ(Scalar("SELECT string_agg(name, ',') FROM " + choices), "Open");
  Status inserted = conn().Run("INSERT INTO " + choices + " (name) VALUES ($1)", {long_choice});
  EXPECT_TRUE(inserted.ok()) << inserted.ToString();
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM pg_constraint WHERE confrelid = "
                               "'{}'::regclass",
                               choices)),
            "0");
  // Current now: a second start changes nothing.
  auto again = sync::UpgradeLiveSchema(conn(), kBase);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->applied.empty());
  ExpectClean(Verify(kBase));
}

// A migration of the base holds its lock: the upgrade waits for none and
// applies nothing; once the lock is free it applies everything at once.
TEST_F(SchemaUpgradeTest, TheUpgradeTakesTheBasesLockOrAppliesNothing) {
  MakeOldShape();
  auto other = pg::Connection::Open(url());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(
      other->Run("SELECT pg_advisory_lock(hashtext('airpg.migrate:' || $1))", {kBase}).ok());
  auto held = sync::UpgradeLiveSchema(conn(), kBase);
  EXPECT_EQ(held.status().code(), StatusCode::kUnavailable) << held.status().ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions WHERE change LIKE 'upgrade:%'"),
            "0");
  ASSERT_TRUE(other->Run("SELECT pg_advisory_unlock_all()").ok());
  auto done = sync::UpgradeLiveSchema(conn(), kBase);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->applied.size(), 6u);
  EXPECT_EQ(Row("airpg_cell_errors IS NULL"), "t");
  EXPECT_EQ(Row(Column("fldUpgAmount00001") + "::text"), "1.50");  // kept as it was stored
}

TEST_F(SchemaUpgradeTest, CellsOfAFieldNotYetInTheMirrorWaitAsLettersAndArriveOnceItIs) {
  auto live = sync::LoadLiveBase(conn(), kBase);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  // Created in Airtable, not yet seen by the schema sync.
  json field =
      Control("POST", std::string("ui/meta/bases/") + kBase + "/tables/" + kTable + "/fields",
              {{"name", "Region"}, {"type", "singleLineText"}});
  ASSERT_TRUE(field.contains("id")) << field.dump();
  const std::string field_id = field["id"];
  Control("PATCH", std::string("ui/") + kBase + "/Items/recUpgRow00000001",
          {{"fields", {{"Region", "North"}}}});
  auto record = client_->GetRecord(kBase, kTable, "recUpgRow00000001", true);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  ASSERT_TRUE(record->Cell(field_id).has_value());

  sync::ChangeBatch batch;
  batch.source = "poll";
  batch.Table(kTable).upserts.push_back(*record);
  sync::RecordApplier applier(*live, {});
  {
    auto tx = pg::Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    auto applied = applier.Apply(*tx, batch);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_EQ(applied->failed_cells, 1);
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(Scalar("SELECT status || ' ' || field_id || ' ' || payload || ' ' || reason FROM "
                   "airpg.dead_letters"),
            "retrying " + field_id + " \"North\" field not yet in the mirror");

  // The schema sync adds the column; the sync's retry of its letters then
  // reads the record again and carries the cell.
  auto refreshed = sync::RefreshLiveBase(*client_, conn(), *live);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  sync::RecordApplier after(*live, {});
  auto retried = sync::RetryDeadLetters(*client_, conn(), after, *live);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->closed, 1);
  EXPECT_EQ(Scalar("SELECT status FROM airpg.dead_letters"), "superseded");
  EXPECT_EQ(Row(Column(field_id)), "North");
  ExpectClean(Verify(kBase));
}

// Polls alone (no webhook to say the schema changed): the poll that meets
// such a cell refreshes the schema, and the full read that follows carries it.
TEST_F(SchemaUpgradeTest, APollThatMeetsAFieldNotYetInTheMirrorRefreshesTheSchema) {
  auto live = sync::LoadLiveBase(conn(), kBase);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  sync::SyncerOptions options;
  options.webhooks = false;
  options.sweep_interval = std::chrono::hours(1);
  options.retry_interval = std::chrono::hours(1);
  options.poll_intervals[kTable] = std::chrono::hours(1);
  options.refresh_schema = [&](sync::LiveBase& base) -> Result<std::vector<std::string>> {
    AIRPG_ASSIGN_OR_RETURN(auto summary, sync::RefreshLiveBase(*client_, conn(), base));
    return summary.reread_table_ids;
  };
  json field =
      Control("POST", std::string("ui/meta/bases/") + kBase + "/tables/" + kTable + "/fields",
              {{"name", "Region"}, {"type", "singleLineText"}});
  ASSERT_TRUE(field.contains("id")) << field.dump();
  const std::string field_id = field["id"];
  Control("PATCH", std::string("ui/") + kBase + "/Items/recUpgRow00000001",
          {{"fields", {{"Region", "South"}}}});
  sync::BaseSyncer syncer(*client_, conn(), *live, {}, options);
  const auto start = sync::Clock::now();
  EXPECT_EQ(syncer.Step(start).errors, 0);
  EXPECT_EQ(Scalar("SELECT reason FROM airpg.dead_letters"), "field not yet in the mirror");
  EXPECT_EQ(syncer.Step(start + std::chrono::milliseconds(1)).errors, 0);
  EXPECT_EQ(Row(Column(field_id)), "South");
  EXPECT_EQ(Scalar("SELECT status FROM airpg.dead_letters"), "superseded");
}

TEST_F(SchemaUpgradeTest, AMultipleSelectValueLongerThanAGinEntryDropsTheIndexNotTheRow) {
  auto live = sync::LoadLiveBase(conn(), kBase);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const std::string tags = Column("fldUpgTags0000001");
  auto gin_indexes = [&] {
    return Scalar(fmt::format(
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am "
        "ON am.oid = c.relam WHERE i.indrelid = '{}.items'::regclass AND am.amname = 'gin'",
        kSchema));
  };
  ASSERT_EQ(gin_indexes(), "1");
  // A choice added in Airtable after the migration, 4 kB long.
  const std::string long_tag = Incompressible(4000);
  auto record = airtable::ParseRecord(
      json{{"id", "recUpgRow00000002"},
           {"createdTime", "2024-01-02T03:04:05.000Z"},
           {"fields",
            {{"fldUpgName0000001", "two"}, {"fldUpgTags0000001", json::array({"a", long_tag})}}}}
          .dump());
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  sync::ChangeBatch batch;
  batch.source = "poll";
  batch.Table(kTable).upserts.push_back(*record);
  sync::RecordApplier applier(*live, {});
  auto tx = pg::Transaction::Begin(conn());
  ASSERT_TRUE(tx.ok());
  auto applied = applier.Apply(*tx, batch);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->failed_cells, 0);
  ASSERT_TRUE(tx->Commit().ok());
  auto stored = conn().Exec(
      fmt::format("SELECT {}[2] = $1 FROM {}.items WHERE airtable_id = 'recUpgRow00000002'", tags,
                  kSchema),
      {long_tag});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 1);
  EXPECT_EQ(stored->Get(0, 0), "t");
  EXPECT_EQ(gin_indexes(), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.schema_versions WHERE change LIKE "
                   "'%longer than a GIN index entry holds%' AND ddl LIKE 'DROP INDEX%'"),
            "1");
}

}  // namespace
}  // namespace airpg
