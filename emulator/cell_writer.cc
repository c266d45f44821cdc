#include "emulator/cell_writer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "airtable/webhook_mac.h"
#include "emulator/attachment_signer.h"
#include "emulator/clock.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

using airtable::FieldType;

constexpr std::array<const char*, 10> kChoiceColors = {
    "blueLight2",   "cyanLight2", "tealLight2", "greenLight2",  "yellowLight2",
    "orangeLight2", "redLight2",  "pinkLight2", "purpleLight2", "grayLight2"};

ApiError CannotAccept(const Field& field) {
  return Unprocessable("INVALID_VALUE_FOR_COLUMN",
                       "Field \"" + field.name + "\" cannot accept the provided value");
}

ApiError CannotParse(const Field& field, const Json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  return Unprocessable("INVALID_VALUE_FOR_COLUMN",
                       "Cannot parse value \"" + text + "\" for field " + field.name);
}

ApiResult<Json> Text(const CellWriteContext& ctx, const Field& field, const Json& value) {
  if (value.is_string()) return value.get<std::string>().empty() ? Json() : value;
  if (ctx.typecast && (value.is_number() || value.is_boolean())) return Json(value.dump());
  return CannotAccept(field);
}

ApiResult<Json> Number(const CellWriteContext& ctx, const Field& field, const Json& value) {
  if (value.is_number()) return value;
  if (ctx.typecast && value.is_string()) {
    std::string text = value.get<std::string>();
    if (text.empty()) return Json();
    std::string digits;
    for (char c : text) {
      if (c != ',' && c != ' ' && c != '$') digits.push_back(c);
    }
    char* end = nullptr;
    double parsed = std::strtod(digits.c_str(), &end);
    if (end == digits.c_str() || *end != '\0' || !std::isfinite(parsed)) {
      return CannotParse(field, value);
    }
    if (parsed == std::floor(parsed) && std::fabs(parsed) < 9e15) {
      return Json(static_cast<int64_t>(parsed));
    }
    return Json(parsed);
  }
  return CannotAccept(field);
}

ApiResult<Json> Checkbox(const CellWriteContext& ctx, const Field& field, const Json& value) {
  if (value.is_boolean()) return value.get<bool>() ? Json(true) : Json();
  if (ctx.typecast) {
    if (value.is_string()) {
      std::string t = value.get<std::string>();
      return (t.empty() || t == "false" || t == "0") ? Json() : Json(true);
    }
    if (value.is_number()) return value.get<double>() != 0 ? Json(true) : Json();
  }
  return CannotAccept(field);
}

// Finds the option by name (or id); with typecast, adds a new one.
ApiResult<std::string> Choice(const CellWriteContext& ctx, Field& field, const Json& value) {
  std::string name;
  if (value.is_string()) {
    name = value.get<std::string>();
  } else if (ctx.typecast && (value.is_number() || value.is_boolean())) {
    name = value.dump();
  } else {
    return CannotAccept(field);
  }
  if (!field.options.is_object()) field.options = Json::object();
  Json& choices = field.options["choices"];
  if (!choices.is_array()) choices = Json::array();
  for (const Json& choice : choices) {
    if (StringAt(choice, "name") == name || StringAt(choice, "id") == name) {
      return StringAt(choice, "name");
    }
  }
  if (!ctx.typecast || !ctx.can_create_choices) {
    return Unprocessable(
        "INVALID_MULTIPLE_CHOICE_OPTIONS",
        "Insufficient permissions to create new select option \"\"" + name + "\"\"");
  }
  choices.push_back({{"id", ctx.ids.Next("sel")},
                     {"name", name},
                     {"color", kChoiceColors[choices.size() % kChoiceColors.size()]}});
  return name;
}

