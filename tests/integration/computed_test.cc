// Computed fields in Postgres (issue 18): after a migrate, every computed
// value read from S.<table>_computed equals the emulator's (which recomputes
// as Airtable does), for every record, on the sample base and on a base
// with chains of computed fields across tables; and a Postgres-side insert,
// update or link change changes the dependent values at once, equal to the
// same change made in the emulator.
#include <cmath>
#include <set>

#include "emulated_base_test.h"
#include "http/client.h"
#include "mapping/computed_view.h"
#include "sync/authority.h"
#include "sync/computed_views.h"
#include "sync/live_schema.h"
#include "sync/record_reader.h"
#include "sync/schema_sync.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;

constexpr char kChainBase[] = "appChain000000001";

bool IsComputedType(const std::string& type) {
  return type == "formula" || type == "rollup" || type == "multipleLookupValues" || type == "count";
}

// Equal as Airtable shows them: numbers to 1e-9 (Postgres computes in
// float8 and stores numeric), an empty cell equal to false or null.
bool SameCell(const json& emulator, const json& postgres) {
  auto empty = [](const json& v) { return v.is_null() || (v.is_boolean() && !v.get<bool>()); };
  if (empty(emulator) || empty(postgres)) return empty(emulator) && empty(postgres);
  if (emulator.is_number() && postgres.is_number()) {
    double a = emulator.get<double>(), b = postgres.get<double>();
    return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a));
  }
  if (emulator.is_array() && postgres.is_array()) {
    if (emulator.size() != postgres.size()) return false;
    for (size_t i = 0; i < emulator.size(); ++i) {
      if (!SameCell(emulator[i], postgres[i])) return false;
    }
    return true;
  }
  return emulator == postgres;
}

class ComputedTest : public testing::EmulatedBaseTest {
 protected:
  void Migrate(const std::string& data, const std::string& base_id) {
    data_ = json::parse(data);
    StartEmulator(data);
    auto summary = Run(base_id);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    schema_ = summary->schema;
    base_id_ = base_id;
  }

  // For the tests that write in Postgres: the swap installed the write
  // guard, and the authority defaults to airtable.
  void AllowPostgresWrites() {
    auto live = sync::LoadLiveBase(conn(), base_id_);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    sync::AuthorityConfig config;
    config.authority = sync::Authority::kPostgres;
    auto resolved = sync::ResolveAuthority(*live, config);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    ASSERT_TRUE(sync::StoreAuthority(conn(), *live, *resolved).ok());
  }

  json EmulatorRecords(const std::string& table_id) {
    http::Client http;
    auto response = http.Send(
        "GET",
        emulator_->url() + "/v0/" + base_id_ + "/" + table_id + "?returnFieldsByFieldId=true",
        {{"Authorization", "Bearer patTest"}}, "");
    EXPECT_TRUE(response.ok());
    return response.ok() ? json::parse(response->body)["records"] : json::array();
  }

  json Emulator(const std::string& method, const std::string& path, const json& body) {
    http::Client http;
    auto response = http.Send(
        method, emulator_->url() + "/v0/" + base_id_ + "/" + path,
        {{"Authorization", "Bearer patTest"}, {"Content-Type", "application/json"}}, body.dump());
    EXPECT_TRUE(response.ok());
    EXPECT_EQ(response->status, 200) << response->body;
    return json::parse(response->body, nullptr, false);
  }

  std::string Column(const std::string& field_id) {
    auto rows = conn().Exec("SELECT column_name FROM airpg.fields WHERE field_id = $1", {field_id});
    EXPECT_TRUE(rows.ok() && rows->size() == 1) << field_id;
    return rows.ok() && rows->size() == 1 ? std::string(rows->Get(0, 0)) : "";
  }

  std::string Table(const std::string& table_id) {
    auto rows = conn().Exec("SELECT table_name FROM airpg.tables WHERE table_id = $1", {table_id});
    EXPECT_TRUE(rows.ok() && rows->size() == 1) << table_id;
    return rows.ok() && rows->size() == 1 ? std::string(rows->Get(0, 0)) : "";
  }

