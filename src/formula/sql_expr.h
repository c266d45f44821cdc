// SqlExpr and SqlBuilder: the typed SQL fragments the compiler builds and
// the coercions between them (to text, to number, truthiness, comparison),
// each mirroring value.h / operators.h exactly. Internal to src/formula/.
// Single-thread: one builder per compilation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "formula/ast.h"
#include "formula/sql_compiler.h"
#include "formula/types.h"

namespace airpg::formula {

// One compiled sub-expression. `type` is the kind of every non-NULL value;
// NULL stands for blank. kBlank means always NULL.
struct SqlExpr {
  std::string sql;
  Type type = Type::kBlank;
  bool nullable = true;
  // kDate: the display zone from SET_TIMEZONE ("" = UTC), known at compile time.
  std::string zone;
  // Set when the expression is a literal, for arguments that must be constant.
  std::optional<double> const_number;
  std::optional<std::string> const_text;
};

class SqlBuilder {
 public:
  explicit SqlBuilder(const SqlOptions& options) : options_(options) {}

  const SqlOptions& options() const { return options_; }

  // A placeholder for a new parameter. Literals consumed at compile time
  // (units, formats, counts) never reach the final SQL, so parameters are
  // numbered only when Finish() sees them; a placeholder used twice binds once.
  std::string Param(std::optional<std::string> value, std::string_view cast);
  // Replaces placeholders in `sql` by "$n::cast" and returns those parameters.
  CompiledSql Finish(const std::string& sql, Type type);
  SqlExpr Number(double n);
  SqlExpr Text(std::string text);
  SqlExpr Bool(bool b);
  SqlExpr Date(int64_t millis);
  SqlExpr Blank(Type type = Type::kBlank);

  // Binds `value` once and writes `body` over it: body receives the name to
  // use. Keeps generated SQL linear in the formula's size.
  std::string Let(const std::string& value,
                  const std::function<std::string(const std::string&)>& body);
  std::string Let2(const std::string& a, const std::string& b,
                   const std::function<std::string(const std::string&, const std::string&)>& body);
  std::string LetN(const std::vector<std::string>& values,
                   const std::function<std::string(const std::vector<std::string>&)>& body);

  // Coercions; the results are never NULL.
  Result<std::string> ToText(const SqlExpr& e);
  Result<std::string> ToNumber(const SqlExpr& e);
  Result<std::string> Truthy(const SqlExpr& e);
  // JavaScript number → string over a non-NULL float8 expression.
  std::string NumberText(const std::string& x);

  // A comparison with the evaluator's rules; a boolean, never NULL.
  Result<SqlExpr> Compare(BinaryOp op, const SqlExpr& a, const SqlExpr& b);

  // A date operand: a date expression, or a text literal read as ISO 8601.
  Result<SqlExpr> AsDate(const SqlExpr& e);
  // The local wall time (timestamp without zone) of a non-NULL date in its zone.
  Result<std::string> LocalTime(const SqlExpr& date);

 private:
  struct Pending {
    std::optional<std::string> value;
    std::string cast;
  };
  const SqlOptions& options_;
  std::vector<Pending> pending_;
  int lets_ = 0;
};

Status Unsupported(std::string_view what);

}  // namespace airpg::formula
