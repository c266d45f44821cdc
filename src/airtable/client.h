// Client: the only code in airpg that talks to Airtable. Every request goes
// through the shared Pacer (so 429s do not happen by design), is retried when
// that is safe (429 after its penalty; 5xx and network errors with jittered
// backoff, writes only when repeating them cannot duplicate), and comes back
// as typed wire-model values or a Status (docs/errors.md). The token goes into
// the Authorization header only and is registered for redaction.
// Thread-safe: one Client may serve many threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "airtable/api_error.h"
#include "airtable/pacer.h"
#include "airtable/record.h"
#include "airtable/schema.h"
#include "airtable/transport.h"
#include "airtable/webhook.h"
#include "base/backoff.h"
#include "http/url.h"

namespace airpg::airtable {

struct ClientOptions {
  std::string endpoint_url = "https://api.airtable.com";
  // Where uploadAttachment goes (Airtable: https://content.airtable.com).
  // "": content.airtable.com when endpoint_url is Airtable's, else
  // endpoint_url itself (the emulator and airpg serve both paths on one port).
  std::string content_url;
  std::string token;  // a secret: never logged
  BackoffPolicy backoff;
  // How long a 429 holds the base back (Airtable: 30 s).
  std::chrono::milliseconds rate_limit_penalty{30000};
  int max_rate_limit_retries = 8;
  // Requests give up with kCancelled once this is stopped: a wait for the
  // pacer or between retries ends at once (the waits are on the pacer's
  // clock, so a test's ManualClock drives them).
  std::stop_token stop;
};

struct ClientStats {
  int64_t requests = 0;              // HTTP requests sent
  int64_t retries = 0;               // requests sent again after a failure
  int64_t rate_limited = 0;          // 429s received, whoever caused them
  int64_t server_errors = 0;         // 5xx and transport failures
  int64_t foreign_rate_limited = 0;  // of rate_limited: another client of the base's doing
};

struct ListOptions {
  std::vector<std::string> fields;
  std::string filter_by_formula;
  std::vector<std::pair<std::string, bool>> sort;  // field, descending
  std::string view;
  int page_size = 100;
  int64_t max_records = 0;  // 0: all
  bool return_fields_by_field_id = false;
  std::string cell_format;  // "" (json) or "string" (needs time_zone and user_locale)
  std::string time_zone;
  std::string user_locale;
  bool comment_count = false;
};

struct WriteOptions {
  bool typecast = false;
  bool return_fields_by_field_id = false;
  bool replace = false;  // PUT (clears fields not sent) instead of PATCH
};

// The outcome of one write request (at most 10 records; Airtable applies a
// request whole or not at all), kept with what was sent and what came back
// so a failure can be dead-lettered and replayed.
struct BatchOutcome {
  Status status;           // OK, or why the whole request failed
  std::string error_type;  // Airtable's error type ("INVALID_VALUE_FOR_COLUMN"); "" if none
  int http_status = 0;     // of the last answer; 0 when none came
  std::string request;     // method, path and body as sent
  std::string response;    // Airtable's answer (the body), "" when none came
  WriteResult result;      // the records written (created/updated ids for upserts)
  std::vector<std::string> deleted;  // for deletes: the ids Airtable deleted
};

class Client;

// Pages through a listing. When Airtable drops the iterator
// (LIST_RECORDS_ITERATOR_NOT_AVAILABLE) it starts again from the first page
// and skips what it already returned, so each record comes out exactly once.
// Single-thread.
class RecordPager {
 public:
  // The next page; nullopt after the last one.
  Result<std::optional<RecordPage>> Next();
  int restarts() const { return restarts_; }

 private:
  friend class Client;
  RecordPager(Client* client, std::string base_id, std::string table, ListOptions options,
              Priority priority);
  Client* client_;
  std::string base_id_;
  std::string table_;
  ListOptions options_;
  Priority priority_;
  std::string offset_;
  bool done_ = false;
  int restarts_ = 0;
  int64_t returned_ = 0;
  std::unordered_set<std::string> seen_;
};

class Client {
 public:
  // `pacer` is shared by every client of the process and must outlive this one.
  Client(ClientOptions options, Pacer& pacer,
         std::unique_ptr<Transport> transport = std::make_unique<CurlTransport>());

  // Meta API.
  Result<BaseSchema> GetBaseSchema(std::string_view base_id, bool include_visible_field_ids,
                                   Priority priority = Priority::kBackfill);

  // The base's id and name from the bases the token can see (all pages);
  // kNotFound when the token cannot see it. Paced for the token only.
  Result<BaseInfo> GetBaseInfo(std::string_view base_id, Priority priority = Priority::kBackfill);

