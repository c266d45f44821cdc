#include "airtable/webhook.h"

#include "airtable/dom.h"

namespace airpg::airtable {
namespace {

using simdjson::dom::element;

Cells CellsFrom(element obj, std::string_view key) {
  Cells out;
  simdjson::dom::object cells;
  if (obj[key]["cellValuesByFieldId"].get_object().get(cells) != simdjson::SUCCESS) return out;
  for (auto [field_id, value] : cells) out.emplace_back(std::string(field_id), dom::Raw(value));
  return out;
}

std::vector<std::string> Strings(element obj, std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array array;
  if (obj[key].get_array().get(array) != simdjson::SUCCESS) return out;
  for (element item : array) {
    std::string_view s;
    if (item.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::string RawOrEmpty(element obj, std::string_view key) {
  element value;
  if (obj[key].get(value) != simdjson::SUCCESS || value.is_null()) return "";
  return dom::Raw(value);
}

TableChanges TableFrom(std::string_view table_id, element obj, bool created_table) {
  TableChanges t;
  t.table_id = std::string(table_id);
  t.created_table = created_table;
  // A created table lists its records under recordsById; a changed one under createdRecordsById.
  simdjson::dom::object created;
  if (obj[created_table ? "recordsById" : "createdRecordsById"].get_object().get(created) ==
      simdjson::SUCCESS) {
    for (auto [record_id, rec] : created) {
      RecordChange change;
      change.record_id = std::string(record_id);
      change.created_time = dom::String(rec, "createdTime");
      simdjson::dom::object cells;
      if (rec["cellValuesByFieldId"].get_object().get(cells) == simdjson::SUCCESS) {
        for (auto [field_id, value] : cells) {
          change.current.emplace_back(std::string(field_id), dom::Raw(value));
        }
      }
      t.created_records.push_back(std::move(change));
    }
  }
  simdjson::dom::object changed;
  if (obj["changedRecordsById"].get_object().get(changed) == simdjson::SUCCESS) {
    for (auto [record_id, rec] : changed) {
      RecordChange change;
      change.record_id = std::string(record_id);
      change.current = CellsFrom(rec, "current");
      change.previous = CellsFrom(rec, "previous");
      change.unchanged = CellsFrom(rec, "unchanged");
      t.changed_records.push_back(std::move(change));
    }
  }
  t.destroyed_record_ids = Strings(obj, "destroyedRecordIds");
  t.created_fields_json = RawOrEmpty(obj, created_table ? "fieldsById" : "createdFieldsById");
  t.changed_fields_json = RawOrEmpty(obj, "changedFieldsById");
  t.destroyed_field_ids = Strings(obj, "destroyedFieldIds");
  t.changed_metadata_json = RawOrEmpty(obj, created_table ? "metadata" : "changedMetadata");
  return t;
}

Payload PayloadFrom(element obj, int64_t number) {
  Payload p;
  p.number = number;
  p.timestamp = dom::String(obj, "timestamp");
  p.base_transaction_number = dom::Int(obj, "baseTransactionNumber");
  element meta;
  if (obj["actionMetadata"].get(meta) == simdjson::SUCCESS) p.source = dom::String(meta, "source");
  bool error = false;
  if (obj["error"].get_bool().get(error) == simdjson::SUCCESS) p.error = error;
  p.error_code = dom::String(obj, "code");
  for (bool created : {false, true}) {
    simdjson::dom::object tables;
    if (obj[created ? "createdTablesById" : "changedTablesById"].get_object().get(tables) !=
        simdjson::SUCCESS) {
      continue;
    }
    for (auto [table_id, table] : tables) p.tables.push_back(TableFrom(table_id, table, created));
  }
  p.destroyed_table_ids = Strings(obj, "destroyedTableIds");
  p.json = dom::Raw(obj);
  return p;
}

}  // namespace

Result<CreatedWebhook> ParseCreatedWebhook(std::string_view body) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(body, "created webhook"));
  CreatedWebhook hook{dom::String(root, "id"), dom::String(root, "macSecretBase64"),
                      dom::String(root, "expirationTime")};
  if (hook.id.empty() || hook.mac_secret_base64.empty()) {
    return dom::Malformed("created webhook", "no id or MAC secret");
  }
  return hook;
}

Result<std::vector<WebhookInfo>> ParseWebhookList(std::string_view body) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(body, "webhook list"));
  simdjson::dom::array hooks;
  if (root["webhooks"].get_array().get(hooks) != simdjson::SUCCESS) {
    return dom::Malformed("webhook list", "no \"webhooks\" array");
  }
  std::vector<WebhookInfo> out;
  for (element h : hooks) {
    WebhookInfo info;
    info.id = dom::String(h, "id");
    info.notification_url = dom::String(h, "notificationUrl");
    info.cursor_for_next_payload = dom::Int(h, "cursorForNextPayload", 1);
    bool b = false;
    if (h["isHookEnabled"].get_bool().get(b) == simdjson::SUCCESS) info.is_hook_enabled = b;
    if (h["areNotificationsEnabled"].get_bool().get(b) == simdjson::SUCCESS) {
      info.are_notifications_enabled = b;
    }
    info.expiration_time = dom::String(h, "expirationTime");
    info.specification_json = RawOrEmpty(h, "specification");
    info.last_notification_result_json = RawOrEmpty(h, "lastNotificationResult");
    out.push_back(std::move(info));
  }
  return out;
}

Result<PayloadPage> ParsePayloadPage(std::string_view body, int64_t request_cursor) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(body, "webhook payloads"));
  simdjson::dom::array payloads;
  if (root["payloads"].get_array().get(payloads) != simdjson::SUCCESS) {
    return dom::Malformed("webhook payloads", "no \"payloads\" array");
  }
  PayloadPage page;
  int64_t number = request_cursor;
  for (element p : payloads) page.payloads.push_back(PayloadFrom(p, number++));
  page.cursor = dom::Int(root, "cursor", number);
  bool more = false;
  if (root["mightHaveMore"].get_bool().get(more) == simdjson::SUCCESS) page.might_have_more = more;
  return page;
}

}  // namespace airpg::airtable
