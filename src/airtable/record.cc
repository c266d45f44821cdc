#include "airtable/record.h"

#include <fmt/core.h>

#include <cstring>

#include "airtable/dom.h"
#include "airtable/json_text.h"
#include "base/json_escape.h"

namespace airpg::airtable {
namespace {

namespace od = simdjson::ondemand;

Status Broken(std::string_view what, simdjson::error_code error) {
  return dom::Malformed(what, simdjson::error_message(error));
}

// A record of the wrong shape in JSON that is whole (kInvalidArgument), as
// opposed to JSON that breaks off (kDataLoss, from Broken): a listing sets
// the record aside and reads on; anything else fails the body.
Status Shape(std::string_view why) { return InvalidArgumentError(fmt::format("record: {}", why)); }

// Whether JSON text (already validated) has whitespace between tokens, so it
// needs minifying; strings may hold spaces of their own.
bool HasSpaceOutsideStrings(std::string_view json) {
  // Most values have no whitespace byte at all: memchr (vectorised) says so
  // without the byte-by-byte walk below.
  const void* data = json.data();
  if (!std::memchr(data, ' ', json.size()) && !std::memchr(data, '\n', json.size()) &&
      !std::memchr(data, '\t', json.size()) && !std::memchr(data, '\r', json.size())) {
    return false;
  }
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      return true;
    }
  }
  return false;
}

// On-Demand reads an object or array it takes whole (raw_json) without
// checking its inside. A body the DOM parser accepted is valid throughout, so
// that is safe; in a body it refused (Iterate sets this), each object or array
// taken whole is walked on its own, so that a broken record is set aside
// instead of carried on as text that is not JSON. The DOM parser also refuses
// integers past 2^64, which are valid JSON: the walk accepts them, so such a
// body only costs the slower path. Per thread, like the parsers.
thread_local bool tls_check_nested = false;

