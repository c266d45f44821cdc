#include "emulator/service.h"

#include <cctype>
#include <chrono>
#include <optional>
#include <thread>

#include "airtable/wire/api_path.h"
#include "emulator/formula_filter.h"
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {
namespace {

http::Response Ok(const Json& body) {
  http::Response response;
  response.body = body.dump();
  return response;
}

http::Response Respond(HandlerResult result, Call& call) {
  if (!result.ok()) return result.error().ToResponse();
  if (result.value().is_null() && !call.raw_body.empty()) {
    http::Response response;
    response.body = std::move(call.raw_body);
    return response;
  }
  return Ok(result.value());
}

// The bearer token, or "" when the header is missing or not Bearer.
std::string BearerToken(const http::Request& request) {
  std::string_view header = request.Header("authorization");
  if (header.size() < 7) return "";
  std::string scheme(header.substr(0, 7));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return "";
  std::string token(header.substr(7));
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  return token;
}

// Permission levels in increasing order (API.md §5.1).
int LevelRank(const std::string& level) {
  if (level == "create") return 4;
  if (level == "edit") return 3;
  if (level == "comment") return 2;
  if (level == "read") return 1;
  return 0;
}

ApiError NotPermitted(std::string message = "You are not permitted to perform this operation") {
  return {403, "INVALID_PERMISSIONS", std::move(message)};
}

// Whether the token's user may do what `call` asks in `base`: reads need
// read, record writes edit, schema and webhook management create (API.md
// §1.2). Changes "as a person in the UI" are not checked.
std::optional<ApiError> CheckPermission(const Call& call, const Base& base, int needed) {
  if (call.changes.source == "client") return std::nullopt;
  int rank = LevelRank(base.permission_level);
  if (rank == 0) return ModelNotFound();
  if (rank >= needed) return std::nullopt;
  return NotPermitted();
}

// /v0/meta/... (segments start after "v0").
HandlerResult RouteMeta(Call& call) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  if (s.size() == 3 && s[2] == "whoami" && method == "GET") return Whoami(call);
  if (s.size() == 3 && s[2] == "bases" && method == "GET") return ListBases(call);
  if (s.size() < 5 || s[2] != "bases" || s[4] != "tables") return RouteNotFound();
  Base* base = call.service.model.FindBase(s[3]);
  if (base == nullptr) return ModelNotFound();
  if (auto denied = CheckPermission(call, *base, method == "GET" ? 1 : 4)) return *denied;
  if (s.size() == 5) {
    if (method == "GET") return GetBaseSchema(call, *base);
    if (method == "POST") return CreateTable(call, *base);
    return RouteNotFound();
  }
  Table* table = base->FindTable(s[5]);
  if (table == nullptr) return ModelNotFound();
  if (s.size() == 6 && method == "PATCH") return UpdateTable(call, *base, *table);
  if (s.size() == 7 && s[6] == "fields" && method == "POST")
    return CreateField(call, *base, *table);
  if (s.size() == 8 && s[6] == "fields" && method == "PATCH") {
    Field* field = table->FindField(s[7]);
    if (field == nullptr) return ModelNotFound();
    return UpdateField(call, *base, *table, *field);
  }
  return RouteNotFound();
}

// /v0/bases/{base}/webhooks[/{id}[/refresh|/enableNotifications|/payloads]].
HandlerResult RouteWebhooks(Call& call) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  if (s.size() < 4 || s[3] != "webhooks") return RouteNotFound();
  Base* base = call.service.model.FindBase(s[2]);
  if (base == nullptr) return ModelNotFound();
  bool reads = method == "GET";  // list hooks and list payloads
  if (auto denied = CheckPermission(call, *base, reads ? 1 : 4)) return *denied;
  if (s.size() == 4) {
    if (method == "GET") return ListWebhooks(call, *base);
    if (method == "POST") return CreateWebhook(call, *base);
    return RouteNotFound();
  }
  const std::string& hook = s[4];
  if (s.size() == 5 && method == "DELETE") return DeleteWebhook(call, *base, hook);
  if (s.size() == 6 && s[5] == "refresh" && method == "POST")
    return RefreshWebhook(call, *base, hook);
  if (s.size() == 6 && s[5] == "enableNotifications" && method == "POST") {
    return EnableWebhookNotifications(call, *base, hook);
  }
  if (s.size() == 6 && s[5] == "payloads" && method == "GET") {
    return ListWebhookPayloads(call, *base, hook);
  }
  return RouteNotFound();
}

