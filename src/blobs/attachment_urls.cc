#include "blobs/attachment_urls.h"

#include <fmt/core.h>

#include <algorithm>

#include "blobs/attachment_download.h"
#include "pg/transaction.h"

namespace airpg::blobs {
namespace {

struct Waiting {
  std::string schema, record_id, field_id, reserved_id, url;
  int attempts = 0;
};

Status RecordFailure(pg::Connection& conn, const Waiting& w, const Status& failure,
                     const UrlFetchOptions& options) {
  auto delay = std::min<std::chrono::milliseconds>(
      options.retry_initial * (int64_t{1} << std::min(w.attempts, 12)), std::chrono::hours(1));
  return conn.Run(
      "UPDATE airpg.attachments SET url_attempts = url_attempts + 1, url_error = $2, "
      "url_retry_at = clock_timestamp() + $3::bigint * interval '1 millisecond' "
      "WHERE reserved_id = $1 AND sha256 IS NULL",
      {w.reserved_id, failure.ToString(), std::to_string(delay.count())});
}

}  // namespace

Result<UrlFetchReport> FetchAttachmentUrls(pg::Connection& conn, BlobStore& store,
                                           const std::string& base_id,
                                           const UrlFetchOptions& options) {
  UrlFetchReport report;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT a.schema_name, a.record_id, a.field_id, a.reserved_id, a.source_url, "
                "a.url_attempts FROM airpg.attachments a JOIN airpg.bases b USING (schema_name) "
                "WHERE b.base_id = $1 AND a.sha256 IS NULL AND a.source_url IS NOT NULL "
                "AND a.reserved_id IS NOT NULL AND a.url_attempts < $2::int "
                "AND (a.url_retry_at IS NULL OR a.url_retry_at <= clock_timestamp()) "
                "ORDER BY a.url_attempts, a.reserved_id LIMIT $3::int",
                {base_id, std::to_string(kMaxUrlAttempts), std::to_string(options.max_rows)}));
  for (int i = 0; i < rows.size(); ++i) {
    Waiting w{std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)),
              std::string(rows.Get(i, 2)), std::string(rows.Get(i, 3)),
              std::string(rows.Get(i, 4)), std::stoi(std::string(rows.Get(i, 5)))};
    Spool spool = store.NewSpool();
    Result<DownloadedBytes> got = DownloadAttachment(
        w.url, options.user_agent, [&](std::string_view piece) { return spool.Append(piece); },
        options.max_bytes);
    Status stored = got.ok() ? store.Put(conn, got->sha256, spool) : got.status();
    if (!stored.ok()) {
      ++report.failed;
      AIRPG_RETURN_IF_ERROR(RecordFailure(conn, w, stored, options));
      continue;
    }
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    // The bytes are airpg's bookkeeping, not a change to send (the guard of
    // catalog_v9 lets origin airtable fill them in).
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("UPDATE airpg.attachments SET sha256 = $2, size = $3::bigint, "
               "content_type = coalesce(content_type, nullif($4, '')), url_error = NULL "
               "WHERE reserved_id = $1 AND sha256 IS NULL",
               {w.reserved_id, got->sha256, std::to_string(got->size), got->content_type}));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    ++report.fetched;
  }
  return report;
}

}  // namespace airpg::blobs
