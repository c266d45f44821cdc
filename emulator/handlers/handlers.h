// The emulator's endpoint handlers, one per file (STYLE.md): each takes the
// parsed Call and the resolved base/table and returns the JSON body of a 200
// or an ApiError. Called by Service::Handle with the service lock held.
#pragma once

#include <string>

#include "emulator/cell_writer.h"
#include "emulator/model.h"
#include "emulator/record_renderer.h"
#include "emulator/record_writer.h"
#include "emulator/service.h"
#include "emulator/wire.h"
#include "http/message.h"

namespace airpg::emulator {

using HandlerResult = ApiResult<Json>;

// Records (handlers/records_*.cc).
HandlerResult ListRecords(Call& call, Base& base, Table& table, bool from_body);
HandlerResult GetRecord(Call& call, Base& base, Table& table, const std::string& record_id);
HandlerResult CreateRecords(Call& call, Base& base, Table& table);
HandlerResult UpdateRecord(Call& call, Base& base, Table& table, const std::string& record_id,
                           WriteMode mode);
HandlerResult UpdateRecords(Call& call, Base& base, Table& table, WriteMode mode);
HandlerResult DeleteRecord(Call& call, Base& base, Table& table, const std::string& record_id);
HandlerResult DeleteRecords(Call& call, Base& base, Table& table);
HandlerResult UploadAttachment(Call& call, Base& base, const std::string& record_id,
                               const std::string& field_key);

// Meta API (handlers/meta_*.cc).
HandlerResult Whoami(Call& call);
HandlerResult ListBases(Call& call);
HandlerResult GetBaseSchema(Call& call, Base& base);
HandlerResult CreateTable(Call& call, Base& base);
HandlerResult UpdateTable(Call& call, Base& base, Table& table);
HandlerResult CreateField(Call& call, Base& base, Table& table);
HandlerResult UpdateField(Call& call, Base& base, Table& table, Field& field);

// Webhooks (handlers/webhooks_*.cc).
HandlerResult CreateWebhook(Call& call, Base& base);
HandlerResult ListWebhooks(Call& call, Base& base);
HandlerResult DeleteWebhook(Call& call, Base& base, const std::string& webhook_id);
HandlerResult RefreshWebhook(Call& call, Base& base, const std::string& webhook_id);
HandlerResult EnableWebhookNotifications(Call& call, Base& base, const std::string& webhook_id);
HandlerResult ListWebhookPayloads(Call& call, Base& base, const std::string& webhook_id);

// Control endpoints under /__emulator/ (handlers/admin.cc); no auth, no limits.
http::Response Admin(Call& call);

// Render options every record response starts from: attachments get signed
// URLs under the emulator's address (handlers/write_support.cc).
RenderOptions BaseRenderOptions(const Call& call);

// Shared by the write handlers (handlers/write_support.cc).
CellWriteContext MakeWriteContext(Call& call, Base& base, Table& table);
// The error for a single-record path whose record does not exist.
ApiError MissingRecord(const Call& call);
// 422 INVALID_RECORDS when `count` exceeds the per-request limit.
ApiResult<bool> CheckBatchSize(const Call& call, size_t count, const char* verb);
// Renders a written record for the response (returnFieldsByFieldId honoured).
Json RenderWritten(const Call& call, const Base& base, const Table& table, const Record& record);
// A new record with its id and times, not yet stored.
Record NewRecord(Call& call);
// Stores a validated new record: autoNumber values, cells, inverse links;
// notes the creation for webhooks.
Record& StoreNewRecord(Call& call, Base& base, Table& table, Record record, Json cells);
// Stores new cells of an existing record and notes the change for webhooks.
void StoreChangedRecord(Call& call, Base& base, Table& table, Record& record, Json cells);
// Deletes a record, unlinks it everywhere and notes it for webhooks.
void StoreDeletedRecord(Call& call, Base& base, Table& table, const std::string& record_id);

}  // namespace airpg::emulator
