// AttachmentUrls: the bytes of files added by URL through `airpg serve`
// (api/attachment_cells.h), downloaded into the blob store after the request
// was answered, with no transaction open during the download; the row then
// gets its sha256, size and type in a short transaction (airpg's own
// bookkeeping, origin airtable: nothing is queued for it). Run on a thread of
// its own beside the outbox loop of the process holding the base's sync lease
// (daemon/sync_service.cc), so a slow URL never holds up the outbox: the cell
// goes to Airtable as its URL whether or not the bytes are here yet. A failed
// download is tried again later, up to kMaxUrlAttempts times.
// Single-thread; a second process racing on a row downloads it twice at
// worst (the store is content-addressed).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "blobs/blob_store.h"
#include "pg/connection.h"

namespace airpg::blobs {

inline constexpr int kMaxUrlAttempts = 5;

struct UrlFetchOptions {
  int max_rows = 20;                     // downloads per round
  int64_t max_bytes = int64_t{5} << 30;  // Airtable's largest file
  std::string user_agent;
  // The wait before attempt n+1 is this times 2^(n-1), at most an hour.
  std::chrono::milliseconds retry_initial{1000};
};

struct UrlFetchReport {
  int64_t fetched = 0;  // rows whose bytes are now stored
  int64_t failed = 0;   // downloads that failed this round
};

// One round over the base's rows waiting for their bytes. Non-OK only for
// Postgres failures (a failed download is recorded on its row).
// REQUIRES: no transaction open on `conn`.
Result<UrlFetchReport> FetchAttachmentUrls(pg::Connection& conn, BlobStore& store,
                                           const std::string& base_id,
                                           const UrlFetchOptions& options = {});

}  // namespace airpg::blobs
