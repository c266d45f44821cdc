// The evaluator on Postgres writes (issue 18): formula fields the SQL
// compiler refuses (a REGEX_REPLACE with a pattern, MOD, REPT and MID with
// a field's count, VALUE of a text, a formula over a field whose cells may
// be error values) are computed by airpg in the outbox dispatcher's round
// when Postgres writes a row of a table it may write, and written into
// their stored columns. A Postgres insert, update or link change leaves
// the value equal to what the emulator (which recomputes on every write,
// as Airtable does) shows after the same change — also for rows that read
// the changed row through a lookup or rollup, and for error values (NULL
// plus airpg_cell_errors). The evaluator reads the row from
// S.<table>_computed, so a formula over a field computed there (a division)
// sees its current value; values are compared as readers see them, through
// that view. A table whose authority is airtable is left alone. Airtable
// answers no record request here, so what Postgres holds is the
// evaluator's, never Airtable's values applied back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "airtable/transport.h"
#include "emulated_base_test.h"
#include "mapping/computed_view.h"
#include "mapping/evaluated_plan.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "sync/outbox_dispatcher.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;

constexpr char kChainBase[] = "appChain000000001";
constexpr char kItems[] = "tblItems000000001";
constexpr char kOrders[] = "tblOrders00000001";
constexpr char kCustomers[] = "tblCustomers00001";

// Airtable never answers a record request (a write, the re-read before it,
// the echo's read of linked records): what Postgres holds stays the
// evaluator's, never Airtable's values applied back.
class NoRecordRequests : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    if (call.url.find("/v0/meta/") == std::string::npos) {
      return UnavailableError("record requests are refused in this test");
    }
    return inner_.Send(call);
  }

 private:
  airtable::CurlTransport inner_;
};

// Airtable reads records but takes no record write (a create that fails).
class NoRecordWrites : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    if (call.method != "GET" && call.url.find("/v0/meta/") == std::string::npos) {
      return UnavailableError("record writes are refused in this test");
    }
    return inner_.Send(call);
  }

 private:
  airtable::CurlTransport inner_;
};

json Formula(const std::string& id, const std::string& name, const std::string& text,
             const std::string& result) {
  return {{"id", id},
          {"name", name},
          {"type", "formula"},
          {"options", {{"formula", text}, {"isValid", true}, {"result", {{"type", result}}}}}};
}

// The chain base with formulas SQL refuses: on Items (its own row; Cents
// reads Unit, a division computed in the view, #ERROR! when Qty is 0), on
// Orders (over a lookup, a rollup and a count of Items: other rows; Count
// back reads Label, a formula computed in the view) and on Customers
// (airtable authority).
std::string Data() {
  json data = json::parse(ReadFile(AIRPG_COMPUTED_CHAIN));
  for (json& table : data["bases"][0]["tables"]) {
    if (table["id"] == kItems) {
      table["fields"].push_back(Formula("fldItemSlug000001", "Slug",
                                        "REGEX_REPLACE({Name}, \"[aeiou]\", \"*\")",
                                        "singleLineText"));
      table["fields"].push_back(Formula("fldItemCents00001", "Cents",
                                        "ROUND({Unit} * 100, 0) & \"c\"", "singleLineText"));
      table["fields"].push_back(
          Formula("fldItemStars00001", "Stars", "REPT(\"*\", {Qty})", "singleLineText"));
      table["fields"].push_back(
          Formula("fldItemHead000001", "Head", "MID({Name}, 2, {Qty})", "singleLineText"));
    } else if (table["id"] == kOrders) {
      table["fields"].push_back(Formula(
          "fldOrderSquash001", "Squashed",
          "REGEX_REPLACE(ARRAYJOIN({Item names}, \",\"), \"[aeiou]\", \"\")", "singleLineText"));
      // MOD by 0 (an order without items) is NaN, as in JavaScript.
      table["fields"].push_back(
          Formula("fldOrderLeft00001", "Left over", "MOD({Total}, {Item count})", "number"));
      table["fields"].push_back(Formula("fldOrderCntBack01", "Count back",
                                        "VALUE(REGEX_EXTRACT({Label}, \"[0-9]+$\"))", "number"));
    } else if (table["id"] == kCustomers) {
      table["fields"].push_back(Formula("fldCustSquash0001", "Squashed",
                                        "REGEX_REPLACE({Summary}, \"[ |]+\", \"_\")",
                                        "singleLineText"));
    }
  }
  return data.dump();
}

