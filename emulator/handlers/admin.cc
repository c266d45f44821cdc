// Control endpoints under /__emulator/ (docs/emulator.md): stats, clock,
// rate-limit settings, cell rules, reset, state dump and offset expiry. They need no
// token and are never rate limited.
#include "airtable/webhook_mac.h"
#include "emulator/data_file.h"
#include "emulator/handlers/handlers.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

http::Response Json200(const Json& body) {
  http::Response response;
  response.body = body.dump();
  return response;
}

Json ClockJson(const Service& service) {
  int64_t now = service.clock.NowMillis();
  return {{"now", FormatIsoMillis(now)}, {"nowMillis", now}, {"frozen", service.clock.frozen()}};
}

http::Response Clock(Call& call) {
  Service& service = call.service;
  if (call.request.method == "POST") {
    const Json& body = call.body;
    if (!body.is_object()) return InvalidRequest().ToResponse();
    if (body.contains("freezeAt")) {
      int64_t millis = 0;
      const Json& at = body["freezeAt"];
      if (at.is_number_integer()) {
        millis = at.get<int64_t>();
      } else if (!at.is_string() || !ParseIsoMillis(at.get<std::string>(), &millis)) {
        return InvalidRequest("freezeAt must be epoch millis or an ISO time").ToResponse();
      }
      service.clock.Freeze(millis);
    } else if (body.value("freeze", false)) {
      service.clock.Freeze(service.clock.NowMillis());
    }
    if (body.contains("advanceMillis"))
      service.clock.Advance(body.value("advanceMillis", int64_t{0}));
    if (body.contains("advanceSeconds")) {
      service.clock.Advance(body.value("advanceSeconds", int64_t{0}) * 1000);
    }
    if (body.value("run", false)) service.clock.Unfreeze();
  }
  return Json200(ClockJson(service));
}

Json CellRulesJson(const CellRules& rules) {
  return {{"dateResults", rules.date_result == CellRules::DateResult::kDate ? "date" : "instant"},
          {"brokenComputed",
           rules.broken_computed == CellRules::BrokenComputed::kOmit ? "omit" : "error"}};
}

// GET/POST /__emulator/cell-rules {"dateResults":"date"|"instant",
// "brokenComputed":"omit"|"error"}: EmulatorOptions::cell_rules at run time,
// for every base (and kept by reset).
http::Response CellRulesEndpoint(Call& call) {
  Service& service = call.service;
  CellRules& rules = service.options.cell_rules;
  if (call.request.method == "POST") {
    if (!call.body.is_object()) return InvalidRequest().ToResponse();
    Json current = CellRulesJson(rules);
    std::string dates =
        StringAt(call.body, "dateResults", current["dateResults"].get<std::string>());
    std::string broken =
        StringAt(call.body, "brokenComputed", current["brokenComputed"].get<std::string>());
    if ((dates != "date" && dates != "instant") || (broken != "omit" && broken != "error")) {
      return InvalidRequest("dateResults is date|instant, brokenComputed omit|error").ToResponse();
    }
    rules.date_result =
        dates == "date" ? CellRules::DateResult::kDate : CellRules::DateResult::kInstant;
    rules.broken_computed =
        broken == "omit" ? CellRules::BrokenComputed::kOmit : CellRules::BrokenComputed::kError;
    for (Base& base : service.model.bases) base.cell_rules = rules;
  }
  return Json200(CellRulesJson(rules));
}

http::Response RateLimits(Call& call) {
  RateLimiter& limiter = call.service.rate_limiter;
  if (call.request.method == "POST") {
    const Json& body = call.body;
    if (!body.is_object()) return InvalidRequest().ToResponse();
    RateLimiter::Config config = limiter.config();
    config.enabled = body.value("enabled", config.enabled);
    config.per_base = body.value("perBase", config.per_base);
    config.per_token = body.value("perToken", config.per_token);
    config.window_millis = body.value("windowMillis", config.window_millis);
    config.penalty_millis = body.value("penaltyMillis", config.penalty_millis);
    limiter.set_config(config);
  }
  return Json200(limiter.Stats(call.now_millis)["rateLimits"]);
}