  std::string Qualified(const std::string& table_id) {
    return "\"" + schema_ + "\".\"" + Table(table_id) + "\"";
  }

  // The view's rows by airtable_id (Postgres-born rows by their primary
  // field's value, as "name:<value>").
  std::map<std::string, json> ViewRows(const json& table) {
    std::string table_id = table["id"];
    std::string primary = Column(table["fields"][0]["id"]);
    std::string sql = "SELECT COALESCE(airtable_id, 'name:' || \"" + primary +
                      "\"), to_jsonb(v.*)::text FROM \"" + schema_ + "\".\"" + Table(table_id) +
                      "_computed\" AS v WHERE deleted_at IS NULL";
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    std::map<std::string, json> out;
    for (int i = 0; rows.ok() && i < rows->size(); ++i) {
      out[std::string(rows->Get(i, 0))] = json::parse(std::string(rows->Get(i, 1)));
    }
    return out;
  }

  // Every computed cell of every record, the view's against the emulator's;
  // `stored` are fields that stay Airtable-computed (not compared).
  void ExpectSameAsEmulator(const std::set<std::string>& stored = {}) {
    int compared = 0;
    for (const json& table : data_["bases"][0]["tables"]) {
      std::map<std::string, json> view = ViewRows(table);
      json records = EmulatorRecords(table["id"]);
      EXPECT_EQ(view.size(), records.size()) << table["name"];
      std::string primary_id = table["fields"][0]["id"];
      for (const json& record : records) {
        std::string key = record["id"];
        if (!view.count(key)) key = "name:" + record["fields"].value(primary_id, json()).dump();
        if (!view.count(key)) key = "name:" + record["fields"].value(primary_id, std::string());
        ASSERT_TRUE(view.count(key)) << "no row for " << record["id"];
        const json& row = view[key];
        for (const json& field : table["fields"]) {
          std::string field_id = field["id"];
          if (!IsComputedType(field["type"]) || stored.count(field_id)) continue;
          json expected = record["fields"].value(field_id, json());
          json actual = row.value(Column(field_id), json());
          if (expected.is_object()) {
            // An error value: the column NULL, the error in airpg_cell_errors
            // (mapping/record_row.h), as the fidelity work records it.
            EXPECT_TRUE(actual.is_null()) << field["name"];
            actual = row["airpg_cell_errors"].is_object()
                         ? row["airpg_cell_errors"].value(field_id, json())
                         : json();
          }
          EXPECT_TRUE(SameCell(expected, actual))
              << table["name"] << "." << field["name"] << " of " << record["id"] << ": emulator "
              << expected.dump() << ", Postgres " << actual.dump();
          ++compared;
        }
      }
    }
    EXPECT_GT(compared, 0);
  }

