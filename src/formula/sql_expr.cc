// SqlBuilder: parameters, let-bindings and coercions. Each coercion here is
// the SQL twin of a function in value.cc or operators.cc; keep them in step.
#include "formula/sql_expr.h"

#include <fmt/format.h>
#include <charconv>

#include "formula/civil_time.h"
#include "formula/date_text.h"
#include "formula/date_units.h"
#include "formula/value.h"

namespace airpg::formula {

Status Unsupported(std::string_view what) {
  return UnimplementedError(fmt::format("cannot translate to SQL exactly: {}", what));
}

// Placeholders are \x01<index>\x02: bytes no SQL we generate contains, and
// no user text reaches the SQL except through parameters.
std::string SqlBuilder::Param(std::optional<std::string> value, std::string_view cast) {
  pending_.push_back(Pending{std::move(value), std::string(cast)});
  return fmt::format("\x01{}\x02", pending_.size() - 1);
}

CompiledSql SqlBuilder::Finish(const std::string& sql, Type type) {
  CompiledSql out;
  out.type = type;
  std::vector<int> number(pending_.size(), 0);
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '\x01') {
      out.sql += sql[i];
      continue;
    }
    size_t end = sql.find('\x02', i);
    size_t index = std::stoul(sql.substr(i + 1, end - i - 1));
    if (number[index] == 0) {
      out.params.push_back(pending_[index].value);
      number[index] = static_cast<int>(out.params.size());
    }
    out.sql += fmt::format("${}::{}", number[index], pending_[index].cast);
    i = end;
  }
  return out;
}

namespace {
std::string ShortestDouble(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, n);
  return std::string(buf, res.ptr);
}
}  // namespace

SqlExpr SqlBuilder::Number(double n) {
  SqlExpr e{Param(ShortestDouble(n), "float8"), Type::kNumber, false};
  e.const_number = n;
  return e;
}
SqlExpr SqlBuilder::Text(std::string text) {
  SqlExpr e{Param(text, "text"), Type::kText, false};
  e.const_text = std::move(text);
  return e;
}
SqlExpr SqlBuilder::Bool(bool b) { return SqlExpr{b ? "TRUE" : "FALSE", Type::kBool, false}; }
SqlExpr SqlBuilder::Date(int64_t millis) {
  return SqlExpr{Param(FormatIsoUtc(millis), "timestamptz"), Type::kDate, false};
}
SqlExpr SqlBuilder::Blank(Type type) {
  switch (type) {
    case Type::kNumber:
      return SqlExpr{"NULL::float8", type};
    case Type::kText:
      return SqlExpr{"NULL::text", type};
    case Type::kBool:
      return SqlExpr{"NULL::boolean", type};
    case Type::kDate:
      return SqlExpr{"NULL::timestamptz", type};
    case Type::kArray:
      return SqlExpr{"NULL::text[]", type};
    default:
      return SqlExpr{"NULL", Type::kBlank};
  }
}

std::string SqlBuilder::Let(const std::string& value,
                            const std::function<std::string(const std::string&)>& body) {
  std::string alias = fmt::format("\"airpg_let{}\"", ++lets_);
  return fmt::format("(SELECT {} FROM (SELECT {} AS \"v\") AS {})", body(alias + ".\"v\""), value,
                     alias);
}

std::string SqlBuilder::Let2(
    const std::string& a, const std::string& b,
    const std::function<std::string(const std::string&, const std::string&)>& body) {
  std::string alias = fmt::format("\"airpg_let{}\"", ++lets_);
  return fmt::format("(SELECT {} FROM (SELECT {} AS \"a\", {} AS \"b\") AS {})",
                     body(alias + ".\"a\"", alias + ".\"b\""), a, b, alias);
}

std::string SqlBuilder::LetN(
    const std::vector<std::string>& values,
    const std::function<std::string(const std::vector<std::string>&)>& body) {
  std::string alias = fmt::format("\"airpg_let{}\"", ++lets_);
  std::vector<std::string> names;
  std::string columns;
  for (size_t i = 0; i < values.size(); ++i) {
    names.push_back(fmt::format("{}.\"v{}\"", alias, i));
    columns += fmt::format("{}{} AS \"v{}\"", i ? ", " : "", values[i], i);
  }
  return fmt::format("(SELECT {} FROM (SELECT {}) AS {})", body(names), columns, alias);
}

std::string SqlBuilder::NumberText(const std::string& x) {
  return Let(x, [](const std::string& v) {
    return fmt::format(
        "CASE WHEN {0} = 0 THEN '0' WHEN {0} = 'NaN'::float8 OR abs({0}) = 'Infinity'::float8 "
        "THEN {0}::text WHEN abs({0}) >= 1e21::float8 OR abs({0}) < 1e-6::float8 "
        "THEN regexp_replace({0}::text, 'e([+-])0*', 'e\\1') "
        "WHEN strpos({0}::text, 'e') > 0 THEN {0}::text::numeric::text ELSE {0}::text END",
        v);
  });
}

