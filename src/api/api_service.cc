#include "api/api_service.h"

#include <algorithm>
#include <mutex>

#include "airtable/wire/api_error.h"
#include "airtable/wire/api_path.h"
#include "airtable/wire/list_params.h"
#include "api/meta_writer.h"
#include "api/permission_level.h"
#include "api/record_reader.h"
#include "api/record_writer.h"
#include "http/url.h"
#include "pg/view_snapshots.h"

namespace airpg::api {
namespace {

using airtable::wire::ApiError;
using airtable::wire::Json;

http::Response Body(std::string body) {
  http::Response response;
  response.body = std::move(body);
  return response;
}

int64_t SystemMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ApiService::ApiService(ApiServiceOptions options)
    : options_(std::move(options)),
      pool_(options_.conninfo, options_.pool_size),
      catalog_(options_.conninfo, std::chrono::milliseconds(200)),
      routes_(options_.default_mode, options_.route_refresh),
      handover_(options_.outbox_wait, options_.on_proxied_write),
      sort_indexes_(options_.index_sorts ? options_.conninfo : "", options_.sort_index_recheck),
      shadow_thread_([this] { ShadowLoop(); }) {}

ApiService::~ApiService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  shadow_cv_.notify_all();
  shadow_thread_.join();
}

ApiService::Stats ApiService::stats() const {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return stats_;
}

std::string ApiService::RenderMetrics() const {
  Stats s = stats();
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
           " " + std::to_string(value) + "\n";
  };
  counter("airpg_api_proxied_requests_total", "API requests answered by Airtable.", s.proxied);
  counter("airpg_api_shadow_compared_total", "Shadow reads compared with Postgres.",
          s.shadow_compared);
  counter("airpg_api_shadow_diffs_total",
          "Differences shadow reads found (rows of airpg.shadow_diffs).", s.shadow_diffs);
  counter("airpg_api_shadow_dropped_total", "Shadow comparisons skipped: the queue was full.",
          s.shadow_dropped);
  counter("airpg_api_shadow_rechecked_total",
          "Shadow reads compared a second time because the first compare found differences.",
          s.shadow_rechecked);
  out +=
      "# HELP airpg_api_shadow_waiting Shadow reads waiting for the sync before their second "
      "compare.\n# TYPE airpg_api_shadow_waiting gauge\nairpg_api_shadow_waiting " +
      std::to_string(s.shadow_waiting) + "\n";
  return out;
}

void ApiService::DrainShadow() {
  std::unique_lock lock(mu_);
  shadow_cv_.wait(
      lock, [&] { return shadow_queue_.empty() && shadow_waiting_.empty() && shadow_busy_ == 0; });
}

std::optional<std::vector<ShadowDiff>> ApiService::ShadowCompare(pg::Connection& conn,
                                                                 ShadowJob& job) {
  http::Response error;
  auto [encoded_path, query] = http::SplitTarget(job.request.target);
  std::vector<std::string> path = http::SplitPath(encoded_path);
  std::shared_ptr<const ApiBase> base = Base(conn, job.base_id, &error);
  const mapping::TablePlan* table = base ? base->FindTable(path[2]) : nullptr;
  if (table == nullptr) return std::nullopt;
  job.table_id = table->table_id;
  http::Response ours =
      ReadFromPostgres(conn, job.request, *base, *table, path, std::string(query));
  std::vector<ShadowDiff> diffs =
      CompareShadowAnswers(Json::parse(job.airtable_body, nullptr, false), ours.status, ours.body,
                           AsksForOrder(job.request.target, job.request.body));
  for (ShadowDiff& d : diffs) {
    d.base_id = job.base_id;
    d.table_id = table->table_id;
    d.request = job.request.method + " " + job.request.target;
  }
  return diffs;
}