ApiResult<Json> Date(const CellWriteContext& ctx, const Field& field, const Json& value,
                     bool with_time) {
  if (!value.is_string()) return CannotAccept(field);
  std::string text = value.get<std::string>();
  if (text.empty()) return Json();
  int64_t millis = 0;
  if (!ParseIsoMillis(text, &millis)) {
    (void)ctx;
    return Unprocessable("INVALID_VALUE_FOR_COLUMN",
                         "Cannot parse date value \"" + text + "\" for field " + field.name);
  }
  std::string iso = FormatIsoMillis(millis);
  return with_time ? Json(iso) : Json(iso.substr(0, 10));
}

ApiResult<Json> OneCollaborator(const CellWriteContext& ctx, const Field& field,
                                const Json& value) {
  std::string key;
  if (value.is_object()) {
    key = value.contains("id") ? StringAt(value, "id") : StringAt(value, "email");
  } else if (value.is_string()) {
    key = value.get<std::string>();
  }
  const Collaborator* who = ctx.base.FindCollaborator(key);
  if (who == nullptr) return CannotAccept(field);
  Json out = {{"id", who->id}, {"email", who->email}};
  if (!who->name.empty()) out["name"] = who->name;
  return out;
}

ApiResult<Json> Links(const CellWriteContext& ctx, const Field& field, const Json& value) {
  if (!value.is_array()) return CannotAccept(field);
  std::string linked_table_id = StringAt(field.options, "linkedTableId");
  Table* linked = ctx.base.FindTable(linked_table_id);
  Json out = Json::array();
  for (const Json& item : value) {
    std::string record_id = item.is_string()   ? item.get<std::string>()
                            : item.is_object() ? StringAt(item, "id")
                                               : std::string();
    if (linked == nullptr || linked->FindRecord(record_id) == nullptr) {
      return Unprocessable("ROW_DOES_NOT_EXIST",
                           "Record ID " + record_id + " does not exist in this table");
    }
    bool seen = false;
    for (const Json& kept : out) seen |= kept == record_id;
    if (!seen) out.push_back(record_id);
  }
  return out.empty() ? Json() : out;
}

std::string GuessMimeType(const std::string& filename) {
  auto dot = filename.rfind('.');
  std::string ext = dot == std::string::npos ? "" : filename.substr(dot + 1);
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "pdf") return "application/pdf";
  if (ext == "txt") return "text/plain";
  if (ext == "csv") return "text/csv";
  return "application/octet-stream";
}

ApiResult<Json> Attachments(const CellWriteContext& ctx, const Field& field, const Json& value,
                            const Json& existing) {
  if (!value.is_array()) return CannotAccept(field);
  Json out = Json::array();
  for (const Json& item : value) {
    if (!item.is_object()) return CannotAccept(field);
    if (item.contains("id") && !item.contains("url")) {
      bool found = false;
      if (existing.is_array()) {
        for (const Json& old : existing) {
          if (StringAt(old, "id") == StringAt(item, "id")) {
            out.push_back(old);
            found = true;
          }
        }
      }
      if (!found) return CannotAccept(field);
      continue;
    }
    std::string url = StringAt(item, "url");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return CannotAccept(field);
    std::string filename = StringAt(item, "filename");
    if (filename.empty()) {
      std::string path = url.substr(0, url.find('?'));
      filename = path.substr(path.rfind('/') + 1);
    }
    std::string attachment_id = ctx.ids.Next("att");
    Json att = {{"id", attachment_id},
                {"url", ctx.attachment_url ? ctx.attachment_url(attachment_id, filename) : url},
                {"filename", filename},
                {"size", AttachmentPlaceholder(attachment_id, filename).size()},
                {"type", GuessMimeType(filename)}};
    if (auto fetched = ctx.fetch_url ? ctx.fetch_url(url) : std::nullopt) {
      att["size"] = fetched->first.size();
      if (!fetched->second.empty() && fetched->second != "application/octet-stream") {
        att["type"] = fetched->second;
      }
      att["content"] = airtable::Base64Encode(fetched->first);  // served at the signed URL
    }
    out.push_back(att);
  }
  return out.empty() ? Json() : out;
}

}  // namespace

