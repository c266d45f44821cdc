// Naming: Postgres names for Airtable tables and fields. Names are readable
// snake_case, at most 63 bytes, never one of Postgres's reserved words nor a
// column airpg keeps for itself, and unique within their scope by a
// deterministic suffix. Identity stays the tbl…/fld… id (kept in the
// catalog), so a name is chosen once and a later rename is a column rename.
// Pure and thread-compatible (NameScope holds state).
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace airpg::mapping {

inline constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1

// The snake_case form of an Airtable name: ASCII letters and digits
// lower-cased, other ASCII runs become one '_', letters of other scripts
// kept, emoji and symbols dropped; a leading digit gets a `prefix` ("t_"
// for tables, "f_" for fields). Empty results become `fallback`. Not yet
// checked for reserved words or uniqueness (NameScope does that).
std::string SnakeCase(std::string_view airtable_name, std::string_view prefix,
                      std::string_view fallback);

// Whether `name` is a Postgres reserved key word (it would need quoting).
bool IsReservedWord(std::string_view name);

// Names already used in one schema (tables) or one table (columns). Take()
// returns a free name for a candidate: reserved words get a trailing '_',
// taken names get "_2", "_3"…, all within 63 bytes (cut at a UTF-8 boundary).
class NameScope {
 public:
  // `reserved`: names airpg keeps for itself in this scope (e.g. "id").
  explicit NameScope(const std::set<std::string>& reserved = {})
      : used_(reserved.begin(), reserved.end()) {}

  // Marks an already assigned name (from the catalog) as used.
  void Keep(std::string_view name) { used_.insert(std::string(name)); }

  std::string Take(std::string_view candidate);

  bool Contains(std::string_view name) const { return used_.count(name) > 0; }

  // The name a column keeps when a change of its field's type puts a new
  // column in its place: `<name>__v<k>` with the smallest k >= 1 not yet
  // used, `name` cut (at a UTF-8 boundary) so the whole fits in 63 bytes.
  std::string TakeVersion(std::string_view name);

 private:
  std::set<std::string, std::less<>> used_;
};

// The column name a field asks for before NameScope makes it unique: its
// name's snake_case, with `_id` appended for a single-record link's foreign
// key (`Client` → `client_id`), as a Postgres engineer names one.
std::string ColumnNameCandidate(std::string_view field_name, bool foreign_key);

// The name a table's live-rows view asks for: `<table>_live`, cut to fit.
std::string LiveViewCandidate(std::string_view table_name);

// The columns every mirrored table has; field columns never take these names.
std::set<std::string> BookkeepingColumns();

}  // namespace airpg::mapping