void ApiService::ShadowRecheck(std::vector<ShadowJob> waiting) {
  size_t found = 0, rechecked = 0;
  std::vector<ShadowJob> still;
  Result<ConnectionPool::Lease> lease = pool_.Borrow();
  auto now = std::chrono::steady_clock::now();
  std::map<std::string, std::optional<int64_t>> watermarks;  // by table, read once per pass
  for (ShadowJob& job : waiting) {
    if (!lease.ok()) {
      still.push_back(std::move(job));
      continue;
    }
    auto watermark = watermarks.find(job.table_id);
    if (watermark == watermarks.end()) {
      Result<std::optional<int64_t>> read = PollWatermarkMicros(**lease, job.table_id);
      watermark = watermarks.emplace(job.table_id, read.ok() ? *read : std::nullopt).first;
    }
    bool passed = watermark->second && *watermark->second >= job.answered_at_micros;
    if (now < job.recheck_by && !passed) {
      still.push_back(std::move(job));
      continue;
    }
    ++rechecked;
    std::optional<std::vector<ShadowDiff>> second = ShadowCompare(**lease, job);
    if (!second) continue;
    std::vector<ShadowDiff> diffs = PersistingDiffs(job.first, std::move(*second));
    if (RecordShadowDiffs(**lease, diffs).ok()) found += diffs.size();
  }
  std::lock_guard lock(mu_);
  for (ShadowJob& job : still) shadow_waiting_.push_back(std::move(job));
  stats_.shadow_rechecked += rechecked;
  stats_.shadow_compared += rechecked;
  stats_.shadow_diffs += found;
}

void ApiService::ShadowLoop() {
  // How often waiting jobs ask whether the sync has caught up.
  constexpr auto kRecheckPoll = std::chrono::milliseconds(100);
  auto last_recheck = std::chrono::steady_clock::now();
  while (true) {
    ShadowJob job;
    std::vector<ShadowJob> waiting;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return stopping_ || !shadow_queue_.empty(); };
      if (shadow_waiting_.empty()) {
        shadow_cv_.wait(lock, ready);
      } else {
        shadow_cv_.wait_until(lock, last_recheck + kRecheckPoll, ready);
      }
      if (shadow_queue_.empty() && stopping_) {
        // Differences not confirmed by a second compare are not recorded.
        shadow_waiting_.clear();
        shadow_cv_.notify_all();
        return;
      }
      auto now = std::chrono::steady_clock::now();
      // Waiting jobs get their turn even while new reads keep coming.
      if (!shadow_waiting_.empty() &&
          (shadow_queue_.empty() || now - last_recheck >= kRecheckPoll)) {
        waiting.swap(shadow_waiting_);
        last_recheck = now;
      } else if (!shadow_queue_.empty()) {
        job = std::move(shadow_queue_.front());
        shadow_queue_.pop_front();
      }
      ++shadow_busy_;
    }
    if (!waiting.empty()) {
      ShadowRecheck(std::move(waiting));
      std::lock_guard lock(mu_);
      --shadow_busy_;
      stats_.shadow_waiting = shadow_waiting_.size();
      shadow_cv_.notify_all();
      continue;
    }
    if (job.request.target.empty()) {  // woken with nothing to do
      std::lock_guard lock(mu_);
      --shadow_busy_;
      shadow_cv_.notify_all();
      continue;
    }
    size_t found = 0;
    bool wait = false;
    Result<ConnectionPool::Lease> lease = pool_.Borrow();
    if (lease.ok()) {
      std::optional<std::vector<ShadowDiff>> diffs = ShadowCompare(**lease, job);
      if (diffs && !diffs->empty() && options_.shadow_recheck_wait.count() > 0) {
        // Perhaps only the sync's lag: compared again once it has caught up.
        job.first = std::move(*diffs);
        job.recheck_by = std::chrono::steady_clock::now() + options_.shadow_recheck_wait;
        wait = true;
      } else if (diffs && RecordShadowDiffs(**lease, *diffs).ok()) {
        found = diffs->size();
      }
    }
    std::lock_guard lock(mu_);
    --shadow_busy_;
    if (wait) {
      shadow_waiting_.push_back(std::move(job));
    } else {
      ++stats_.shadow_compared;
      stats_.shadow_diffs += found;
    }
    stats_.shadow_waiting = shadow_waiting_.size();
    shadow_cv_.notify_all();
  }
}

