// PingStore: the webhook receiver's side of Postgres. It knows the secret of
// the hook each base syncs from (airpg.sync_bases, written by
// sync::EnsureWebhook; cached here and re-read on a miss, so a recreated
// hook is picked up at its first ping) and writes the inbox of pings
// (airpg.inbox: every ping, accepted or not, so forged ones are on record).
// Thread-safe: one connection, opened on first use and again after it
// breaks, and the cache, both guarded by one mutex. Pings are few (Airtable
// sends at most one at a time per hook), so serialising them costs nothing.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::daemon {

// What became of a ping; the names are airpg.inbox.outcome's values.
enum class PingOutcome { kAccepted, kBadMac, kUnknownWebhook, kMalformed };
std::string_view PingOutcomeName(PingOutcome outcome);

struct InboxEntry {
  std::chrono::system_clock::time_point received_at;
  std::string base_id;     // "" when the body did not say: NULL
  std::string webhook_id;  // likewise
  PingOutcome outcome = PingOutcome::kMalformed;
  std::string_view body;  // as received; stored cut to max_body_bytes, valid UTF-8
};

class PingStore {
 public:
  using Connect = std::function<Result<pg::Connection>()>;

  // `connect` opens a connection to the airpg database (it may be called
  // again after the connection breaks). Bodies are stored cut to
  // `max_body_bytes` (then "…" is appended).
  explicit PingStore(Connect connect, size_t max_body_bytes = 4096);

  // The secret (macSecretBase64) of `webhook_id` when it is the hook on
  // record for `base_id`; nullopt when it is not (another hook, an unknown
  // base). A cache miss re-reads the base's row. Errors: Postgres unreachable.
  Result<std::optional<std::string>> SecretFor(std::string_view base_id,
                                               std::string_view webhook_id);

  // Whether SecretFor(base_id, webhook_id) is answered from the cache,
  // without a query (the receiver budgets the queries of unknown hooks).
  bool Cached(std::string_view base_id, std::string_view webhook_id);

  // Writes one inbox row and, for an accepted ping, the base's last_ping_at,
  // in one transaction.
  Status Record(const InboxEntry& entry);

  // Whether Postgres answers (SELECT 1), for readiness checks.
  Status Check();

 private:
  struct Hook {
    std::string webhook_id;
    std::string mac_secret_base64;  // a secret: registered for redaction
  };

  // The open connection, (re)connecting as needed. REQUIRES: mu_ held.
  Result<pg::Connection*> Open();

  const Connect connect_;
  const size_t max_body_bytes_;
  std::mutex mu_;
  std::optional<pg::Connection> conn_;              // guarded by mu_
  std::map<std::string, Hook, std::less<>> hooks_;  // guarded by mu_; by base_id
};

// `body` as valid UTF-8 of at most `max_bytes` bytes plus "…" when cut:
// invalid sequences and NUL become U+FFFD, and no character is split.
std::string InboxBody(std::string_view body, size_t max_bytes);

}  // namespace airpg::daemon
