#include "emulator/record_renderer.h"

#include <algorithm>

#include "airtable/wire/cell_text.h"
#include "emulator/attachment_signer.h"
#include "emulator/clock.h"
#include "emulator/time_zone.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

using airtable::FieldType;

Json StoredCell(const Field& field, const Record& record) {
  auto it = record.cells.find(field.id);
  return it == record.cells.end() ? Json() : *it;
}

// The link field a lookup, rollup or count goes through; nullptr when the
// field is broken (isValid false, "recordLinkFieldId": null, or the link
// field deleted).
const Field* LinkOf(const Table& table, const Field& field) {
  if (!BoolAt(field.options, "isValid", true)) return nullptr;
  const Field* link = table.FindField(StringAt(field.options, "recordLinkFieldId"));
  if (link == nullptr || link->kind() != FieldType::kMultipleRecordLinks) return nullptr;
  return link;
}

// A broken lookup, rollup or count, as CellRules::broken_computed says.
Json BrokenCell(const Base& base, const Field& field, const Record& record) {
  if (base.cell_rules.broken_computed == CellRules::BrokenComputed::kError) {
    return {{"error", "#ERROR!"}};
  }
  return StoredCell(field, record);
}

// "date" or "dateTime": how a createdTime / lastModifiedTime field shows.
std::string ResultType(const Field& field) {
  return StringAt(MemberAt(field.options, "result"), "type", "dateTime");
}

// A createdTime / lastModifiedTime cell: the instant, or with a `date`
// result its date in the result's time zone (API.md §5.3; CellRules).
Json TimeCell(const Base& base, const Field& field, int64_t millis) {
  if (ResultType(field) != "date" ||
      base.cell_rules.date_result == CellRules::DateResult::kInstant) {
    return FormatIsoMillis(millis);
  }
  const Json& options = MemberAt(MemberAt(field.options, "result"), "options");
  return DateInZone(millis, StringAt(options, "timeZone", "utc"));
}

// The wire format's text context over the model: the emulator's zone reader
// and linked records shown by their primary field's text.
airtable::wire::TextContext TextContextFor(const Base& base, const std::string& time_zone,
                                           const std::string& user_locale) {
  airtable::wire::TextContext context;
  context.time_zone = time_zone;
  context.user_locale = user_locale;
  context.zone_offset = UtcOffsetSeconds;
  context.linked_text = [&base](const Json& link_options, const std::string& record_id) {
    const Table* linked =
        const_cast<Base&>(base).FindTable(StringAt(link_options, "linkedTableId"));
    if (linked == nullptr) return record_id;
    const Record* record = linked->FindRecord(record_id);
    const Field* primary = linked->FindField(linked->primary_field_id);
    if (record == nullptr || primary == nullptr) return record_id;
    return CellText(base, *primary, CellValue(base, *linked, *primary, *record));
  };
  return context;
}

}  // namespace

Json CellValue(const Base& base, const Table& table, const Field& field, const Record& record) {
  switch (field.kind()) {
    case FieldType::kCreatedTime:
      return TimeCell(base, field, record.created_millis);
    case FieldType::kLastModifiedTime:
      return TimeCell(base, field, record.modified_millis);
    case FieldType::kCount: {
      const Field* link = LinkOf(table, field);
      if (link == nullptr) return BrokenCell(base, field, record);
      auto links = record.cells.find(link->id);
      return links == record.cells.end() || !links->is_array() ? Json(0) : Json(links->size());
    }
    case FieldType::kRollup:
      // Not computed: the stored value, unless the link is gone.
      if (LinkOf(table, field) == nullptr) return BrokenCell(base, field, record);
      break;
    case FieldType::kMultipleLookupValues: {
      const Field* link = LinkOf(table, field);
      const Table* linked =
          link ? const_cast<Base&>(base).FindTable(StringAt(link->options, "linkedTableId"))
               : nullptr;
      const Field* looked_up =
          linked ? linked->FindField(StringAt(field.options, "fieldIdInLinkedTable")) : nullptr;
      if (looked_up == nullptr) return BrokenCell(base, field, record);
      // Lookups of lookups are not followed (no cycles): the stored value.
      if (looked_up->kind() == FieldType::kMultipleLookupValues) break;
      Json values = Json::array();
      auto ids = record.cells.find(link->id);
      if (ids == record.cells.end() || !ids->is_array()) return Json();
      for (const Json& id : *ids) {
        const Record* other = linked->FindRecord(AsString(id));
        if (other == nullptr) continue;
        Json value = CellValue(base, *linked, *looked_up, *other);
        if (value.is_array()) {
          for (const Json& v : value) values.push_back(v);
        } else if (!value.is_null()) {
          values.push_back(value);
        }
      }
      return values.empty() ? Json() : values;
    }
    default:
      break;
  }
  return StoredCell(field, record);
}

std::string CellText(const Base& base, const Field& field, const Json& value,
                     const std::string& time_zone, const std::string& user_locale) {
  return airtable::wire::CellText(field.kind(), field.options, value,
                                  TextContextFor(base, time_zone, user_locale));
}

Json RenderRecord(const Base& base, const Table& table, const Record& record,
                  const RenderOptions& options) {
  airtable::wire::RecordBuilder builder(options, TextContextFor(base, "", ""));
  for (const Field& field : table.fields) {
    if (!builder.Wants(field.id)) continue;
    Json value = CellValue(base, table, field, record);
    if (value.is_null()) continue;
    if (field.kind() == FieldType::kMultipleAttachments && value.is_array()) {
      for (Json& attachment : value) {
        if (!attachment.is_object()) continue;  // shown as stored
        // Airtable's size is the size of the bytes at the URL: without
        // emulator-only "content" those are the placeholder's.
        if (!attachment.contains("content") && MemberAt(attachment, "id").is_string() &&
            MemberAt(attachment, "filename").is_string()) {
          attachment["size"] =
              AttachmentPlaceholder(StringAt(attachment, "id"), StringAt(attachment, "filename"))
                  .size();
        }
        attachment.erase("content");  // emulator-only: the bytes served at the URL
        if (options.attachment_url) attachment["url"] = options.attachment_url(attachment);
      }
    }
    builder.Add({field.id, field.name, field.kind(), &field.options}, std::move(value));
  }
  return builder.Finish(record.id, record.created_millis, record.comment_count);
}

std::string RenderRecordText(const Base& base, const Table& table, const Record& record,
                             const RenderOptions& options, uint64_t generation) {
  bool plain = options.only_field_ids.empty() && !options.string_format && !options.comment_count;
  for (const Field& field : table.fields) {
    plain = plain && field.kind() != FieldType::kMultipleAttachments;
  }
  if (!plain) return RenderRecord(base, table, record, options).dump();
  int slot = options.by_field_id ? 1 : 0;
  if (record.rendered_generation[slot] != generation) {
    record.rendered[slot] = RenderRecord(base, table, record, options).dump();
    record.rendered_generation[slot] = generation;
  }
  return record.rendered[slot];
}

}  // namespace airpg::emulator
