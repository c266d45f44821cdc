// SQL translations of the text functions. Counts and positions must be
// literals (the evaluator turns bad ones into #ERROR!, which SQL cannot
// carry); case mapping is ASCII-only under COLLATE "C", as in the evaluator.
#include <fmt/format.h>
#include <cmath>

#include "formula/regex.h"
#include "formula/sql_functions.h"
#include "formula/value.h"

namespace airpg::formula {
namespace {

// A literal count ≥ 0, truncated, as the evaluator's Count().
Result<int64_t> Count(const SqlExpr& e, std::string_view what) {
  AIRPG_ASSIGN_OR_RETURN(double n, ConstNumber(e, what));
  if (std::isnan(n) || n < 0 || n > 1e9) return Unsupported(fmt::format("{} out of range", what));
  return static_cast<int64_t>(std::trunc(n));
}

std::string IntParam(SqlBuilder& b, int64_t n) { return b.Param(std::to_string(n), "int"); }

SqlExpr Text(std::string sql, bool nullable = false) {
  return SqlExpr{std::move(sql), Type::kText, nullable};
}

Result<SqlExpr> Concatenate(SqlBuilder& b, const SqlArgs& a) {
  std::string sql = "(''";
  for (const SqlExpr& e : a) {
    AIRPG_ASSIGN_OR_RETURN(std::string t, b.ToText(e));
    sql += " || " + t;
  }
  return Text(sql + ")");
}

Result<SqlExpr> LeftRight(SqlBuilder& b, const SqlArgs& a, const char* fn) {
  int64_t n = 1;
  if (a.size() > 1) {
    AIRPG_ASSIGN_OR_RETURN(n, Count(a[1], "the count"));
  }
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(fmt::format("{}({}, {})", fn, s, IntParam(b, n)));
}
Result<SqlExpr> Left(SqlBuilder& b, const SqlArgs& a) { return LeftRight(b, a, "left"); }
Result<SqlExpr> Right(SqlBuilder& b, const SqlArgs& a) { return LeftRight(b, a, "right"); }

Result<SqlExpr> Mid(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(int64_t start, Count(a[1], "MID's start"));
  AIRPG_ASSIGN_OR_RETURN(int64_t n, Count(a[2], "MID's count"));
  if (start < 1) return Unsupported("MID's start below 1");
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(fmt::format("substr({}, {}, {})", s, IntParam(b, start), IntParam(b, n)));
}

Result<SqlExpr> Len(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return SqlExpr{fmt::format("char_length({})::float8", s), Type::kNumber, false};
}
Result<SqlExpr> Lower(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(fmt::format("lower({} COLLATE \"C\")", s));
}
Result<SqlExpr> Upper(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(fmt::format("upper({} COLLATE \"C\")", s));
}
Result<SqlExpr> Trim(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(fmt::format("btrim({}, E' \\t\\r\\n')", s));
}

Result<SqlExpr> Substitute(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string from, b.ToText(a[1]));
  AIRPG_ASSIGN_OR_RETURN(std::string to, b.ToText(a[2]));
  if (a.size() <= 3) return Text(fmt::format("replace({}, {}, {})", s, from, to));
  // Only the nth occurrence: split on `from` (non-overlapping, left to
  // right, as the evaluator scans) and rejoin around the nth separator.
  AIRPG_ASSIGN_OR_RETURN(int64_t nth, Count(a[3], "SUBSTITUTE's occurrence"));
  if (nth < 1) return Unsupported("SUBSTITUTE's occurrence below 1");
  std::string n = IntParam(b, nth);
  return Text(b.LetN({s, from, to}, [&](const std::vector<std::string>& v) {
    return b.Let(fmt::format("string_to_array({}, {})", v[0], v[1]), [&](const std::string& p) {
      return fmt::format(
          "CASE WHEN cardinality({0}) > {1} THEN array_to_string({0}[1:{1}], {2}) || {3} || "
          "array_to_string({0}[{1} + 1:cardinality({0})], {2}) ELSE {4} END",
          p, n, v[1], v[2], v[0]);
    });
  }));
}

Result<SqlExpr> Replace(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(int64_t start, Count(a[1], "REPLACE's start"));
  AIRPG_ASSIGN_OR_RETURN(int64_t n, Count(a[2], "REPLACE's count"));
  if (start < 1) return Unsupported("REPLACE's start below 1");
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string with, b.ToText(a[3]));
  std::string keep = IntParam(b, start - 1), rest = IntParam(b, start + n);
  return Text(b.Let(s, [&](const std::string& v) {
    return fmt::format("left({0}, {1}) || {2} || substr({0}, {3})", v, keep, with, rest);
  }));
}

