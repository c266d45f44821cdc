// AttachmentFetcher: turns the attachments of a cell into stored blobs during
// the load, while Airtable's signed URLs (about two hours) are still valid.
// An attachment whose id airpg.attachments already knows, with its bytes in
// the store, is not downloaded again (resume and re-migration); any other is
// streamed through airtable::Client::DownloadAttachment into a Spool, checked
// against the size Airtable announced and Put into the BlobStore. Writing the
// airpg.attachments rows is the loader's job.
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

#include "airtable/client.h"
#include "base/backoff.h"
#include "base/result.h"
#include "migrate/blob_store.h"
#include "pg/connection.h"

namespace airpg::migrate {

// One element of an attachment cell, as Airtable sent it (the fields of
// airtable::Attachment without thumbnails).
struct AttachmentToFetch {
  std::string id;   // att…
  std::string url;  // signed and expiring
  std::string filename;
  int64_t size = 0;  // announced by Airtable; the download must match it
  std::string type;  // MIME type; may be empty
  std::optional<int64_t> width;
  std::optional<int64_t> height;
};

// What the loader writes into airpg.attachments.
struct StoredAttachment {
  std::string attachment_id;
  std::string filename;
  std::string content_type;  // Airtable's type, else what the download said
  int64_t size = 0;
  std::string sha256;  // the blob's key
  std::optional<int64_t> width;
  std::optional<int64_t> height;
  bool downloaded = false;  // false when an earlier load had stored it
};

// Airtable's largest attachment, 5 GB per file: the default size cap (the
// same figure as http::kDefaultMaxDownloadBytes, which this layer may not include).
inline constexpr int64_t kDefaultMaxAttachmentBytes = int64_t{5} << 30;

struct FetcherOptions {
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
  // Borrows `client` and `store`, which must outlive the fetcher.
  AttachmentFetcher(airtable::Client& client, BlobStore& store, FetcherOptions options = {});

  // Stores one attachment, or says why not. Errors (nothing is stored):
  // kDataLoss when the bytes differ in size from what Airtable announced;
  // kNotFound when the URL has expired or is gone (read the record again for
  // a fresh one); kInvalidArgument when it is over max_bytes; kUnavailable
  // when the download kept failing; kCancelled once stop is set; Postgres and
  // file-system errors as they come. REQUIRES: no transaction open on `conn`.
  Result<StoredAttachment> Fetch(pg::Connection& conn, const AttachmentToFetch& attachment);

  // Fetches all of `attachments` on `threads` threads, each with its own
  // connection opened from `conninfo`; results in input order. The same
  // attachment id listed twice is fetched once. Attachments are not API
  // requests, so Airtable's 5 requests/s do not pace them.
  std::vector<Result<StoredAttachment>> FetchAll(const std::string& conninfo,
                                                 const std::vector<AttachmentToFetch>& attachments,
                                                 int threads);

  FetcherStats stats() const;

 private:
  // The stored blob of an earlier load of this attachment id, if its bytes
  // are still in the store and its size is the one announced now.
  Result<std::optional<std::string>> StoredSha(pg::Connection& conn,
                                               const AttachmentToFetch& attachment);
  Result<StoredAttachment> Download(pg::Connection& conn, const AttachmentToFetch& attachment);

  airtable::Client& client_;
  BlobStore& store_;
  FetcherOptions options_;
  std::atomic<int64_t> downloaded_{0};
  std::atomic<int64_t> reused_{0};
  std::atomic<int64_t> bytes_downloaded_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace airpg::migrate
