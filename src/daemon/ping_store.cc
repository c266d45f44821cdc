#include "daemon/ping_store.h"

#include <fmt/core.h>

#include "base/redact.h"
#include "base/utf8.h"
#include "pg/transaction.h"

namespace airpg::daemon {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …

std::string Timestamp(std::chrono::system_clock::time_point at) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  return fmt::format("{}.{:06}", micros / 1000000, micros % 1000000);
}

// An id from the ping's body, which anyone may have written.
pg::Param IdParam(const std::string& id) {
  return id.empty() ? pg::Param() : pg::Param(InboxBody(id, 64));
}

}  // namespace

std::string_view PingOutcomeName(PingOutcome outcome) {
  switch (outcome) {
    case PingOutcome::kAccepted:
      return "accepted";
    case PingOutcome::kBadMac:
      return "bad_mac";
    case PingOutcome::kUnknownWebhook:
      return "unknown_webhook";
    case PingOutcome::kMalformed:
      return "malformed";
  }
  return "malformed";
}

std::string InboxBody(std::string_view body, size_t max_bytes) {
  std::string out;
  while (!body.empty()) {
    size_t length = Utf8SequenceLength(body);
    std::string_view piece = length > 0 ? body.substr(0, length) : kUtf8Replacement;
    if (out.size() + piece.size() > max_bytes) {
      out += kEllipsis;
      break;
    }
    out += piece;
    body.remove_prefix(length > 0 ? length : 1);
  }
  return out;
}

PingStore::PingStore(Connect connect, size_t max_body_bytes)
    : connect_(std::move(connect)), max_body_bytes_(max_body_bytes) {}

Result<pg::Connection*> PingStore::Open() {
  if (conn_ && !conn_->IsHealthy()) conn_.reset();
  if (!conn_) {
    AIRPG_ASSIGN_OR_RETURN(pg::Connection opened, connect_());
    conn_.emplace(std::move(opened));
  }
  return &*conn_;
}

Result<std::optional<std::string>> PingStore::SecretFor(std::string_view base_id,
                                                        std::string_view webhook_id) {
  std::lock_guard lock(mu_);
  auto cached = hooks_.find(base_id);
  if (cached != hooks_.end() && cached->second.webhook_id == webhook_id) {
    return std::optional<std::string>(cached->second.mac_secret_base64);
  }
  AIRPG_ASSIGN_OR_RETURN(pg::Connection * conn, Open());
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn->Exec("SELECT webhook_id, mac_secret_base64 FROM airpg.sync_bases"
                 " WHERE base_id = $1 AND webhook_id IS NOT NULL AND mac_secret_base64 IS NOT NULL",
                 {std::string(base_id)}));
  if (rows.empty()) {
    hooks_.erase(std::string(base_id));
    return std::optional<std::string>();
  }
  Hook hook{std::string(rows.Get(0, 0)), std::string(rows.Get(0, 1))};
  RegisterSecret(hook.mac_secret_base64);
  bool matches = hook.webhook_id == webhook_id;
  std::string secret = hook.mac_secret_base64;
  hooks_.insert_or_assign(std::string(base_id), std::move(hook));
  return matches ? std::optional<std::string>(std::move(secret)) : std::nullopt;
}

bool PingStore::Cached(std::string_view base_id, std::string_view webhook_id) {
  std::lock_guard lock(mu_);
  auto cached = hooks_.find(base_id);
  return cached != hooks_.end() && cached->second.webhook_id == webhook_id;
}

Status PingStore::Record(const InboxEntry& entry) {
  std::lock_guard lock(mu_);
  AIRPG_ASSIGN_OR_RETURN(pg::Connection * conn, Open());
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(*conn));
  std::string at = Timestamp(entry.received_at);
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "INSERT INTO airpg.inbox (received_at, base_id, webhook_id, outcome, body)"
      " VALUES (to_timestamp($1::double precision), $2, $3, $4, $5)",
      {at, IdParam(entry.base_id), IdParam(entry.webhook_id),
       std::string(PingOutcomeName(entry.outcome)), InboxBody(entry.body, max_body_bytes_)}));
  if (entry.outcome == PingOutcome::kAccepted) {
    AIRPG_RETURN_IF_ERROR(
        tx.Run("UPDATE airpg.sync_bases SET last_ping_at = to_timestamp($2::double precision)"
               " WHERE base_id = $1 AND (last_ping_at IS NULL OR last_ping_at < "
               "to_timestamp($2::double precision))",
               {entry.base_id, at}));
  }
  return tx.Commit();
}

Status PingStore::Check() {
  std::lock_guard lock(mu_);
  AIRPG_ASSIGN_OR_RETURN(pg::Connection * conn, Open());
  return conn->Run("SELECT 1");
}

}  // namespace airpg::daemon
