// Cell writes (API.md §2.4–2.9, §5.3): turns a value a client sent for one
// field into the stored read-format value, applying typecast, refusing
// computed fields, checking select options, linked record ids and
// collaborators, and giving new attachments ids. A result of null means
// "this write empties the cell". Called with the emulator's lock held.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "emulator/ids.h"
#include "emulator/model.h"
#include "emulator/wire.h"

namespace airpg::emulator {

struct CellWriteContext {
  Base& base;
  Table& table;
  IdGenerator& ids;
  bool typecast = false;
  // Only creators may add select options, even with typecast (API.md §2.4).
  bool can_create_choices = true;
  // Builds the URL served for a new attachment; absent: keep the sent URL.
  std::function<std::string(const std::string& attachment_id, const std::string& filename)>
      attachment_url;
  // Copies the file at a URL written into an attachment cell, as Airtable
  // does (API.md §2.9): its bytes and content type, or nullopt when it is
  // not fetched (EmulatorOptions::fetch_attachment_urls) or cannot be. Absent
  // or nullopt: the attachment serves placeholder bytes.
  std::function<std::optional<std::pair<std::string, std::string>>(const std::string& url)>
      fetch_url;
};

// REQUIRES: `field` belongs to ctx.table. May add select choices to `field`
// when ctx.typecast is set. `existing` is the cell's current value (attachments
// kept by id come from it).
ApiResult<Json> NormalizeCell(const CellWriteContext& ctx, Field& field, const Json& value,
                              const Json& existing = Json());

// Whether a stored or incoming value counts as an empty cell (null, "", [],
// false, {}).
bool IsEmptyCell(const Json& value);

}  // namespace airpg::emulator