http::Response ApiService::Proxy(const http::Request& request, const std::string& target,
                                 const std::string& base_id) {
  if (options_.upstream == nullptr) {
    return ApiError{503, "SERVICE_UNAVAILABLE", "Airtable is not configured for this server"}
        .ToResponse();
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.proxied;
  }
  // The application's requests go first in the base's budget.
  bool read = request.method == "GET" || (request.method == "POST" &&
                                          request.target.find("/listRecords") != std::string::npos);
  airtable::ApiError upstream_error;
  Result<std::string> body = options_.upstream->Call(
      base_id, airtable::Priority::kApplication,
      read || request.method == "PATCH" || request.method == "PUT" || request.method == "DELETE"
          ? airtable::Client::Retry::kAlways
          : airtable::Client::Retry::kIfNotApplied,
      request.method, target, request.body, &upstream_error);
  if (body.ok()) return Body(std::move(*body));
  // Airtable's own 4xx answer (its type and message) reaches the client as is.
  if (upstream_error.http_status >= 400 && upstream_error.http_status < 500 &&
      !upstream_error.type.empty()) {
    return ApiError{upstream_error.http_status, upstream_error.type, upstream_error.message}
        .ToResponse();
  }
  switch (body.status().code()) {
    case StatusCode::kNotFound:
      return airtable::wire::RouteNotFound().ToResponse();
    case StatusCode::kPermissionDenied:
      return airtable::wire::ModelNotFound().ToResponse();
    case StatusCode::kUnauthenticated:
      return airtable::wire::AuthenticationRequired().ToResponse();
    case StatusCode::kInvalidArgument:
      return airtable::wire::InvalidRequest(std::string(body.status().message())).ToResponse();
    case StatusCode::kResourceExhausted:
      return airtable::wire::RateLimitReached().ToResponse();
    default:
      return ApiError{503, "SERVICE_UNAVAILABLE", "Airtable did not answer"}.ToResponse();
  }
}

bool ApiService::Serves(const http::Request& request) {
  auto [path, query] = http::SplitTarget(request.target);
  return path.rfind("/v0/", 0) == 0;
}

std::shared_ptr<const ApiBase> ApiService::Base(pg::Connection& conn, const std::string& base_id,
                                                http::Response* error) {
  if (std::find(options_.base_ids.begin(), options_.base_ids.end(), base_id) ==
      options_.base_ids.end()) {
    *error = airtable::wire::ModelNotFound().ToResponse();
    return nullptr;
  }
  auto now = std::chrono::steady_clock::now();
  uint64_t generation = catalog_.generation();
  {
    std::lock_guard lock(mu_);
    auto it = bases_.find(base_id);
    if (it != bases_.end() && it->second.generation == generation &&
        now - it->second.loaded < options_.plan_ttl) {
      return it->second.base;
    }
  }
  Result<ApiBase> loaded = LoadApiBase(conn, base_id);
  if (!loaded.ok()) {
    *error =
        loaded.status().code() == StatusCode::kNotFound
            ? airtable::wire::ModelNotFound().ToResponse()
            : ApiError{503, "SERVICE_UNAVAILABLE", "The database is not available"}.ToResponse();
    return nullptr;
  }
  auto base = std::make_shared<const ApiBase>(std::move(loaded).value());
  std::lock_guard lock(mu_);
  bases_[base_id] = {base, now, generation};
  return base;
}

std::optional<TokenInfo> ApiService::Authenticate(pg::Connection& conn, std::string_view secret) {
  std::string hash = TokenHash(secret);
  auto now = std::chrono::steady_clock::now();
  uint64_t generation = catalog_.generation();
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(hash);
    if (it != tokens_.end() && it->second.generation == generation &&
        now - it->second.loaded < options_.token_refresh) {
      return it->second.token;
    }
  }
  Result<std::optional<TokenInfo>> found = FindToken(conn, secret);
  if (!found.ok()) return std::nullopt;
  std::lock_guard lock(mu_);
  if (tokens_.size() > 10000) tokens_.clear();  // bounded: guessed tokens cannot grow it
  tokens_[hash] = {*found, now, generation};
  return *found;
}