// Equal as Airtable shows them: numbers to 1e-9, an empty cell equal to null.
bool SameCell(const json& emulator, const json& postgres) {
  auto empty = [](const json& v) { return v.is_null() || (v.is_boolean() && !v.get<bool>()); };
  if (empty(emulator) || empty(postgres)) return empty(emulator) && empty(postgres);
  if (emulator.is_number() && postgres.is_number()) {
    double a = emulator.get<double>(), b = postgres.get<double>();
    return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a));
  }
  return emulator == postgres;
}

class ComputedEvalTest : public testing::TwoWayBaseTest {
 protected:
  ComputedEvalTest() : TwoWayBaseTest(kChainBase) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(Data());
    auto summary = Run(kChainBase);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    schema_ = summary->schema;
    writer_ = ClientThrough(std::make_unique<NoRecordRequests>());
    sync::AuthorityConfig config;  // Items and Orders Postgres writes; Customers Airtable's
    config.tables["Items"].authority = sync::Authority::kBoth;
    config.tables["Orders"].authority = sync::Authority::kPostgres;
    ASSERT_NO_FATAL_FAILURE(Configure(config));
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
  }

  sync::DispatchOptions Options(std::chrono::milliseconds debounce) {
    sync::DispatchOptions options = NoWaitDispatch();
    options.claim.debounce = debounce;
    return options;
  }

  // One dispatcher round. Its evaluation comes first; then Airtable refuses
  // the re-read before sending, and the changes go back to the outbox.
  void Dispatch() {
    auto report = DispatchOnce(*writer_);
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.status().message().find("record requests are refused"), std::string::npos)
        << report.status().ToString();
  }

  json Emulator(const std::string& method, const std::string& path, const json& body) {
    http::Client http;
    auto response = http.Send(
        method, emulator_->url() + "/v0/" + kChainBase + "/" + path,
        {{"Authorization", "Bearer patTest"}, {"Content-Type", "application/json"}}, body.dump());
    EXPECT_TRUE(response.ok());
    EXPECT_EQ(response->status, 200) << response->body;
    return json::parse(response->body, nullptr, false);
  }

  std::string Qualified(const std::string& table_id) {
    return "\"" + schema_ + "\".\"" +
           Scalar("SELECT table_name FROM airpg.tables WHERE table_id = '" + table_id + "'") + "\"";
  }
  std::string RowId(const std::string& table_id, const std::string& record_id) {
    return Scalar("SELECT id FROM " + Qualified(table_id) + " WHERE airtable_id = '" + record_id +
                  "'");
  }

  // S.<table>_computed: what readers see (the stored columns for the
  // evaluator's fields, SQL for the rest).
  std::string ComputedView(const std::string& table_id) {
    const mapping::TablePlan* t = live_.plan.FindTable(table_id);
    EXPECT_NE(t, nullptr) << table_id;
    return t == nullptr ? "" : "\"" + schema_ + "\".\"" + t->computed_view + "\"";
  }

  // The cell of `field_id` in the row keyed `key` (an Airtable id, or
  // "name:<primary>" for a Postgres-born row) as S.<table>_computed shows
  // it: the column, or the recorded error when the column is NULL.
  json Stored(const std::string& table_id, const std::string& primary_id, const std::string& key,
              const std::string& field_id) {
    std::string where = key.rfind("name:", 0) == 0
                            ? "\"" + Column(primary_id) + "\" = '" + key.substr(5) + "'"
                            : "airtable_id = '" + key + "'";
    std::string text =
        Scalar("SELECT coalesce(to_jsonb(\"" + Column(field_id) + "\"), airpg_cell_errors -> '" +
               field_id + "', 'null')::text FROM " + ComputedView(table_id) + " WHERE " + where);
    return json::parse(text.empty() ? "null" : text);
  }

  // Every record's `field_ids` cells: Postgres's stored value against the
  // emulator's. Returns how many differ (each reported when `expect`).
  int Compare(const std::string& table_id, const std::string& primary_id,
              const std::vector<std::string>& field_ids, bool expect = true) {
    http::Client http;
    auto response = http.Send(
        "GET",
        emulator_->url() + "/v0/" + kChainBase + "/" + table_id + "?returnFieldsByFieldId=true",
        {{"Authorization", "Bearer patTest"}}, "");
    EXPECT_TRUE(response.ok());
    const json page = json::parse(response->body);
    int differ = 0;
    for (const json& record : page["records"]) {
      std::string key = record["id"];
      if (RowId(table_id, key).empty()) {
        key = "name:" + record["fields"].value(primary_id, std::string());
      }
      for (const std::string& field_id : field_ids) {
        json expected = record["fields"].value(field_id, json());
        json actual = Stored(table_id, primary_id, key, field_id);
        if (SameCell(expected, actual)) continue;
        ++differ;
        if (expect) {
          ADD_FAILURE() << table_id << "." << field_id << " of " << key << ": emulator "
                        << expected.dump() << ", Postgres " << actual.dump();
        }
      }
    }
    return differ;
  }

  // The evaluator's fields, and the SQL-computed ones they read.
  void ExpectSameAsEmulator() {
    Compare(kItems, "fldItemName000001",
            {"fldItemSlug000001", "fldItemCents00001", "fldItemStars00001", "fldItemHead000001",
             "fldItemUnit000001"});
    Compare(kOrders, "fldOrderName00001",
            {"fldOrderSquash001", "fldOrderLeft00001", "fldOrderCntBack01", "fldOrderLabel0001"});
  }

  std::string schema_;
  std::unique_ptr<airtable::Client> writer_;
};

