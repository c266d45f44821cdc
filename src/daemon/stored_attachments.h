// StoredAttachments: the sync's AttachmentSource (sync/attachment_source.h)
// wired to the migration's AttachmentFetcher and BlobStore, so an attachment
// the sync meets — in a payload, a poll or a dead-letter replay — is
// downloaded, size-checked and stored once per sha256 exactly as `airpg
// migrate` stores it, in Postgres or in the configured directory.
// Thread-safe once opened (the fetcher opens a Connection per thread);
// source() must not outlive this object.
#pragma once

#include <memory>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "migrate/attachment_fetcher.h"
#include "migrate/blob_store.h"
#include "sync/attachment_source.h"

namespace airpg::daemon {

class StoredAttachments {
 public:
  // `directory` "" keeps the bytes in Postgres (airpg.blobs). Attachments
  // over `max_bytes` are refused (their cell is dead-lettered).
  static Result<std::unique_ptr<StoredAttachments>> Open(
      airtable::Client& client, std::string conninfo, const std::string& directory,
      int64_t max_bytes = migrate::kDefaultMaxAttachmentBytes);

  sync::AttachmentSource source();

 private:
  StoredAttachments(airtable::Client& client, std::string conninfo,
                    std::unique_ptr<migrate::BlobStore> store, int64_t max_bytes);

  std::string conninfo_;
  std::unique_ptr<migrate::BlobStore> store_;
  migrate::AttachmentFetcher fetcher_;
};

}  // namespace airpg::daemon
