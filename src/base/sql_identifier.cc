#include "base/sql_identifier.h"

namespace airpg {

std::string QuoteIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '\0') continue;
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QualifiedName(std::string_view schema, std::string_view name) {
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

std::string SqlStringLiteralForScript(std::string_view text) {
  // A backslash means an escape in a plain '…' literal when the session has
  // standard_conforming_strings=off, so a crafted text could end the literal
  // and run its own SQL. E'…' reads backslashes as escapes under either
  // setting, so doubling them there gives one reading everywhere; text without
  // a backslash stays a plain, readable '…'.
  bool escape = text.find('\\') != std::string_view::npos;
  std::string out = escape ? "E'" : "'";
  for (char c : text) {
    if (c == '\0') continue;
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace airpg