simdjson::error_code WalkValue(od::value value) {
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = value.get_object().get(object)) return e;
      for (auto member : object) {
        std::string_view key;
        if (auto e = member.unescaped_key().get(key)) return e;
        od::value inner;
        if (auto e = member.value().get(inner)) return e;
        if (auto e = WalkValue(inner)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto item : array) {
        od::value inner;
        if (auto e = item.get(inner)) return e;
        if (auto e = WalkValue(inner)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      std::string_view raw = TrimmedToken(value);
      return IsJsonNumber(raw) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    default: {
      bool is_null = false;
      if (auto e = value.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    }
  }
}

Status CheckNested(std::string_view raw, std::string_view what) {
  // Its own parser: the body's is in the middle of its document.
  thread_local od::parser parser;
  thread_local std::string buffer;
  buffer.assign(raw);
  buffer.resize(raw.size() + simdjson::SIMDJSON_PADDING, ' ');
  od::document doc;
  simdjson::error_code e = parser.iterate(buffer.data(), raw.size(), buffer.size()).get(doc);
  od::value value;
  if (!e) e = doc.get_value().get(value);
  if (!e) e = WalkValue(value);
  const char* location = nullptr;
  if (!e && doc.current_location().get(location) == simdjson::SUCCESS) e = simdjson::TAPE_ERROR;
  if (e) return InvalidArgumentError(fmt::format("{}: {}", what, simdjson::error_message(e)));
  return Status::Ok();
}

// Appends the value's exact JSON text to `out`, minified as text (numbers
// keep their digits), after checking that a scalar really parses.
Status AppendRawValue(od::value value, std::string_view what, std::string& out) {
  od::json_type type;
  if (auto e = value.type().get(type)) return Broken(what, e);
  std::string_view raw;
  simdjson::error_code e = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::object: {
      od::object o;
      e = value.get_object().get(o);
      if (!e) e = o.raw_json().get(raw);
      break;
    }
    case od::json_type::array: {
      od::array a;
      e = value.get_array().get(a);
      if (!e) e = a.raw_json().get(raw);
      break;
    }
    default: {
      raw = TrimmedToken(value);
      if (type == od::json_type::number) {
        if (!IsJsonNumber(raw))
          return InvalidArgumentError(fmt::format("{}: not a JSON number", what));
      } else if (type == od::json_type::string) {
        std::string_view sv;
        e = value.get_string().get(sv);
      } else if (type == od::json_type::boolean) {
        bool b;
        e = value.get_bool().get(b);
      } else {
        bool is_null = false;
        e = value.is_null().get(is_null);
        if (!e && !is_null) e = simdjson::INCORRECT_TYPE;
      }
    }
  }
  if (e) return Broken(what, e);
  if (tls_check_nested && (type == od::json_type::object || type == od::json_type::array)) {
    AIRPG_RETURN_IF_ERROR(CheckNested(raw, what));
  }
  if (!HasSpaceOutsideStrings(raw)) {  // Airtable sends compact JSON
    out.append(raw);
    return Status::Ok();
  }
  size_t start = out.size();
  out.resize(start + raw.size() + simdjson::SIMDJSON_PADDING);
  size_t length = 0;
  if (auto m = simdjson::minify(raw.data(), raw.size(), out.data() + start, length)) {
    out.resize(start);
    return Broken(what, m);
  }
  out.resize(start + length);
  return Status::Ok();
}

Result<std::string> RawValue(od::value value, std::string_view what) {
  std::string out;
  AIRPG_RETURN_IF_ERROR(AppendRawValue(value, what, out));
  return out;
}

// Reads a record object into `record`, which keeps what was read before a
// failure (its id, when that came first).
Status ReadRecordObject(od::object object, Record& record, bool* saw_created_time) {
  std::string unknown;
  for (auto member : object) {
    std::string_view key;
    if (auto e = member.unescaped_key().get(key)) return Broken("record", e);
    od::value v;
    if (auto e = member.value().get(v)) return Broken("record", e);
    if (key == "id") {
      std::string_view id;
      if (v.get_string().get(id)) return Shape("id is not a string");
      record.id = std::string(id);
    } else if (key == "createdTime") {
      std::string_view time;
      if (v.get_string().get(time)) return Shape("createdTime is not a string");
      record.created_time = std::string(time);
      *saw_created_time = true;
    } else if (key == "fields") {
      od::object fields;
      if (v.get_object().get(fields)) return Shape("fields is not an object");
      record.Reserve(1024, 16);
      for (auto field : fields) {
        std::string_view name;
        if (auto e = field.unescaped_key().get(name)) return Broken("record fields", e);
        od::value cell;
        if (auto e = field.value().get(cell)) return Broken("record fields", e);
        Status added = record.AddFieldWith(
            name, [&](std::string& text) { return AppendRawValue(cell, "cell", text); });
        if (added.code() == StatusCode::kInvalidArgument) {
          return Shape(fmt::format("the cell of {} is not valid JSON", name));
        }
        AIRPG_RETURN_IF_ERROR(added);
      }
    } else if (key == "commentCount") {
      int64_t count;
      if (v.get_int64().get(count)) return Shape("commentCount is not an integer");
      record.comment_count = count;
    } else {
      std::string name = JsonEscape(key);
      AIRPG_ASSIGN_OR_RETURN(std::string json, RawValue(v, "record"));
      unknown += unknown.empty() ? "{" : ",";
      unknown += "\"" + name + "\":" + json;
    }
  }
  if (record.id.empty()) return Shape("no id");
  if (!unknown.empty()) record.unknown_keys = unknown + "}";
  return Status::Ok();
}

Result<Record> RecordFrom(od::value value) {
  od::object object;
  if (auto e = value.get_object().get(object)) return Broken("record", e);
  Record record;
  bool saw_created_time = false;
  Status read = ReadRecordObject(object, record, &saw_created_time);
  if (read.code() == StatusCode::kInvalidArgument)
    return Status(StatusCode::kDataLoss, read.message());
  AIRPG_RETURN_IF_ERROR(read);
  return record;
}

// The reason a record of a listing cannot be loaded, or "" when it can: a
// listed record always has an id and the instant it was created.
std::string ListingProblem(const Record& record, bool saw_created_time) {
  if (!saw_created_time) return "createdTime missing";
  if (!IsIsoInstant(record.created_time)) {
    return fmt::format("createdTime \"{}\" is not an ISO-8601 instant",
                       JsonEscape(record.created_time.substr(0, 64)));
  }
  return "";
}

// The JSON text of a record of the page, minified, for the ledger (as sent
// when it does not minify).
std::string MinifiedText(std::string_view raw) {
  std::string out(raw.size() + simdjson::SIMDJSON_PADDING, '\0');
  size_t length = 0;
  if (simdjson::minify(raw.data(), raw.size(), out.data(), length)) return std::string(raw);
  out.resize(length);
  return out;
}

// One element of a listing's "records" array: a Record, or the element kept
// whole as a MalformedRecord. Only a document that breaks off is an error.
Status ReadListedRecord(od::value item, std::vector<Record>* records,
                        std::vector<MalformedRecord>* malformed) {
  od::json_type type;
  if (auto e = item.type().get(type)) return Broken("record page", e);
  if (type != od::json_type::object) {
    AIRPG_ASSIGN_OR_RETURN(std::string raw, RawValue(item, "record page"));
    malformed->push_back({"", std::move(raw), "the record is not a JSON object"});
    return Status::Ok();
  }
  od::object object;
  if (auto e = item.get_object().get(object)) return Broken("record page", e);
  Record record;
  bool saw_created_time = false;
  Status read = ReadRecordObject(object, record, &saw_created_time);
  std::string problem;
  if (!read.ok()) {
    if (read.code() != StatusCode::kInvalidArgument) return read;  // the page breaks off
    problem = read.message();
    if (problem.rfind("record: ", 0) == 0) problem.erase(0, 8);
  } else {
    problem = ListingProblem(record, saw_created_time);
  }
  if (problem.empty()) {
    records->push_back(std::move(record));
    return Status::Ok();
  }
  // Only a record set aside needs its text: back to its start (the
  // structure is already indexed) and over it whole.
  std::string_view raw;
  if (auto e = object.reset().error()) return Broken("record page", e);
  if (auto e = object.raw_json().get(raw)) return Broken("record page", e);
  malformed->push_back({record.id, MinifiedText(raw), std::move(problem)});
  return Status::Ok();
}

// Whether the whole document has been read (nothing follows the root value).
bool AtEnd(od::document& doc) {
  const char* location = nullptr;
  return doc.current_location().get(location) != simdjson::SUCCESS;
}

// Parses `body` on this thread's On-Demand parser, from a copy in this
// thread's padded buffer (simdjson reads past the end; reusing the buffer
// saves an allocation per page). The document lives until the next Iterate
// on this thread.
Result<od::document> Iterate(std::string_view body, std::string_view what) {
  thread_local od::parser parser;
  thread_local std::string buffer;
  buffer.assign(body);
  buffer.resize(body.size() + simdjson::SIMDJSON_PADDING, ' ');
  // One validating pass first (simdjson's DOM parser, at GB/s): a valid body
  // needs no check of the objects and arrays taken whole below.
  thread_local simdjson::dom::parser validator;
  simdjson::dom::element ignored;
  tls_check_nested =
      validator.parse(buffer.data(), body.size(), /*realloc_if_needed=*/false).get(ignored) !=
      simdjson::SUCCESS;
  od::document doc;
  if (auto e = parser.iterate(buffer.data(), body.size(), buffer.size()).get(doc)) {
    return Broken(what, e);
  }
  return doc;
}

// Reads {"records":[…], "offset"?, "createdRecords"?, "updatedRecords"?}.
// With `malformed`, records of the wrong shape are set aside there; without
// it they fail the body.
Status ReadRecordList(std::string_view body, std::string_view what, std::vector<Record>* records,
                      std::vector<MalformedRecord>* malformed, std::string* offset,
                      std::vector<std::string>* created, std::vector<std::string>* updated) {
  AIRPG_ASSIGN_OR_RETURN(od::document doc, Iterate(body, what));
  od::object root;
  if (auto e = doc.get_object().get(root)) return Broken(what, e);
  bool saw_records = false;
  for (auto member : root) {
    std::string_view key;
    if (auto e = member.unescaped_key().get(key)) return Broken(what, e);
    od::value v;
    if (auto e = member.value().get(v)) return Broken(what, e);
    if (key == "records") {
      saw_records = true;
      od::array array;
      if (v.get_array().get(array)) return dom::Malformed(what, "\"records\" is not an array");
      records->reserve(100);  // a full page
      for (auto item : array) {
        od::value rv;
        if (auto e = item.get(rv)) return Broken(what, e);
        if (malformed != nullptr) {
          AIRPG_RETURN_IF_ERROR(ReadListedRecord(rv, records, malformed));
          continue;
        }
        AIRPG_ASSIGN_OR_RETURN(Record record, RecordFrom(rv));
        records->push_back(std::move(record));
      }
    } else if (key == "offset" && offset != nullptr) {
      std::string_view text;
      if (auto e = v.get_string().get(text)) return Broken(what, e);
      *offset = std::string(text);
    } else if ((key == "createdRecords" && created) || (key == "updatedRecords" && updated)) {
      std::vector<std::string>* ids = key == "createdRecords" ? created : updated;
      od::array array;
      if (auto e = v.get_array().get(array)) return Broken(what, e);
      for (auto item : array) {
        std::string_view id;
        if (auto e = item.get_string().get(id)) return Broken(what, e);
        ids->emplace_back(id);
      }
    } else {
      AIRPG_RETURN_IF_ERROR(RawValue(v, what).status());  // validated, then ignored
    }
  }
  if (!AtEnd(doc)) return dom::Malformed(what, "trailing content");
  if (!saw_records) return dom::Malformed(what, "no \"records\" array");
  return Status::Ok();
}

}  // namespace