  void EmulatorDelete(const std::string& path) {
    http::Client http;
    auto response = http.Send("DELETE", emulator_->url() + "/v0/" + base_id_ + "/" + path,
                              {{"Authorization", "Bearer patTest"}}, "");
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->status, 200) << response->body;
  }

  // The chained base, with a lookup and a count of Customers through their
  // ordered junction with Orders: aggregates that read only the linked
  // rows' own columns, which a cache keeps (mapping/computed_cache.h).
  // Also lookups of multi-valued fields, flattened: Orders' of their
  // items' tags (a multiple select), Customers' of their orders' item names
  // (a lookup).
  static json ChainWithJunctionAggregates() {
    json data = json::parse(ReadFile(AIRPG_COMPUTED_CHAIN));
    auto lookup = [](const char* id, const char* name, const char* link, const char* source) {
      return json{{"id", id},
                  {"name", name},
                  {"type", "multipleLookupValues"},
                  {"options",
                   {{"isValid", true},
                    {"recordLinkFieldId", link},
                    {"fieldIdInLinkedTable", source},
                    {"result", {{"type", "singleLineText"}}}}}};
    };
    for (json& table : data["bases"][0]["tables"]) {
      if (table["id"] == "tblItems000000001") {
        json choices = json::array();
        for (const char* c : {"red", "green", "blue"}) {
          choices.push_back({{"id", std::string("sel") + c}, {"name", c}, {"color", "blueLight2"}});
        }
        table["fields"].push_back({{"id", "fldItemTags000001"},
                                   {"name", "Tags"},
                                   {"type", "multipleSelects"},
                                   {"options", {{"choices", choices}}}});
        // The clock, read when the view is read.
        table["fields"].push_back(
            {{"id", "fldItemAfter00001"},
             {"name", "After 2000"},
             {"type", "formula"},
             {"options",
              {{"formula", "IF(IS_AFTER(NOW(), '2000-01-01'), 'after', 'before')"},
               {"isValid", true},
               {"result", {{"type", "singleLineText"}}}}}});
        table["fields"].push_back({{"id", "fldItemToday00001"},
                                   {"name", "Today"},
                                   {"type", "formula"},
                                   {"options",
                                    {{"formula", "DATETIME_FORMAT(TODAY(), 'YYYY-MM-DD')"},
                                     {"isValid", true},
                                     {"result", {{"type", "singleLineText"}}}}}});
        table["records"][0]["fields"]["Tags"] = {"red", "green"};
        table["records"][1]["fields"]["Tags"] = {"blue"};
        table["records"][2]["fields"]["Tags"] = {"green", "blue"};
      }
      if (table["id"] == "tblOrders00000001") {
        table["fields"].push_back(
            lookup("fldOrderTags00001", "Item tags", "fldOrderItems0001", "fldItemTags000001"));
      }
      if (table["id"] != "tblCustomers00001") continue;
      table["fields"].push_back(
          lookup("fldCustItems00001", "Item names", "fldCustOrders0001", "fldOrderNames0001"));
      table["fields"].push_back({{"id", "fldCustONames0001"},
                                 {"name", "Order names"},
                                 {"type", "multipleLookupValues"},
                                 {"options",
                                  {{"isValid", true},
                                   {"recordLinkFieldId", "fldCustOrders0001"},
                                   {"fieldIdInLinkedTable", "fldOrderName00001"},
                                   {"result", {{"type", "singleLineText"}}}}}});
      table["fields"].push_back(
          {{"id", "fldCustOCount0001"},
           {"name", "Order count"},
           {"type", "count"},
           {"options", {{"isValid", true}, {"recordLinkFieldId", "fldCustOrders0001"}}}});
    }
    return data;
  }

  // The cache tables of the mirror (their names carry a '$').
  std::string CacheCount() {
    return Scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
        "n.nspname = '" +
        schema_ + "' AND c.relkind = 'r' AND position('$' IN c.relname) > 0");
  }

  std::string RowId(const std::string& table_id, const std::string& record_id) {
    return Scalar("SELECT id FROM " + Qualified(table_id) + " WHERE airtable_id = '" + record_id +
                  "'");
  }

  json data_;
  std::string schema_;
  std::string base_id_;
};

TEST_F(ComputedTest, SampleBaseComputedValuesEqualTheEmulators) {
  std::string data = ReadFile(AIRPG_DELTA_SAMPLE);
  Migrate(data, json::parse(data)["bases"][0]["id"]);
  ExpectSameAsEmulator();
}

TEST_F(ComputedTest, ChainedBaseComputedValuesEqualTheEmulators) {
  Migrate(ReadFile(AIRPG_COMPUTED_CHAIN), kChainBase);
  ExpectSameAsEmulator();
  // A division by zero (fig's Qty is 0) is #ERROR! as the fidelity work
  // records it: the column NULL and the error in airpg_cell_errors.
  std::string items = Table("tblItems000000001");
  EXPECT_EQ(
      Scalar("SELECT coalesce(\"" + Column("fldItemUnit000001") +
             "\"::text, 'null') || ' ' "
             "|| (airpg_cell_errors -> 'fldItemUnit000001')::text FROM \"" +
             schema_ + "\".\"" + items + "_computed\" WHERE airtable_id = 'recItem0000000003'"),
      "null {\"error\": \"#ERROR!\"}");
}

