#include "base/sql_array.h"

#include <cctype>

namespace airpg {

std::string ArrayLiteral(const std::vector<std::optional<std::string>>& elements) {
  std::string out = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ',';
    if (!elements[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *elements[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Result<std::vector<std::optional<std::string>>> ParseArray(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}')
    return InvalidArgumentError("array text must be enclosed in braces");
  std::vector<std::optional<std::string>> out;
  std::string_view body = text.substr(1, text.size() - 2);
  if (body.empty()) return out;
  size_t i = 0;
  while (true) {
    if (i < body.size() && body[i] == '{')
      return UnimplementedError("multi-dimensional arrays are not supported");
    if (i < body.size() && body[i] == '"') {
      std::string element;
      ++i;
      while (i < body.size() && body[i] != '"') {
        if (body[i] == '\\' && i + 1 < body.size()) ++i;
        element += body[i++];
      }
      if (i >= body.size()) return InvalidArgumentError("unterminated quoted array element");
      ++i;  // closing quote
      out.emplace_back(std::move(element));
    } else {
      size_t end = body.find(',', i);
      std::string_view raw =
          body.substr(i, end == std::string_view::npos ? body.size() - i : end - i);
      // Unquoted elements carry no leading or trailing blanks of their own.
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front())))
        raw.remove_prefix(1);
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back())))
        raw.remove_suffix(1);
      if (raw.size() == 4 && (raw == "NULL" || raw == "null")) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(std::string(raw));
      }
      i += raw.size();
      while (i < body.size() && body[i] != ',') ++i;
    }
    if (i >= body.size()) break;
    if (body[i] != ',') return InvalidArgumentError("expected ',' between array elements");
    ++i;
  }
  return out;
}

}  // namespace airpg