bool IsEmptyCell(const Json& value) {
  return value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
         (value.is_array() && value.empty()) || (value.is_boolean() && !value.get<bool>()) ||
         (value.is_object() && value.empty());
}

ApiResult<Json> NormalizeCell(const CellWriteContext& ctx, Field& field, const Json& value,
                              const Json& existing) {
  FieldType kind = field.kind();
  if (airtable::IsComputed(kind)) {
    return Unprocessable(
        "INVALID_VALUE_FOR_COLUMN",
        "Field \"" + field.name + "\" cannot accept a value because the field is computed");
  }
  if (value.is_null()) return Json();
  switch (kind) {
    case FieldType::kSingleLineText:
    case FieldType::kEmail:
    case FieldType::kUrl:
    case FieldType::kMultilineText:
    case FieldType::kRichText:
    case FieldType::kPhoneNumber:
      return Text(ctx, field, value);
    case FieldType::kNumber:
    case FieldType::kPercent:
    case FieldType::kCurrency:
    case FieldType::kDuration:
      return Number(ctx, field, value);
    case FieldType::kRating: {
      EMU_ASSIGN_OR_RETURN(Json n, Number(ctx, field, value));
      if (n.is_null() || (n.is_number() && n.get<double>() == 0)) return Json();
      int64_t max = IntAt(field.options, "max", 5);
      if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > max) {
        return CannotAccept(field);
      }
      return n;
    }
    case FieldType::kCheckbox:
      return Checkbox(ctx, field, value);
    case FieldType::kSingleSelect: {
      if (value.is_string() && value.get<std::string>().empty()) return Json();
      EMU_ASSIGN_OR_RETURN(std::string name, Choice(ctx, field, value));
      return Json(name);
    }
    case FieldType::kMultipleSelects: {
      Json items = value;
      if (ctx.typecast && value.is_string()) {
        items = Json::array();
        std::string text = value.get<std::string>();
        size_t start = 0;
        while (start <= text.size() && !text.empty()) {
          size_t comma = text.find(',', start);
          if (comma == std::string::npos) comma = text.size();
          std::string piece = text.substr(start, comma - start);
          while (!piece.empty() && piece.front() == ' ') piece.erase(0, 1);
          while (!piece.empty() && piece.back() == ' ') piece.pop_back();
          if (!piece.empty()) items.push_back(piece);
          start = comma + 1;
        }
      }
      if (!items.is_array()) return CannotAccept(field);
      Json out = Json::array();
      for (const Json& item : items) {
        EMU_ASSIGN_OR_RETURN(std::string name, Choice(ctx, field, item));
        if (std::find(out.begin(), out.end(), Json(name)) == out.end()) out.push_back(name);
      }
      return out.empty() ? Json() : out;
    }
    case FieldType::kDate:
      return Date(ctx, field, value, false);
    case FieldType::kDateTime:
      return Date(ctx, field, value, true);
    case FieldType::kSingleCollaborator:
      return OneCollaborator(ctx, field, value);
    case FieldType::kMultipleCollaborators: {
      if (!value.is_array()) return CannotAccept(field);
      Json out = Json::array();
      for (const Json& item : value) {
        EMU_ASSIGN_OR_RETURN(Json who, OneCollaborator(ctx, field, item));
        out.push_back(who);
      }
      return out.empty() ? Json() : out;
    }
    case FieldType::kMultipleRecordLinks:
      return Links(ctx, field, value);
    case FieldType::kMultipleAttachments:
      return Attachments(ctx, field, value, existing);
    case FieldType::kBarcode:
      if (value.is_object() && value.contains("text")) return value;
      if (ctx.typecast && value.is_string()) return Json{{"text", value}};
      return CannotAccept(field);
    default:
      return IsEmptyCell(value) ? Json() : value;  // unknown types: carried as sent
  }
}

}  // namespace airpg::emulator