  // Records API. `table` is a table id or name.
  RecordPager ListRecords(std::string_view base_id, std::string_view table, ListOptions options,
                          Priority priority = Priority::kBackfill);
  Result<RecordPage> ListPage(std::string_view base_id, std::string_view table,
                              const ListOptions& options, std::string_view offset,
                              Priority priority);
  Result<Record> GetRecord(std::string_view base_id, std::string_view table,
                           std::string_view record_id, bool return_fields_by_field_id = false,
                           Priority priority = Priority::kIncremental);
  // Writes go out in requests of at most 10 records, in order; the results
  // are concatenated. A failure stops at that chunk (earlier chunks stand).
  Result<WriteResult> CreateRecords(std::string_view base_id, std::string_view table,
                                    const std::vector<RecordWrite>& records,
                                    const WriteOptions& options = {});
  Result<WriteResult> UpdateRecords(std::string_view base_id, std::string_view table,
                                    const std::vector<RecordWrite>& records,
                                    const WriteOptions& options = {});
  Result<WriteResult> UpsertRecords(std::string_view base_id, std::string_view table,
                                    const std::vector<RecordWrite>& records,
                                    const std::vector<std::string>& fields_to_merge_on,
                                    const WriteOptions& options = {});
  Result<std::vector<std::string>> DeleteRecords(std::string_view base_id, std::string_view table,
                                                 const std::vector<std::string>& record_ids);

  // One write request of at most 10 records, for the outbox: never a
  // Result — the outcome says what was sent, what Airtable answered and its
  // error type. Updates with `fields_to_merge_on` are upserts (retried like
  // updates: sending one again finds the record the first one made).
  BatchOutcome WriteBatch(std::string_view base_id, std::string_view table,
                          const std::vector<RecordWrite>& records,
                          const std::vector<std::string>& fields_to_merge_on,
                          const WriteOptions& options = {});
  BatchOutcome DeleteBatch(std::string_view base_id, std::string_view table,
                           const std::vector<std::string>& record_ids);

  // Appends one file to an attachment cell (POST {content_url}/v0/{base}/
  // {record}/{field}/uploadAttachment, upload_api.cc): at most 5 MB, sent as
  // base64. Answers the record with its fields keyed by field id. Not
  // idempotent: sent again only when Airtable did nothing (429, 503);
  // `api_error` receives Airtable's error answer.
  Result<Record> UploadAttachment(std::string_view base_id, std::string_view record_id,
                                  std::string_view field_id, std::string_view content_type,
                                  std::string_view filename, std::string_view bytes,
                                  ApiError* api_error = nullptr);
  // The host uploads go to (ClientOptions::content_url resolved).
  std::string ContentUrl() const;

  // Creates a field (Meta API, POST …/tables/{table}/fields); returns its id.
  Result<std::string> CreateField(std::string_view base_id, std::string_view table_id,
                                  std::string_view field_json);

  // Webhooks API.
  Result<CreatedWebhook> CreateWebhook(std::string_view base_id, std::string_view notification_url,
                                       std::string_view specification_json);
  Result<std::vector<WebhookInfo>> ListWebhooks(std::string_view base_id);
  Result<std::string> RefreshWebhook(std::string_view base_id, std::string_view webhook_id);
  Status EnableNotifications(std::string_view base_id, std::string_view webhook_id, bool enable);
  Status DeleteWebhook(std::string_view base_id, std::string_view webhook_id);
  Result<PayloadPage> ListPayloads(std::string_view base_id, std::string_view webhook_id,
                                   int64_t cursor, int limit = 50);

  ClientStats stats() const;
  const Pacer& pacer() const { return pacer_; }

  // When a failed request may be sent again.
  enum class Retry {
    kAlways,        // reads and idempotent writes
    kIfNotApplied,  // creates: only after a 429 or 503, when Airtable did nothing
  };

  // One request: paced, retried as `retry` allows, non-2xx turned into Status.
  // `path_and_query` starts with "/v0/".
  // `api_error`, when given, receives the last error answer (type and
  // message as Airtable sent them).
  Result<std::string> Call(std::string_view base_id, Priority priority, Retry retry,
                           std::string method, const std::string& path_and_query,
                           std::string body = "", ApiError* api_error = nullptr);

 private:
  // Call against another host of Airtable's (content.airtable.com).
  Result<std::string> CallHost(const std::string& host_url, std::string_view base_id,
                               Priority priority, Retry retry, std::string method,
                               const std::string& path_and_query, std::string body,
                               ApiError* api_error);

  // A read: Call, then parse; a body that does not parse (cut short on the
  // way) is asked for again, twice at most.
  template <typename T, typename Parse>
  Result<T> Read(std::string_view base_id, Priority priority, std::string method,
                 const std::string& path, std::string body, Parse parse) {
    for (int attempt = 0;; ++attempt) {
      AIRPG_ASSIGN_OR_RETURN(std::string text,
                             Call(base_id, priority, Retry::kAlways, method, path, body));
      Result<T> parsed = parse(text);
      if (parsed.ok() || parsed.status().code() != StatusCode::kDataLoss || attempt >= 2) {
        return parsed;
      }
      ++retries_;
    }
  }

  Result<WriteResult> Write(std::string_view method, std::string_view base_id,
                            std::string_view table, const std::vector<RecordWrite>& records,
                            const std::string& extra_json, const WriteOptions& options,
                            bool create);

  ClientOptions options_;
  Pacer& pacer_;
  std::unique_ptr<Transport> transport_;
  std::string user_agent_;
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> rate_limited_{0};
  std::atomic<int64_t> server_errors_{0};
  std::atomic<int64_t> foreign_rate_limited_{0};
};

}  // namespace airpg::airtable
