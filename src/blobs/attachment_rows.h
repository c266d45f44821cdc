// The one writer of airpg.attachments: one row per attachment of a cell, in
// cell order, naming the blob that holds its bytes. The migrate loader COPYs
// rows built by AttachmentRow into a staging schema (and copies a kept
// table's with CopyTableAttachments); the sync replaces the
// rows of the cells a batch brought with ReplaceAttachmentCells; swaps, drops
// and removed fields move or delete rows with the functions below. All run in
// the caller's transaction and never touch the network (fetch first:
// attachment_fetcher.h). Edits of one cell are attachment_cell_rows.h's;
// the bytes of files added by URL, attachment_urls.h's. Stateless;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/attachment.h"
#include "base/result.h"
#include "base/status.h"
#include "pg/connection.h"

namespace airpg::blobs {

// Where an attachment sits: the cell of a record, and its place in the cell.
struct AttachmentCell {
  std::string record_id;
  std::string field_id;
  int position = 0;
  Attachment attachment;  // REQUIRES: sha256 set (the blob is stored)
};

// The columns of airpg.attachments, in AttachmentRow's order (for COPY).
const std::vector<std::string>& AttachmentColumns();

// One row of airpg.attachments for `cell` of table `table_id` in `schema`.
std::vector<pg::Param> AttachmentRow(const std::string& schema, const std::string& table_id,
                                     const AttachmentCell& cell);

// Replaces the attachments of every (record id, field id) in `cells` by those
// of `rows` (a cell listed without rows becomes empty). Rows of cells not in
// `cells` are left alone, and so are attachments added in Postgres that have
// no att… id yet (airpg.add_attachment): they follow the cell's new rows, in
// their order, until the outbox has sent them.
Status ReplaceAttachmentCells(pg::Connection& conn, const std::string& schema,
                              const std::string& table_id,
                              const std::vector<std::pair<std::string, std::string>>& cells,
                              const std::vector<AttachmentCell>& rows);

// The rows of a schema follow it when it is renamed (a swap or rollback).
Status MoveSchemaAttachments(pg::Connection& conn, const std::string& from, const std::string& to);

// A table kept as it was (a migrate that did not load it again): its rows
// are copied from schema `from` to `to`; rows `to` holds already stay. The
// number of rows copied.
Result<int64_t> CopyTableAttachments(pg::Connection& conn, const std::string& from,
                                     const std::string& to, const std::string& table_id);

// Deletes the rows of a schema (dropped), of one record (loaded again), or of
// one field (removed in Airtable). The blobs stay: other rows may name them.
// DeleteFieldAttachments REQUIRES a transaction open on `conn`.
Status DeleteSchemaAttachments(pg::Connection& conn, const std::string& schema);
Status DeleteRecordAttachments(pg::Connection& conn, const std::string& schema,
                               const std::string& table_id, const std::string& record_id);
Status DeleteFieldAttachments(pg::Connection& conn, const std::string& schema,
                              const std::string& field_id);

}  // namespace airpg::blobs