// /v0/{base}/{table}[/{record}|/listRecords].
HandlerResult RouteRecords(Call& call, Base& base) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  if (s.size() == 5 && s[4] == "uploadAttachment" && method == "POST") {
    if (auto denied = CheckPermission(call, base, 3)) return *denied;
    return UploadAttachment(call, base, s[2], s[3]);
  }
  if (s.size() < 3 || s.size() > 4) return RouteNotFound();
  Table* table = base.FindTable(s[2]);
  if (table == nullptr) return ModelNotFound();
  bool reads = method == "GET" || (s.size() == 4 && s[3] == "listRecords");
  if (auto denied = CheckPermission(call, base, reads ? 1 : 3)) {
    if (method == "POST" && s.size() == 3 && denied->status == 403 &&
        denied->type == "INVALID_PERMISSIONS") {
      return NotPermitted("You are not permitted to create records in table " + table->name + " (" +
                          table->id + ")");
    }
    return *denied;
  }
  if (s.size() == 3) {
    if (method == "GET") return ListRecords(call, base, *table, false);
    if (method == "POST") return CreateRecords(call, base, *table);
    if (method == "PATCH") return UpdateRecords(call, base, *table, WriteMode::kMerge);
    if (method == "PUT") return UpdateRecords(call, base, *table, WriteMode::kReplace);
    if (method == "DELETE") return DeleteRecords(call, base, *table);
    return RouteNotFound();
  }
  if (s[3] == "listRecords" && method == "POST") return ListRecords(call, base, *table, true);
  if (method == "GET") return GetRecord(call, base, *table, s[3]);
  if (method == "PATCH") return UpdateRecord(call, base, *table, s[3], WriteMode::kMerge);
  if (method == "PUT") return UpdateRecord(call, base, *table, s[3], WriteMode::kReplace);
  if (method == "DELETE") return DeleteRecord(call, base, *table, s[3]);
  return RouteNotFound();
}

}  // namespace

std::string Call::Query(const std::string& key) const {
  std::string value;
  for (const auto& [k, v] : query) {
    if (k == key) value = v;
  }
  return value;
}

bool Call::Flag(const std::string& key) const {
  if (body.is_object() && body.contains(key)) {
    const Json& v = body[key];
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number()) return v.get<double>() != 0;
    if (v.is_string()) return v == "true" || v == "1";
    return false;
  }
  std::string text = Query(key);
  return text == "true" || text == "1";
}

Service::Service(const EmulatorOptions& opts)
    : options(opts),
      ids(opts.seed),
      filter_compiler(FormulaFilterCompiler()),
      attachment_signer(ids.Random(32)),
      offsets(opts.offset_ttl_millis),
      rate_limiter(RateLimiter::Config{opts.rate_limits, opts.per_base_per_second,
                                       opts.per_token_per_second, 1000, opts.penalty_millis}),
      faults(opts.seed ^ 0x5eed) {
  if (opts.frozen_clock_millis) clock.Freeze(*opts.frozen_clock_millis);
  notifier = std::make_unique<WebhookNotifier>(
      clock,
      [this](const PingRequest& ping) {
        std::lock_guard lock(mu);
        return webhooks.WantsPing(ping.webhook_id, clock.NowMillis());
      },
      [this](const PingRequest& ping, const WebhookNotifier::Outcome& outcome) {
        std::lock_guard lock(mu);
        webhooks.RecordPing(ping.webhook_id, outcome.success, outcome.error, ping.retry_number,
                            outcome.will_retry, outcome.duration_millis, clock.NowMillis());
      });
}

void Service::Install(Model loaded) {
  for (Base& base : loaded.bases) base.cell_rules = options.cell_rules;
  model = std::move(loaded);
}

