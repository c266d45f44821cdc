#include "airtable/webhook.h"

#include "airtable/dom.h"
#include "airtable/json_text.h"

#include <fmt/core.h>

namespace airpg::airtable {
namespace {

using simdjson::dom::element;

std::string RawOrEmpty(element obj, std::string_view key) {
  element value;
  if (obj[key].get(value) != simdjson::SUCCESS || value.is_null()) return "";
  return dom::Raw(value);
}

// Payloads are read with simdjson's On Demand API, not the DOM: the DOM
// refuses a whole document for one integer past 2^64 (Airtable writes 1e20
// as 100000000000000000000), On Demand reads only what is asked for, and
// each value is kept as the text Airtable sent.
namespace od = simdjson::ondemand;
using simdjson::error_code;

// The value's JSON text as sent (objects and arrays with their inner
// whitespace). Scalars are checked to be JSON; objects and arrays are taken
// whole as On Demand delimits them, their inside unchecked here (a cell that
// is not JSON is refused later by mapping/cell_json.cc and dead-lettered).
error_code Raw(od::value value, std::string& out) {
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  std::string_view text;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      if (auto error = object.raw_json().get(text)) return error;
      break;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      if (auto error = array.raw_json().get(text)) return error;
      break;
    }
    default: {
      text = TrimmedToken(value);
      if (type == od::json_type::number) {
        if (!IsJsonNumber(text)) return simdjson::NUMBER_ERROR;
      } else if (type == od::json_type::string) {
        std::string_view unescaped;
        if (auto error = value.get_string().get(unescaped)) return error;
      } else if (type == od::json_type::boolean) {
        bool b;
        if (auto error = value.get_bool().get(b)) return error;
      } else {
        bool null = false;
        if (auto error = value.is_null().get(null)) return error;
        if (!null) return simdjson::N_ATOM_ERROR;
      }
    }
  }
  out.assign(text);
  return simdjson::SUCCESS;
}

// Calls `each(key, value)` for every member of `value`, an object.
template <typename Each>
error_code ForEachMember(od::value value, Each&& each) {
  od::object object;
  if (auto error = value.get_object().get(object)) return error;
  for (auto member : object) {
    std::string_view key;
    if (auto error = member.unescaped_key().get(key)) return error;
    od::value inner;
    if (auto error = member.value().get(inner)) return error;
    if (auto error = each(key, inner)) return error;
  }
  return simdjson::SUCCESS;
}

error_code String(od::value value, std::string& out) {
  std::string_view s;
  if (auto error = value.get_string().get(s)) return error;
  out.assign(s);
  return simdjson::SUCCESS;
}

error_code Strings(od::value value, std::vector<std::string>& out) {
  od::array array;
  if (auto error = value.get_array().get(array)) return error;
  for (auto item : array) {
    od::value v;
    if (auto error = item.get(v)) return error;
    if (auto error = String(v, out.emplace_back())) return error;
  }
  return simdjson::SUCCESS;
}

// Null counts as absent ("").
error_code RawOrEmpty(od::value value, std::string& out) {
  bool null = false;
  if (value.is_null().get(null) == simdjson::SUCCESS && null) return simdjson::SUCCESS;
  return Raw(value, out);
}

// {"cellValuesByFieldId": {fld: value}} (other members, if any, ignored).
error_code CellsOf(od::value value, Cells& out) {
  return ForEachMember(value, [&](std::string_view key, od::value v) -> error_code {
    if (key != "cellValuesByFieldId") return simdjson::SUCCESS;
    return ForEachMember(v, [&](std::string_view field_id, od::value cell) {
      auto& [id, text] = out.emplace_back(std::string(field_id), "");
      return Raw(cell, text);
    });
  });
}

error_code CreatedRecords(od::value value, std::vector<RecordChange>& out) {
  return ForEachMember(value, [&](std::string_view record_id, od::value rec) {
    RecordChange& change = out.emplace_back();
    change.record_id = std::string(record_id);
    return ForEachMember(rec, [&](std::string_view key, od::value v) -> error_code {
      if (key == "createdTime") return String(v, change.created_time);
      if (key == "cellValuesByFieldId") {
        return ForEachMember(v, [&](std::string_view field_id, od::value cell) {
          auto& [id, text] = change.current.emplace_back(std::string(field_id), "");
          return Raw(cell, text);
        });
      }
      return simdjson::SUCCESS;
    });
  });
}

error_code ChangedRecords(od::value value, std::vector<RecordChange>& out) {
  return ForEachMember(value, [&](std::string_view record_id, od::value rec) {
    RecordChange& change = out.emplace_back();
    change.record_id = std::string(record_id);
    return ForEachMember(rec, [&](std::string_view key, od::value v) -> error_code {
      if (key == "current") return CellsOf(v, change.current);
      if (key == "previous") return CellsOf(v, change.previous);
      if (key == "unchanged") return CellsOf(v, change.unchanged);
      return simdjson::SUCCESS;
    });
  });
}