TEST_F(ComputedTest, PostgresWritesChangeDependentsLikeTheEmulator) {
  Migrate(ReadFile(AIRPG_COMPUTED_CHAIN), kChainBase);
  AllowPostgresWrites();
  std::string items = Qualified("tblItems000000001");
  std::string qty = Column("fldItemQty0000001"), order = Column("fldItemOrder00001");
  const std::set<std::string> stored;

  // An update: pear's quantity (Line → Total → Label → lookup → Summary).
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + items + " SET \"" + qty +
                       "\" = 4 WHERE airtable_id = " + "'recItem0000000002'")
                  .ok());
  Emulator("PATCH", "tblItems000000001/recItem0000000002", {{"fields", {{"Qty", 4}}}});
  ExpectSameAsEmulator(stored);

  // A link change: pear moves from order A-1 to B-1 (a single link: the FK).
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + items + " SET \"" + order +
                       "\" = " + RowId("tblOrders00000001", "recOrder000000003") +
                       " WHERE airtable_id = 'recItem0000000002'")
                  .ok());
  Emulator("PATCH", "tblItems000000001/recItem0000000002",
           {{"fields", {{"Order", {"recOrder000000003"}}}}});
  ExpectSameAsEmulator(stored);

  // An insert: a Postgres-born item on order A-2.
  ASSERT_TRUE(conn()
                  .Run("INSERT INTO " + items + " (\"" + Column("fldItemName000001") + "\", \"" +
                       Column("fldItemPrice00001") + "\", \"" + qty + "\", \"" + order +
                       "\") VALUES ('plum', 2.5, 2, " +
                       RowId("tblOrders00000001", "recOrder000000002") + ")")
                  .ok());
  Emulator("POST", "tblItems000000001",
           {{"fields",
             {{"Name", "plum"}, {"Price", 2.5}, {"Qty", 2}, {"Order", {"recOrder000000002"}}}}});
  ExpectSameAsEmulator(stored);
}