http::Response Reset(Call& call) {
  Service& service = call.service;
  auto model = ModelFromJson(service.initial_state, service.ids, call.now_millis);
  if (!model.ok()) return InvalidRequest(std::string(model.status().message())).ToResponse();
  service.Install(std::move(model.value()));
  service.offsets.Clear();
  service.rate_limiter.ResetCounters();
  return Json200({{"reset", true}});
}

// GET /__emulator/attachments/{att}/{filename}?expires=&sig= — the bytes
// behind a signed attachment URL (emulator-only "content" in base64, else a
// placeholder); 410 once the URL has expired, 403 when the signature is wrong.
http::Response Attachment(Call& call) {
  const auto& s = call.segments;
  if (s.size() != 4) return RouteNotFound().ToResponse();
  AttachmentSigner::Check check = call.service.attachment_signer.Verify(
      s[2], s[3], call.Query("expires"), call.Query("sig"), call.now_millis);
  if (check == AttachmentSigner::Check::kBadSignature) {
    return ApiError{403, "INVALID_ATTACHMENT_SIGNATURE", "The attachment URL is not valid"}
        .ToResponse();
  }
  if (check == AttachmentSigner::Check::kExpired) {
    return ApiError{410, "ATTACHMENT_URL_EXPIRED", "The attachment URL has expired"}.ToResponse();
  }
  for (const Base& base : call.service.model.bases) {
    for (const Table& table : base.tables) {
      for (const Field& field : table.fields) {
        if (field.kind() != airtable::FieldType::kMultipleAttachments) continue;
        for (const Record& record : table.records) {
          auto cell = record.cells.find(field.id);
          if (cell == record.cells.end()) continue;
          for (const Json& attachment : *cell) {
            if (StringAt(attachment, "id") != s[2]) continue;
            http::Response response;
            response.content_type = StringAt(attachment, "type", "application/octet-stream");
            std::string content = StringAt(attachment, "content");
            if (content.empty() || !airtable::Base64Decode(content, &response.body)) {
              response.body = AttachmentPlaceholder(s[2], StringAt(attachment, "filename"));
            }
            return response;
          }
        }
      }
    }
  }
  return ModelNotFound().ToResponse();
}

}  // namespace

http::Response Admin(Call& call) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  std::string what = s.size() >= 2 ? s[1] : "";
  std::string rest = s.size() >= 3 ? s[2] : "";
  Service& service = call.service;
  if (what == "health" && method == "GET") return Json200({{"ok", true}});
  if (what == "attachments" && method == "GET") return Attachment(call);
  if (what == "stats" && method == "GET") {
    Json stats = service.rate_limiter.Stats(call.now_millis);
    stats["now"] = FormatIsoMillis(call.now_millis);
    stats["listIterators"] = service.offsets.size();
    stats["faultsInjected"] = service.faults.injected();
    return Json200(stats);
  }
  if (what == "clock" && (method == "GET" || method == "POST")) return Clock(call);
  if (what == "rate-limits" && (method == "GET" || method == "POST")) return RateLimits(call);
  if (what == "cell-rules" && (method == "GET" || method == "POST")) {
    return CellRulesEndpoint(call);
  }
  if (what == "reset" && method == "POST") return Reset(call);
  if (what == "faults" && method == "GET") return Json200(service.faults.ToJson());
  if (what == "faults" && method == "POST") {
    ApiResult<Json> configured = service.faults.Configure(call.body);
    return configured.ok() ? Json200(configured.value()) : configured.error().ToResponse();
  }
  if (what == "state" && method == "GET") return Json200(ModelToJson(service.model));
  if (what == "offsets" && rest == "expire" && method == "POST") {
    service.offsets.Clear();
    return Json200({{"expired", true}});
  }
  return RouteNotFound().ToResponse();
}

}  // namespace airpg::emulator