// A created table lists its records under recordsById, its fields under
// fieldsById and its name under metadata; a changed one under
// createdRecordsById, createdFieldsById and changedMetadata.
error_code TableFrom(std::string_view table_id, od::value value, bool created_table,
                     TableChanges& t) {
  t.table_id = std::string(table_id);
  t.created_table = created_table;
  return ForEachMember(value, [&](std::string_view key, od::value v) -> error_code {
    if (key == (created_table ? "recordsById" : "createdRecordsById")) {
      return CreatedRecords(v, t.created_records);
    }
    if (key == "changedRecordsById") return ChangedRecords(v, t.changed_records);
    if (key == "destroyedRecordIds") return Strings(v, t.destroyed_record_ids);
    if (key == (created_table ? "fieldsById" : "createdFieldsById")) {
      return RawOrEmpty(v, t.created_fields_json);
    }
    if (key == "changedFieldsById") return RawOrEmpty(v, t.changed_fields_json);
    if (key == "destroyedFieldIds") return Strings(v, t.destroyed_field_ids);
    if (key == (created_table ? "metadata" : "changedMetadata")) {
      return RawOrEmpty(v, t.changed_metadata_json);
    }
    return simdjson::SUCCESS;
  });
}

error_code ReadPayload(od::value value, Payload& p) {
  return ForEachMember(value, [&](std::string_view key, od::value v) -> error_code {
    if (key == "timestamp") return String(v, p.timestamp);
    if (key == "baseTransactionNumber") return v.get_int64().get(p.base_transaction_number);
    if (key == "actionMetadata") {
      return ForEachMember(v, [&](std::string_view k, od::value m) -> error_code {
        return k == "source" ? String(m, p.source) : simdjson::SUCCESS;
      });
    }
    if (key == "error") return v.get_bool().get(p.error);
    if (key == "code") return String(v, p.error_code);
    if (key == "createdTablesById" || key == "changedTablesById") {
      bool created = key == "createdTablesById";
      return ForEachMember(v, [&](std::string_view table_id, od::value table) {
        return TableFrom(table_id, table, created, p.tables.emplace_back());
      });
    }
    if (key == "destroyedTableIds") return Strings(v, p.destroyed_table_ids);
    return simdjson::SUCCESS;
  });
}

// Whether the document has nothing left after its root value (this
// simdjson has no document::at_end: a location past the last token is an
// error).
bool AtEnd(od::document& doc) {
  const char* location = nullptr;
  return doc.current_location().get(location) != simdjson::SUCCESS;
}

// One payload from its own text: a value of the wrong kind makes it
// unreadable, never the page.
Payload PayloadFrom(std::string_view text, int64_t number) {
  thread_local od::parser parser;
  Payload p;
  simdjson::padded_string padded(text);
  od::document doc;
  od::value root;
  error_code error = parser.iterate(padded).get(doc);
  if (!error) error = doc.get_value().get(root);
  if (!error) error = ReadPayload(root, p);
  if (!error && !AtEnd(doc)) error = simdjson::TRAILING_CONTENT;
  if (error) {
    p = Payload{};
    p.unreadable = simdjson::error_message(error);
  }
  p.number = number;
  p.json = std::string(text);
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
  constexpr std::string_view kWhat = "webhook payloads";
  // The page's own parser: each payload is read again from its text with
  // PayloadFrom's, so one bad payload is kept whole and the others still read.
  thread_local od::parser parser;
  simdjson::padded_string padded(body);
  od::document doc;
  od::object root;
  auto broken = [&](error_code error) {
    return dom::Malformed(kWhat, fmt::format("not valid JSON ({}; {} bytes)",
                                             simdjson::error_message(error), body.size()));
  };
  if (auto error = parser.iterate(padded).get(doc)) return broken(error);
  if (auto error = doc.get_object().get(root)) return broken(error);
  PayloadPage page;
  int64_t number = request_cursor;
  bool listed = false, cursor = false;
  for (auto member : root) {
    std::string_view key;
    od::value value;
    if (auto error = member.unescaped_key().get(key)) return broken(error);
    if (auto error = member.value().get(value)) return broken(error);
    if (key == "payloads") {
      od::array payloads;
      if (value.get_array().get(payloads)) return dom::Malformed(kWhat, "no \"payloads\" array");
      for (auto item : payloads) {
        od::value payload;
        std::string text;
        error_code error = item.get(payload);
        if (!error) error = Raw(payload, text);
        if (error) return broken(error);
        page.payloads.push_back(PayloadFrom(text, number++));
      }
      listed = true;
    } else if (key == "cursor") {
      if (auto error = value.get_int64().get(page.cursor)) return broken(error);
      cursor = true;
    } else if (key == "mightHaveMore") {
      if (auto error = value.get_bool().get(page.might_have_more)) return broken(error);
    }
  }
  if (!AtEnd(doc)) return broken(simdjson::TRAILING_CONTENT);
  if (!listed) return dom::Malformed(kWhat, "no \"payloads\" array");
  if (!cursor) page.cursor = number;
  return page;
}

}  // namespace airpg::airtable