// The link aggregates kept in cache tables (Orders' over their items, an
// inverse FK; Customers' lookup and count over the junction) change with
// every Postgres write: an update, a hard and a soft delete of a linked
// row, a junction row added, reordered and removed, a linked row's value.
TEST_F(ComputedTest, CachedLinkAggregatesFollowEveryPostgresWrite) {
  Migrate(ChainWithJunctionAggregates().dump(), kChainBase);
  AllowPostgresWrites();
  ASSERT_EQ(CacheCount(), "2");
  // Today is compared with Postgres' clock (the emulator's day may have
  // ended since); every other field added is computed in the view.
  const std::set<std::string> stored = {"fldItemToday00001"};
  ExpectSameAsEmulator(stored);
  EXPECT_EQ(Scalar("SELECT bool_and(\"" + Column("fldItemToday00001") +
                   "\" = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'))::text FROM \"" + schema_ +
                   "\".\"" + Table("tblItems000000001") + "_computed\""),
            "true");
  // Orders' Label and Big (formulas over its total and count and its own
  // name) are kept in its cache too, so the order's rename below must
  // refresh them.
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = '\"" + schema_ + "\".\"" +
             Table("tblOrders00000001") + "_computed$g1\"'::regclass AND attname ~ '^c[0-9]+$'"),
      "2");
  // The flattened lookups, in link order.
  EXPECT_EQ(
      Scalar("SELECT \"" + Column("fldOrderTags00001") + "\"::text FROM \"" + schema_ + "\".\"" +
             Table("tblOrders00000001") + "_computed\" WHERE airtable_id = 'recOrder000000001'"),
      "{red,green,blue}");
  EXPECT_EQ(
      Scalar("SELECT \"" + Column("fldCustItems00001") + "\"::text FROM \"" + schema_ + "\".\"" +
             Table("tblCustomers00001") + "_computed\" WHERE airtable_id = 'recCust0000000001'"),
      "{apple,pear,fig}");
  {
    auto live = sync::LoadLiveBase(conn(), base_id_);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    for (const mapping::NotComputedField& f :
         mapping::PlanComputed(live->plan, schema_).not_computed) {
      ADD_FAILURE() << f.field_name << ": " << f.reason;
    }
  }
  std::string items = Qualified("tblItems000000001");
  std::string orders = Qualified("tblOrders00000001");
  auto run = [&](const std::string& sql) {
    Status s = conn().Run(sql);
    ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
  };

  run("UPDATE " + items + " SET \"" + Column("fldItemQty0000001") +
      "\" = 7 WHERE airtable_id = 'recItem0000000001'");
  Emulator("PATCH", "tblItems000000001/recItem0000000001", {{"fields", {{"Qty", 7}}}});
  // A quantity of 0: Unit (Price / Qty) becomes #ERROR!, fig's stops being one.
  run("UPDATE " + items + " SET \"" + Column("fldItemQty0000001") +
      "\" = 0 WHERE airtable_id = 'recItem0000000004'");
  Emulator("PATCH", "tblItems000000001/recItem0000000004", {{"fields", {{"Qty", 0}}}});
  run("UPDATE " + items + " SET \"" + Column("fldItemQty0000001") +
      "\" = 3 WHERE airtable_id = 'recItem0000000003'");
  Emulator("PATCH", "tblItems000000001/recItem0000000003", {{"fields", {{"Qty", 3}}}});
  ExpectSameAsEmulator(stored);
  run("DELETE FROM " + items + " WHERE airtable_id = 'recItem0000000003'");
  EmulatorDelete("tblItems000000001/recItem0000000003");
  run("UPDATE " + items + " SET deleted_at = now() WHERE airtable_id = 'recItem0000000002'");
  EmulatorDelete("tblItems000000001/recItem0000000002");
  ExpectSameAsEmulator(stored);

  // The junction of Orders.Customer / Customers.Orders, from the plan.
  auto live = sync::LoadLiveBase(conn(), base_id_);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const mapping::FieldPlan* link = live->plan.FindField("fldCustOrders0001").second;
  ASSERT_NE(link, nullptr);
  bool owner = link->link_role == mapping::LinkRole::kJunction;
  std::string junction = "\"" + schema_ + "\".\"" + link->relation_table + "\"";
  std::string customer = owner ? "from_id" : "to_id", order = owner ? "to_id" : "from_id";
  std::string position = owner ? "position" : "inverse_position";
  std::string acme = RowId("tblCustomers00001", "recCust0000000001");

  // Reordered: Acme's orders the other way round.
  run("UPDATE " + junction + " SET " + position + " = -" + position + " WHERE " + customer + " = " +
      acme);
  Emulator("PATCH", "tblCustomers00001/recCust0000000001",
           {{"fields", {{"Orders", {"recOrder000000002", "recOrder000000001"}}}}});
  ExpectSameAsEmulator(stored);

  // Added: Bolt gets B-1; a linked row's value: A-1 renamed; removed: A-2 leaves Acme.
  run("INSERT INTO " + junction + " (" + customer + ", " + order + ", " + position + ") VALUES (" +
      RowId("tblCustomers00001", "recCust0000000002") + ", " +
      RowId("tblOrders00000001", "recOrder000000003") + ", 1)");
  Emulator("PATCH", "tblCustomers00001/recCust0000000002",
           {{"fields", {{"Orders", {"recOrder000000003"}}}}});
  run("UPDATE " + orders + " SET \"" + Column("fldOrderName00001") +
      "\" = 'A-1x' WHERE airtable_id = 'recOrder000000001'");
  Emulator("PATCH", "tblOrders00000001/recOrder000000001", {{"fields", {{"Name", "A-1x"}}}});
  run("DELETE FROM " + junction + " WHERE " + customer + " = " + acme + " AND " + order + " = " +
      RowId("tblOrders00000001", "recOrder000000002"));
  Emulator("PATCH", "tblCustomers00001/recCust0000000001",
           {{"fields", {{"Orders", {"recOrder000000001"}}}}});
  ExpectSameAsEmulator(stored);

  // A new customer gets its cache row (no orders: count 0).
  run("INSERT INTO " + Qualified("tblCustomers00001") + " (\"" + Column("fldCustName000001") +
      "\") VALUES ('Cord')");
  Emulator("POST", "tblCustomers00001", {{"fields", {{"Name", "Cord"}}}});
  ExpectSameAsEmulator(stored);
}

