// Moment format → to_char pieces and SQL expressions (date_format.cc is the
// evaluator's side; every token here renders as FormatMoment does).
#include "formula/sql_date_format.h"

#include <fmt/format.h>
#include <optional>

#include "formula/date_units.h"

namespace airpg::formula {
namespace {

constexpr std::string_view kTokens[] = {
    "YYYY", "MMMM", "DDDD", "dddd", "SSS", "MMM", "DDD", "ddd", "YY", "MM", "DD", "Do", "HH",
    "hh",   "mm",   "ss",   "SS",   "ZZ",  "WW",  "ww",  "M",   "D",  "d",  "H",  "h",  "m",
    "s",    "S",    "A",    "a",    "Z",   "X",   "x",   "W",   "w",  "Q",  "E",  "e"};

// Moment tokens to_char renders identically.
std::optional<std::string_view> ToCharPattern(std::string_view t) {
  static const std::pair<std::string_view, std::string_view> kMap[] = {
      {"YYYY", "YYYY"}, {"YY", "YY"},        {"Q", "Q"},     {"M", "FMMM"},     {"MM", "MM"},
      {"MMM", "Mon"},   {"MMMM", "FMMonth"}, {"D", "FMDD"},  {"DD", "DD"},      {"Do", "FMDDth"},
      {"DDD", "FMDDD"}, {"DDDD", "DDD"},     {"ddd", "Dy"},  {"dddd", "FMDay"}, {"H", "FMHH24"},
      {"HH", "HH24"},   {"h", "FMHH12"},     {"hh", "HH12"}, {"m", "FMMI"},     {"mm", "MI"},
      {"s", "FMSS"},    {"ss", "SS"},        {"SSS", "MS"},  {"A", "AM"},       {"a", "am"},
      {"W", "FMIW"},    {"WW", "IW"}};
  for (const auto& [moment, pg] : kMap) {
    if (moment == t) return pg;
  }
  return std::nullopt;
}

// SQL for the other tokens over the instant `d` (timestamptz) and its local
// wall time `l` (timestamp).
std::optional<std::string> TokenSql(std::string_view t, const std::string& d,
                                    const std::string& l) {
  std::string ms = fmt::format("(floor(extract(milliseconds FROM {}))::int % 1000)", l);
  std::string offset_minutes =
      fmt::format("(extract(epoch FROM ({} - ({} AT TIME ZONE 'UTC')))::int / 60)", l, d);
  std::string sign = fmt::format("CASE WHEN {} < 0 THEN '-' ELSE '+' END", offset_minutes);
  std::string hours = fmt::format("lpad((abs({}) / 60)::text, 2, '0')", offset_minutes);
  std::string minutes = fmt::format("lpad((abs({}) % 60)::text, 2, '0')", offset_minutes);
  std::string saturday = fmt::format("({0}::date + (6 - extract(dow FROM {0})::int))", l);
  std::string week =
      fmt::format("((({0} - make_date(extract(year FROM {0})::int, 1, 1)) / 7) + 1)", saturday);
  if (t == "d" || t == "e") return fmt::format("extract(dow FROM {})::int::text", l);
  if (t == "E") return fmt::format("extract(isodow FROM {})::int::text", l);
  if (t == "S") return fmt::format("({} / 100)::text", ms);
  if (t == "SS") return fmt::format("lpad(({} / 10)::text, 2, '0')", ms);
  if (t == "x") return fmt::format("(extract(epoch FROM {}) * 1000)::bigint::text", d);
  if (t == "X") return fmt::format("floor(extract(epoch FROM {}))::bigint::text", d);
  if (t == "w") return fmt::format("{}::text", week);
  if (t == "ww") return fmt::format("lpad({}::text, 2, '0')", week);
  if (t == "Z") return fmt::format("({} || {} || ':' || {})", sign, hours, minutes);
  if (t == "ZZ") return fmt::format("({} || {} || {})", sign, hours, minutes);
  return std::nullopt;
}

}  // namespace

Result<SqlExpr> SqlFormatDate(SqlBuilder& b, const SqlExpr& date, std::string_view f) {
  AIRPG_ASSIGN_OR_RETURN(std::string local, b.LocalTime(date));
  Status error;
  std::string sql = b.Let2(date.sql, local, [&](const std::string& d, const std::string& l) {
    std::vector<std::string> pieces;
    std::string pattern, literal;
    auto flush_literal = [&] {
      if (literal.empty()) return;
      pattern += "\"";
      for (char c : literal) {
        if (c == '"' || c == '\\') pattern += '\\';
        pattern += c;
      }
      pattern += "\"";
      literal.clear();
    };
    auto flush_pattern = [&] {
      flush_literal();
      if (pattern.empty()) return;
      pieces.push_back(fmt::format("to_char({}, {})", l, b.Param(pattern, "text")));
      pattern.clear();
    };
    for (size_t i = 0; i < f.size();) {
      if (f[i] == '[') {
        size_t close = f.find(']', i);
        if (close == std::string_view::npos) close = f.size();
        literal += f.substr(i + 1, close - i - 1);
        i = close + 1;
        continue;
      }
      std::string_view token;
      for (std::string_view t : kTokens) {
        if (f.substr(i, t.size()) == t) {
          token = t;
          break;
        }
      }
      if (token.empty()) {
        literal += f[i++];
        continue;
      }
      i += token.size();
      if (auto pg = ToCharPattern(token)) {
        flush_literal();
        pattern += *pg;
      } else if (auto expr = TokenSql(token, d, l)) {
        flush_pattern();
        pieces.push_back(*expr);
      } else {
        error = Unsupported(fmt::format("the date format token {}", token));
      }
    }
    flush_pattern();
    if (pieces.empty()) return fmt::format("CASE WHEN {} IS NULL THEN NULL ELSE '' END", d);
    std::string out = "(" + pieces[0];
    for (size_t k = 1; k < pieces.size(); ++k) out += " || " + pieces[k];
    return out + ")";
  });
  if (!error.ok()) return error;
  return SqlExpr{sql, Type::kText, true};
}

}  // namespace airpg::formula
