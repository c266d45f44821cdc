// Schema JSON: fields, views and tables as the Meta API shows them (API.md
// §5.2: description omitted when empty, options omitted when null,
// visibleFieldIds only for grid views when asked), and parsing of the same
// shapes from data files and create-table/create-field bodies.
// Pure; thread-safe.
#pragma once

#include "emulator/ids.h"
#include "emulator/model.h"
#include "emulator/wire.h"

namespace airpg::emulator {

Json FieldToJson(const Field& field);
Json ViewToJson(const View& view, bool include_visible_field_ids);
Json TableToJson(const Table& table, bool include_visible_field_ids);

// A field config {"id"?,"name","type","description"?,"options"?}; missing ids
// are generated. 422 INVALID_REQUEST_UNKNOWN when name or type is missing.
ApiResult<Field> FieldFromJson(const Json& json, IdGenerator& ids);

// A view {"id"?,"name","type"?,"visibleFieldIds"?, "filterByFormula"?,
// "sort"?:[{"field","direction"}], "recordOrder"?:[rec…]}; sort fields are
// resolved against `table` (names or ids).
ApiResult<View> ViewFromJson(const Json& json, const Table& table, IdGenerator& ids);

}  // namespace airpg::emulator