http::Response ApiService::Handle(const http::Request& request) {
  auto [encoded_path, query] = http::SplitTarget(request.target);
  // The shared parser refuses `..`, empty and overlong paths before anything
  // reads a base from them: a proxied path must not leave its base.
  airtable::wire::ApiResult<airtable::wire::ApiPath> parsed =
      airtable::wire::ParseApiPath(encoded_path);
  if (!parsed.ok()) return parsed.error().ToResponse();
  const std::vector<std::string>& path = parsed->segments;  // "v0", …
  std::string_view auth = request.Header("authorization");
  if (auth.rfind("Bearer ", 0) != 0 || auth.size() <= 7) {
    return airtable::wire::AuthenticationRequired().ToResponse();
  }
  Result<ConnectionPool::Lease> lease = pool_.Borrow();
  if (!lease.ok()) {
    return ApiError{503, "SERVICE_UNAVAILABLE", "The database is not available"}.ToResponse();
  }
  pg::Connection& conn = **lease;
  std::optional<TokenInfo> token;
  if (options_.require_tokens) {
    token = Authenticate(conn, auth.substr(7));
    if (!token) return airtable::wire::AuthenticationRequired().ToResponse();
  }
  if (parsed->api == airtable::wire::ApiPath::Api::kWebhooks) {
    return airtable::wire::RouteNotFound().ToResponse();  // airpg keeps its own hooks
  }
  bool meta = path.size() >= 3 && path[1] == "meta" && path[2] == "bases";
  if (parsed->api == airtable::wire::ApiPath::Api::kMeta && !meta) {
    return airtable::wire::RouteNotFound().ToResponse();
  }
  const std::string& base_id = parsed->base_id;
  bool read = request.method == "GET" ||
              (request.method == "POST" && path.size() == 4 && path[3] == "listRecords");
  if (token) {
    auto has = [&](std::string_view scope) {
      return std::find(token->scopes.begin(), token->scopes.end(), scope) != token->scopes.end();
    };
    if (!base_id.empty() && !token->bases.empty() &&
        std::find(token->bases.begin(), token->bases.end(), base_id) == token->bases.end()) {
      return airtable::wire::ModelNotFound().ToResponse();
    }
    std::string_view needed = meta
                                  ? (request.method == "GET" ? kScopeSchemaRead : kScopeSchemaWrite)
                                  : (read ? kScopeRecordsRead : kScopeRecordsWrite);
    if (!has(needed)) {
      return ApiError{403, "INVALID_PERMISSIONS", "You are not permitted to perform this operation"}
          .ToResponse();
    }
  }
  if (options_.after_auth) {
    if (std::optional<http::Response> answer = options_.after_auth(request)) return *answer;
  }
  if (meta) {
    if (IsMetaWrite(request)) {
      // Only a served base's schema may change through serve (and be
      // mirrored): the same 403 as reading a base not served.
      if (std::find(options_.base_ids.begin(), options_.base_ids.end(), base_id) ==
          options_.base_ids.end()) {
        return airtable::wire::ModelNotFound().ToResponse();
      }
      http::Response answer =
          WriteMeta(conn, options_.upstream, options_.mirror_schema, request, base_id);
      std::lock_guard lock(mu_);
      bases_.erase(base_id);  // the next request reads the changed schema
      return answer;
    }
    if (request.method != "GET") return airtable::wire::RouteNotFound().ToResponse();
    if (path.size() == 3) return MetaBases(conn, token);
    if (path.size() == 5 && path[4] == "tables") return MetaTables(conn, path[3]);
    return airtable::wire::RouteNotFound().ToResponse();
  }
  if (path.size() < 3) return airtable::wire::RouteNotFound().ToResponse();
  return Records(conn, request, path, std::string(query));
}

