// StoredAttachments: an AttachmentSource (attachment_source.h) over the
// AttachmentFetcher and a BlobStore it owns, so an attachment the sync meets
// — in a payload, a poll or a dead-letter replay — is downloaded,
// size-checked and stored once per sha256 exactly as `airpg migrate` stores
// it, in Postgres or in the configured directory.
// Thread-safe once opened (the fetcher opens a Connection per thread);
// source() must not outlive this object.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "blobs/attachment_fetcher.h"
#include "blobs/attachment_source.h"
#include "blobs/blob_store.h"

namespace airpg::blobs {

class StoredAttachments {
 public:
  // `directory` "" keeps the bytes in Postgres (airpg.blobs). Attachments
  // over `max_bytes` are refused (their cell is dead-lettered).
  static Result<std::unique_ptr<StoredAttachments>> Open(
      std::string conninfo, const std::string& directory,
      int64_t max_bytes = kDefaultMaxAttachmentBytes);

  AttachmentSource source();

 private:
  StoredAttachments(std::string conninfo, std::unique_ptr<BlobStore> store, FetcherOptions options);

  std::string conninfo_;
  std::unique_ptr<BlobStore> store_;
  AttachmentFetcher fetcher_;
};

}  // namespace airpg::blobs
