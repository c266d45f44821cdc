#include "pg/quote.h"

#include <cctype>

namespace airpg::pg {

void AppendCopyField(std::string* out, const std::optional<std::string>& value) {
  if (!value) {
    *out += "\\N";
    return;
  }
  for (char c : *value) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        *out += c;
    }
  }
}

}  // namespace airpg::pg