TEST_F(ComputedEvalTest, SchemaPlanNamesTheFieldsAirpgComputesOnWrite) {
  mapping::ComputedPlan computed = mapping::PlanComputed(live_.plan, schema_);
  mapping::EvaluatedPlan evaluated = mapping::PlanEvaluated(live_.plan, computed);
  std::string lines;
  for (const std::string& line : mapping::NotComputedInSqlLines(computed, evaluated)) {
    lines += line + "\n";
  }
  for (const char* expected :
       {"items.Slug (fldItemSlug000001, formula): computed by airpg on write: ",
        "items.Cents (fldItemCents00001, formula): computed by airpg on write: cannot translate "
        "to SQL exactly: field {Unit}, whose cells may be error values",
        "items.Stars (fldItemStars00001, formula): computed by airpg on write: ",
        "items.Head (fldItemHead000001, formula): computed by airpg on write: ",
        "orders.Squashed (fldOrderSquash001, formula): computed by airpg on write: ",
        "orders.Left over (fldOrderLeft00001, formula): computed by airpg on write: ",
        "orders.Count back (fldOrderCntBack01, formula): computed by airpg on write: ",
        "customers.Squashed (fldCustSquash0001, formula): computed by airpg on write: "}) {
    EXPECT_NE(lines.find(expected), std::string::npos) << expected << " in\n" << lines;
  }
  // The division Cents reads is computed in SQL, not here.
  EXPECT_EQ(lines.find("items.Unit "), std::string::npos) << lines;
}

