// CellText: the display text of one cell in a read response with
// cellFormat=string (API.md §2.1): "checked" checkboxes, joined selects,
// collaborators by name, links by the linked record's primary text,
// attachments as "filename (url)", dates in the field's formats and zone.
// Shared by the emulator and src/api/, each supplying its own zone reader and
// linked-record lookup. Pure; thread-safe when the callbacks are.
#pragma once

#include <functional>
#include <string>

#include "airtable/field_type.h"
#include "airtable/wire/date_text.h"
#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {

struct TextContext {
  std::string time_zone;    // the request's timeZone, for "client" zones
  std::string user_locale;  // the request's userLocale, for "local" dates
  ZoneOffsetFn zone_offset;
  // The display text of record `record_id` of the table a link field with
  // options `link_options` points at; unset or returning "" shows the id.
  std::function<std::string(const Json& link_options, const std::string& record_id)> linked_text;
};

// The display text of `value` (a V1 read-format cell, null when empty) of a
// field of type `kind` with `options`; "" for an empty cell.
std::string CellText(FieldType kind, const Json& options, const Json& value,
                     const TextContext& context);

}  // namespace airpg::airtable::wire