Result<std::string> SqlBuilder::ToText(const SqlExpr& e) {
  switch (e.type) {
    case Type::kBlank:
      return std::string("''::text");
    case Type::kText:
      return e.nullable ? fmt::format("COALESCE({}, '')", e.sql) : e.sql;
    case Type::kNumber:
      if (!e.nullable) return NumberText(e.sql);
      return Let(e.sql, [this](const std::string& v) {
        return fmt::format("CASE WHEN {0} IS NULL THEN '' ELSE {1} END", v, NumberText(v));
      });
    case Type::kBool:
      return Let(e.sql, [](const std::string& v) {
        return fmt::format("CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' ELSE '' END", v);
      });
    case Type::kDate:
      return fmt::format(
          "COALESCE(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')",
          e.sql);
    case Type::kArray:
      return fmt::format("COALESCE(array_to_string({}, ', ', ''), '')", e.sql);
    case Type::kAny:
      break;
  }
  return Unsupported("a value whose type is only known at run time");
}

Result<std::string> SqlBuilder::ToNumber(const SqlExpr& e) {
  switch (e.type) {
    case Type::kBlank:
      return std::string("0::float8");
    case Type::kNumber:
      return e.nullable ? fmt::format("COALESCE({}, 0::float8)", e.sql) : e.sql;
    case Type::kBool:
      return fmt::format("(CASE WHEN {} THEN 1 ELSE 0 END)::float8", e.sql);
    case Type::kDate:
      return fmt::format("COALESCE((extract(epoch FROM {}) * 1000)::float8, 0::float8)", e.sql);
    case Type::kText:
      return Let(e.sql, [](const std::string& v) {
        return fmt::format(
            "CASE WHEN {0} IS NULL OR {0} ~ E'^[ \\t\\r\\n]*$' THEN 0::float8 "
            "WHEN {0} ~ E'^[ \\t\\r\\n]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)[ \\t\\r\\n]*$' "
            "THEN btrim({0}, E' \\t\\r\\n')::float8 ELSE 'NaN'::float8 END",
            v);
      });
    case Type::kArray:
      return Unsupported("an array used as a number");
    case Type::kAny:
      break;
  }
  return Unsupported("a value whose type is only known at run time");
}

Result<std::string> SqlBuilder::Truthy(const SqlExpr& e) {
  switch (e.type) {
    case Type::kBlank:
      return std::string("FALSE");
    case Type::kNumber:
      return Let(e.sql, [](const std::string& v) {
        return fmt::format("COALESCE({0} <> 0 AND {0} <> 'NaN'::float8, FALSE)", v);
      });
    case Type::kText:
      return fmt::format("COALESCE({} <> '', FALSE)", e.sql);
    case Type::kBool:
      return e.nullable ? fmt::format("COALESCE({}, FALSE)", e.sql) : e.sql;
    case Type::kDate:
      return fmt::format("({} IS NOT NULL)", e.sql);
    case Type::kArray:
      return fmt::format("COALESCE(cardinality({}) > 0, FALSE)", e.sql);
    case Type::kAny:
      break;
  }
  return Unsupported("a value whose type is only known at run time");
}

Result<SqlExpr> SqlBuilder::AsDate(const SqlExpr& e) {
  if (e.type == Type::kDate) return e;
  if (e.type == Type::kBlank) return Blank(Type::kDate);
  if (e.const_text) {
    auto millis = ParseDateText(*e.const_text);
    if (!millis) return Unsupported("a text that is not a date where a date is expected");
    return Date(*millis);
  }
  return Unsupported("a date argument that is neither a date nor a literal ISO date");
}

Result<std::string> SqlBuilder::LocalTime(const SqlExpr& date) {
  if (date.zone.empty()) return fmt::format("({} AT TIME ZONE 'UTC')", date.sql);
  if (auto fixed = FixedZoneOffset(date.zone)) {
    return fmt::format("(({} AT TIME ZONE 'UTC') + {})", date.sql,
                       Param(fmt::format("{} seconds", *fixed), "interval"));
  }
  return fmt::format("({} AT TIME ZONE {})", date.sql, Param(date.zone, "text"));
}

