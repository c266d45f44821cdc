// The Airtable client against airtable-emulator over real HTTP: pacing with
// the emulator's rate limits on, exact reads under injected faults, batching,
// error shapes, schema, webhooks and attachment downloads.
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airtable/client.h"
#include "base/clock.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/client.h"
#include "http/server.h"
#include "wait_for.h"

namespace airpg::airtable {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// An emulator serving generated bases, and requests to its control endpoints.
class EmulatorFixture {
 public:
  // One base per seed, each with `tables` tables of `records` records.
  EmulatorFixture(std::vector<uint64_t> seeds, int tables, int records, bool rate_limits) {
    json data;
    for (uint64_t seed : seeds) {
      json base = emulator::GenerateBase(tables, records, seed);
      if (data.is_null()) {
        data = base;
      } else {
        data["bases"].push_back(base["bases"][0]);
      }
      base_ids_.push_back(base["bases"][0]["id"].get<std::string>());
    }
    emulator::EmulatorOptions options;
    options.data_json = data.dump();
    options.rate_limits = rate_limits;
    auto started = emulator::Emulator::Start(options);
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) emulator_ = std::move(started).value();
  }

  const std::string& base(size_t i) const { return base_ids_[i]; }
  std::string url() const { return emulator_ ? emulator_->url() : ""; }

  json Control(const std::string& method, const std::string& path, const json& body = nullptr) {
    http::Client client;
    auto response =
        client.Send(method, url() + "/__emulator/" + path, {{"Content-Type", "application/json"}},
                    body.is_null() ? "" : body.dump());
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    if (!response.ok()) return nullptr;
    EXPECT_EQ(response->status, 200) << response->body;
    return json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.endpoint_url = url();
    options.token = "patClientTest0000.0123456789abcdef";
    options.backoff.initial = milliseconds(5);
    options.backoff.max_delay = milliseconds(100);
    options.backoff.max_attempts = 20;
    options.rate_limit_penalty = milliseconds(50);
    options.max_rate_limit_retries = 50;
    return options;
  }

 private:
  std::vector<std::string> base_ids_;
  std::unique_ptr<emulator::Emulator> emulator_;
};

PacerLimits Unlimited() {
  PacerLimits limits;
  limits.per_base = 1000;
  limits.per_token = 1000;
  return limits;
}

std::vector<Record> ReadAll(Client& client, const std::string& base, const std::string& table,
                            ListOptions options = {}, int* restarts = nullptr) {
  std::vector<Record> out;
  RecordPager pager = client.ListRecords(base, table, std::move(options));
  while (true) {
    auto page = pager.Next();
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || !page->has_value()) break;
    for (Record& r : (*page)->records) out.push_back(std::move(r));
  }
  if (restarts) *restarts = pager.restarts();
  return out;
}

