#include "mapping/checksum.h"

#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <new>

#include <fmt/core.h>

#include "base/json_escape.h"
#include "mapping/cell_value.h"
#include "mapping/relation_cells.h"

namespace airpg::mapping {
namespace {

using simdjson::dom::element;

// "<length>:<bytes>": no byte of an item can be mistaken for a boundary.
void Frame(std::string& out, std::string_view item) {
  out += std::to_string(item.size());
  out += ':';
  out += item;
}

// A list as "[" + framed items; "" for none (Airtable omits an empty list).
std::string List(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string out = "[";
  for (const std::string& item : items) Frame(out, item);
  return out;
}

// "12.500" → "12.5", "3.0" → "3": what CellToPg does for numerics, here for
// the seconds of an interval (90061.50 and 90061.5 are the same duration).
std::string TrimFraction(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// JSON text with object keys sorted (the last of duplicate keys wins, as in
// jsonb), numbers in shortest round-trip form and strings re-escaped the one
// way JsonEscape does: Airtable and Postgres spell the same jsonb differently.
std::string CanonicalJson(element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::ARRAY: {
      std::string out = "[";
      bool first = true;
      // A named copy: in C++20 a range-for over value_unsafe() of the temporary
      // result would bind a reference into a temporary destroyed before the loop.
      simdjson::dom::array items = value.get_array().value_unsafe();
      for (element item : items) {
        out += (first ? "" : ",") + CanonicalJson(item);
        first = false;
      }
      return out + "]";
    }
    case simdjson::dom::element_type::OBJECT: {
      std::map<std::string_view, std::string> members;
      simdjson::dom::object object = value.get_object().value_unsafe();
      for (auto [key, item] : object) {
        members[key] = CanonicalJson(item);
      }
      std::string out = "{";
      for (const auto& [key, item] : members) {
        out += (out.size() > 1 ? ",\"" : "\"") + JsonEscape(key) + "\":" + item;
      }
      return out + "}";
    }
    case simdjson::dom::element_type::STRING:
      return "\"" + JsonEscape(value.get_string().value_unsafe()) + "\"";
    case simdjson::dom::element_type::INT64:
      return std::to_string(value.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return std::to_string(value.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return fmt::format("{}", value.get_double().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return value.get_bool().value_unsafe() ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
  }
  return "null";
}

// One column value (as CellToPg gives it) in the form both sides agree on.
Result<std::string> Normalize(const airtable::Field& field, std::string_view sql_type,
                              std::string text) {
  if (sql_type == "interval") {
    size_t space = text.find(' ');  // "<seconds> seconds", as CellToPg writes it
    if (space == std::string::npos) return text;
    return TrimFraction(text.substr(0, space)) + text.substr(space);
  }
  if (sql_type == "timestamptz" && text.size() >= 20 && (text[19] == '.' || text[19] == 'Z')) {
    // "…:SS.fffZ" with 3 to 6 fraction digits: ".000Z", ".0Z" and "Z" agree.
    std::string digits = text.substr(19, text.size() - 20);
    if (!digits.empty() && digits[0] == '.') digits.erase(0, 1);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    if (digits.size() < 3) digits.resize(3, '0');
    return text.substr(0, 19) + "." + digits + "Z";
  }
  if (sql_type == "jsonb") {
    thread_local simdjson::dom::parser parser;
    element value;
    if (parser.parse(text.data(), text.size()).get(value) != simdjson::SUCCESS) {
      return InvalidArgumentError(fmt::format("field \"{}\": the cell is not JSON", field.name));
    }
    std::string json = CanonicalJson(value);
    // Airtable omits a cell rather than send null, "" or [].
    if (json == "null" || json == "\"\"" || json == "[]") return std::string();
    return json;
  }
  return text;
}

Result<std::string> ColumnCanonical(const airtable::Field& field, const ColumnPlan& plan,
                                    std::optional<std::string_view> cell_json) {
  AIRPG_ASSIGN_OR_RETURN(PgValue value, CellToPg(field, plan, cell_json));
  if (value.is_null) return std::string();
  std::string_view sql_type = plan.sql_type;
  if (value.array) {
    std::string_view item_type = sql_type.substr(0, sql_type.size() - 2);
    std::vector<std::string> items;
    for (std::string& item : *value.array) {
      AIRPG_ASSIGN_OR_RETURN(std::string one, Normalize(field, item_type, std::move(item)));
      items.push_back(std::move(one));
    }
    return List(items);
  }
  AIRPG_ASSIGN_OR_RETURN(std::string text, Normalize(field, sql_type, std::move(value.text)));
  // Airtable shows an unchecked box and an empty text as no value at all.
  if (text.empty() || (sql_type == "boolean" && text == "false")) return std::string();
  return "=" + text;
}

}  // namespace

Result<std::string> CanonicalCell(const airtable::Field& field, const ColumnPlan& plan,
                                  std::optional<std::string_view> cell_json, bool unordered_links) {
  if (cell_json) {
    // CellToPg takes a number's digits from the text as given, so spaces
    // around the value (never in a record, which keeps cells minified)
    // would otherwise reach the canonical text.
    size_t first = cell_json->find_first_not_of(" \t\r\n");
    size_t last = cell_json->find_last_not_of(" \t\r\n");
    if (first != std::string_view::npos) cell_json = cell_json->substr(first, last - first + 1);
  }
  switch (plan.storage) {
    case Storage::kColumn:
    case Storage::kChoice:
    case Storage::kChoiceArray:
      return ColumnCanonical(field, plan, cell_json);
    default:
      break;
  }
  if (!cell_json) return std::string();
  auto in_field = [&](const Status& status) { return status.WithContext(field.name); };
  std::vector<std::string> items;
  switch (plan.storage) {
    case Storage::kForeignKey:
    case Storage::kJunction: {
      Result<std::vector<std::string>> ids = ParseLinkCell(*cell_json);
      if (!ids.ok()) return in_field(ids.status());
      items = std::move(*ids);
      if (unordered_links) std::sort(items.begin(), items.end());
      break;
    }
    case Storage::kUser:
    case Storage::kUserJunction: {
      Result<std::vector<Collaborator>> users = ParseCollaboratorCell(field.type, *cell_json);
      if (!users.ok()) return in_field(users.status());
      for (Collaborator& user : *users) items.push_back(std::move(user.id));
      break;
    }
    case Storage::kAttachments: {
      Result<std::vector<AttachmentCell>> files = ParseAttachmentCell(*cell_json);
      if (!files.ok()) return in_field(files.status());
      for (const AttachmentCell& file : *files) {
        std::string item;
        Frame(item, file.id);
        Frame(item, file.filename);
        // Rows may lack a size Airtable never sent; the reader calls that 0.
        Frame(item, std::to_string(file.size.value_or(0)));
        Frame(item, file.type);
        items.push_back(std::move(item));
      }
      break;
    }
    default:
      break;
  }
  return List(items);
}

void RecordChecksum::Add(std::string_view field_id, std::string_view canonical) {
  if (canonical.empty()) return;
  cells_.emplace_back(field_id, canonical);
}

std::string RecordChecksum::Finish() {
  // Sorting whole pairs keeps even a repeated field id independent of order.
  std::sort(cells_.begin(), cells_.end());
  std::string framed;
  for (const auto& [field_id, canonical] : cells_) {
    Frame(framed, field_id);
    Frame(framed, canonical);
  }
  cells_.clear();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // SHA-256 over memory fails only when OpenSSL cannot allocate.
  if (EVP_Digest(framed.data(), framed.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::bad_alloc();
  }
  // By table, not fmt: this runs twice per record of a migration.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace airpg::mapping