// The same caches under the inbound sync's applies (origin airtable): an
// update, a move to another order, a new and a deleted item, a reorder and
// a renamed order, made in Airtable and applied by the sync.
TEST_F(ComputedTest, CachedLinkAggregatesFollowTheInboundSync) {
  Migrate(ChainWithJunctionAggregates().dump(), kChainBase);
  ASSERT_EQ(CacheCount(), "2");
  Emulator("PATCH", "tblItems000000001/recItem0000000001", {{"fields", {{"Qty", 9}}}});
  Emulator("PATCH", "tblItems000000001/recItem0000000002",
           {{"fields", {{"Order", {"recOrder000000003"}}}}});
  Emulator("POST", "tblItems000000001",
           {{"fields",
             {{"Name", "plum"}, {"Price", 2.5}, {"Qty", 2}, {"Order", {"recOrder000000002"}}}}});
  EmulatorDelete("tblItems000000001/recItem0000000003");
  Emulator("PATCH", "tblCustomers00001/recCust0000000001",
           {{"fields", {{"Orders", {"recOrder000000002", "recOrder000000001"}}}}});
  Emulator("PATCH", "tblOrders00000001/recOrder000000002", {{"fields", {{"Name", "A-2x"}}}});

  // Every record Airtable has now, and the deleted one, as one batch.
  sync::ChangeBatch batch;
  batch.source = "test";
  for (const json& table : data_["bases"][0]["tables"]) {
    std::string table_id = table["id"];
    for (const json& record : EmulatorRecords(table_id)) {
      auto fetched = client_->GetRecord(base_id_, table_id, record["id"].get<std::string>(), true);
      ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
      batch.Table(table_id).upserts.push_back(*fetched);
    }
  }
  batch.Table("tblItems000000001").destroyed.push_back("recItem0000000003");
  auto live = sync::LoadLiveBase(conn(), base_id_);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  sync::RecordApplier applier(*live, {});
  auto applied = sync::ApplyWithFollowUps(*client_, conn(), applier, batch, base_id_,
                                          airtable::Priority::kIncremental);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ExpectSameAsEmulator({"fldItemToday00001"});
}

// A schema change the sync applies (a renamed column a formula reads, a new
// field) drops and recreates the views in its transaction: they keep
// computing from the renamed column.
TEST_F(ComputedTest, TheSyncsSchemaChangesKeepTheViews) {
  Migrate(ReadFile(AIRPG_COMPUTED_CHAIN), kChainBase);
  AllowPostgresWrites();
  std::string qty_before = Column("fldItemQty0000001");
  Emulator("PATCH",
           "../meta/bases/" + std::string(kChainBase) +
               "/tables/tblItems000000001/fields/fldItemQty0000001",
           {{"name", "Quantity"}});
  Emulator("POST", "../meta/bases/" + std::string(kChainBase) + "/tables/tblItems000000001/fields",
           {{"name", "Note"}, {"type", "singleLineText"}});
  auto summary = sync::SyncSchema(*client_, conn(), kChainBase);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->applied.size(), 2u);
  ASSERT_NE(Column("fldItemQty0000001"), qty_before);  // the column was renamed

  std::string items = Qualified("tblItems000000001");
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + items + " SET \"" + Column("fldItemQty0000001") +
                       "\" = 5 WHERE airtable_id = 'recItem0000000001'")
                  .ok());
  Emulator("PATCH", "tblItems000000001/recItem0000000001", {{"fields", {{"Quantity", 5}}}});
  ExpectSameAsEmulator();

  // A retype keeps the old column under a new name (…__v1), which a view
  // would follow; rebuilt from the catalog, the view reads the new column.
  auto schema = client_->GetBaseSchema(kChainBase, false, airtable::Priority::kBackfill);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  for (auto& table : schema->tables) {
    for (auto& field : table.fields) {
      if (field.id == "fldItemPrice00001") {
        field.type_name = "singleLineText";
        field.type = airtable::FieldType::kSingleLineText;
        field.options_json.clear();
      }
    }
  }
  auto retyped = sync::ApplySchemaChanges(conn(), kChainBase, *schema);
  ASSERT_TRUE(retyped.ok()) << retyped.status().ToString();
  std::string definition = Scalar("SELECT pg_get_viewdef('\"" + schema_ + "\".\"" +
                                  Table("tblItems000000001") + "_computed\"'::regclass)");
  EXPECT_EQ(definition.find("__v1"), std::string::npos) << definition;
}

