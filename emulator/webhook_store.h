// WebhookStore: the webhooks of every base (API.md §6) — specification,
// secret, per-hook payload log with a monotonic cursor, expiry on the
// emulated clock (7 days, pushed back by refresh and payload listing),
// payload retention (7 days) and the last ping result.
// Thread-compatible: guarded by the service lock.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "emulator/change_set.h"
#include "emulator/ids.h"
#include "emulator/model.h"
#include "emulator/wire.h"

namespace airpg::emulator {

inline constexpr int64_t kWebhookLifetimeMillis = 7LL * 24 * 3600 * 1000;

// A ping the notifier should send.
struct PingRequest {
  std::string base_id;
  std::string webhook_id;
  std::string url;
  std::string mac_key;  // raw secret bytes
  int retry_number = 0;
};

struct Webhook {
  std::string id;
  std::string base_id;
  std::string notification_url;  // empty: poll only
  Json specification;
  std::string mac_key;  // raw bytes; base64 shown once at creation
  int64_t expiration_millis = 0;
  bool hook_enabled = true;
  bool notifications_enabled = true;
  int64_t next_cursor = 1;
  struct Payload {
    int64_t number;
    int64_t created_millis;
    Json body;
  };
  std::deque<Payload> payloads;
  Json last_notification_result;  // null until a ping was tried
  int64_t last_success_millis = 0;

  bool Expired(int64_t now) const { return now >= expiration_millis; }
};

class WebhookStore {
 public:
  ApiResult<Json> Create(const Base& base, const Json& body, int64_t now, IdGenerator& ids);
  Json List(const std::string& base_id, int64_t now);
  ApiResult<Json> Delete(const std::string& base_id, const std::string& webhook_id);
  ApiResult<Json> Refresh(const std::string& base_id, const std::string& webhook_id, int64_t now);
  ApiResult<Json> EnableNotifications(const std::string& base_id, const std::string& webhook_id,
                                      const Json& body);
  ApiResult<Json> Payloads(const std::string& base_id, const std::string& webhook_id,
                           int64_t cursor, int limit, int64_t now);

  // Appends a payload to every live hook of `base` that sees part of
  // `changes`; returns the pings to send.
  std::vector<PingRequest> Publish(const Base& base, const Collaborator& user,
                                   const ChangeSet& changes, int64_t now);

  // Stores a ping outcome as lastNotificationResult.
  void RecordPing(const std::string& webhook_id, bool success, const std::string& error,
                  int retry_number, bool will_retry, int64_t duration_millis, int64_t now);

  // Whether the hook exists, is live and wants pings (a retry checks this).
  bool WantsPing(const std::string& webhook_id, int64_t now);

 private:
  Webhook* Find(const std::string& base_id, const std::string& webhook_id);
  // Drops payloads older than 7 days and hooks expired for more than 7 days.
  void Purge(int64_t now);

  std::vector<Webhook> hooks_;
};

}  // namespace airpg::emulator
