// POST /v0/{baseId}/{recordId}/{attachmentFieldIdOrName}/uploadAttachment
// (API.md §2.9; content.airtable.com upstream — here the emulator's own
// address): {"contentType","file":<base64, MIME line breaks allowed>,
// "filename"}, at most 5 MB. Appends the attachment and returns the record
// with fields keyed by field id. The bytes are served at the signed URL.
#include "airtable/webhook_mac.h"
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult UploadAttachment(Call& call, Base& base, const std::string& record_id,
                               const std::string& field_key) {
  Table* table = nullptr;
  for (Table& t : base.tables) {
    if (t.FindRecord(record_id) != nullptr) table = &t;
  }
  if (table == nullptr) return MissingRecord(call);
  Field* field = table->FindField(field_key);
  if (field == nullptr) return UnknownFieldName(field_key);
  if (field->kind() != airtable::FieldType::kMultipleAttachments) {
    return Unprocessable("INVALID_VALUE_FOR_COLUMN",
                         "Field \"" + field->name + "\" is not an attachment field");
  }
  const Json& body = call.body;
  if (!body.is_object() || !body.contains("file") || !body["file"].is_string() ||
      !body.contains("filename") || !body["filename"].is_string()) {
    return InvalidRequest();
  }
  std::string bytes;
  if (!airtable::Base64Decode(body["file"].get<std::string>(), &bytes)) {
    return InvalidRequest("Invalid request: file is not valid base64");
  }
  if (bytes.size() > 5u * 1024 * 1024) {
    return Unprocessable("INVALID_ATTACHMENT_UPLOAD",
                         "Attachments uploaded this way must be 5 MB or smaller");
  }
  Record* record = table->FindRecord(record_id);
  Json cells = record->cells;
  Json& list = cells[field->id];
  if (!list.is_array()) list = Json::array();
  list.push_back({{"id", call.service.ids.Next("att")},
                  {"url", ""},
                  {"filename", body["filename"].get<std::string>()},
                  {"size", bytes.size()},
                  {"type", body.value("contentType", "application/octet-stream")},
                  {"content", airtable::Base64Encode(bytes)}});
  StoreChangedRecord(call, base, *table, *record, std::move(cells));
  ++base.transaction_number;
  RenderOptions options = BaseRenderOptions(call);
  options.by_field_id = true;
  return RenderRecord(base, *table, *record, options);
}

}  // namespace airpg::emulator
