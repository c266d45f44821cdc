// RecordApplier: applies a ChangeBatch to a base's live schema in two stages.
// FetchAttachments runs first, with no transaction open: it downloads and
// stores the attachments the batch's cells name (network time, no locks).
// Apply then writes the batch inside the caller's transaction without any
// network call, so row locks on live tables last milliseconds (DESIGN: no
// network call inside a transaction). Apply runs in the
// caller's transaction — the caller commits it together with the position
// (payload cursor, poll watermark) that the batch covers, so a sync killed at
// any point re-applies at most an uncommitted batch, and applying a batch
// twice leaves the same rows (upserts by airtable_id, tombstones by id).
// Order within the batch: every table's rows, then links (so links inside the
// batch resolve), attachments, tombstones, dead letters. A record the batch
// lists that was deleted after its read began stays deleted
// (stale_reads.h); a destroyed record whose row has a Postgres change
// pending is decided by the conflict rule (deleted_records.h). Writes carry
// origin 'airtable' into the audit log. Single-thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "blobs/attachment_source.h"
#include "mapping/schema_plan.h"
#include "pg/transaction.h"
#include "sync/change_batch.h"
#include "sync/link_writer.h"

namespace airpg::sync {

// A base as it is live: its schema and the plan its tables were built by.
struct LiveBase {
  std::string base_id;
  std::string schema;
  mapping::SchemaPlan plan;
};

// The attachments FetchAttachments stored ahead of a transaction, by
// attachment id: stored (sha256 set), or why not.
using FetchedAttachments = std::map<std::string, Result<Attachment>, std::less<>>;

struct ApplyOptions {
  // A link to a record Postgres does not have is retried by later batches
  // this many times before its dead letter is 'dead'.
  int link_attempts = 5;
  // Destroyed records whose row has a Postgres change pending in the outbox
  // are delete-vs-update conflicts the rule decides (deleted_records.h)
  // before anything is tombstoned; false where the rule already decided.
  bool decide_pending_deletes = true;
};

struct ApplyStats {
  int64_t records = 0;     // records in the batch
  int64_t changed = 0;     // rows inserted or changed
  int64_t tombstoned = 0;  // rows newly marked deleted
  // Records the batch lists that were deleted after its read began (on
  // either side): left deleted (stale_reads.h).
  int64_t stale = 0;
  int64_t failed_cells = 0;  // cells now waiting in the dead-letter queue
  // Cells of fields the live plan does not know (among failed_cells): the
  // schema is behind Airtable's, a refresh would let them land.
  int64_t unknown_field_cells = 0;
  int64_t attachments_stored = 0;
  // Records outside the batch whose cells changed with it (the other side of
  // a link that came or went, in Airtable their inverse cells, counts and
  // modified times moved too): the caller reads them again and applies them
  // in the same transaction.
  TouchedRecords touched;
};

class RecordApplier {
 public:
  // `attachments` may be empty: attachment cells then become dead letters.
  RecordApplier(const LiveBase& base, blobs::AttachmentSource attachments,
                ApplyOptions options = {});

  // Tables of the batch that are not in the live plan are skipped (a table
  // added in Airtable needs a migration). A cell of a field the plan does not
  // know (created in Airtable, not yet applied by the schema sync) becomes a
  // 'retrying' dead letter, "field not yet in the mirror", never a silent loss.
  // Attachments of the batch that neither airpg.attachments nor `fetched`
  // holds become dead letters of their cells. No network call.
  Result<ApplyStats> Apply(pg::Transaction& tx, const ChangeBatch& batch,
                           const FetchedAttachments& fetched = {});

  // Stage one, before the transaction: stores every attachment of the
  // batch's cells that airpg.attachments does not know and `fetched` does not
  // hold yet, and adds the outcomes to `fetched`. REQUIRES: no transaction
  // open on `conn` (downloads take network time).
  Status FetchAttachments(pg::Connection& conn, const ChangeBatch& batch,
                          FetchedAttachments& fetched);

 private:
  const LiveBase& base_;
  blobs::AttachmentSource attachments_;
  ApplyOptions options_;
};

// Takes the rows of `table` that the subquery `rows` selects (by `id`, with
// `params`) out of every link, as Airtable does when it deletes records:
// junction rows from and to them deleted, foreign keys to them cleared
// (their own foreign keys stay). The Airtable ids of the records on the
// other side of those links, whose cells change with it, are added to
// `touched`.
Status LeaveLinks(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                  const std::string& rows, const std::vector<pg::Param>& params,
                  TouchedRecords& touched);

}  // namespace airpg::sync