TEST_F(ComputedEvalTest, PostgresWritesRecomputeWhatSqlCannotLikeTheEmulator) {
  std::string items = Qualified(kItems);
  std::string qty = Column("fldItemQty0000001"), name = Column("fldItemName000001"),
              order = Column("fldItemOrder00001");
  ExpectSameAsEmulator();  // as migrated

  // An update of the row's own field, and of what another table's lookup reads.
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + items + " SET \"" + name + "\" = 'quince', \"" + qty +
                       "\" = 8 WHERE airtable_id = 'recItem0000000002'")
                  .ok());
  Emulator("PATCH", std::string(kItems) + "/recItem0000000002",
           {{"fields", {{"Name", "quince"}, {"Qty", 8}}}});
  ASSERT_GT(Compare(kItems, "fldItemName000001", {"fldItemSlug000001"}, false), 0)
      << "stale before the dispatcher's round";
  Dispatch();
  ExpectSameAsEmulator();
  // Cents read Unit (2.25 / 8) from the view, not the stored column (2.25 / 2).
  EXPECT_EQ(Stored(kItems, "fldItemName000001", "recItem0000000002", "fldItemCents00001"), "28c");

  // A link change: quince moves from order A-1 to B-1 (which had no items:
  // its Left over was NaN, now a number; A-1's lookups lose it).
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + items + " SET \"" + order +
                       "\" = " + RowId(kOrders, "recOrder000000003") +
                       " WHERE airtable_id = 'recItem0000000002'")
                  .ok());
  Emulator("PATCH", std::string(kItems) + "/recItem0000000002",
           {{"fields", {{"Order", {"recOrder000000003"}}}}});
  Dispatch();
  ExpectSameAsEmulator();

  // An insert: a Postgres-born item with no quantity (Unit, so Cents, is #ERROR!) on A-2.
  ASSERT_TRUE(conn()
                  .Run("INSERT INTO " + items + " (\"" + name + "\", \"" +
                       Column("fldItemPrice00001") + "\", \"" + qty + "\", \"" + order +
                       "\") VALUES ('plum', 2.5, 0, " + RowId(kOrders, "recOrder000000002") + ")")
                  .ok());
  Emulator("POST", kItems,
           {{"fields",
             {{"Name", "plum"}, {"Price", 2.5}, {"Qty", 0}, {"Order", {"recOrder000000002"}}}}});
  Dispatch();
  ExpectSameAsEmulator();
  // The error value as the fidelity work records it: the column NULL, the error beside it.
  EXPECT_EQ(Scalar("SELECT coalesce(\"" + Column("fldItemCents00001") +
                   "\"::text, 'NULL') || ' ' || (airpg_cell_errors -> 'fldItemCents00001')::text "
                   "FROM " +
                   items + " WHERE \"" + name + "\" = 'plum'"),
            "NULL {\"error\": \"#ERROR!\"}");
  // Readers can tell the values are current: evaluated after the row's write.
  EXPECT_EQ(Scalar("SELECT (e.evaluated_at >= i.airtable_modified_time)::text FROM " + items +
                   " i JOIN airpg.evaluated_rows e ON e.table_id = '" + kItems +
                   "' AND e.row_id = i.id WHERE i.\"" + name + "\" = 'plum'"),
            "true");
  // The evaluator's own writes are neither captured nor stamped as Postgres's.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE changed_columns && ARRAY['" +
                   Column("fldItemSlug000001") + "', '" + Column("fldOrderLeft00001") + "']"),
            "0");
}

// Customers reads Orders through a lookup, but Airtable is its authority:
// its formula keeps Airtable's value (the sync brings Airtable's recompute).
TEST_F(ComputedEvalTest, AnAirtableAuthorityTableIsLeftAlone) {
  std::string customers = Qualified(kCustomers);
  std::string squashed = Column("fldCustSquash0001");
  std::string before = Scalar("SELECT string_agg(coalesce(\"" + squashed +
                              "\", 'NULL'), ',' ORDER BY id) FROM " + customers);
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + Qualified(kItems) + " SET \"" + Column("fldItemQty0000001") +
                       "\" = 9 WHERE airtable_id = 'recItem0000000001'")
                  .ok());
  Emulator("PATCH", std::string(kItems) + "/recItem0000000001", {{"fields", {{"Qty", 9}}}});
  Dispatch();
  ExpectSameAsEmulator();  // Orders (postgres authority) follows
  EXPECT_EQ(Scalar("SELECT string_agg(coalesce(\"" + squashed +
                   "\", 'NULL'), ',' ORDER BY id) "
                   "FROM " +
                   customers),
            before);
  EXPECT_GT(Compare(kCustomers, "fldCustName000001", {"fldCustSquash0001"}, false), 0)
      << "the emulator's customer changed, so leaving it alone is visible";
  EXPECT_EQ(Scalar(std::string("SELECT count(*) FROM airpg.evaluated_rows WHERE table_id = '") +
                   kCustomers + "'"),
            "0");
}

// A Postgres-born item linked to A-2 whose create Airtable refuses: the
// round still reads A-2 back from Airtable (the record on the other side of
// the link the write moved) and applies its Items cell, which cannot list
// an item Airtable has not got. The item keeps its link (and A-2 its count),
// to be sent with the create next round.
TEST_F(ComputedEvalTest, APostgresBornRowKeepsItsLinkWhenAirtablesCellComesBack) {
  std::string items = Qualified(kItems), order = Column("fldItemOrder00001");
  std::string a2 = RowId(kOrders, "recOrder000000002");
  ASSERT_TRUE(conn()
                  .Run("INSERT INTO " + items + " (\"" + Column("fldItemName000001") + "\", \"" +
                       order + "\") VALUES ('plum', " + a2 + ")")
                  .ok());
  auto reads_only = ClientThrough(std::make_unique<NoRecordWrites>());
  sync::OutboxDispatcher dispatcher(*reads_only, *dispatch_conn_, kChainBase,
                                    Options(std::chrono::milliseconds(0)));
  (void)dispatcher.RunOnce();  // its create fails, by design
  EXPECT_EQ(Scalar("SELECT coalesce(\"" + order + "\"::text, 'NULL') FROM " + items +
                   " WHERE airtable_id IS NULL"),
            a2);
  EXPECT_EQ(Scalar("SELECT \"" + Column("fldOrderCount0001") + "\"::text FROM " +
                   ComputedView(kOrders) + " WHERE id = " + a2),
            "2");
}