// FIND/SEARCH: 1-based position at or after a literal start, 0 when absent.
Result<std::string> Position(SqlBuilder& b, const SqlArgs& a, bool fold) {
  int64_t start = 1;
  if (a.size() > 2) {
    AIRPG_ASSIGN_OR_RETURN(double s, ConstNumber(a[2], "the start position"));
    if (std::isnan(s)) return Unsupported("a NaN start position");
    start = std::max<int64_t>(1, static_cast<int64_t>(std::trunc(std::clamp(s, -1e9, 1e9))));
  }
  AIRPG_ASSIGN_OR_RETURN(std::string needle, b.ToText(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string hay, b.ToText(a[1]));
  if (fold) {
    needle = fmt::format("lower({} COLLATE \"C\")", needle);
    hay = fmt::format("lower({} COLLATE \"C\")", hay);
  }
  if (start == 1) return fmt::format("strpos({}, {})::float8", hay, needle);
  std::string from = IntParam(b, start);
  return b.Let2(needle, hay, [&](const std::string& n, const std::string& h) {
    return fmt::format(
        "(CASE WHEN {2} > char_length({1}) + 1 OR strpos(substr({1}, {2}), {0}) = 0 THEN 0 "
        "ELSE strpos(substr({1}, {2}), {0}) + {2} - 1 END)::float8",
        n, h, from);
  });
}

Result<SqlExpr> Find(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string p, Position(b, a, false));
  return SqlExpr{p, Type::kNumber, false};
}
Result<SqlExpr> Search(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string p, Position(b, a, true));
  return SqlExpr{fmt::format("NULLIF({}, 0::float8)", p), Type::kNumber, true};
}

Result<SqlExpr> Rept(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(double n, ConstNumber(a[1], "REPT's count"));
  if (std::isnan(n) || n > 10'000) return Unsupported("REPT's count out of range");
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::trunc(std::max(n, -1.0))));
  return Text(fmt::format("repeat({}, {})", s, IntParam(b, count)));
}

Result<SqlExpr> T(SqlBuilder& b, const SqlArgs& a) {
  if (a[0].type == Type::kText) return a[0];
  if (a[0].type == Type::kAny) return Unsupported("T of a value of unknown type");
  return b.Blank(Type::kText);
}

// Patterns RE2 (the evaluator) and Postgres AREs read the same way for "is
// there a match": ASCII literals, [ ] ^ $ * + ? ( ) | { } and escaped
// punctuation (both engines: ^ and $ only at the ends of the text, { that
// starts no bound is literal). Refused, because the flavours differ: '.'
// (RE2 skips newlines, Postgres does not), negated classes, class escapes
// (\d \w \s \b, \pL), (?…) groups and flags, [: [= [. bracket forms (POSIX
// in Postgres, literal in RE2), bounds above 255 (Postgres's limit) and
// non-ASCII text (Postgres reads it in the database's encoding).
bool PortablePattern(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    unsigned char c = p[i];
    char next = i + 1 < p.size() ? p[i + 1] : '\0';
    if (c == '\\') {
      if (i + 1 >= p.size() || std::isalnum(static_cast<unsigned char>(next))) return false;
      ++i;
    } else if (c >= 0x80 || c == '.') {
      return false;
    } else if (c == '[' && (next == '^' || next == ':' || next == '=' || next == '.')) {
      return false;
    } else if (c == '(' && next == '?') {
      return false;
    } else if (c == '{') {
      int bound = 0;
      for (size_t k = i + 1;
           k < p.size() && (std::isdigit(static_cast<unsigned char>(p[k])) || p[k] == ','); ++k) {
        bound = p[k] == ',' ? 0 : std::min(bound * 10 + (p[k] - '0'), 100000);
        if (bound > 255) return false;
      }
    }
  }
  return true;
}