void Service::Publish(Call& call, const std::string& base_id) {
  if (call.changes.empty()) return;
  Base* base = model.FindBase(base_id);
  if (base == nullptr) return;
  for (PingRequest& ping : webhooks.Publish(*base, model.user, call.changes, call.now_millis)) {
    notifier->Enqueue(std::move(ping), faults.NextPingCopies());
  }
}

http::Response Service::Handle(const http::Request& request) {
  int64_t latency = 0;
  http::Response response = HandleLocked(request, &latency);
  if (latency > 0) {
    // Injected latency is served outside the lock so other requests proceed.
    std::this_thread::sleep_for(std::chrono::milliseconds(latency));
  }
  return response;
}

http::Response Service::HandleLocked(const http::Request& request, int64_t* latency) {
  auto [path, query_text] = http::SplitTarget(request.target);
  Call call{*this,  request,          http::SplitPath(path), http::ParseQuery(query_text),
            Json(), clock.NowMillis()};
  bool reads_body =
      request.method != "GET" && request.method != "DELETE" && request.method != "HEAD";
  if (reads_body && !request.body.empty()) {
    call.body = Json::parse(request.body, nullptr, false);
    if (call.body.is_discarded()) return BadJson().ToResponse();
  }
  std::lock_guard lock(mu);
  const auto& s = call.segments;
  bool lists = !s.empty() && s.back() == "listRecords";
  if (request.method != "GET" && request.method != "HEAD" && !lists) ++model.generation;
  if (s.size() >= 4 && s[0] == "__emulator" && s[1] == "ui") {
    // A change "as a person in the UI would": no token, no limits, source
    // client. /__emulator/ui/{base}/{table}… mirrors the records API and
    // /__emulator/ui/meta/bases/{base}/… the Meta API.
    bool meta = s[2] == "meta";
    std::string base_id = meta ? (s.size() >= 5 ? s[4] : "") : s[2];
    std::vector<std::string> rewritten = {"v0"};
    rewritten.insert(rewritten.end(), s.begin() + 2, s.end());
    call.segments = std::move(rewritten);
    call.changes.source = "client";
    Base* base = model.FindBase(base_id);
    http::Response response = base == nullptr ? ModelNotFound().ToResponse()
                              : meta          ? Respond(RouteMeta(call), call)
                                              : Respond(RouteRecords(call, *base), call);
    if (response.status == 200) Publish(call, base_id);
    return response;
  }
  if (!s.empty() && s[0] == "__emulator") {
    if (s.size() >= 2 && s[1] == "attachments") *latency = faults.attachment_latency_millis();
    return Admin(call);
  }
  // The same path parser as `airpg serve`'s: both servers agree on which
  // paths are routes and which base a path is about.
  ApiResult<airtable::wire::ApiPath> api_path = airtable::wire::ParseApiPath(path);
  if (!api_path.ok()) return api_path.error().ToResponse();
  call.segments = std::move(api_path->segments);

  std::string token = BearerToken(request);
  if (token.empty()) return AuthenticationRequired().ToResponse();
  if (!options.tokens.empty() &&
      std::find(options.tokens.begin(), options.tokens.end(), token) == options.tokens.end()) {
    return AuthenticationRequired().ToResponse();
  }

  // The base a request is about, for the per-base limit.
  std::string base_id = api_path->base_id;
  if (!base_id.empty() && model.FindBase(base_id) == nullptr) base_id.clear();
  *latency = faults.latency_millis();
  if (std::optional<ApiError> fault = faults.NextError()) return fault->ToResponse();
  if (!rate_limiter.Admit(base_id, token, call.now_millis)) {
    return RateLimitReached().ToResponse();
  }

  http::Response response;
  if (s[1] == "meta") {
    response = Respond(RouteMeta(call), call);
  } else if (s[1] == "bases") {
    response = Respond(RouteWebhooks(call), call);
  } else if (Base* base = model.FindBase(s[1])) {
    response = Respond(RouteRecords(call, *base), call);
  } else {
    response = RouteNotFound().ToResponse();
  }
  if (response.status == 200) Publish(call, base_id);
  if (response.status == 200 && faults.NextTruncate()) {
    response.body.resize(response.body.size() / 2);
  }
  return response;
}

}  // namespace airpg::emulator
