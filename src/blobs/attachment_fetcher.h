// AttachmentFetcher: turns the attachments of a cell into stored blobs while
// Airtable's signed URLs (about two hours) are still valid, for the migrate
// loader and the sync alike. An attachment whose id airpg.attachments already
// knows, with its bytes in the store, is not downloaded again (resume,
// re-migration, a record synced twice); any other is streamed through
// DownloadAttachment into a Spool, checked against the size Airtable
// announced and Put into the BlobStore. Its airpg.attachments rows are
// written by attachment_rows.h, in the caller's transaction.
// Thread-safe: Fetch may run on several threads, each with its own Connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "base/attachment.h"
#include "base/backoff.h"
#include "base/result.h"
#include "blobs/blob_store.h"
#include "pg/connection.h"

namespace airpg::blobs {

// Airtable's largest attachment, 5 GB per file: the default size cap .
inline constexpr int64_t kDefaultMaxAttachmentBytes = int64_t{5} << 30;

struct FetcherOptions {
  // Sent with every download; "" is airpg/<version>.
  std::string user_agent;
  // Larger attachments are refused before any byte is fetched (by the size
  // Airtable announces, and by the size the content host announces); a body
  // that grows past it is cut off.
  int64_t max_bytes = kDefaultMaxAttachmentBytes;
  // Retries of transient download failures (5xx, resets, timeouts).
  BackoffPolicy retry{std::chrono::milliseconds(200), std::chrono::milliseconds(5000), 2.0, 3,
                      std::chrono::milliseconds(30000)};
  // Waits between retries (called from FetchAll's threads at once);
  // empty: a sleep that `stop` ends at once. Tests pass a fake.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Once stopped, attachments not yet started fail with kCancelled.
  std::stop_token stop;
};

struct FetcherStats {
  int64_t downloaded = 0;        // attachments fetched over HTTP and stored
  int64_t reused = 0;            // attachments found stored, not fetched
  int64_t bytes_downloaded = 0;  // bytes of successful downloads
  int64_t failed = 0;            // attachments that ended in an error
};

class AttachmentFetcher {
 public:
  // Borrows `store`, which must outlive the fetcher.
  explicit AttachmentFetcher(BlobStore& store, FetcherOptions options = {});

  // Stores one attachment and answers it with sha256 set (and content_type
  // from the download when Airtable announced none), or says why not. Errors (nothing is stored):
  // kDataLoss when the bytes differ in size from what Airtable announced;
  // kNotFound when the URL has expired or is gone (read the record again for
  // a fresh one); kInvalidArgument when it is over max_bytes; kUnavailable
  // when the download kept failing; kCancelled once stop is set; Postgres and
  // file-system errors as they come. REQUIRES: no transaction open on `conn`.
  Result<Attachment> Fetch(pg::Connection& conn, const Attachment& attachment);

  // Fetches all of `attachments` on `threads` threads, each with its own
  // connection opened from `conninfo`; results in input order. The same
  // attachment id listed twice is fetched once. Attachments are not API
  // requests, so Airtable's 5 requests/s do not pace them.
  std::vector<Result<Attachment>> FetchAll(const std::string& conninfo,
                                           const std::vector<Attachment>& attachments, int threads);

  FetcherStats stats() const;

 private:
  // The stored blob of an earlier load of this attachment id, if its bytes
  // are still in the store and its size is the one announced now.
  Result<std::optional<std::string>> StoredSha(pg::Connection& conn, const Attachment& attachment);
  Result<Attachment> Download(pg::Connection& conn, const Attachment& attachment);

  BlobStore& store_;
  FetcherOptions options_;
  std::atomic<int64_t> downloaded_{0};
  std::atomic<int64_t> reused_{0};
  std::atomic<int64_t> bytes_downloaded_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace airpg::blobs
