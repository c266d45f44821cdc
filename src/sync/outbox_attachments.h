// The attachment step of the outbound sync (issue 16): attachment cells
// changed in Postgres (airpg.add_attachment, or a deleted airpg.attachments
// row; catalog_v9.sql) reach Airtable. A cell is claimed from
// airpg.attachment_outbox with a lease, then, with no transaction open:
// removals and files over upload_max_bytes go as one update of the field
// ({"id"} of the attachments kept, {"url"} of a signed URL airpg serves for
// each large file, blobs/blob_links.h), and each file up to upload_max_bytes
// is uploaded (uploadAttachment). Each answer's att… id is recorded on the
// airpg.attachments row in a short transaction under origin 'airtable', so
// the webhook echo finds the attachment known: no second download, no second
// row. An upload whose outcome was lost is found again on the next attempt
// (an attachment of the same filename and size that airpg does not know)
// rather than sent twice. A cell Airtable changed too since Postgres's first
// change is decided by the field's conflict rule (attachment_conflicts.h):
// Postgres's cell replaces Airtable's, or Postgres's change is dropped, or
// the cell waits, parked, for `airpg conflicts resolve`. Attachments of a
// row not pushed yet wait for its rec id (attachment_record_ids.h).
// Single-thread; several processes may share a base.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "blobs/blob_store.h"
#include "pg/connection.h"

namespace airpg::sync {

// Airtable's uploadAttachment limit.
inline constexpr int64_t kUploadAttachmentMaxBytes = int64_t{5} << 20;

struct AttachmentDispatchOptions {
  std::string owner = "airpg";  // who holds the lease
  int max_cells = 20;           // cells claimed per round
  std::chrono::milliseconds lease{30000};
  // Transient failures wait from this, doubling per attempt, up to a minute.
  std::chrono::milliseconds retry_initial{500};
  // Files up to this size are uploaded; larger ones are written as a URL
  // Airtable fetches (sync.attachment_upload_max_bytes; tests make it small).
  int64_t upload_max_bytes = kUploadAttachmentMaxBytes;
  // The signed URL Airtable fetches blob `sha256` from (BlobLinks::Url).
  // Unset: a file over upload_max_bytes is dead-lettered, saying so.
  std::function<std::string(const std::string& sha256)> blob_url;
  // A cell of a row not pushed yet, or parked in a conflict, is looked at
  // again this much later.
  std::chrono::milliseconds wait{1000};
};

struct AttachmentDispatchReport {
  int64_t claimed = 0;   // cells claimed
  int64_t uploaded = 0;  // files sent with uploadAttachment
  int64_t linked = 0;    // files sent as a URL
  int64_t removed = 0;   // attachments removed in Airtable
  int64_t adopted = 0;   // lost uploads found in Airtable instead of sent again
  int64_t dead = 0;      // cells dead-lettered
  int64_t rescheduled = 0;
  int64_t waiting = 0;    // cells of rows not pushed yet, or parked in a conflict
  int64_t conflicts = 0;  // cells both sides changed, decided by the rule
  int64_t dropped = 0;    // Postgres changes Airtable's cell won over
  int64_t requests = 0;   // Airtable requests made
};

// One round over the base's due attachment cells. `store` holds the bytes.
// Non-OK for Postgres failures and when Airtable refused the token (the
// rest of the round is given back).
Result<AttachmentDispatchReport> DispatchAttachments(airtable::Client& client, pg::Connection& conn,
                                                     blobs::BlobStore& store,
                                                     const std::string& base_id,
                                                     const AttachmentDispatchOptions& options);

}  // namespace airpg::sync
