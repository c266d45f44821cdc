// Moment format → to_char pieces and SQL expressions (date_format.cc is the
// evaluator's side; every token here renders as FormatMoment does).
#include "formula/sql_date_format.h"

#include <fmt/format.h>
#include <optional>

#include "formula/date_format.h"
#include "formula/date_units.h"

namespace airpg::formula {
namespace {

// Moment tokens to_char renders identically.
std::optional<std::string_view> ToCharPattern(std::string_view t) {
  static const std::pair<std::string_view, std::string_view> kMap[] = {
      {"YYYY", "YYYY"}, {"YY", "YY"},        {"Q", "Q"},     {"M", "FMMM"},     {"MM", "MM"},
      {"MMM", "Mon"},   {"MMMM", "FMMonth"}, {"D", "FMDD"},  {"DD", "DD"},      {"Do", "FMDDth"},
      {"DDD", "FMDDD"}, {"DDDD", "DDD"},     {"ddd", "Dy"},  {"dddd", "FMDay"}, {"H", "FMHH24"},
      {"HH", "HH24"},   {"h", "FMHH12"},     {"hh", "HH12"}, {"m", "FMMI"},     {"mm", "MI"},
      {"s", "FMSS"},    {"ss", "SS"},        {"SSS", "MS"},  {"A", "AM"},       {"a", "am"},
      {"W", "FMIW"},    {"WW", "IW"},        {"GG", "IY"},   {"GGGG", "IYYY"}};
  for (const auto& [moment, pg] : kMap) {
    if (moment == t) return pg;
  }
  return std::nullopt;
}

// Moment's English ordinal of a non-negative integer expression.
std::string OrdinalSql(const std::string& n) {
  return fmt::format(
      "(({0})::text || CASE WHEN ({0}) % 100 BETWEEN 10 AND 19 THEN 'th' "
      "WHEN ({0}) % 10 = 1 THEN 'st' WHEN ({0}) % 10 = 2 THEN 'nd' "
      "WHEN ({0}) % 10 = 3 THEN 'rd' ELSE 'th' END)",
      n);
}

// Zero-filled to at least `width` digits (lpad alone would cut longer ones).
std::string PadSql(const std::string& n, int width) {
  return fmt::format("lpad(({0})::text, greatest({1}, length(({0})::text)), '0')", n, width);
}

// SQL for the other tokens over the instant `d` (timestamptz) and its local
// wall time `l` (timestamp); nullopt when a token has no exact translation.
std::optional<std::string> TokenSql(SqlBuilder& b, const SqlExpr& date, std::string_view t,
                                    const std::string& d, const std::string& l) {
  auto part = [&](const char* field) { return fmt::format("extract({} FROM {})::int", field, l); };
  std::string ms = fmt::format("(floor(extract(milliseconds FROM {}))::int % 1000)", l);
  std::string offset_minutes =
      fmt::format("(extract(epoch FROM ({} - ({} AT TIME ZONE 'UTC')))::int / 60)", l, d);
  std::string sign = fmt::format("CASE WHEN {} < 0 THEN '-' ELSE '+' END", offset_minutes);
  std::string hours = fmt::format("lpad((abs({}) / 60)::text, 2, '0')", offset_minutes);
  std::string minutes = fmt::format("lpad((abs({}) % 60)::text, 2, '0')", offset_minutes);
  std::string saturday = fmt::format("({0}::date + (6 - extract(dow FROM {0})::int))", l);
  std::string week =
      fmt::format("((({0} - make_date(extract(year FROM {0})::int, 1, 1)) / 7) + 1)", saturday);
  std::string week_year = fmt::format("extract(year FROM {})::int", saturday);
  std::string year = part("year");
  std::string hour24 = fmt::format("(CASE WHEN {0} = 0 THEN 24 ELSE {0} END)", part("hour"));
  if (t == "d" || t == "e") return fmt::format("{}::text", part("dow"));
  if (t == "do") return OrdinalSql(part("dow"));
  if (t == "dd") return fmt::format("left(to_char({}, 'Dy'), 2)", l);
  if (t == "E") return fmt::format("{}::text", part("isodow"));
  if (t == "Mo") return OrdinalSql(part("month"));
  if (t == "Qo") return OrdinalSql(part("quarter"));
  if (t == "DDDo") return OrdinalSql(part("doy"));
  if (t == "S") return fmt::format("({} / 100)::text", ms);
  if (t == "SS") return fmt::format("lpad(({} / 10)::text, 2, '0')", ms);
  if (t.size() > 3 && t[0] == 'S') {
    return fmt::format("({} || '{}')", PadSql(ms, 3), std::string(t.size() - 3, '0'));
  }
  if (t == "x") return fmt::format("(extract(epoch FROM {}) * 1000)::bigint::text", d);
  if (t == "X") return fmt::format("floor(extract(epoch FROM {}))::bigint::text", d);
  if (t == "w") return fmt::format("{}::text", week);
  if (t == "wo") return OrdinalSql(week);
  if (t == "ww") return PadSql(week, 2);
  if (t == "Wo") return OrdinalSql(part("week"));
  if (t == "gg") return PadSql(week_year + " % 100", 2);
  if (t == "gggg") return PadSql(week_year, 4);
  if (t == "ggggg") return PadSql(week_year, 5);
  if (t == "GGGGG") return PadSql(part("isoyear"), 5);
  if (t == "Y") {
    return fmt::format("CASE WHEN {0} <= 9999 THEN {1} ELSE '+' || {0}::text END", year,
                       PadSql(year, 4));
  }
  if (t == "YYYYY") return PadSql(year, 5);
  if (t == "YYYYYY") return fmt::format("('+' || {})", PadSql(year, 6));
  // Postgres has no year 0 or BC arithmetic the evaluator shares; every
  // timestamp it formats here is AD, so the era year is the year.
  if (t == "y" || t == "yyy") return fmt::format("{}::text", year);
  if (t == "yo") return OrdinalSql(year);
  if (t == "yy") return PadSql(year, 2);
  if (t == "yyyy") return PadSql(year, 4);
  if (t == "N" || t == "NN" || t == "NNN" || t == "NNNNN") return "'AD'";
  if (t == "NNNN") return "'Anno Domini'";
  if (t == "k") return fmt::format("{}::text", hour24);
  if (t == "kk") return PadSql(hour24, 2);
  if (t == "Z") return fmt::format("({} || {} || ':' || {})", sign, hours, minutes);
  if (t == "ZZ") return fmt::format("({} || {} || {})", sign, hours, minutes);
  if (t == "z" || t == "zz") {
    // As FormatMoment prints them; a named zone's abbreviation has no
    // Postgres function (to_char's TZ is the session's zone), so it is refused.
    auto names = FixedZoneNames(date.zone);
    if (!names) return std::nullopt;
    return b.Param(t == "z" ? names->z : names->zz, "text");
  }
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
    for (const MomentPiece& piece : SplitMomentFormat(f)) {
      if (piece.literal) {
        literal += piece.text;
      } else if (auto pg = ToCharPattern(piece.text)) {
        flush_literal();
        pattern += *pg;
      } else if (auto expr = TokenSql(b, date, piece.text, d, l)) {
        flush_pattern();
        pieces.push_back(*expr);
      } else {
        error = Unsupported(fmt::format("the date format token {}", piece.text));
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
