#include "emulator/webhook_store.h"

#include <algorithm>

#include "airtable/webhook_mac.h"
#include "emulator/clock.h"
#include "emulator/webhook_payload.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

constexpr size_t kHooksPerBase = 10;
constexpr int kMaxPayloadsPerPage = 50;

ApiError HookNotFound() { return ModelNotFound(); }

ApiError InvalidSpec(const std::string& why) {
  return Unprocessable("INVALID_WEBHOOK_SPECIFICATION", "Invalid webhook specification: " + why);
}

ApiResult<bool> ValidateSpec(const Base& base, const Json& spec) {
  if (!spec.is_object() || !spec.contains("options") || !spec["options"].is_object()) {
    return InvalidSpec("missing options");
  }
  const Json& filters = MemberAt(spec["options"], "filters");
  if (!filters.is_object()) return InvalidSpec("missing filters");
  const Json& types = MemberAt(filters, "dataTypes");
  if (!types.is_array() || types.empty()) return InvalidSpec("dataTypes must not be empty");
  for (const Json& t : types) {
    if (t != "tableData" && t != "tableFields" && t != "tableMetadata") {
      return InvalidSpec("unknown dataType " + t.dump());
    }
  }
  if (filters.contains("recordChangeScope")) {
    std::string scope = StringAt(filters, "recordChangeScope");
    bool found = false;
    for (const Table& t : base.tables) found |= t.id == scope || t.FindView(scope) != nullptr;
    if (!found) return InvalidSpec("unknown recordChangeScope " + scope);
  }
  return true;
}

}  // namespace

Webhook* WebhookStore::Find(const std::string& base_id, const std::string& webhook_id) {
  for (Webhook& h : hooks_) {
    if (h.base_id == base_id && h.id == webhook_id) return &h;
  }
  return nullptr;
}

void WebhookStore::Purge(int64_t now) {
  std::erase_if(hooks_, [&](const Webhook& h) {
    return now >= h.expiration_millis + kWebhookLifetimeMillis;
  });
  for (Webhook& h : hooks_) {
    while (!h.payloads.empty() &&
           now - h.payloads.front().created_millis >= kWebhookLifetimeMillis) {
      h.payloads.pop_front();
    }
  }
}

ApiResult<Json> WebhookStore::Create(const Base& base, const Json& body, int64_t now,
                                     IdGenerator& ids) {
  Purge(now);
  if (!body.is_object() || !body.contains("specification")) return InvalidRequest();
  EMU_ASSIGN_OR_RETURN(bool valid, ValidateSpec(base, body["specification"]));
  (void)valid;
  size_t count = std::count_if(hooks_.begin(), hooks_.end(),
                               [&](const Webhook& h) { return h.base_id == base.id; });
  if (count >= kHooksPerBase) {
    return Unprocessable("TOO_MANY_WEBHOOKS_BY_OAUTH_INTEGRATION_IN_BASE",
                         "A base can have at most 10 webhooks");
  }
  Webhook hook;
  hook.id = ids.Next("ach");
  hook.base_id = base.id;
  if (body.contains("notificationUrl") && body["notificationUrl"].is_string()) {
    hook.notification_url = body["notificationUrl"].get<std::string>();
  }
  hook.specification = body["specification"];
  hook.mac_key = ids.Random(128);
  hook.expiration_millis = now + kWebhookLifetimeMillis;
  Json out = {{"id", hook.id},
              {"macSecretBase64", airtable::Base64Encode(hook.mac_key)},
              {"expirationTime", FormatIsoMillis(hook.expiration_millis)}};
  hooks_.push_back(std::move(hook));
  return out;
}

Json WebhookStore::List(const std::string& base_id, int64_t now) {
  Purge(now);
  Json list = Json::array();
  for (const Webhook& h : hooks_) {
    if (h.base_id != base_id) continue;
    list.push_back(
        {{"id", h.id},
         {"specification", h.specification},
         {"notificationUrl", h.notification_url.empty() ? Json() : Json(h.notification_url)},
         {"cursorForNextPayload", h.next_cursor},
         {"isHookEnabled", h.hook_enabled && !h.Expired(now)},
         {"areNotificationsEnabled", h.notifications_enabled},
         {"expirationTime", FormatIsoMillis(h.expiration_millis)},
         {"lastSuccessfulNotificationTime",
          h.last_success_millis ? Json(FormatIsoMillis(h.last_success_millis)) : Json()},
         {"lastNotificationResult", h.last_notification_result}});
  }
  return {{"webhooks", list}};
}

