// libFuzzer target for `airpg serve`'s list requests, through the server
// (issue 17: "a fuzz target covers filterByFormula, sort and fields through
// the server"): unlike list_plan_fuzz.cc, which stops at the planned SQL,
// each input is answered by api::ApiService::Handle in postgres mode, so the
// statement runs on a real Postgres (a private cluster started once, in
// LLVMFuzzerInitialize, under a temporary directory removed at exit). It
// fails on any 5xx (a Postgres error, a syntax error included, is a 500
// SERVER_ERROR) and on any answer not in Airtable's shape
// (serve_list_fuzz.h). Build with clang: `make fuzz` (docs/serve.md,
// "Fuzzing"); serve_list_fuzz_test.cc replays its seeds and generated inputs
// in every test run.
#include "api/serve_list_fuzz.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "airtable/schema.h"
#include "airtable/wire/json_read.h"
#include "api/api_service.h"
#include "api/testing/fuzz_table.h"
#include "base/sql_identifier.h"
#include "mapping/ddl.h"
#include "mapping/plan_json.h"
#include "mapping/schema_plan.h"
#include "pg/catalog.h"
#include "pg/catalog_rows.h"
#include "pg/connection.h"
#include "pg/embedded_cluster.h"
#include "pg/transaction.h"

namespace airpg::api {
namespace {

using airtable::wire::Json;

constexpr char kBaseId[] = "appFuzzServe00001";
constexpr const char* kTableId = testing::kFuzzTableId;
constexpr char kSchema[] = "fuzz\"serve";

std::unique_ptr<ApiService>& Service() {
  static std::unique_ptr<ApiService> service;
  return service;
}

bool& LastListed() {
  static bool listed = false;
  return listed;
}

// The column of `field_id` in the plan, quoted.
std::string Column(const mapping::SchemaPlan& plan, const char* field_id) {
  return QuoteIdentifier(plan.tables.front().FindField(field_id)->column_name);
}

Status SeedRows(pg::Connection& conn, const mapping::SchemaPlan& plan) {
  const mapping::TablePlan& table = plan.tables.front();
  std::string sql = "INSERT INTO " + QuoteIdentifier(kSchema) + "." +
                    QuoteIdentifier(table.table_name) + " (airtable_id, " +
                    Column(plan, "fldName0000000001") + ", " + Column(plan, "fldNum00000000001") +
                    ", " + Column(plan, "fldDate0000000001") + ", " +
                    Column(plan, "fldDone0000000001") +
                    ", airtable_created_time) VALUES ($1, $2, $3::numeric, $4::date, $5::boolean, "
                    "now())";
  // Names with quotes, a duplicate, numbers of both signs, NULLs.
  // (An empty text is stored as NULL, as the migration stores it.)
  const char* names[] = {"Alma", "O'Brien",        nullptr, "Bruno \"B\"",
                         "Alma", "; DROP TABLE x", "Zoë"};
  for (int i = 0; i < 14; ++i) {
    std::optional<std::string> amount;
    if (i % 5 != 4) amount = std::to_string((i * 37) % 23 - 9) + ".5";
    std::optional<std::string> date;
    if (i % 3 != 2) date = "2024-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10);
    char record_id[18];
    std::snprintf(record_id, sizeof record_id, "recFuzz%010d", i);
    AIRPG_RETURN_IF_ERROR(
        conn.Run(sql, {std::string(record_id),
                       names[i % 7] ? std::optional<std::string>(names[i % 7]) : std::nullopt,
                       amount, date, std::string(i % 2 ? "true" : "false")}));
  }
  return Status::Ok();
}

// Whether `body` is an answer in Airtable's shape for `status`.
std::string ShapeProblem(int status, const Json& body) {
  if (!body.is_object()) return "the answer is not a JSON object";
  if (status == 200) {
    const Json& records = airtable::wire::MemberAt(body, "records");
    if (!records.is_array()) return "200 without a \"records\" array";
    for (const Json& r : records) {
      if (!airtable::wire::MemberAt(r, "id").is_string()) return "a record without an id";
    }
    return "";
  }
  const Json& error = airtable::wire::MemberAt(body, "error");
  if (error.is_string()) return "";
  if (!error.is_object() || !airtable::wire::MemberAt(error, "type").is_string()) {
    return "an error without Airtable's {\"error\": {\"type\": …}}";
  }
  const Json& message = airtable::wire::MemberAt(error, "message");
  if (!message.is_null() && !message.is_string()) return "an error message that is not a string";
  return "";
}

}  // namespace

Status ServeListFuzzSetUp(const std::string& conninfo) {
  AIRPG_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(conninfo));
  AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(conn));
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema,
                         airtable::ParseBaseSchema(testing::FuzzTableMeta(/*with_link=*/false)));
  AIRPG_ASSIGN_OR_RETURN(mapping::SchemaPlan plan,
                         mapping::PlanSchema(schema, mapping::KnownNames{}));
  AIRPG_RETURN_IF_ERROR(
      conn.RunScript(mapping::RenderDdlScript(mapping::BuildSchemaDdl(plan, kSchema), kSchema)));
  {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.bases (base_id, name, schema_name) VALUES ($1, 'Fuzz', $2)",
               {std::string(kBaseId), std::string(kSchema)}));
    AIRPG_RETURN_IF_ERROR(pg::WriteCatalogRows(tx, kBaseId, mapping::PlanJson(plan)));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
  }
  AIRPG_RETURN_IF_ERROR(SeedRows(conn, plan));
  ApiServiceOptions options;
  options.base_ids = {kBaseId};
  options.conninfo = conninfo;
  options.pool_size = 1;
  options.default_mode = RouteMode::kPostgres;
  options.require_tokens = false;
  options.index_sorts = false;  // no background CREATE INDEX: one input, one answer
  options.now_millis = [] { return int64_t{1700000000000}; };
  Service() = std::make_unique<ApiService>(options);
  return Status::Ok();
}