// Postgres stamps the rows it writes: created and modified times and the
// autoNumber (past Airtable's maximum); the sync's writes keep Airtable's.
TEST_F(ComputedTest, PostgresStampsTheRowsItWrites) {
  std::string data = ReadFile(AIRPG_DELTA_SAMPLE);
  Migrate(data, json::parse(data)["bases"][0]["id"]);
  AllowPostgresWrites();
  std::string clients = Qualified("tblClients0000001");
  std::string number = Column("fldCliNumber00001"), created = Column("fldCliCreated0001"),
              modified = Column("fldCliModified001"), name = Column("fldCliName0000001");
  std::string max_before = Scalar("SELECT max(\"" + number + "\") FROM " + clients);
  Status inserted = conn().Run("INSERT INTO " + clients + " (\"" + name + "\") VALUES ('Zeta')");
  ASSERT_TRUE(inserted.ok()) << inserted.ToString();
  ASSERT_TRUE(conn().Run("INSERT INTO " + clients + " (\"" + name + "\") VALUES ('Eta')").ok());
  EXPECT_EQ(
      Scalar("SELECT \"" + number + "\" FROM " + clients + " WHERE \"" + name + "\" = 'Zeta'"),
      std::to_string(std::stoll(max_before) + 1));
  EXPECT_EQ(Scalar("SELECT \"" + number + "\" FROM " + clients + " WHERE \"" + name + "\" = 'Eta'"),
            std::to_string(std::stoll(max_before) + 2));
  // Stamped by the INSERT's own transaction, moments ago.
  auto recent = [](const std::string& column) {
    return "now() - \"" + column + "\" BETWEEN '0'::interval AND '1 minute'::interval";
  };
  EXPECT_EQ(Scalar("SELECT (" + recent(created) + " AND " + recent(modified) + " AND " +
                   recent("airtable_created_time") + ")::text FROM " + clients + " WHERE \"" +
                   name + "\" = 'Zeta'"),
            "true");

  // A Postgres update stamps the modified time; the sync's does not.
  std::string before = Scalar("SELECT \"" + modified + "\"::text FROM " + clients +
                              " WHERE airtable_id IS NOT NULL ORDER BY id LIMIT 1");
  ASSERT_TRUE(conn()
                  .RunScript("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + clients +
                             " SET \"" + name + "\" = \"" + name +
                             "\" || '!' WHERE id = (SELECT min(id) FROM " + clients + "); COMMIT;")
                  .ok());
  EXPECT_EQ(Scalar("SELECT \"" + modified + "\"::text FROM " + clients +
                   " WHERE airtable_id IS NOT NULL ORDER BY id LIMIT 1"),
            before);
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + clients + " SET \"" + name +
                       "\" = 'Alpha' WHERE id = " + "(SELECT min(id) FROM " + clients + ")")
                  .ok());
  EXPECT_EQ(Scalar("SELECT (" + recent(modified) + ")::text FROM " + clients +
                   " WHERE id = (SELECT min(id) FROM " + clients + ")"),
            "true");
}

// The per-field form of lastModifiedTime: stamped only when a field it
// watches changes.
TEST_F(ComputedTest, ALastModifiedTimeOfSomeFieldsWatchesOnlyThem) {
  json data = json::parse(ReadFile(AIRPG_DELTA_SAMPLE));
  for (json& field : data["bases"][0]["tables"][0]["fields"]) {
    if (field["id"] == "fldCliModified001") {
      field["options"]["referencedFieldIds"] = {"fldCliNotes000001"};
    }
  }
  Migrate(data.dump(), data["bases"][0]["id"]);
  AllowPostgresWrites();
  std::string clients = Qualified("tblClients0000001");
  std::string modified = Column("fldCliModified001");
  std::string first = " WHERE id = (SELECT min(id) FROM " + clients + ")";
  std::string before = Scalar("SELECT \"" + modified + "\"::text FROM " + clients + first);
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + clients + " SET \"" + Column("fldCliName0000001") +
                       "\" = 'Renamed'" + first)
                  .ok());
  EXPECT_EQ(Scalar("SELECT \"" + modified + "\"::text FROM " + clients + first), before);
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + clients + " SET \"" + Column("fldCliNotes000001") +
                       "\" = 'New notes'" + first)
                  .ok());
  EXPECT_EQ(Scalar("SELECT (now() - \"" + modified + "\" < '1 minute'::interval)::text FROM " +
                   clients + first),
            "true");
}

