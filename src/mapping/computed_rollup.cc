#include "mapping/computed_rollup.h"

#include <fmt/format.h>

#include "base/sql_identifier.h"
#include "formula/parser.h"

namespace airpg::mapping {
namespace {

bool IsNumberColumn(const FieldPlan& f) {
  const std::string& t = f.column.sql_type;
  return t == "numeric" || t == "bigint" || t == "integer" || t == "smallint" ||
         t == "double precision" || t == "interval";
}

bool IsTextColumn(const FieldPlan& f) { return f.column.sql_type == "text"; }

}  // namespace

Result<std::string> RollupSql(std::string_view formula_text, const std::string& value,
                              const LinkedRows& rows) {
  Result<formula::NodePtr> parsed = formula::Parse(formula_text);
  if (!parsed.ok()) return UnimplementedError("its rollup formula does not parse");
  const formula::Node& root = **parsed;
  auto refuse = [&] {
    return UnimplementedError(
        fmt::format("rollup formula {} has no exact SQL aggregate", formula_text));
  };
  if (root.kind != formula::NodeKind::kCall || root.args.empty() ||
      root.args[0]->kind != formula::NodeKind::kField || root.args[0]->text != "values") {
    return refuse();
  }
  const std::string& fn = root.text;
  const FieldPlan& source = *rows.source;
  bool number = IsNumberColumn(source);
  std::string x = fmt::format("({})::float8", value);
  if (root.args.size() == 1) {
    if (fn == "SUM" && number) return fmt::format("COALESCE(sum({}), 0)", x);
    if (fn == "MAX" && number) return fmt::format("COALESCE(max({}), 0)", x);
    if (fn == "MIN" && number) return fmt::format("COALESCE(min({}), 0)", x);
    if (fn == "COUNT" && number) return fmt::format("count({})", value);
    if (fn == "COUNTALL") return fmt::format("count(({}))", value);
    if (fn == "COUNTA" && (number || IsTextColumn(source))) {
      return fmt::format("count(NULLIF(({})::text, ''))", value);
    }
  }
  std::string text = number ? fmt::format("({})::text", x) : fmt::format("({})::text", value);
  if (!number && !IsTextColumn(source)) return refuse();
  if (fn == "CONCATENATE" && root.args.size() == 1) {
    return fmt::format("NULLIF(string_agg({}, ''{}), '')", text, rows.agg_order);
  }
  if (fn == "ARRAYJOIN" && root.args.size() <= 2) {
    std::string separator = "', '";
    if (root.args.size() == 2) {
      if (root.args[1]->kind != formula::NodeKind::kString) return refuse();
      separator = SqlStringLiteralForScript(root.args[1]->text);
    }
    return fmt::format("NULLIF(string_agg({}, {}{}), '')", text, separator, rows.agg_order);
  }
  return refuse();
}

}  // namespace airpg::mapping