ApiResult<Json> WebhookStore::Delete(const std::string& base_id, const std::string& webhook_id) {
  if (Find(base_id, webhook_id) == nullptr) return HookNotFound();
  std::erase_if(hooks_, [&](const Webhook& h) { return h.id == webhook_id; });
  return Json::object();
}

ApiResult<Json> WebhookStore::Refresh(const std::string& base_id, const std::string& webhook_id,
                                      int64_t now) {
  Purge(now);
  Webhook* hook = Find(base_id, webhook_id);
  if (hook == nullptr) return HookNotFound();
  if (hook->Expired(now) || !hook->hook_enabled) {
    return Unprocessable("CANNOT_REFRESH_DISABLED_WEBHOOK", "Cannot refresh a disabled webhook");
  }
  hook->expiration_millis = now + kWebhookLifetimeMillis;
  return Json{{"expirationTime", FormatIsoMillis(hook->expiration_millis)}};
}

ApiResult<Json> WebhookStore::EnableNotifications(const std::string& base_id,
                                                  const std::string& webhook_id, const Json& body) {
  Webhook* hook = Find(base_id, webhook_id);
  if (hook == nullptr) return HookNotFound();
  if (!body.is_object() || !body.contains("enable") || !body["enable"].is_boolean()) {
    return InvalidRequest();
  }
  hook->notifications_enabled = body["enable"].get<bool>();
  return Json::object();
}

ApiResult<Json> WebhookStore::Payloads(const std::string& base_id, const std::string& webhook_id,
                                       int64_t cursor, int limit, int64_t now) {
  Purge(now);
  Webhook* hook = Find(base_id, webhook_id);
  if (hook == nullptr) return HookNotFound();
  if (limit <= 0 || limit > kMaxPayloadsPerPage) limit = kMaxPayloadsPerPage;
  if (cursor < 1) cursor = 1;
  if (!hook->Expired(now)) hook->expiration_millis = now + kWebhookLifetimeMillis;
  Json payloads = Json::array();
  int64_t next = cursor;
  bool more = false;
  for (const Webhook::Payload& p : hook->payloads) {
    if (p.number < cursor) continue;
    if (static_cast<int>(payloads.size()) == limit) {
      more = true;
      break;
    }
    payloads.push_back(p.body);
    next = p.number + 1;
  }
  // Payloads purged by retention leave the cursor where the client asked.
  return Json{
      {"payloads", payloads}, {"cursor", next}, {"mightHaveMore", more}, {"payloadFormat", "v0"}};
}

std::vector<PingRequest> WebhookStore::Publish(const Base& base, const Collaborator& user,
                                               const ChangeSet& changes, int64_t now) {
  std::vector<PingRequest> pings;
  if (changes.empty()) return pings;
  PayloadContext ctx{base, user, now, base.transaction_number};
  for (Webhook& hook : hooks_) {
    if (hook.base_id != base.id || !hook.hook_enabled || hook.Expired(now)) continue;
    Json payload = BuildPayload(ctx, hook.specification, changes);
    if (payload.is_null()) continue;
    hook.payloads.push_back({hook.next_cursor++, now, std::move(payload)});
    if (hook.notifications_enabled && !hook.notification_url.empty()) {
      pings.push_back({base.id, hook.id, hook.notification_url, hook.mac_key, 0});
    }
  }
  return pings;
}

void WebhookStore::RecordPing(const std::string& webhook_id, bool success, const std::string& error,
                              int retry_number, bool will_retry, int64_t duration_millis,
                              int64_t now) {
  for (Webhook& h : hooks_) {
    if (h.id != webhook_id) continue;
    Json result = {{"success", success},
                   {"completionTimestamp", FormatIsoMillis(now)},
                   {"durationMs", duration_millis},
                   {"retryNumber", retry_number}};
    if (!success) {
      result["error"] = {{"message", error}};
      result["willBeRetried"] = will_retry;
    } else {
      h.last_success_millis = now;
    }
    h.last_notification_result = result;
  }
}

bool WebhookStore::WantsPing(const std::string& webhook_id, int64_t now) {
  for (const Webhook& h : hooks_) {
    if (h.id == webhook_id) return h.hook_enabled && !h.Expired(now) && h.notifications_enabled;
  }
  return false;
}

}  // namespace airpg::emulator