std::string ServeListFuzzProblem(std::string_view input) {
  http::Request request;
  request.headers["authorization"] = "Bearer patFuzz";
  std::string table = std::string("/v0/") + kBaseId + "/" + kTableId;
  if (!input.empty() && input.front() == '{') {
    request.method = "POST";
    request.target = table + "/listRecords";
    request.body = std::string(input);
  } else {
    request.method = "GET";
    request.target = table + "?" + std::string(input);
  }
  http::Response response = Service()->Handle(request);
  LastListed() = false;
  if (response.status >= 500) return std::to_string(response.status) + " " + response.body;
  std::string problem = ShapeProblem(response.status, Json::parse(response.body, nullptr, false));
  if (!problem.empty())
    return problem + ": " + std::to_string(response.status) + " " + response.body;
  LastListed() = response.status == 200;
  return "";
}

bool ServeListFuzzLastListed() { return LastListed(); }

}  // namespace airpg::api

#ifdef AIRPG_SERVE_LIST_FUZZER
namespace {

std::unique_ptr<airpg::pg::EmbeddedCluster>& Cluster() {
  static std::unique_ptr<airpg::pg::EmbeddedCluster> cluster;
  return cluster;
}
std::filesystem::path& Home() {
  static std::filesystem::path home;
  return home;
}

void StopCluster() {
  if (Cluster()) Cluster()->Stop().IgnoreError();
  std::error_code ignored;
  if (!Home().empty()) std::filesystem::remove_all(Home(), ignored);
}

}  // namespace

constexpr char kHomePrefix[] = "airpg-serve-fuzz-";

// A run that found something ends in abort(), which skips atexit: its
// cluster would keep running. Each run first stops and removes those of
// earlier runs whose process is gone (home/owner.pid).
void RemoveOrphanedClusters() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kHomePrefix, 0) != 0) continue;
    FILE* owner = std::fopen((entry.path() / "owner.pid").c_str(), "r");
    long pid = 0;
    if (owner != nullptr) {
      if (std::fscanf(owner, "%ld", &pid) != 1) pid = 0;
      std::fclose(owner);
    }
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0) continue;  // still running
    airpg::pg::EmbeddedOptions options;
    options.home = entry.path();
    airpg::pg::EmbeddedCluster(options).Stop().IgnoreError();
    std::filesystem::remove_all(entry.path(), error);
  }
}

// A private cluster for the whole run (about a second to create), removed at exit.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  RemoveOrphanedClusters();
  std::string dir = std::string("/tmp/") + kHomePrefix + "XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  Home() = dir;
  if (FILE* owner = std::fopen((Home() / "owner.pid").c_str(), "w")) {
    std::fprintf(owner, "%ld\n", static_cast<long>(getpid()));
    std::fclose(owner);
  }
  airpg::pg::EmbeddedOptions options;
  options.home = Home();
  options.durable = false;
  Cluster() = std::make_unique<airpg::pg::EmbeddedCluster>(options);
  std::atexit(StopCluster);
  airpg::Status started = Cluster()->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "serve_list_fuzz: %s\n", started.ToString().c_str());
    std::abort();
  }
  airpg::Status ready = airpg::api::ServeListFuzzSetUp(Cluster()->Url());
  if (!ready.ok()) {
    std::fprintf(stderr, "serve_list_fuzz: %s\n", ready.ToString().c_str());
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string problem =
      airpg::api::ServeListFuzzProblem(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "serve_list_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
#endif  // AIRPG_SERVE_LIST_FUZZER