Result<SqlExpr> RegexMatch(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string pattern, ConstText(a[1], "the pattern"));
  if (!PortablePattern(pattern)) return Unsupported("this regular expression");
  if (!CheckRegex(pattern).ok()) {
    return Unsupported("an invalid regular expression (an error in the evaluator)");
  }
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return SqlExpr{fmt::format("({} COLLATE \"C\" ~ {})", s, b.Param(pattern, "text")), Type::kBool,
                 false};
}

// REGEX_REPLACE with a pattern that is only literal characters (escaped
// punctuation allowed) and a replacement without `$` is a plain replace of
// every non-overlapping occurrence, left to right, in both engines.
Result<SqlExpr> RegexReplace(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string pattern, ConstText(a[1], "the pattern"));
  AIRPG_ASSIGN_OR_RETURN(std::string replacement, ConstText(a[2], "the replacement"));
  std::string literal;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size() &&
        std::ispunct(static_cast<unsigned char>(pattern[i + 1]))) {
      literal += pattern[++i];
    } else if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) {
      return Unsupported("REGEX_REPLACE with a pattern that is not a literal");
    } else {
      literal += c;
    }
  }
  if (literal.empty() || replacement.find('$') != std::string::npos) {
    return Unsupported("REGEX_REPLACE with an empty pattern or a $ replacement");
  }
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(fmt::format("replace({}, {}, {})", s, b.Param(literal, "text"),
                          b.Param(replacement, "text")));
}

// VALUE is exact only where it cannot fail: a literal (read now) or a number
// that is never blank (blank and unreadable text are #ERROR! in the evaluator).
Result<SqlExpr> ValueFn(SqlBuilder& b, const SqlArgs& a) {
  if (a[0].type == Type::kNumber && !a[0].nullable) return a[0];
  if (a[0].const_text) {
    std::string digits;
    for (char c : *a[0].const_text) {
      if (c != ',' && c != '$') digits += c;
    }
    double out = 0;
    if (ParseDecimal(digits, out)) return b.Number(out);
  }
  return Unsupported("VALUE of anything but a literal or a number that is never blank");
}

// Percent-encodes the UTF-8 bytes, leaving A-Z a-z 0-9 - _ . ~ as they are.
Result<SqlExpr> EncodeUrlComponent(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string s, b.ToText(a[0]));
  return Text(b.Let(fmt::format("convert_to({}, 'UTF8')", s), [](const std::string& v) {
    std::string byte = fmt::format("get_byte({}, \"airpg_i\")", v);
    return fmt::format(
        "(SELECT COALESCE(string_agg(CASE WHEN {0} BETWEEN 48 AND 57 OR {0} BETWEEN 65 AND 90 "
        "OR {0} BETWEEN 97 AND 122 OR {0} IN (45, 46, 95, 126) THEN chr({0}) "
        "ELSE '%' || upper(lpad(to_hex({0}), 2, '0')) END, '' ORDER BY \"airpg_i\"), '') "
        "FROM generate_series(0, length({1}) - 1) AS \"airpg_i\")",
        byte, v);
  }));
}

}  // namespace

void RegisterSqlText(SqlFunctionTable& t) {
  t["CONCATENATE"] = Concatenate;
  t["LEFT"] = Left;
  t["RIGHT"] = Right;
  t["MID"] = Mid;
  t["LEN"] = Len;
  t["LOWER"] = Lower;
  t["UPPER"] = Upper;
  t["TRIM"] = Trim;
  t["SUBSTITUTE"] = Substitute;
  t["REPLACE"] = Replace;
  t["FIND"] = Find;
  t["SEARCH"] = Search;
  t["REPT"] = Rept;
  t["T"] = T;
  t["REGEX_MATCH"] = RegexMatch;
  t["VALUE"] = ValueFn;
  t["REGEX_REPLACE"] = RegexReplace;
  t["ENCODE_URL_COMPONENT"] = EncodeUrlComponent;
}

}  // namespace airpg::formula