http::Response ApiService::Records(pg::Connection& conn, const http::Request& request,
                                   const std::vector<std::string>& path, const std::string& query) {
  http::Response error;
  std::shared_ptr<const ApiBase> base = Base(conn, path[1], &error);
  if (!base) return error;
  const mapping::TablePlan* table = base->FindTable(path[2]);
  if (table == nullptr) return airtable::wire::ModelNotFound().ToResponse();
  bool read = request.method == "GET" ||
              (request.method == "POST" && path.size() == 4 && path[3] == "listRecords");
  RouteMode mode = routes_.ModeOf(conn, base->base_id, table->table_id, catalog_.generation());
  http::Response answer;
  switch (mode) {
    case RouteMode::kPostgres:
      answer = ReadFromPostgres(conn, request, *base, *table, path, query);
      break;
    case RouteMode::kAirtable:
      answer = ProxyRecords(conn, request, *base, *table, read);
      break;
    case RouteMode::kShadow: {
      answer = ProxyRecords(conn, request, *base, *table, read);
      // Offsets are Airtable's iterators: only first pages are compared.
      bool paged = query.find("offset=") != std::string::npos ||
                   request.body.find("\"offset\"") != std::string::npos;
      if (answer.status == 200 && read && !paged) {
        std::lock_guard lock(mu_);
        if (shadow_queue_.size() + shadow_waiting_.size() < 1000) {
          shadow_queue_.push_back({request, base->base_id, answer.body, SystemMillis() * 1000});
          shadow_cv_.notify_all();
        } else {
          ++stats_.shadow_dropped;
        }
      }
      break;
    }
  }
  // Which side answered: for operators watching a flip (and the flip test).
  answer.headers.emplace_back("X-Airpg-Route", std::string(RouteModeName(mode)));
  return answer;
}

http::Response ApiService::ProxyRecords(pg::Connection& conn, const http::Request& request,
                                        const ApiBase& base, const mapping::TablePlan& table,
                                        bool read) {
  InFlightWrite in_flight;  // a write's; kept until its answer is applied
  Result<http::Request> sent = handover_.Before(conn, request, table, read, &in_flight);
  if (!sent.ok()) {
    return ApiError{503, "SERVICE_UNAVAILABLE", std::string(sent.status().message())}.ToResponse();
  }
  // The handover may put Airtable's ids for reserved ones into the target:
  // Airtable still gets a path rebuilt from checked segments, never the raw
  // target.
  auto [encoded_path, query] = http::SplitTarget(sent->target);
  airtable::wire::ApiResult<airtable::wire::ApiPath> checked =
      airtable::wire::ParseApiPath(encoded_path);
  if (!checked.ok()) return checked.error().ToResponse();
  if (checked->base_id != base.base_id) return airtable::wire::ModelNotFound().ToResponse();
  std::string upstream_target = checked->Encoded();
  if (!query.empty()) upstream_target += "?" + std::string(query);
  http::Response answer = Proxy(*sent, upstream_target, base.base_id);
  if (!read && answer.status == 200) {
    handover_.After(conn, base.base_id, table, answer.body, in_flight);
  }
  return answer;
}

http::Response ApiService::ReadFromPostgres(pg::Connection& conn, const http::Request& request,
                                            const ApiBase& base, const mapping::TablePlan& table,
                                            const std::vector<std::string>& path,
                                            const std::string& query) {
  http::QueryParams params = http::ParseQuery(query);
  int64_t now = options_.now_millis ? options_.now_millis() : SystemMillis();
  bool list_get = path.size() == 3 && request.method == "GET";
  bool list_post = path.size() == 4 && path[3] == "listRecords" && request.method == "POST";
  if (list_get || list_post) {
    airtable::wire::ApiResult<airtable::wire::ListParams> parsed =
        list_get ? airtable::wire::ParseListQuery(params)
                 : [&]() -> airtable::wire::ApiResult<airtable::wire::ListParams> {
      Json body = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
      if (body.is_discarded()) return airtable::wire::BadJson();
      return airtable::wire::ParseListBody(body, params);
    }();
    if (!parsed.ok()) return parsed.error().ToResponse();
    for (const airtable::wire::ListParams::Sort& sort : parsed->sort) {
      if (const mapping::FieldPlan* f = FindField(table, sort.field)) {
        sort_indexes_.Want(base.schema, table, *f);
      }
    }
    auto body = ListRecords(conn, base, table, *parsed, now, options_.on_query);
    return body.ok() ? Body(std::move(*body)) : body.error().ToResponse();
  }
  if (path.size() == 4 && request.method == "GET") {
    airtable::wire::RenderOptions options;
    std::string by_id, cell_format, time_zone, user_locale;
    for (const auto& [key, value] : params) {
      if (key == "returnFieldsByFieldId") options.by_field_id = airtable::wire::ParseBool(value);
      if (key == "cellFormat") cell_format = value;
      if (key == "timeZone") options.time_zone = value;
      if (key == "userLocale") options.user_locale = value;
    }
    if (!cell_format.empty() && cell_format != "json" && cell_format != "string") {
      return airtable::wire::InvalidRequest("Invalid cellFormat: " + cell_format).ToResponse();
    }
    if (cell_format == "string") {
      if (options.time_zone.empty() || options.user_locale.empty()) {
        return airtable::wire::InvalidRequest(
                   "Invalid request: timeZone and userLocale are required when cellFormat is "
                   "string")
            .ToResponse();
      }
      options.string_format = true;
    }
    auto body = GetRecord(conn, base, table, path[3], options);
    return body.ok() ? Body(std::move(*body)) : body.error().ToResponse();
  }
  bool table_path = path.size() == 3 || path.size() == 4;
  if (table_path && (request.method == "POST" || request.method == "PATCH" ||
                     request.method == "PUT" || request.method == "DELETE")) {
    if (request.method == "POST" && path.size() == 4) {
      return airtable::wire::RouteNotFound().ToResponse();
    }
    WriteRequest write{request.method, path.size() == 4 ? path[3] : "", request.body, params};
    auto body = WriteRecords(conn, base, table, write);
    return body.ok() ? Body(std::move(*body)) : body.error().ToResponse();
  }
  return airtable::wire::RouteNotFound().ToResponse();
}

