// The SQL function table and the logical functions' translations.
#include "formula/sql_functions.h"

#include <fmt/format.h>

namespace airpg::formula {

SqlFunction FindSqlFunction(std::string_view upper_name) {
  static const SqlFunctionTable table = [] {
    SqlFunctionTable t;
    RegisterSqlLogical(t);
    RegisterSqlText(t);
    RegisterSqlNumeric(t);
    RegisterSqlDate(t);
    RegisterSqlArray(t);
    RegisterSqlWorkday(t);
    return t;
  }();
  auto it = table.find(upper_name);
  return it == table.end() ? nullptr : it->second;
}

Result<double> ConstNumber(const SqlExpr& e, std::string_view what) {
  if (e.const_number) return *e.const_number;
  return Unsupported(fmt::format("{} must be a literal number", what));
}

Result<std::string> ConstText(const SqlExpr& e, std::string_view what) {
  if (e.const_text) return *e.const_text;
  return Unsupported(fmt::format("{} must be a literal string", what));
}

namespace {

// The common type of branches, where blank fits any type.
Result<Type> Merge(const std::vector<const SqlExpr*>& branches) {
  Type out = Type::kBlank;
  for (const SqlExpr* e : branches) {
    if (e->type == Type::kBlank) continue;
    if (out == Type::kBlank) {
      out = e->type;
    } else if (out != e->type) {
      return Unsupported("branches of different types");
    }
  }
  return out;
}

std::string Typed(SqlBuilder& b, const SqlExpr& e, Type type) {
  return e.type == Type::kBlank ? b.Blank(type).sql : e.sql;
}

Result<SqlExpr> If(SqlBuilder& b, const SqlArgs& a) {
  SqlExpr otherwise = a.size() > 2 ? a[2] : b.Blank();
  AIRPG_ASSIGN_OR_RETURN(Type type, Merge({&a[1], &otherwise}));
  AIRPG_ASSIGN_OR_RETURN(std::string cond, b.Truthy(a[0]));
  SqlExpr out{fmt::format("(CASE WHEN {} THEN {} ELSE {} END)", cond, Typed(b, a[1], type),
                          Typed(b, otherwise, type)),
              type, a[1].nullable || otherwise.nullable || type == Type::kBlank};
  if (a[1].type == Type::kDate && otherwise.type == Type::kDate && a[1].zone != otherwise.zone) {
    return Unsupported("IF over dates in different time zones");
  }
  out.zone = a[1].type == Type::kDate ? a[1].zone : otherwise.zone;
  return out;
}

Result<SqlExpr> Switch(SqlBuilder& b, const SqlArgs& a) {
  size_t pairs_end = a.size() % 2 == 0 ? a.size() - 1 : a.size();
  SqlExpr otherwise = a.size() % 2 == 0 ? a.back() : b.Blank();
  std::vector<const SqlExpr*> results{&otherwise};
  for (size_t i = 2; i < pairs_end; i += 2) results.push_back(&a[i]);
  AIRPG_ASSIGN_OR_RETURN(Type type, Merge(results));
  if (pairs_end <= 2) return otherwise;  // SWITCH(expr, default)
  // The subject is bound once so nested SWITCHes stay linear in size.
  SqlExpr subject = a[0];
  bool nullable = otherwise.nullable || otherwise.type == Type::kBlank;
  Status error;
  std::string sql = b.Let(a[0].sql, [&](const std::string& v) {
    subject.sql = v;
    std::string out = "CASE";
    for (size_t i = 1; i + 1 < pairs_end; i += 2) {
      auto eq = b.Compare(BinaryOp::kEq, subject, a[i]);
      if (!eq.ok()) {
        error = eq.status();
        return std::string();
      }
      out += fmt::format(" WHEN {} THEN {}", eq->sql, Typed(b, a[i + 1], type));
      nullable = nullable || a[i + 1].nullable || a[i + 1].type == Type::kBlank;
      if (a[i + 1].type == Type::kDate && !a[i + 1].zone.empty()) {
        error = Unsupported("SWITCH over dates with time zones");
      }
    }
    return out + fmt::format(" ELSE {} END", Typed(b, otherwise, type));
  });
  if (!error.ok()) return error;
  return SqlExpr{sql, type, nullable};
}

Result<std::vector<std::string>> Truths(SqlBuilder& b, const SqlArgs& a) {
  std::vector<std::string> out;
  for (const SqlExpr& e : a) {
    if (e.type == Type::kArray) return Unsupported("an array inside AND/OR/XOR");
    AIRPG_ASSIGN_OR_RETURN(std::string t, b.Truthy(e));
    out.push_back(t);
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

Result<SqlExpr> And(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(auto t, Truths(b, a));
  return SqlExpr{"(" + Join(t, " AND ") + ")", Type::kBool, false};
}
Result<SqlExpr> Or(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(auto t, Truths(b, a));
  return SqlExpr{"(" + Join(t, " OR ") + ")", Type::kBool, false};
}
Result<SqlExpr> Xor(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(auto t, Truths(b, a));
  for (std::string& s : t) s = fmt::format("({})::int", s);
  return SqlExpr{"((" + Join(t, " + ") + ") % 2 = 1)", Type::kBool, false};
}
Result<SqlExpr> Not(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string t, b.Truthy(a[0]));
  return SqlExpr{"(NOT " + t + ")", Type::kBool, false};
}
Result<SqlExpr> True(SqlBuilder& b, const SqlArgs&) { return b.Bool(true); }
Result<SqlExpr> False(SqlBuilder& b, const SqlArgs&) { return b.Bool(false); }
Result<SqlExpr> Blank(SqlBuilder& b, const SqlArgs&) { return b.Blank(); }
// Every expression the compiler accepts is error-free in the evaluator, so
// ISERROR of it is FALSE; ERROR() itself is refused (not in the table).
Result<SqlExpr> IsError(SqlBuilder& b, const SqlArgs&) { return b.Bool(false); }

}  // namespace

void RegisterSqlLogical(SqlFunctionTable& t) {
  t["IF"] = If;
  t["SWITCH"] = Switch;
  t["AND"] = And;
  t["OR"] = Or;
  t["XOR"] = Xor;
  t["NOT"] = Not;
  t["TRUE"] = True;
  t["FALSE"] = False;
  t["BLANK"] = Blank;
  t["ISERROR"] = IsError;
}

}  // namespace airpg::formula