namespace {

enum class Method { kBothBlank, kUnordered, kDate, kText, kNumber };

Method RuleFor(Type a, Type b, bool equality) {
  if (a == Type::kBlank && b == Type::kBlank) return Method::kBothBlank;
  if (a == Type::kDate || b == Type::kDate) {
    return a == Type::kDate && b == Type::kDate ? Method::kDate : Method::kUnordered;
  }
  bool a_text = a == Type::kText || a == Type::kArray;
  bool b_text = b == Type::kText || b == Type::kArray;
  if ((a_text && (b_text || b == Type::kBlank || equality)) ||
      (b_text && (a == Type::kBlank || equality))) {
    return Method::kText;
  }
  return Method::kNumber;
}

// The comparison's SQL operator: the formula's own spelling except `!=`,
// which SQL writes `<>`.
const char* SqlOp(BinaryOp op) { return op == BinaryOp::kNe ? "<>" : BinaryOpText(op); }

}  // namespace

Result<SqlExpr> SqlBuilder::Compare(BinaryOp op, const SqlExpr& a_in, const SqlExpr& b_in) {
  SqlExpr a = a_in, b = b_in;
  if (a.type == Type::kAny || b.type == Type::kAny) {
    return Unsupported("a comparison whose operand types are only known at run time");
  }
  // Text compared with a date is read as a date, as the evaluator does; that
  // is exact only for literals. An unreadable literal stays text: against a
  // date it is unordered, against a blank date it compares as text.
  auto date_side = [&](SqlExpr& text) -> Status {
    if (!text.const_text) return Unsupported("text compared with a date");
    if (auto millis = ParseDateText(*text.const_text)) text = Date(*millis);
    return Status::Ok();
  };
  if (a.type == Type::kDate && b.type == Type::kText) AIRPG_RETURN_IF_ERROR(date_side(b));
  if (b.type == Type::kDate && a.type == Type::kText) AIRPG_RETURN_IF_ERROR(date_side(a));
  bool equality = op == BinaryOp::kEq || op == BinaryOp::kNe;
  const std::string unordered = op == BinaryOp::kNe ? "TRUE" : "FALSE";
  const std::string same =
      (op == BinaryOp::kEq || op == BinaryOp::kLe || op == BinaryOp::kGe) ? "TRUE" : "FALSE";
  // The SQL for one combination of blank/non-blank operands.
  auto branch = [&](Type ta, Type tb, const std::string& x,
                    const std::string& y) -> Result<std::string> {
    switch (RuleFor(ta, tb, equality)) {
      case Method::kBothBlank:
        return same;
      case Method::kUnordered:
        return unordered;
      case Method::kDate:
        return fmt::format("({} {} {})", x, SqlOp(op), y);
      case Method::kText: {
        AIRPG_ASSIGN_OR_RETURN(std::string tx, ToText(SqlExpr{x, ta, false}));
        AIRPG_ASSIGN_OR_RETURN(std::string ty, ToText(SqlExpr{y, tb, false}));
        return fmt::format("({} COLLATE \"C\" {} {} COLLATE \"C\")", tx, SqlOp(op), ty);
      }
      case Method::kNumber: {
        AIRPG_ASSIGN_OR_RETURN(std::string nx, ToNumber(SqlExpr{x, ta, false}));
        AIRPG_ASSIGN_OR_RETURN(std::string ny, ToNumber(SqlExpr{y, tb, false}));
        return Let2(nx, ny, [&](const std::string& p, const std::string& q) {
          return fmt::format(
              "CASE WHEN {0} = 'NaN'::float8 OR {1} = 'NaN'::float8 THEN {2} "
              "ELSE {0} {3} {1} END",
              p, q, unordered, SqlOp(op));
        });
      }
    }
    return InternalError("unreachable comparison rule");
  };
  Type ta = a.type, tb = b.type;
  bool a_null = a.nullable || ta == Type::kBlank, b_null = b.nullable || tb == Type::kBlank;
  Status error;
  std::string sql = Let2(a.sql, b.sql, [&](const std::string& x, const std::string& y) {
    std::string out = "CASE";
    bool any_when = false;
    auto add = [&](const std::string& cond, Type xa, Type yb) {
      auto r = branch(xa, yb, x, y);
      if (!r.ok()) {
        error = r.status();
        return;
      }
      if (cond.empty() && !any_when) {
        out = *r;  // no blank cases: the comparison alone
        return;
      }
      any_when = true;
      out += cond.empty() ? " ELSE " + *r : " WHEN " + cond + " THEN " + *r;
    };
    if (a_null && b_null)
      add(fmt::format("{} IS NULL AND {} IS NULL", x, y), Type::kBlank, Type::kBlank);
    if (a_null) add(fmt::format("{} IS NULL", x), Type::kBlank, tb);
    if (b_null) add(fmt::format("{} IS NULL", y), ta, Type::kBlank);
    if (ta != Type::kBlank && tb != Type::kBlank) {
      add("", ta, tb);
      return any_when ? out + " END" : out;
    }
    return out + " ELSE " + unordered + " END";  // unreachable: blank-typed sides are NULL
  });
  if (!error.ok()) return error;
  return SqlExpr{sql, Type::kBool, false};
}

}  // namespace airpg::formula