TEST(AirtableClientTest, TwentySecondsOfPacedListingNeverTripsTheLimits) {
  EmulatorFixture emu({1, 2}, 1, 300, /*rate_limits=*/true);
  // Airtable's real limits (5/s per base, 50/s per token) and airpg's default
  // pacing: a budget of 4/s, spaced 255 ms apart. No widened margin (issue
  // 14): a request held up on these two shared cores would need a delay of
  // most of a second to bunch with others past Airtable's 5.
  Pacer pacer;
  Client client(emu.Options(), pacer);
  std::atomic<int64_t> pages{0};
  auto deadline = Clock::now() + std::chrono::seconds(20);
  std::vector<std::thread> threads;
  for (size_t b = 0; b < 2; ++b) {
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, b] {
        ListOptions options;
        options.page_size = 10;
        std::string offset;
        while (Clock::now() < deadline) {
          auto page = client.ListPage(emu.base(b), "Table 1", options, offset, Priority::kBackfill);
          ASSERT_TRUE(page.ok()) << page.status().ToString();
          offset = page->offset;
          ++pages;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  json stats = emu.Control("GET", "stats");
  EXPECT_EQ(stats["rateLimited"], 0) << stats.dump();
  EXPECT_EQ(client.stats().rate_limited, 0);
  EXPECT_EQ(pacer.stats().penalties, 0);
  // Never more than the budget allows: 4 per second per base, over 20 s.
  for (size_t b = 0; b < 2; ++b) {
    int64_t requests = stats["bases"][emu.base(b)]["requests"].get<int64_t>();
    EXPECT_LE(requests, 4 * 21) << emu.base(b);
    std::cout << "[ paced    ] " << emu.base(b) << ": " << requests << " requests in 20 s ("
              << requests / 20.0 << "/s of a 4/s budget)\n";
  }
  EXPECT_EQ(pages.load(), client.stats().requests);
}

TEST(AirtableClientTest, FaultyServerStillYieldsEveryRecordExactlyOnce) {
  EmulatorFixture emu({3}, 1, 5000, /*rate_limits=*/false);
  emu.Control("POST", "faults",
              {{"error500", 0.04},
               {"error502", 0.03},
               {"error503", 0.03},
               {"error429", 0.05},
               {"truncate", 0.02},
               {"latencyMs", 2}});
  Pacer pacer(Unlimited());
  Client client(emu.Options(), pacer);
  std::vector<Record> records = ReadAll(client, emu.base(0), "Table 1");
  std::set<std::string> ids;
  for (const Record& r : records) ids.insert(r.id);
  EXPECT_EQ(records.size(), 5000u);
  EXPECT_EQ(ids.size(), 5000u);
  ClientStats stats = client.stats();
  EXPECT_GT(stats.retries, 0);
  EXPECT_GT(stats.rate_limited, 0);
  EXPECT_GT(stats.server_errors, 0);
  json faults = emu.Control("GET", "faults");
  std::cout << "[ faults   ] " << stats.requests << " requests, " << stats.retries << " retries, "
            << stats.rate_limited << " x 429, " << stats.server_errors
            << " x 5xx; emulator: " << faults.dump() << "\n";
}

TEST(AirtableClientTest, ExpiredIteratorRestartsWithoutDuplicates) {
  EmulatorFixture emu({4}, 1, 350, /*rate_limits=*/false);
  Pacer pacer(Unlimited());
  Client client(emu.Options(), pacer);
  RecordPager pager = client.ListRecords(emu.base(0), "Table 1", {});
  std::set<std::string> ids;
  size_t total = 0;
  for (int page_number = 0;; ++page_number) {
    if (page_number == 2) emu.Control("POST", "offsets/expire", json::object());
    auto page = pager.Next();
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (!page->has_value()) break;
    for (const Record& r : (*page)->records) ids.insert(r.id);
    total += (*page)->records.size();
  }
  EXPECT_EQ(pager.restarts(), 1);
  EXPECT_EQ(total, 350u);
  EXPECT_EQ(ids.size(), 350u);
}

TEST(AirtableClientTest, WritesAreChunkedToTenRecords) {
  EmulatorFixture emu({5}, 1, 0, /*rate_limits=*/false);
  Pacer pacer(Unlimited());
  Client client(emu.Options(), pacer);
  std::vector<RecordWrite> creates;
  for (int i = 0; i < 25; ++i) {
    creates.push_back(
        {"", {{"Name", "\"Lead " + std::to_string(i) + "\""}, {"Amount", std::to_string(i)}}});
  }
  auto created = client.CreateRecords(emu.base(0), "Table 1", creates);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->records.size(), 25u);
  EXPECT_EQ(client.stats().requests, 3);  // 10 + 10 + 5; the emulator refuses an 11th
  EXPECT_EQ(*created->records[24].Cell("Name"), "\"Lead 24\"");

  std::vector<RecordWrite> updates;
  for (int i = 0; i < 11; ++i) updates.push_back({created->records[i].id, {{"Amount", "1000"}}});
  auto updated = client.UpdateRecords(emu.base(0), "Table 1", updates);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(client.stats().requests, 5);
  EXPECT_EQ(*updated->records[10].Cell("Amount"), "1000");
  EXPECT_EQ(*updated->records[10].Cell("Name"), "\"Lead 10\"");  // PATCH keeps the rest

  auto upserted = client.UpsertRecords(
      emu.base(0), "Table 1",
      {{"", {{"Name", "\"Lead 3\""}, {"Amount", "7"}}}, {"", {{"Name", "\"New lead\""}}}},
      {"Name"});
  ASSERT_TRUE(upserted.ok()) << upserted.status().ToString();
  EXPECT_EQ(upserted->updated_record_ids, std::vector<std::string>{created->records[3].id});
  EXPECT_EQ(upserted->created_record_ids.size(), 1u);

  std::vector<std::string> ids;
  for (const Record& r : created->records) ids.push_back(r.id);
  auto deleted = client.DeleteRecords(emu.base(0), "Table 1", ids);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, ids);
  EXPECT_EQ(ReadAll(client, emu.base(0), "Table 1").size(), 1u);  // the upserted new lead
}