std::string_view Record::FieldKey(size_t i) const {
  return std::string_view(text_).substr(spans_[i].key_offset, spans_[i].key_size);
}

std::string_view Record::FieldJson(size_t i) const {
  return std::string_view(text_).substr(spans_[i].json_offset, spans_[i].json_size);
}

std::optional<std::string_view> Record::Cell(std::string_view key) const {
  for (size_t i = 0; i < spans_.size(); ++i) {
    if (FieldKey(i) == key) return FieldJson(i);
  }
  return std::nullopt;
}

void Record::AddField(std::string_view key, std::string_view json) {
  AddFieldWith(key, [json](std::string& text) {
    text.append(json);
    return Status::Ok();
  }).IgnoreError();
}

Result<RecordPage> ParseRecordPage(std::string_view body) {
  RecordPage page;
  AIRPG_RETURN_IF_ERROR(ReadRecordList(body, "record page", &page.records, &page.malformed,
                                       &page.offset, nullptr, nullptr));
  return page;
}

Result<Record> ParseRecord(std::string_view body) {
  AIRPG_ASSIGN_OR_RETURN(od::document doc, Iterate(body, "record"));
  od::value value;
  if (auto e = doc.get_value().get(value)) return Broken("record", e);
  AIRPG_ASSIGN_OR_RETURN(Record record, RecordFrom(value));
  if (!AtEnd(doc)) return dom::Malformed("record", "trailing content");
  return record;
}

