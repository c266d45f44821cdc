// The records endpoints of Client (API.md §2): list pages, get, batched
// create/update/upsert/delete.
#include <fmt/core.h>

#include "airtable/client.h"
#include "airtable/dom.h"
#include "base/json_escape.h"

namespace airpg::airtable {
namespace {

constexpr size_t kMaxRecordsPerRequest = 10;
// Longer list URLs go as POST …/listRecords (Airtable's limit is 16 000).
constexpr size_t kMaxListUrl = 15000;

std::string TablePath(std::string_view base_id, std::string_view table) {
  return fmt::format("/v0/{}/{}", http::PercentEncode(base_id), http::PercentEncode(table));
}

void AddParam(std::string* query, std::string_view key, std::string_view value) {
  *query += query->empty() ? "?" : "&";
  *query += http::PercentEncode(key);
  *query += "=";
  *query += http::PercentEncode(value);
}

std::string ListQuery(const ListOptions& o, std::string_view offset) {
  std::string q;
  if (o.page_size > 0) AddParam(&q, "pageSize", std::to_string(o.page_size));
  if (o.max_records > 0) AddParam(&q, "maxRecords", std::to_string(o.max_records));
  if (!offset.empty()) AddParam(&q, "offset", offset);
  for (const std::string& f : o.fields) AddParam(&q, "fields[]", f);
  if (!o.filter_by_formula.empty()) AddParam(&q, "filterByFormula", o.filter_by_formula);
  for (size_t i = 0; i < o.sort.size(); ++i) {
    AddParam(&q, fmt::format("sort[{}][field]", i), o.sort[i].first);
    AddParam(&q, fmt::format("sort[{}][direction]", i), o.sort[i].second ? "desc" : "asc");
  }
  if (!o.view.empty()) AddParam(&q, "view", o.view);
  if (!o.cell_format.empty()) AddParam(&q, "cellFormat", o.cell_format);
  if (!o.time_zone.empty()) AddParam(&q, "timeZone", o.time_zone);
  if (!o.user_locale.empty()) AddParam(&q, "userLocale", o.user_locale);
  if (o.return_fields_by_field_id) AddParam(&q, "returnFieldsByFieldId", "true");
  if (o.comment_count) AddParam(&q, "recordMetadata[]", "commentCount");
  return q;
}

std::string Quoted(std::string_view text) { return "\"" + JsonEscape(text) + "\""; }

// Records a write request's answer in `out`: the body of a 200, or why the
// request failed with Airtable's error (a body rebuilt from its status, type
// and message, for the dead-letter queue). False when it failed.
bool KeepAnswer(const Result<std::string>& response, const ApiError& error, BatchOutcome& out) {
  if (!response.ok()) {
    out.status = response.status();
    out.error_type = error.type;
    out.http_status = error.http_status;
    if (error.http_status != 0) {
      out.response = fmt::format("{{\"status\":{},\"type\":{},\"message\":{}}}", error.http_status,
                                 Quoted(error.type), Quoted(error.message));
    }
    return false;
  }
  out.http_status = 200;
  out.response = *response;
  return true;
}

// The same parameters as a listRecords POST body.
std::string ListBody(const ListOptions& o, std::string_view offset) {
  std::string b = "{";
  auto add = [&b](std::string_view key, const std::string& json) {
    if (b.size() > 1) b += ",";
    b += Quoted(key) + ":" + json;
  };
  if (o.page_size > 0) add("pageSize", std::to_string(o.page_size));
  if (o.max_records > 0) add("maxRecords", std::to_string(o.max_records));
  if (!offset.empty()) add("offset", Quoted(offset));
  if (!o.fields.empty()) {
    std::string fields = "[";
    for (const std::string& f : o.fields) fields += (fields.size() > 1 ? "," : "") + Quoted(f);
    add("fields", fields + "]");
  }
  if (!o.filter_by_formula.empty()) add("filterByFormula", Quoted(o.filter_by_formula));
  if (!o.sort.empty()) {
    std::string sort = "[";
    for (const auto& [field, desc] : o.sort) {
      sort += (sort.size() > 1 ? "," : "") + fmt::format("{{\"field\":{},\"direction\":\"{}\"}}",
                                                         Quoted(field), desc ? "desc" : "asc");
    }
    add("sort", sort + "]");
  }
  if (!o.view.empty()) add("view", Quoted(o.view));
  if (!o.cell_format.empty()) add("cellFormat", Quoted(o.cell_format));
  if (o.return_fields_by_field_id) add("returnFieldsByFieldId", "true");
  if (o.comment_count) add("recordMetadata", "[\"commentCount\"]");
  return b + "}";
}

// {"id":…,"fields":{…}} with each value checked to be JSON.
Result<std::string> RecordJson(const RecordWrite& record) {
  std::string out = "{";
  if (!record.id.empty()) out += "\"id\":" + Quoted(record.id) + ",";
  out += "\"fields\":{";
  bool first = true;
  for (const auto& [key, value] : record.fields) {
    if (!dom::Parse(value, "cell").ok()) {
      return InvalidArgumentError(fmt::format("value for field \"{}\" of {} is not JSON", key,
                                              record.id.empty() ? "a new record" : record.id));
    }
    out += (first ? "" : ",") + Quoted(key) + ":" + value;
    first = false;
  }
  return out + "}}";
}

}  // namespace

Result<RecordPage> Client::ListPage(std::string_view base_id, std::string_view table,
                                    const ListOptions& options, std::string_view offset,
                                    Priority priority) {
  std::string path = TablePath(base_id, table);
  std::string query = ListQuery(options, offset);
  if (options_.endpoint_url.size() + path.size() + query.size() <= kMaxListUrl) {
    return Read<RecordPage>(base_id, priority, "GET", path + query, "", ParseRecordPage);
  }
  // timeZone and userLocale stay in the query of the POST (API.md §2.2).
  std::string post_query;
  if (!options.time_zone.empty()) AddParam(&post_query, "timeZone", options.time_zone);
  if (!options.user_locale.empty()) AddParam(&post_query, "userLocale", options.user_locale);
  return Read<RecordPage>(base_id, priority, "POST", path + "/listRecords" + post_query,
                          ListBody(options, offset), ParseRecordPage);
}

RecordPager Client::ListRecords(std::string_view base_id, std::string_view table,
                                ListOptions options, Priority priority) {
  return RecordPager(this, std::string(base_id), std::string(table), std::move(options), priority);
}

Result<Record> Client::GetRecord(std::string_view base_id, std::string_view table,
                                 std::string_view record_id, bool return_fields_by_field_id,
                                 Priority priority) {
  std::string path = TablePath(base_id, table) + "/" + http::PercentEncode(record_id);
  if (return_fields_by_field_id) path += "?returnFieldsByFieldId=true";
  return Read<Record>(base_id, priority, "GET", path, "", ParseRecord);
}

Result<WriteResult> Client::Write(std::string_view method, std::string_view base_id,
                                  std::string_view table, const std::vector<RecordWrite>& records,
                                  const std::string& extra_json, const WriteOptions& options,
                                  bool create) {
  WriteResult all;
  for (size_t start = 0; start < records.size(); start += kMaxRecordsPerRequest) {
    size_t end = std::min(records.size(), start + kMaxRecordsPerRequest);
    std::string body = "{\"records\":[";
    for (size_t i = start; i < end; ++i) {
      AIRPG_ASSIGN_OR_RETURN(std::string json, RecordJson(records[i]));
      body += (i > start ? "," : "") + json;
    }
    body += fmt::format("],\"typecast\":{},\"returnFieldsByFieldId\":{}{}}}", options.typecast,
                        options.return_fields_by_field_id, extra_json);
    AIRPG_ASSIGN_OR_RETURN(
        std::string response,
        Call(base_id, Priority::kWrite, create ? Retry::kIfNotApplied : Retry::kAlways,
             std::string(method), TablePath(base_id, table), std::move(body)));
    AIRPG_ASSIGN_OR_RETURN(WriteResult chunk, ParseWriteResult(response));
    for (Record& r : chunk.records) all.records.push_back(std::move(r));
    for (std::string& id : chunk.created_record_ids)
      all.created_record_ids.push_back(std::move(id));
    for (std::string& id : chunk.updated_record_ids)
      all.updated_record_ids.push_back(std::move(id));
  }
  return all;
}

Result<WriteResult> Client::CreateRecords(std::string_view base_id, std::string_view table,
                                          const std::vector<RecordWrite>& records,
                                          const WriteOptions& options) {
  for (const RecordWrite& r : records) {
    if (!r.id.empty()) return InvalidArgumentError("a record to create has an id: " + r.id);
  }
  return Write("POST", base_id, table, records, "", options, /*create=*/true);
}

Result<WriteResult> Client::UpdateRecords(std::string_view base_id, std::string_view table,
                                          const std::vector<RecordWrite>& records,
                                          const WriteOptions& options) {
  for (const RecordWrite& r : records) {
    if (r.id.empty()) return InvalidArgumentError("a record to update has no id");
  }
  return Write(options.replace ? "PUT" : "PATCH", base_id, table, records, "", options, false);
}

Result<WriteResult> Client::UpsertRecords(std::string_view base_id, std::string_view table,
                                          const std::vector<RecordWrite>& records,
                                          const std::vector<std::string>& fields_to_merge_on,
                                          const WriteOptions& options) {
  if (fields_to_merge_on.empty() || fields_to_merge_on.size() > 3) {
    return InvalidArgumentError("an upsert merges on 1 to 3 fields");
  }
  std::string merge = ",\"performUpsert\":{\"fieldsToMergeOn\":[";
  for (size_t i = 0; i < fields_to_merge_on.size(); ++i) {
    merge += (i > 0 ? "," : "") + Quoted(fields_to_merge_on[i]);
  }
  merge += "]}";
  // Matching on the merge fields makes a repeated upsert harmless: retried like an update.
  return Write(options.replace ? "PUT" : "PATCH", base_id, table, records, merge, options, false);
}

Result<std::vector<std::string>> Client::DeleteRecords(std::string_view base_id,
                                                       std::string_view table,
                                                       const std::vector<std::string>& record_ids) {
  std::vector<std::string> deleted;
  for (size_t start = 0; start < record_ids.size(); start += kMaxRecordsPerRequest) {
    size_t end = std::min(record_ids.size(), start + kMaxRecordsPerRequest);
    std::string query;
    for (size_t i = start; i < end; ++i) AddParam(&query, "records[]", record_ids[i]);
    AIRPG_ASSIGN_OR_RETURN(std::string response, Call(base_id, Priority::kWrite, Retry::kAlways,
                                                      "DELETE", TablePath(base_id, table) + query));
    AIRPG_ASSIGN_OR_RETURN(std::vector<std::string> ids, ParseDeleted(response));
    deleted.insert(deleted.end(), ids.begin(), ids.end());
  }
  return deleted;
}

BatchOutcome Client::WriteBatch(std::string_view base_id, std::string_view table,
                                const std::vector<RecordWrite>& records,
                                const std::vector<std::string>& fields_to_merge_on,
                                const WriteOptions& options) {
  BatchOutcome out;
  if (records.empty() || records.size() > kMaxRecordsPerRequest) {
    out.status = InvalidArgumentError("a write request takes 1 to 10 records");
    return out;
  }
  bool create = fields_to_merge_on.empty() && records.front().id.empty();
  std::string body = "{\"records\":[";
  for (size_t i = 0; i < records.size(); ++i) {
    Result<std::string> json = RecordJson(records[i]);
    if (!json.ok()) {
      out.status = json.status();
      return out;
    }
    body += (i > 0 ? "," : "") + *json;
  }
  std::string merge;
  if (!fields_to_merge_on.empty()) {
    merge = ",\"performUpsert\":{\"fieldsToMergeOn\":[";
    for (size_t i = 0; i < fields_to_merge_on.size(); ++i) {
      merge += (i > 0 ? "," : "") + Quoted(fields_to_merge_on[i]);
    }
    merge += "]}";
  }
  body += fmt::format("],\"typecast\":{},\"returnFieldsByFieldId\":{}{}}}", options.typecast,
                      options.return_fields_by_field_id, merge);
  std::string method = create ? "POST" : (options.replace ? "PUT" : "PATCH");
  std::string path = TablePath(base_id, table);
  out.request = method + " " + path + "\n" + body;
  ApiError error;
  Result<std::string> response =
      Call(base_id, Priority::kWrite, create ? Retry::kIfNotApplied : Retry::kAlways, method, path,
           std::move(body), &error);
  if (!KeepAnswer(response, error, out)) return out;
  Result<WriteResult> parsed = ParseWriteResult(*response);
  if (!parsed.ok()) {
    out.status = parsed.status();
    return out;
  }
  out.result = std::move(parsed).value();
  return out;
}

BatchOutcome Client::DeleteBatch(std::string_view base_id, std::string_view table,
                                 const std::vector<std::string>& record_ids) {
  BatchOutcome out;
  if (record_ids.empty() || record_ids.size() > kMaxRecordsPerRequest) {
    out.status = InvalidArgumentError("a delete request takes 1 to 10 records");
    return out;
  }
  std::string query;
  for (const std::string& id : record_ids) AddParam(&query, "records[]", id);
  std::string path = TablePath(base_id, table) + query;
  out.request = "DELETE " + path;
  ApiError error;
  Result<std::string> response =
      Call(base_id, Priority::kWrite, Retry::kAlways, "DELETE", path, "", &error);
  if (!KeepAnswer(response, error, out)) return out;
  Result<std::vector<std::string>> deleted = ParseDeleted(*response);
  if (!deleted.ok()) {
    out.status = deleted.status();
    return out;
  }
  out.deleted = std::move(deleted).value();
  return out;
}

RecordPager::RecordPager(Client* client, std::string base_id, std::string table,
                         ListOptions options, Priority priority)
    : client_(client),
      base_id_(std::move(base_id)),
      table_(std::move(table)),
      options_(std::move(options)),
      priority_(priority) {}

Result<std::optional<RecordPage>> RecordPager::Next() {
  while (!done_) {
    Result<RecordPage> page = client_->ListPage(base_id_, table_, options_, offset_, priority_);
    if (!page.ok() && page.status().code() == StatusCode::kAborted && restarts_ < 3) {
      // The server dropped its iterator: start over, skipping what was returned.
      ++restarts_;
      offset_.clear();
      continue;
    }
    if (!page.ok()) return page.status();
    offset_ = page->offset;
    done_ = offset_.empty();
    RecordPage out;
    out.offset = page->offset;
    out.malformed = std::move(page->malformed);
    for (Record& r : page->records) {
      if (options_.max_records > 0 && returned_ >= options_.max_records) break;
      // Only a restarted listing skips what it returned before; an id twice
      // in one listing goes to the caller, who keeps the last copy and
      // ledgers the other (a silent skip would keep the first).
      if (!seen_.insert(r.id).second && restarts_ > 0) continue;
      ++returned_;
      out.records.push_back(std::move(r));
    }
    if (!out.records.empty() || !out.malformed.empty() || done_) {
      return std::optional<RecordPage>(std::move(out));
    }
  }
  return std::optional<RecordPage>();
}

}  // namespace airpg::airtable