TEST(AirtableClientTest, ErrorsBecomeStatusesByWhatToDoNext) {
  EmulatorFixture emu({6}, 1, 3, /*rate_limits=*/false);
  Pacer pacer(Unlimited());
  Client client(emu.Options(), pacer);
  auto unknown_field = client.CreateRecords(emu.base(0), "Table 1", {{"", {{"Nope", "1"}}}});
  EXPECT_EQ(unknown_field.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown_field.status().message().find("UNKNOWN_FIELD_NAME"), std::string_view::npos);
  auto not_json = client.CreateRecords(emu.base(0), "Table 1", {{"", {{"Name", "not json"}}}});
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.GetRecord(emu.base(0), "No such table", "recAAAAAAAAAAAAAA").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(client.GetBaseSchema("appNoSuchBase0000", false).status().code(),
            StatusCode::kPermissionDenied);
  emu.Control("POST", "faults", {{"failNext", {{"status", 401}, {"count", 1}}}});
  EXPECT_EQ(client.GetRecord(emu.base(0), "Table 1", "recX").status().code(),
            StatusCode::kUnauthenticated);
  // A create is not repeated after a 500: it may have been applied.
  emu.Control("POST", "faults", {{"failNext", {{"status", 500}, {"count", 1}}}});
  int64_t before = client.stats().requests;
  auto create = client.CreateRecords(emu.base(0), "Table 1", {{"", {{"Name", "\"x\""}}}});
  EXPECT_EQ(create.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client.stats().requests, before + 1);
  // ... but it is after a 503 (documented as safe to retry) and after a 429.
  emu.Control("POST", "faults", {{"failNext", {{"status", 503}, {"count", 1}}}});
  EXPECT_TRUE(client.CreateRecords(emu.base(0), "Table 1", {{"", {{"Name", "\"y\""}}}}).ok());
  emu.Control("POST", "faults", {{"failNext", {{"status", 429}, {"count", 1}}}});
  EXPECT_TRUE(client.CreateRecords(emu.base(0), "Table 1", {{"", {{"Name", "\"z\""}}}}).ok());
  EXPECT_EQ(pacer.stats().penalties, 1);
}