// createdBy and lastModifiedBy of the rows Postgres writes: the configured
// collaborator (sync.postgres_user); with none, nothing is stamped (a new
// row's are NULL, an update keeps them); the sync's writes keep Airtable's.
TEST_F(ComputedTest, PostgresStampsItsCollaboratorAsCreatorAndModifier) {
  // The sample's Clients have both (fldCliCreatedBy01, fldCliModBy000001).
  json data = json::parse(ReadFile(AIRPG_DELTA_SAMPLE));
  Migrate(data.dump(), data["bases"][0]["id"]);
  AllowPostgresWrites();
  std::string clients = Qualified("tblClients0000001");
  std::string name = Column("fldCliName0000001"), created_by = Column("fldCliCreatedBy01"),
              modified_by = Column("fldCliModBy000001");
  ASSERT_FALSE(created_by.empty());
  auto who = [&](const std::string& row_name) {
    return Scalar("SELECT coalesce(\"" + created_by + "\", 'NULL') || ' ' || coalesce(\"" +
                  modified_by + "\", 'NULL') FROM " + clients + " WHERE \"" + name + "\" = '" +
                  row_name + "'");
  };
  // None configured: NULL on insert; an update keeps Airtable's value.
  ASSERT_TRUE(sync::SetPostgresUser(conn(), base_id_, "").ok());
  ASSERT_TRUE(conn().Run("INSERT INTO " + clients + " (\"" + name + "\") VALUES ('Nobody')").ok());
  EXPECT_EQ(who("Nobody"), "NULL NULL");
  std::string first = " WHERE id = (SELECT min(id) FROM " + clients + ")";
  std::string airtable_modifier =
      Scalar("SELECT coalesce(\"" + modified_by + "\", 'NULL') FROM " + clients + first);
  ASSERT_TRUE(conn().Run("UPDATE " + clients + " SET \"" + name + "\" = 'Renamed'" + first).ok());
  EXPECT_EQ(Scalar("SELECT coalesce(\"" + modified_by + "\", 'NULL') FROM " + clients + first),
            airtable_modifier);

  ASSERT_TRUE(sync::SetPostgresUser(conn(), base_id_, "usrPostgres000001").ok());
  EXPECT_FALSE(sync::SetPostgresUser(conn(), base_id_, "someone").ok());
  ASSERT_TRUE(conn().Run("INSERT INTO " + clients + " (\"" + name + "\") VALUES ('Zeta')").ok());
  EXPECT_EQ(who("Zeta"), "usrPostgres000001 usrPostgres000001");
  // An update changes the modifier only; the sync's update keeps both.
  ASSERT_TRUE(sync::SetPostgresUser(conn(), base_id_, "usrPostgres000002").ok());
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + clients + " SET \"" + name + "\" = 'Zeta' WHERE \"" + name +
                       "\" = 'Zeta'")
                  .ok());
  EXPECT_EQ(who("Zeta"), "usrPostgres000001 usrPostgres000002");
  ASSERT_TRUE(conn()
                  .RunScript("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + clients +
                             " SET \"" + modified_by + "\" = NULL WHERE \"" + name +
                             "\" = 'Nobody'; COMMIT;")
                  .ok());
  EXPECT_EQ(who("Nobody"), "NULL NULL");
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + clients + " SET \"" + name + "\" = 'Somebody' WHERE \"" + name +
                       "\" = 'Nobody'")
                  .ok());
  EXPECT_EQ(who("Somebody"), "NULL usrPostgres000002");
}

}  // namespace
}  // namespace airpg
