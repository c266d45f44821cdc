#include "airtable/wire/cell_text.h"

#include <vector>

#include "airtable/wire/iso_time.h"

namespace airpg::airtable::wire {
namespace {

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += ", ";
    out += part;
  }
  return out;
}

// "date" or "dateTime": how a createdTime / lastModifiedTime field shows.
std::string ResultType(const Json& options) {
  return StringAt(MemberAt(options, "result"), "type", "dateTime");
}

}  // namespace

std::string CellText(FieldType kind, const Json& options, const Json& value,
                     const TextContext& context) {
  if (value.is_null()) return "";
  switch (kind) {
    case FieldType::kDate:
      return value.is_string() ? FormatDateCell(value.get<std::string>(), options, false, "",
                                                context.user_locale, context.zone_offset)
                               : value.dump();
    case FieldType::kDateTime:
      return value.is_string()
                 ? FormatDateCell(value.get<std::string>(), options, true, context.time_zone,
                                  context.user_locale, context.zone_offset)
                 : value.dump();
    case FieldType::kCreatedTime:
    case FieldType::kLastModifiedTime: {
      const Json& result_options = MemberAt(MemberAt(options, "result"), "options");
      if (ResultType(options) != "date") {
        return FormatDateCell(AsString(value), result_options, true, context.time_zone,
                              context.user_locale, context.zone_offset);
      }
      // A date result shown as an instant: its date in the result's zone.
      std::string date = AsString(value);
      int64_t millis = 0;
      if (date.size() > 10 && ParseIsoMillis(date, &millis)) {
        std::string zone = StringAt(result_options, "timeZone", "utc");
        date = DateInZone(millis,
                          zone == "client" && !context.time_zone.empty() ? context.time_zone : zone,
                          context.zone_offset);
      }
      return FormatDateCell(date, result_options, false, context.time_zone, context.user_locale,
                            context.zone_offset);
    }
    case FieldType::kCheckbox:
      return value.is_boolean() && value.get<bool>() ? "checked" : "";
    case FieldType::kMultipleRecordLinks: {
      std::vector<std::string> names;
      for (const Json& id : value) {
        std::string text;
        if (context.linked_text) text = context.linked_text(options, AsString(id));
        names.push_back(text.empty() ? AsString(id) : text);
      }
      return Join(names);
    }
    case FieldType::kMultipleAttachments: {
      std::vector<std::string> parts;
      for (const Json& a : value) {
        parts.push_back(StringAt(a, "filename") + " (" + StringAt(a, "url") + ")");
      }
      return Join(parts);
    }
    default:
      break;
  }
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "checked" : "";
  if (value.is_array()) {
    std::vector<std::string> parts;
    for (const Json& item : value) parts.push_back(CellText(kind, options, item, {}));
    return Join(parts);
  }
  if (value.is_object()) {
    for (const char* key : {"name", "email", "text", "label", "value"}) {
      if (MemberAt(value, key).is_string()) return StringAt(value, key);
    }
    return value.dump();
  }
  return value.dump();  // numbers
}

}  // namespace airpg::airtable::wire