Result<WriteResult> ParseWriteResult(std::string_view body) {
  WriteResult result;
  AIRPG_RETURN_IF_ERROR(ReadRecordList(body, "write response", &result.records, nullptr, nullptr,
                                       &result.created_record_ids, &result.updated_record_ids));
  return result;
}

Result<std::vector<std::string>> ParseDeleted(std::string_view body) {
  AIRPG_ASSIGN_OR_RETURN(dom::element root, dom::Parse(body, "delete response"));
  std::vector<std::string> ids;
  auto take = [&](dom::element item) -> Status {
    bool deleted = false;
    if (item["deleted"].get_bool().get(deleted) != simdjson::SUCCESS || !deleted) {
      return dom::Malformed("delete response", "a record was not deleted");
    }
    std::string id = dom::String(item, "id");
    if (id.empty()) return dom::Malformed("delete response", "no id");
    ids.push_back(std::move(id));
    return Status::Ok();
  };
  simdjson::dom::array array;
  if (root["records"].get_array().get(array) == simdjson::SUCCESS) {
    for (dom::element item : array) AIRPG_RETURN_IF_ERROR(take(item));
  } else {
    AIRPG_RETURN_IF_ERROR(take(root));
  }
  return ids;
}

std::string RecordJson(const Record& record) {
  std::string out = "{\"id\":\"" + JsonEscape(record.id) + "\"";
  if (!record.created_time.empty()) {
    out += ",\"createdTime\":\"" + JsonEscape(record.created_time) + "\"";
  }
  out += ",\"fields\":{";
  for (size_t i = 0; i < record.field_count(); ++i) {
    if (i > 0) out += ",";
    out += "\"" + JsonEscape(record.FieldKey(i)) + "\":";
    out += record.FieldJson(i);
  }
  out += "}";
  if (record.comment_count) out += ",\"commentCount\":" + std::to_string(*record.comment_count);
  if (record.unknown_keys.size() > 2) {  // {"k":v,…}: its members join the object
    out += "," + record.unknown_keys.substr(1, record.unknown_keys.size() - 2);
  }
  return out + "}";
}

bool IsIsoInstant(std::string_view t) {
  size_t i = 0;
  // Reads exactly `width` digits as a number, or -1.
  auto number = [&](size_t width) {
    if (i + width > t.size()) return -1;
    int value = 0;
    for (size_t end = i + width; i < end; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      value = value * 10 + (t[i] - '0');
    }
    return value;
  };
  auto take = [&](char c) {
    if (i >= t.size() || t[i] != c) return false;
    ++i;
    return true;
  };
  int year = number(4);
  if (year < 1 || !take('-')) return false;
  int month = number(2);
  if (month < 1 || month > 12 || !take('-')) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int day = number(2);
  if (day < 1 || day > (month == 2 && !leap ? 28 : kDays[month - 1])) return false;
  if (!take('T')) return false;
  int hour = number(2);
  if (hour < 0 || hour > 23 || !take(':')) return false;
  int minute = number(2);
  if (minute < 0 || minute > 59) return false;
  if (take(':')) {
    int second = number(2);
    if (second < 0 || second > 59) return false;
    if (take('.')) {
      size_t start = i;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      if (i == start || i - start > 9) return false;
    }
  }
  if (take('Z')) return i == t.size();
  if (!take('+') && !take('-')) return false;
  int offset_hours = number(2);
  if (offset_hours < 0 || offset_hours > 15) return false;
  take(':');
  int offset_minutes = number(2);
  return offset_minutes >= 0 && offset_minutes <= 59 && i == t.size();
}

}  // namespace airpg::airtable
