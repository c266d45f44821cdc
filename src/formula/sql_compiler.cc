// SqlCompiler: walks the tree, resolving fields and delegating calls to the
// SQL function table.
#include "formula/sql_compiler.h"

#include <fmt/format.h>

#include "formula/function_registry.h"
#include "formula/sql_expr.h"
#include "formula/sql_functions.h"

namespace airpg::formula {
namespace {

Result<SqlExpr> Column(const ResolvedColumn& col) {
  const FieldInfo& f = col.field;
  Type type = TypeOfField(f);
  if ((f.type == "formula" || f.type == "rollup") && !col.error_free) {
    return Unsupported(fmt::format("field {{{}}}, whose cells may be error values", f.name));
  }
  std::string value_type = f.type == "formula" || f.type == "rollup" ? f.result_type : f.type;
  switch (type) {
    case Type::kNumber:
      return SqlExpr{fmt::format("({})::float8", col.sql), type};
    case Type::kText:
      return SqlExpr{fmt::format("({})::text", col.sql), type};
    case Type::kBool:
      return SqlExpr{fmt::format("COALESCE(({})::boolean, FALSE)", col.sql), type, false};
    case Type::kDate:
      if (value_type == "date") {
        return SqlExpr{fmt::format("(({})::date::timestamp AT TIME ZONE 'UTC')", col.sql), type};
      }
      return SqlExpr{fmt::format("({})::timestamptz", col.sql), type};
    case Type::kArray:
      if (f.type == "multipleSelects" || f.type == "multipleRecordLinks" ||
          ((f.type == "multipleLookupValues" || f.type == "lookup") &&
           TypeOfFieldType(f.result_type) == Type::kText)) {
        return SqlExpr{fmt::format("({})::text[]", col.sql), type};
      }
      return Unsupported(fmt::format("field {{{}}} of type {}", f.name, f.type));
    default:
      return Unsupported(fmt::format("field {{{}}} of type {}", f.name, f.type));
  }
}

class Compiler {
 public:
  Compiler(const ColumnResolver& resolve, SqlBuilder& b) : resolve_(resolve), b_(b) {}

  Result<SqlExpr> Compile(const Node& node) {
    switch (node.kind) {
      case NodeKind::kNumber:
        return b_.Number(node.number);
      case NodeKind::kString:
        return b_.Text(node.text);
      case NodeKind::kField: {
        AIRPG_ASSIGN_OR_RETURN(ResolvedColumn col, resolve_(node.text));
        return Column(col);
      }
      case NodeKind::kUnary: {
        if (node.args[0]->kind == NodeKind::kNumber) return b_.Number(-node.args[0]->number);
        AIRPG_ASSIGN_OR_RETURN(SqlExpr x, Compile(*node.args[0]));
        AIRPG_ASSIGN_OR_RETURN(std::string n, b_.ToNumber(x));
        return SqlExpr{fmt::format("(-{})", n), Type::kNumber, false};
      }
      case NodeKind::kBinary:
        return Binary(node);
      case NodeKind::kCall:
        return Call(node);
    }
    return InternalError("unknown node kind");
  }

 private:
  Result<SqlExpr> Binary(const Node& node) {
    AIRPG_ASSIGN_OR_RETURN(SqlExpr a, Compile(*node.args[0]));
    AIRPG_ASSIGN_OR_RETURN(SqlExpr c, Compile(*node.args[1]));
    switch (node.op) {
      case BinaryOp::kConcat: {
        AIRPG_ASSIGN_OR_RETURN(std::string x, b_.ToText(a));
        AIRPG_ASSIGN_OR_RETURN(std::string y, b_.ToText(c));
        return SqlExpr{fmt::format("({} || {})", x, y), Type::kText, false};
      }
      case BinaryOp::kAdd:
      case BinaryOp::kSub:
      case BinaryOp::kMul:
      case BinaryOp::kDiv: {
        if (node.op == BinaryOp::kAdd && a.type == Type::kDate) {
          return Unsupported("adding to a date with + (use DATEADD)");
        }
        if (a.type == Type::kAny || c.type == Type::kAny) {
          return Unsupported("arithmetic on values whose type is only known at run time");
        }
        if (node.op == BinaryOp::kDiv && (!c.const_number || *c.const_number == 0)) {
          // x/0 is #ERROR!, which no SQL value stands for.
          return Unsupported("division by a value that may be zero (x/0 is #ERROR!)");
        }
        AIRPG_ASSIGN_OR_RETURN(std::string x, b_.ToNumber(a));
        AIRPG_ASSIGN_OR_RETURN(std::string y, b_.ToNumber(c));
        if (node.op == BinaryOp::kDiv)
          return SqlExpr{fmt::format("({} / {})", x, y), Type::kNumber, false};
        const char* op = node.op == BinaryOp::kAdd ? "+" : node.op == BinaryOp::kSub ? "-" : "*";
        return SqlExpr{fmt::format("({} {} {})", x, op, y), Type::kNumber, false};
      }
      default:
        return b_.Compare(node.op, a, c);
    }
  }

  Result<SqlExpr> Call(const Node& node) {
    AIRPG_RETURN_IF_ERROR(ResolveCall(node).status());  // unknown function, argument count
    SqlFunction fn = FindSqlFunction(node.text);
    if (!fn) return Unsupported(fmt::format("function {}", node.text));
    SqlArgs args;
    for (const NodePtr& arg : node.args) {
      AIRPG_ASSIGN_OR_RETURN(SqlExpr e, Compile(*arg));
      args.push_back(std::move(e));
    }
    return fn(b_, args);
  }

  const ColumnResolver& resolve_;
  SqlBuilder& b_;
};

}  // namespace

Result<CompiledSql> CompileToSql(const Node& root, const ColumnResolver& resolve,
                                 const SqlOptions& options) {
  SqlBuilder b(options);
  Compiler compiler(resolve, b);
  AIRPG_ASSIGN_OR_RETURN(SqlExpr e, compiler.Compile(root));
  if (e.type == Type::kAny) return Unsupported("a result whose type is only known at run time");
  return b.Finish(e.type == Type::kBlank ? "NULL::text" : e.sql, e.type);
}

Result<CompiledSql> CompileFilterToSql(const Node& root, const ColumnResolver& resolve,
                                       const SqlOptions& options) {
  SqlBuilder b(options);
  Compiler compiler(resolve, b);
  AIRPG_ASSIGN_OR_RETURN(SqlExpr e, compiler.Compile(root));
  AIRPG_ASSIGN_OR_RETURN(std::string truthy, b.Truthy(e));
  return b.Finish(truthy, Type::kBool);
}

}  // namespace airpg::formula
