// Issue 17: Meta API writes through `airpg serve`. Creating a table or a
// field and renaming or describing a field go to Airtable (the emulator),
// which stays the schema's authority, through the pacer; the change is in
// Postgres by the time the answer arrives (cli::MakeSchemaMirror: the sync's
// schema step, and a migration of just the new table), so the very next
// request reads and writes it from Postgres. Airtable's refusals reach the
// client as Airtable gave them, and the write needs schema.bases:write.
#include <gtest/gtest.h>

#include "api/api_service.h"
#include "api/tokens.h"
#include "cli/serve_schema_mirror.h"
#include "emulated_base_test.h"
#include "http/client.h"
#include "sync/authority.h"
#include "sync/live_schema.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr char kBase[] = "appConform0000001";
constexpr char kArtists[] = "tblArtists0000001";

class ServeMetaTest : public testing::EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(ReadFile(AIRPG_CONFORMANCE_DATA), kBase));
    AllowPostgresWrites();
    api_ = Service(false);
  }

  // Every mirrored table written from Postgres (the swap installed the
  // write guard; the authority defaults to airtable). Again after a table
  // is added: it has no authority row of its own yet.
  void AllowPostgresWrites() {
    auto live = sync::LoadLiveBase(conn(), kBase);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    sync::AuthorityConfig config;
    config.authority = sync::Authority::kPostgres;
    auto resolved = sync::ResolveAuthority(*live, config);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    ASSERT_TRUE(sync::StoreAuthority(conn(), *live, *resolved).ok());
  }

  std::unique_ptr<api::ApiService> Service(bool require_tokens) {
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = require_tokens;
    options.pool_size = 2;
    options.default_mode = api::RouteMode::kPostgres;
    options.upstream = client_.get();
    options.mirror_schema = cli::MakeSchemaMirror(*client_, url());
    return std::make_unique<api::ApiService>(options);
  }

  json Call(const std::string& method, const std::string& target, const json& body = nullptr,
            int* status = nullptr, api::ApiService* api = nullptr,
            const std::string& token = "patTest") {
    http::Request request;
    request.method = method;
    request.target = "/v0/" + target;
    request.headers["authorization"] = "Bearer " + token;
    if (!body.is_null()) request.body = body.dump();
    http::Response response = (api ? api : api_.get())->Handle(request);
    if (status) *status = response.status;
    return json::parse(response.body, nullptr, false);
  }

  std::string MetaPath(const std::string& rest) {
    return std::string("meta/bases/") + kBase + "/tables" + rest;
  }

  // The table of `id` in a Meta API tables answer.
  static json TableOf(const json& tables, const std::string& id_or_name) {
    for (const json& t : tables["tables"]) {
      if (t["id"] == id_or_name || t["name"] == id_or_name) return t;
    }
    return nullptr;
  }
  static json FieldOf(const json& table, const std::string& id) {
    for (const json& f : table["fields"]) {
      if (f["id"] == id) return f;
    }
    return nullptr;
  }

  std::unique_ptr<api::ApiService> api_;
};

TEST_F(ServeMetaTest, CreatedFieldIsInPostgresWhenTheAnswerArrives) {
  int status = 0;
  json field =
      Call("POST", MetaPath(std::string("/") + kArtists + "/fields"),
           {{"name", "Nickname"}, {"type", "singleLineText"}, {"description", "short"}}, &status);
  ASSERT_EQ(status, 200) << field.dump();
  std::string field_id = field["id"];
  EXPECT_EQ(field["name"], "Nickname");
  // Airtable has it…
  auto schema = client_->GetBaseSchema(kBase, false);
  ASSERT_TRUE(schema.ok());
  bool in_airtable = false;
  for (const auto& t : schema->tables) {
    for (const auto& f : t.fields) in_airtable |= f.id == field_id;
  }
  EXPECT_TRUE(in_airtable);
  // …and so do the catalog, the column, and serve's own Meta API, already.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.fields WHERE field_id = '" + field_id + "'"), "1");
  json tables = Call("GET", MetaPath(""));
  json mirrored = FieldOf(TableOf(tables, kArtists), field_id);
  ASSERT_FALSE(mirrored.is_null()) << tables.dump();
  EXPECT_EQ(mirrored["name"], "Nickname");
  EXPECT_EQ(mirrored["description"], "short");
  // The next write and read use it from Postgres.
  json made = Call("POST", std::string(kBase) + "/" + kArtists,
                   {{"fields", {{"Name", "Ines"}, {"Nickname", "In"}}}}, &status);
  ASSERT_EQ(status, 200) << made.dump();
  json got = Call("GET", std::string(kBase) + "/" + kArtists + "/" + made["id"].get<std::string>());
  EXPECT_EQ(got["fields"]["Nickname"], "In") << got.dump();
}

