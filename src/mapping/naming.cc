#include "mapping/naming.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/core.h>

namespace airpg::mapping {
namespace {

// Postgres 15's reserved key words (Appendix C, "reserved" and "reserved
// (can be function or type)"), sorted for binary search.
constexpr std::array<std::string_view, 98> kReserved = {
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
};

static_assert(std::is_sorted(kReserved.begin(), kReserved.end()));

// Decodes one UTF-8 code point at `i`; returns its length (1 for bad bytes).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) {
    *cp = c;
    return 1;
  }
  uint32_t value = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k)
    value = (value << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *cp = value;
  return len;
}

// Emoji, pictographs, symbols, dingbats, arrows, box drawing, joiners and
// variation selectors: decoration rather than words.
bool IsSymbol(uint32_t cp) {
  return (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x1F000 && cp <= 0x1FAFF) ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0x200D || (cp >= 0xE0000 && cp <= 0xE007F) ||
         cp == 0x00A0 || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F);
}

// `name` cut to at most `bytes` bytes without splitting a UTF-8 sequence.
std::string CutUtf8(std::string_view name, size_t bytes) {
  if (name.size() <= bytes) return std::string(name);
  size_t end = bytes;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
  std::string out(name.substr(0, end));
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace

std::string SnakeCase(std::string_view airtable_name, std::string_view prefix,
                      std::string_view fallback) {
  std::string out;
  bool pending_underscore = false;
  bool previous_lower = false;  // the last letter was lower-case ASCII (camelCase boundary)
  for (size_t i = 0; i < airtable_name.size();) {
    uint32_t cp;
    size_t len = DecodeUtf8(airtable_name, i, &cp);
    std::string_view piece = airtable_name.substr(i, len);
    i += len;
    bool word = false;
    std::string text;
    if (cp < 0x80) {
      if (std::isalnum(static_cast<int>(cp))) {
        word = true;
        // camelCase → camel_case: an upper-case letter after a lower-case one starts a word.
        if (std::isupper(static_cast<int>(cp)) && previous_lower) pending_underscore = true;
        previous_lower = std::islower(static_cast<int>(cp)) != 0;
        text = std::string(1, static_cast<char>(std::tolower(static_cast<int>(cp))));
      }
    } else if (!IsSymbol(cp) && len > 1) {
      word = true;
      text = std::string(piece);
    }
    if (cp >= 0x80 || !word) previous_lower = false;
    if (!word) {
      pending_underscore = !out.empty();
      continue;
    }
    if (pending_underscore && !out.empty()) out += '_';
    pending_underscore = false;
    out += text;
  }
  if (out.empty()) return std::string(fallback);
  if (std::isdigit(static_cast<unsigned char>(out.front()))) out = std::string(prefix) + out;
  return CutUtf8(out, kMaxIdentifierBytes);
}

bool IsReservedWord(std::string_view name) {
  return std::binary_search(kReserved.begin(), kReserved.end(), name);
}

std::string NameScope::Take(std::string_view candidate) {
  std::string base = CutUtf8(candidate, kMaxIdentifierBytes);
  if (IsReservedWord(base)) base = CutUtf8(base, kMaxIdentifierBytes - 1) + "_";
  std::string name = base;
  for (int n = 2; used_.count(name) > 0; ++n) {
    std::string suffix = fmt::format("_{}", n);
    name = CutUtf8(base, kMaxIdentifierBytes - suffix.size()) + suffix;
  }
  used_.insert(name);
  return name;
}

std::string NameScope::TakeVersion(std::string_view name) {
  for (int k = 1;; ++k) {
    std::string suffix = fmt::format("__v{}", k);
    std::string candidate = CutUtf8(name, kMaxIdentifierBytes - suffix.size()) + suffix;
    if (used_.count(candidate) == 0) {
      used_.insert(candidate);
      return candidate;
    }
  }
}

std::string ColumnNameCandidate(std::string_view field_name, bool foreign_key) {
  std::string name = SnakeCase(field_name, "f_", "field");
  if (!foreign_key) return name;
  // "Client ID" is already an id: no `client_id_id`.
  if (name.size() >= 3 && name.compare(name.size() - 3, 3, "_id") == 0) return name;
  if (name == "id") return "id";  // NameScope makes it `id_2` (bookkeeping)
  return CutUtf8(name, kMaxIdentifierBytes - 3) + "_id";
}

std::string LiveViewCandidate(std::string_view table_name) {
  return CutUtf8(table_name, kMaxIdentifierBytes - 5) + "_live";
}

std::set<std::string> BookkeepingColumns() {
  return {"id",         "airtable_id",     "airtable_created_time", "airtable_modified_time",
          "deleted_at", "airpg_synced_at", "airpg_version",         "airpg_cell_errors"};
}

}  // namespace airpg::mapping