// A stop ends the wait between retries at once. The client waits on the
// pacer's clock, here a ManualClock that never moves: only the stop can end
// the hour's backoff after the 503.
TEST(AirtableClientTest, AStopEndsTheWaitBeforeARetryAtOnce) {
  EmulatorFixture emu({1}, 1, 5, /*rate_limits=*/false);
  ManualClock clock;
  const Clock::time_point start = clock.Now();
  Pacer pacer(Unlimited(), nullptr, nullptr, &clock);
  std::stop_source stop;
  ClientOptions options = emu.Options();
  options.backoff.initial = std::chrono::hours(1);
  options.backoff.max_delay = std::chrono::hours(1);
  options.backoff.max_total = std::chrono::hours(2);
  options.stop = stop.get_token();
  Client client(options, pacer);
  emu.Control("POST", "faults", {{"failNext", {{"status", 503}, {"count", 1}}}});
  auto call = std::async(std::launch::async, [&] {
    return client.GetRecord(emu.base(0), "Table 1", "recNone", false, Priority::kWrite).status();
  });
  // The client got its 503 and sleeps until its backoff is up.
  ASSERT_TRUE(testing::WaitFor([&] { return clock.waiters() == 1; }, milliseconds(20000)))
      << "requests " << client.stats().requests << " pacer waiting " << pacer.stats().waiting
      << (call.wait_for(milliseconds(0)) == std::future_status::ready ? call.get().ToString()
                                                                      : " still calling");
  // Full jitter: somewhere in the hour, and the clock will never get there.
  ASSERT_TRUE(clock.NextDeadline().has_value());
  EXPECT_GT(*clock.NextDeadline(), start);
  EXPECT_EQ(client.stats().server_errors, 1);
  stop.request_stop();
  ASSERT_EQ(call.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  Status status = call.get();
  EXPECT_EQ(status.code(), StatusCode::kCancelled) << status.ToString();
  EXPECT_EQ(clock.Now(), start);  // no time passed: the stop ended the wait
  EXPECT_EQ(client.stats().requests, 1);
  EXPECT_EQ(client.stats().retries, 0);
}

TEST(AirtableClientTest, SchemaAndListOptions) {
  EmulatorFixture emu({7}, 2, 30, /*rate_limits=*/false);
  Pacer pacer(Unlimited());
  Client client(emu.Options(), pacer);
  auto schema = client.GetBaseSchema(emu.base(0), /*include_visible_field_ids=*/true);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ(schema->tables.size(), 2u);
  const Table* table = schema->FindTable("Table 1");
  ASSERT_NE(table, nullptr);
  ListOptions options;
  options.fields = {"Name", "Amount"};
  options.sort = {{"Amount", true}};
  options.max_records = 7;
  options.page_size = 3;
  options.return_fields_by_field_id = true;
  std::vector<Record> records = ReadAll(client, emu.base(0), table->id, options);
  ASSERT_EQ(records.size(), 7u);
  for (const Record& r : records) {
    for (size_t i = 0; i < r.field_count(); ++i) {
      EXPECT_TRUE(r.FieldKey(i) == table->FindField("Name")->id ||
                  r.FieldKey(i) == table->FindField("Amount")->id)
          << r.FieldKey(i);
    }
  }
  // A formula long enough to need POST listRecords gives the same answer.
  ListOptions long_filter;
  long_filter.filter_by_formula = "AND(TRUE()" + std::string(16000, ' ') + ")";
  EXPECT_EQ(ReadAll(client, emu.base(0), "Table 1", long_filter).size(), 30u);
}

// Issue 6: /v0/meta/bases names no base, so it takes none of the base's 5
// requests a second (the emulator, like Airtable's per-base limit, does not
// count it for the base).
TEST(AirtableClientTest, BaseInfoIsPacedForTheTokenOnly) {
  EmulatorFixture emu({7}, 1, 3, /*rate_limits=*/false);
  std::vector<std::string> granted;
  Pacer pacer(Unlimited(), [&](std::string_view base_id, auto) { granted.emplace_back(base_id); });
  Client client(emu.Options(), pacer);
  auto info = client.GetBaseInfo(emu.base(0));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->id, emu.base(0));
  EXPECT_EQ(granted, std::vector<std::string>{""});
  ASSERT_TRUE(client.GetBaseSchema(emu.base(0), false).ok());
  EXPECT_EQ(granted, (std::vector<std::string>{"", emu.base(0)}));
}

TEST(AirtableClientTest, WebhookLifecycle) {
  EmulatorFixture emu({8}, 1, 2, /*rate_limits=*/false);
  Pacer pacer(Unlimited());
  Client client(emu.Options(), pacer);
  auto hook = client.CreateWebhook(emu.base(0), "",
                                   R"({"options":{"filters":{"dataTypes":["tableData"]}}})");
  ASSERT_TRUE(hook.ok()) << hook.status().ToString();
  auto created = client.CreateRecords(emu.base(0), "Table 1", {{"", {{"Name", "\"hooked\""}}}});
  ASSERT_TRUE(created.ok());
  auto page = client.ListPayloads(emu.base(0), hook->id, 1);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_FALSE(page->payloads.empty());
  bool seen = false;
  for (const Payload& p : page->payloads) {
    for (const TableChanges& t : p.tables) {
      for (const RecordChange& c : t.created_records)
        seen = seen || c.record_id == created->records[0].id;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(page->cursor, page->payloads.back().number + 1);
  auto hooks = client.ListWebhooks(emu.base(0));
  ASSERT_TRUE(hooks.ok()) << hooks.status().ToString();
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ(hooks->front().cursor_for_next_payload, page->cursor);
  auto refreshed = client.RefreshWebhook(emu.base(0), hook->id);
  EXPECT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_TRUE(client.EnableNotifications(emu.base(0), hook->id, false).ok());
  EXPECT_TRUE(client.DeleteWebhook(emu.base(0), hook->id).ok());
  EXPECT_TRUE(client.ListWebhooks(emu.base(0))->empty());
}

}  // namespace
}  // namespace airpg::airtable