TEST_F(ServeMetaTest, RenamedFieldAndDescriptionAreMirrored) {
  int status = 0;
  json field = Call("PATCH", MetaPath(std::string("/") + kArtists + "/fields/fldPrice000000001"),
                    {{"name", "Cost"}, {"description", "in dollars"}}, &status);
  ASSERT_EQ(status, 200) << field.dump();
  EXPECT_EQ(field["name"], "Cost");
  EXPECT_EQ(Scalar("SELECT airtable_name FROM airpg.fields WHERE field_id = 'fldPrice000000001'"),
            "Cost");
  json mirrored = FieldOf(TableOf(Call("GET", MetaPath("")), kArtists), "fldPrice000000001");
  EXPECT_EQ(mirrored["name"], "Cost");
  EXPECT_EQ(mirrored["description"], "in dollars");
  // Records answer under the new name at once.
  json alma = Call("GET", std::string(kBase) + "/" + kArtists + "/recAlma0000000001");
  EXPECT_EQ(alma["fields"]["Cost"], 1200.5) << alma.dump();
  EXPECT_FALSE(alma["fields"].contains("Price"));
}

TEST_F(ServeMetaTest, UpdatedTableDescriptionIsMirrored) {
  int status = 0;
  json table = Call("PATCH", MetaPath(std::string("/") + kArtists),
                    {{"description", "who made the works"}}, &status);
  ASSERT_EQ(status, 200) << table.dump();
  EXPECT_EQ(Scalar("SELECT description FROM airpg.tables WHERE table_id = '" +
                   std::string(kArtists) + "'"),
            "who made the works");
  EXPECT_EQ(TableOf(Call("GET", MetaPath("")), kArtists)["description"], "who made the works");
}

TEST_F(ServeMetaTest, CreatedTableIsMigratedAtOnce) {
  int status = 0;
  json table = Call("POST", MetaPath(""),
                    {{"name", "Venues"},
                     {"description", "where works hang"},
                     {"fields",
                      {{{"name", "Name"}, {"type", "singleLineText"}},
                       {{"name", "Seats"}, {"type", "number"}, {"options", {{"precision", 0}}}}}}},
                    &status);
  ASSERT_EQ(status, 200) << table.dump();
  std::string table_id = table["id"];
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.tables WHERE table_id = '" + table_id + "'"), "1");
  json venues = TableOf(Call("GET", MetaPath("")), table_id);
  ASSERT_FALSE(venues.is_null());
  EXPECT_EQ(venues["description"], "where works hang");
  AllowPostgresWrites();
  // Written and read from Postgres right away; the other tables kept their rows.
  json made = Call("POST", std::string(kBase) + "/" + table_id,
                   {{"fields", {{"Name", "Hall"}, {"Seats", 40}}}}, &status);
  ASSERT_EQ(status, 200) << made.dump();
  json list = Call("GET", std::string(kBase) + "/" + table_id, nullptr, &status);
  ASSERT_EQ(status, 200) << list.dump();
  ASSERT_EQ(list["records"].size(), 1u) << list.dump();
  EXPECT_EQ(list["records"][0]["fields"]["Seats"], 40);
  EXPECT_EQ(Call("GET", std::string(kBase) + "/" + kArtists)["records"].size(), 5u);
}

TEST_F(ServeMetaTest, AirtablesRefusalReachesTheClientAndNothingChanges) {
  const std::string kFieldCount = "SELECT count(*) FROM airpg.fields";
  std::string fields_before = Scalar(kFieldCount);
  int status = 0;
  // A field name the table already has: Airtable refuses it.
  json refused = Call("POST", MetaPath(std::string("/") + kArtists + "/fields"),
                      {{"name", "Name"}, {"type", "singleLineText"}}, &status);
  int emulator_status = 0;
  {
    http::Client http;
    auto direct = http.Send(
        "POST", emulator_->url() + "/v0/" + MetaPath(std::string("/") + kArtists + "/fields"),
        {{"Authorization", "Bearer patTest"}, {"Content-Type", "application/json"}},
        json{{"name", "Name"}, {"type", "singleLineText"}}.dump());
    ASSERT_TRUE(direct.ok());
    emulator_status = direct->status;
    EXPECT_EQ(refused["error"], json::parse(direct->body)["error"]);
  }
  EXPECT_EQ(status, emulator_status);
  EXPECT_EQ(status, 422) << refused.dump();
  EXPECT_EQ(Scalar(kFieldCount), fields_before);
}

TEST_F(ServeMetaTest, MetaWritesNeedTheSchemaWriteScope) {
  auto reader = api::CreateToken(conn(), "reader", {kBase}, {std::string(api::kScopeSchemaRead)});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto writer =
      api::CreateToken(conn(), "writer", {kBase},
                       {std::string(api::kScopeSchemaRead), std::string(api::kScopeSchemaWrite)});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto guarded = Service(true);
  int status = 0;
  json body = {{"name", "Note"}, {"type", "singleLineText"}};
  std::string path = MetaPath(std::string("/") + kArtists + "/fields");
  json denied = Call("POST", path, body, &status, guarded.get(), *reader);
  EXPECT_EQ(status, 403) << denied.dump();
  EXPECT_EQ(denied["error"]["type"], "INVALID_PERMISSIONS");
  Call("GET", MetaPath(""), nullptr, &status, guarded.get(), *reader);
  EXPECT_EQ(status, 200);
  json made = Call("POST", path, body, &status, guarded.get(), *writer);
  EXPECT_EQ(status, 200) << made.dump();
}

}  // namespace
}  // namespace airpg