// A junction row (a multi-record link) written in Postgres: the rows at
// both ends are recomputed — here Customers, made writable, whose formula
// reads its orders' labels through the junction.
TEST_F(ComputedEvalTest, AJunctionChangeRecomputesTheLinkedRows) {
  sync::AuthorityConfig config;
  config.tables["Items"].authority = sync::Authority::kBoth;
  config.tables["Orders"].authority = sync::Authority::kPostgres;
  config.tables["Customers"].authority = sync::Authority::kBoth;
  ASSERT_NO_FATAL_FAILURE(Configure(config));
  std::string junction =
      Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = 'fldCustOrders0001'");
  ASSERT_FALSE(junction.empty());
  // Bolt takes order B-1.
  Status linked = conn().Run(
      "INSERT INTO \"" + schema_ + "\".\"" + junction + "\" (from_id, to_id, position) VALUES (" +
      RowId(kCustomers, "recCust0000000002") + ", " + RowId(kOrders, "recOrder000000003") + ", 0)");
  ASSERT_TRUE(linked.ok()) << linked.ToString();
  Emulator("PATCH", std::string(kCustomers) + "/recCust0000000002",
           {{"fields", {{"Orders", {"recOrder000000003"}}}}});
  ASSERT_GT(Compare(kCustomers, "fldCustName000001", {"fldCustSquash0001"}, false), 0)
      << "stale before the dispatcher's round";
  Dispatch();
  Compare(kCustomers, "fldCustName000001", {"fldCustSquash0001"});
  ExpectSameAsEmulator();
}

// The delay a reader sees: from the commit of a Postgres write to the
// evaluated value, with the dispatcher looping as `airpg sync` runs it
// (debounce 200 ms, 100 ms idle wait), its writes reaching Airtable (so no
// change waits in the outbox from one write to the next). Printed, not
// asserted.
TEST_F(ComputedEvalTest, MeasuresTheDelayFromCommitToEvaluatedValue) {
  // The daemon's outbox loop (daemon/sync_service.cc RunOutbox): a round
  // whenever the last one found work, else its idle wait, cut short by stop.
  std::mutex mu;
  std::condition_variable stopped;
  bool stop = false;
  std::thread loop([&] {
    sync::OutboxDispatcher dispatcher(*client_, *dispatch_conn_, kChainBase,
                                      Options(std::chrono::milliseconds(200)));
    std::unique_lock lock(mu);
    while (!stop) {
      lock.unlock();
      auto report = dispatcher.RunOnce();
      lock.lock();
      if (!report.ok() || report->claimed == 0) {
        stopped.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop; });
      }
    }
  });
  std::string items = Qualified(kItems), name = Column("fldItemName000001"),
              slug = Column("fldItemSlug000001");
  std::vector<double> delays;
  for (int i = 0; i < 9; ++i) {
    std::string value = "melon" + std::to_string(i);
    ASSERT_TRUE(conn()
                    .Run("UPDATE " + items + " SET \"" + name + "\" = '" + value +
                         "' WHERE airtable_id = 'recItem0000000004'")
                    .ok());
    auto committed = std::chrono::steady_clock::now();
    std::string expected = "m*l*n" + std::to_string(i);
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return Scalar("SELECT \"" + slug + "\" FROM " + items +
                        " WHERE airtable_id = 'recItem0000000004'") == expected;
        },
        std::chrono::seconds(20)));
    delays.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - committed)
            .count());
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  stopped.notify_all();
  loop.join();
  std::sort(delays.begin(), delays.end());
  std::printf(
      "evaluated value visible after the commit: min %.0f ms, median %.0f ms, max %.0f ms\n",
      delays.front(), delays[delays.size() / 2], delays.back());
}

}  // namespace
}  // namespace airpg