http::Response ApiService::MetaBases(pg::Connection& conn, const std::optional<TokenInfo>& token) {
  Json bases = Json::array();
  for (const std::string& id : options_.base_ids) {
    if (token && !token->bases.empty() &&
        std::find(token->bases.begin(), token->bases.end(), id) == token->bases.end()) {
      continue;
    }
    http::Response error;
    std::shared_ptr<const ApiBase> base = Base(conn, id, &error);
    if (!base) continue;  // not migrated yet
    bases.push_back({{"id", id},
                     {"name", base->name},
                     {"permissionLevel", EffectivePermissionLevel(base->permission_level, token)}});
  }
  return Body(Json{{"bases", bases}}.dump());
}

http::Response ApiService::MetaTables(pg::Connection& conn, const std::string& base_id) {
  http::Response error;
  std::shared_ptr<const ApiBase> base = Base(conn, base_id, &error);
  if (!base) return error;
  // Views as the migrate and the sync read them (pg/view_snapshots.h): a
  // view Airtable would not list records of has no snapshot and is not shown.
  Result<std::vector<pg::TableView>> views = pg::ListTableViews(conn, base_id);
  if (!views.ok()) {
    return ApiError{503, "SERVICE_UNAVAILABLE", "The database is not available"}.ToResponse();
  }
  Json tables = Json::array();
  for (const mapping::TablePlan& table : base->plan.tables) {
    Json fields = Json::array();
    for (const mapping::FieldPlan& f : table.fields) {
      Json field = {{"type", f.field.type_name}, {"id", f.field.id}, {"name", f.field.name}};
      if (!f.field.description.empty()) field["description"] = f.field.description;
      if (!f.field.options_json.empty()) {
        Json options = Json::parse(f.field.options_json, nullptr, false);
        if (!options.is_discarded() && !options.is_null()) field["options"] = options;
      }
      fields.push_back(std::move(field));
    }
    Json table_views = Json::array();
    for (const pg::TableView& v : *views) {
      if (v.table_id != table.table_id) continue;
      Json view = {{"id", v.view_id}, {"name", v.view_name}};
      if (!v.view_type.empty()) view["type"] = v.view_type;
      table_views.push_back(std::move(view));
    }
    Json t = {{"id", table.table_id},
              {"name", table.airtable_name},
              {"primaryFieldId", table.primary_field_id},
              {"fields", std::move(fields)},
              {"views", std::move(table_views)}};
    if (!table.description.empty()) t["description"] = table.description;
    tables.push_back(std::move(t));
  }
  return Body(Json{{"tables", tables}}.dump());
}

}  // namespace airpg::api
