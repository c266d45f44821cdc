// The Airtable wire model of webhooks (API.md §6): a created hook, a listed
// hook, and pages of payloads with their per-table changes. Cells inside
// payloads are kept as JSON text in the webhook ("V2") form, exactly as sent
// (read with cell.h): an integer past 2^64 (1e20 written out in digits) stays
// its digits. Each payload also keeps its whole JSON text, so nothing is
// lost, and a payload that cannot be read is marked, not the page failed.
// Thread-compatible values; the parsers are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace airpg::airtable {

struct CreatedWebhook {
  std::string id;                 // ach…
  std::string mac_secret_base64;  // returned only at creation: a secret, never logged
  std::string expiration_time;
};

struct WebhookInfo {
  std::string id;
  std::string notification_url;  // "" when null
  int64_t cursor_for_next_payload = 1;
  bool is_hook_enabled = false;
  bool are_notifications_enabled = false;
  std::string expiration_time;
  std::string specification_json;
  std::string last_notification_result_json;  // "" when null
};

using Cells = std::vector<std::pair<std::string, std::string>>;  // fld… → V2 JSON

struct RecordChange {
  std::string record_id;
  std::string created_time;  // created records only
  Cells current;             // created: all sent cells; changed: the changed cells
  Cells previous;            // with includePreviousCellValues
  Cells unchanged;           // with includeCellValuesInFieldIds
};

struct TableChanges {
  std::string table_id;
  bool created_table = false;  // from createdTablesById
  std::vector<RecordChange> created_records;
  std::vector<RecordChange> changed_records;
  std::vector<std::string> destroyed_record_ids;
  std::string created_fields_json;  // {fld:{name,type}}, "" when none
  std::string changed_fields_json;  // {fld:{current,previous?}}, "" when none
  std::vector<std::string> destroyed_field_ids;
  std::string changed_metadata_json;  // "" when none
};

struct Payload {
  int64_t number = 0;  // this payload's cursor (request cursor + index)
  std::string timestamp;
  int64_t base_transaction_number = 0;
  std::string source;  // actionMetadata.source: client, publicApi, …
  bool error = false;  // an error payload: the hook stopped
  std::string error_code;
  std::vector<TableChanges> tables;
  std::vector<std::string> destroyed_table_ids;
  std::string json;  // the whole payload, as sent
  // Why this payload could not be read ("" when it was): a value of the
  // wrong kind where the format says otherwise. Its other members are then
  // unreliable; the sync dead-letters it and goes on.
  std::string unreadable;
};

struct PayloadPage {
  std::vector<Payload> payloads;
  int64_t cursor = 1;  // where the next request starts
  bool might_have_more = false;
};

Result<CreatedWebhook> ParseCreatedWebhook(std::string_view body);
Result<std::vector<WebhookInfo>> ParseWebhookList(std::string_view body);
// `request_cursor` numbers the payloads (API.md §6.4). kDataLoss only when the
// page itself is not JSON or has no "payloads" array; one bad payload is
// marked `unreadable` and the others are read.
Result<PayloadPage> ParsePayloadPage(std::string_view body, int64_t request_cursor);

}  // namespace airpg::airtable
