// Type inference: a post-order walk mirroring the evaluator's dispatch.
#include "formula/type_checker.h"

#include <fmt/format.h>
#include <array>

#include "formula/date_units.h"
#include "formula/function_registry.h"

namespace airpg::formula {
namespace {

// Functions whose leading arguments must be dates (count = how many).
struct DateArgs {
  std::string_view name;
  int count;
};
constexpr std::array<DateArgs, 22> kDateArgs = {{
    {"DATEADD", 1},      {"DATETIME_DIFF", 2}, {"DATETIME_FORMAT", 1}, {"DATESTR", 1},
    {"TIMESTR", 1},      {"DAY", 1},           {"MONTH", 1},           {"YEAR", 1},
    {"HOUR", 1},         {"MINUTE", 1},        {"SECOND", 1},          {"WEEKDAY", 1},
    {"WEEKNUM", 1},      {"IS_SAME", 2},       {"IS_BEFORE", 2},       {"IS_AFTER", 2},
    {"SET_TIMEZONE", 1}, {"SET_LOCALE", 1},    {"TONOW", 1},           {"FROMNOW", 1},
    {"WORKDAY", 1},      {"WORKDAY_DIFF", 2},
}};

// Which argument is a unit (DATEADD's third, IS_SAME's third), or -1.
int UnitArgument(std::string_view name) {
  if (name == "DATEADD" || name == "IS_SAME") return 2;
  return -1;
}

Status ErrorAt(const Node& node, std::string_view what) {
  return InvalidArgumentError(fmt::format("at position {}: {}", node.position, what));
}

Result<Type> Check(const Node& node, const Schema& schema) {
  switch (node.kind) {
    case NodeKind::kNumber:
      return Type::kNumber;
    case NodeKind::kString:
      return Type::kText;
    case NodeKind::kField: {
      const FieldInfo* field = schema.Find(node.text);
      if (!field) return ErrorAt(node, fmt::format("unknown field name {{{}}}", node.text));
      return TypeOfField(*field);
    }
    case NodeKind::kUnary: {
      AIRPG_ASSIGN_OR_RETURN(Type t, Check(*node.args[0], schema));
      (void)t;
      return Type::kNumber;
    }
    case NodeKind::kBinary: {
      AIRPG_ASSIGN_OR_RETURN(Type a, Check(*node.args[0], schema));
      AIRPG_ASSIGN_OR_RETURN(Type b, Check(*node.args[1], schema));
      switch (node.op) {
        case BinaryOp::kConcat:
          return Type::kText;
        case BinaryOp::kAdd:
          if (a == Type::kDate && b != Type::kDate && b != Type::kBlank) {
            return ErrorAt(node, "cannot add a number to a date with +; use DATEADD");
          }
          return Type::kNumber;
        case BinaryOp::kSub:
        case BinaryOp::kMul:
        case BinaryOp::kDiv:
          return Type::kNumber;
        default:
          return Type::kBool;
      }
    }
    case NodeKind::kCall: {
      AIRPG_ASSIGN_OR_RETURN(const FunctionSpec* spec, ResolveCall(node));
      int n = static_cast<int>(node.args.size());
      std::vector<Type> types;
      for (const NodePtr& arg : node.args) {
        AIRPG_ASSIGN_OR_RETURN(Type t, Check(*arg, schema));
        types.push_back(t);
      }
      for (const DateArgs& d : kDateArgs) {
        if (d.name != node.text) continue;
        for (int i = 0; i < d.count && i < n; ++i) {
          if (types[i] == Type::kNumber || types[i] == Type::kBool) {
            return ErrorAt(*node.args[i], fmt::format("{} expects a date, not a {}", node.text,
                                                      TypeName(types[i])));
          }
        }
      }
      int unit = UnitArgument(node.text);
      if (unit >= 0 && unit < n && node.args[unit]->kind == NodeKind::kString &&
          !ParseUnit(node.args[unit]->text)) {
        return ErrorAt(*node.args[unit], fmt::format("unknown unit \"{}\"", node.args[unit]->text));
      }
      return spec->result_type(types);
    }
  }
  return InternalError("unknown node kind");
}

}  // namespace

Result<Type> CheckTypes(const Node& root, const Schema& schema) { return Check(root, schema); }

}  // namespace airpg::formula
