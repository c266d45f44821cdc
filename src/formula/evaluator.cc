// Evaluator: a post-order walk; functions come from the registry.
#include "formula/evaluator.h"

#include <fmt/format.h>

#include "formula/function_registry.h"
#include "formula/operators.h"
#include "formula/parser.h"

namespace airpg::formula {
namespace {

Result<Value> Eval(const Node& node, const EvalContext& ctx) {
  switch (node.kind) {
    case NodeKind::kNumber:
      return Value::Number(node.number);
    case NodeKind::kString:
      return Value::Text(node.text);
    case NodeKind::kField: {
      const FieldInfo* field = ctx.schema.Find(node.text);
      if (!field) {
        return InvalidArgumentError(
            fmt::format("at position {}: unknown field name {{{}}}", node.position, node.text));
      }
      auto cell = ctx.record.cells.find(field->id);
      if (cell == ctx.record.cells.end()) {
        return field->type == "checkbox" ? Value::Bool(false) : Value::Blank();
      }
      return cell->second;
    }
    case NodeKind::kUnary: {
      AIRPG_ASSIGN_OR_RETURN(Value v, Eval(*node.args[0], ctx));
      return Negate(v);
    }
    case NodeKind::kBinary: {
      AIRPG_ASSIGN_OR_RETURN(Value lhs, Eval(*node.args[0], ctx));
      AIRPG_ASSIGN_OR_RETURN(Value rhs, Eval(*node.args[1], ctx));
      return ApplyBinary(node.op, lhs, rhs);
    }
    case NodeKind::kCall: {
      AIRPG_ASSIGN_OR_RETURN(const FunctionSpec* spec, ResolveCall(node));
      int n = static_cast<int>(node.args.size());
      Args args;
      args.reserve(n);
      for (const NodePtr& arg : node.args) {
        AIRPG_ASSIGN_OR_RETURN(Value v, Eval(*arg, ctx));
        if (v.is_error() && !spec->sees_errors) return v;
        args.push_back(std::move(v));
      }
      return spec->eval(args, ctx);
    }
  }
  return InternalError("unknown node kind");
}

}  // namespace

Result<Value> Evaluate(const Node& root, const Schema& schema, const Record& record,
                       const EvalOptions& options) {
  EvalContext ctx{schema, record, options};
  return Eval(root, ctx);
}

Result<bool> EvaluateFilter(const Node& root, const Schema& schema, const Record& record,
                            const EvalOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(Value v, Evaluate(root, schema, record, options));
  return Truthy(v);
}

Result<Value> EvaluateFormula(std::string_view formula, const Schema& schema, const Record& record,
                              const EvalOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(NodePtr root, Parse(formula));
  return Evaluate(*root, schema, record, options);
}

}  // namespace airpg::formula
