// SQL literal scanner for the "no unparameterised literal" checks.
#include "formula/testing/sql_literals.h"

#include <cctype>

namespace airpg::formula::testing {

// String and numeric literals in SQL text (identifiers in "…" are skipped).
std::vector<std::string> SqlLiterals(std::string_view sql, std::set<int>& placeholders) {
  std::vector<std::string> out;
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (c == '"') {
      for (++i; i < sql.size(); ++i) {
        if (sql[i] == '"' && (i + 1 >= sql.size() || sql[i + 1] != '"')) break;
        if (sql[i] == '"') ++i;
      }
      ++i;
    } else if (c == '\'' || ((c == 'E' || c == 'e') && i + 1 < sql.size() && sql[i + 1] == '\'' &&
                             (i == 0 || !isalnum(static_cast<unsigned char>(sql[i - 1]))))) {
      bool escapes = c != '\'';
      size_t start = i;
      i += escapes ? 2 : 1;
      for (; i < sql.size(); ++i) {
        if (escapes && sql[i] == '\\') {
          ++i;
          continue;
        }
        if (sql[i] == '\'') {
          if (i + 1 < sql.size() && sql[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
      }
      ++i;
      out.push_back(std::string(sql.substr(start, i - start)));
    } else if (c == '$') {
      size_t start = ++i;
      while (i < sql.size() && isdigit(static_cast<unsigned char>(sql[i]))) ++i;
      placeholders.insert(std::stoi(std::string(sql.substr(start, i - start))));
    } else if (isdigit(static_cast<unsigned char>(c)) &&
               (i == 0 ||
                !(isalnum(static_cast<unsigned char>(sql[i - 1])) || sql[i - 1] == '_'))) {
      size_t start = i;
      while (i < sql.size() && (isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.' ||
                                ((sql[i] == '-' || sql[i] == '+') && (sql[i - 1] == 'e')))) {
        ++i;
      }
      out.push_back(std::string(sql.substr(start, i - start)));
    } else {
      ++i;
    }
  }
  return out;
}

// The compiler's own constants: NaN/Infinity spellings, number-to-text and
// text-to-number patterns, date formats and units, and small integers.
const std::set<std::string>& AllowedSqlLiterals() {
  static const std::set<std::string> allowed = {
      "'0'", "''", "'NaN'", "'Infinity'", "'-Infinity'", "'true'", "'false'", "'UTC'",
      "'e([+-])0*'", "'e\\1'", "'e'", "', '", "'{}'", "E' \\t\\r\\n'", "E'^[ \\t\\r\\n]*$'",
      "E'^[ \\t\\r\\n]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)[ \\t\\r\\n]*$'",
      "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'", "'second'", "'minute'", "'hour'", "'day'", "'month'",
      "'quarter'", "'year'", "'1 day'", "0", "1", "2", "7", "10", "1000", "86400000", "0.5", "1e21",
      "1e-6", "'UTF8'", "'%'", "48", "57", "65", "90", "97", "122", "45", "46", "95", "126", "-1",
      "4", "5", "6", "14", "86400", "12", "3", "'-'", "'+'", "':'", "60", "100",
      // DATETIME_FORMAT's ordinals, min day names, eras, k, S…S9 and Y.
      "'th'", "'st'", "'nd'", "'rd'", "'Dy'", "'AD'", "'Anno Domini'", "'00'", "'000'", "'0000'",
      "'00000'", "'000000'", "19", "24", "9999"};
  return allowed;
}

}  // namespace airpg::formula::testing
