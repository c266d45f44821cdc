#include "mapping/computed_division.h"

#include <fmt/format.h>

#include <map>

namespace airpg::mapping {
namespace {

using formula::Node;
using formula::NodeKind;
using formula::NodePtr;

// A stand-in's name: no Airtable field is called this (a control byte).
constexpr std::string_view kPrefix =
    "\x01"
    "division ";

class Guard {
 public:
  Guard(const formula::ColumnResolver& resolve, const formula::SqlOptions& options,
        const InlineSql& inline_sql)
      : resolve_(resolve), options_(options), inline_(inline_sql) {}

  // Post-order, so a division inside an operand is a stand-in there too.
  void Rewrite(Node& node) {
    for (NodePtr& arg : node.args) Rewrite(*arg);
    bool literal = node.kind == NodeKind::kBinary && node.args.size() == 2 &&
                   node.args[1]->kind == NodeKind::kNumber && node.args[1]->number != 0;
    if (node.kind != NodeKind::kBinary || node.op != formula::BinaryOp::kDiv || literal) return;
    std::string name = fmt::format("{}{}", kPrefix, divisions_.size() + 1);
    divisions_[name] = {std::move(node.args[0]), std::move(node.args[1])};
    node.args.clear();
    node.kind = NodeKind::kField;
    node.text = name;
  }

  formula::ColumnResolver Resolver() {
    return [this](std::string_view name) -> Result<formula::ResolvedColumn> {
      auto it = divisions_.find(std::string(name));
      if (it == divisions_.end()) return resolve_(name);
      AIRPG_ASSIGN_OR_RETURN(std::string x, Number(*it->second.dividend));
      AIRPG_ASSIGN_OR_RETURN(std::string y, Number(*it->second.divisor));
      formula::FieldInfo info{std::string(name), std::string(name), "number", ""};
      return formula::ResolvedColumn{fmt::format("({} / NULLIF({}, 0::float8))", x, y), info, true};
    };
  }

  // True exactly when the evaluator's value of `node` is #ERROR! by a
  // division by zero.
  Result<std::string> Error(const Node& node) {
    if (!HasDivision(node)) return std::string("FALSE");
    if (node.kind == NodeKind::kField) {
      const Division& d = divisions_.at(node.text);
      AIRPG_ASSIGN_OR_RETURN(std::string a, Error(*d.dividend));
      AIRPG_ASSIGN_OR_RETURN(std::string b, Error(*d.divisor));
      AIRPG_ASSIGN_OR_RETURN(std::string y, Number(*d.divisor));
      return fmt::format("({} OR {} OR {} = 0::float8)", a, b, y);
    }
    if (node.kind == NodeKind::kCall && node.text == "IF") {
      // The evaluator returns the taken branch; an error in the other is ignored.
      AIRPG_ASSIGN_OR_RETURN(std::string c, Error(*node.args[0]));
      AIRPG_ASSIGN_OR_RETURN(formula::CompiledSql truthy,
                             formula::CompileFilterToSql(*node.args[0], Resolver(), options_));
      std::string t = inline_(truthy);
      AIRPG_ASSIGN_OR_RETURN(std::string then, Error(*node.args[1]));
      std::string otherwise = "FALSE";
      if (node.args.size() > 2) {
        AIRPG_ASSIGN_OR_RETURN(otherwise, Error(*node.args[2]));
      }
      return fmt::format("({} OR ({} AND {}) OR (NOT {} AND {}))", c, t, then, t, otherwise);
    }
    if (node.kind == NodeKind::kCall && (node.text == "SWITCH" || node.text == "ISERROR")) {
      return UnimplementedError(
          fmt::format("a division by a field inside {} (which sees errors)", node.text));
    }
    // Every other node is an error when one of its arguments is.
    std::string out;
    for (const NodePtr& arg : node.args) {
      AIRPG_ASSIGN_OR_RETURN(std::string e, Error(*arg));
      if (e == "FALSE") continue;
      out += (out.empty() ? "" : " OR ") + e;
    }
    return out.empty() ? std::string("FALSE") : "(" + out + ")";
  }

 private:
  struct Division {
    NodePtr dividend;
    NodePtr divisor;
  };

  bool HasDivision(const Node& node) const {
    if (node.kind == NodeKind::kField) return divisions_.count(node.text) > 0;
    for (const NodePtr& arg : node.args) {
      if (HasDivision(*arg)) return true;
    }
    return false;
  }

  // An operand as the evaluator divides it: blank is 0.
  Result<std::string> Number(const Node& node) {
    AIRPG_ASSIGN_OR_RETURN(formula::CompiledSql c,
                           formula::CompileToSql(node, Resolver(), options_));
    if (c.type != formula::Type::kNumber && c.type != formula::Type::kBlank) {
      return UnimplementedError("a division whose operand is not a number");
    }
    return fmt::format("COALESCE(({})::float8, 0::float8)", inline_(c));
  }

  const formula::ColumnResolver& resolve_;
  const formula::SqlOptions& options_;
  const InlineSql& inline_;
  std::map<std::string, Division, std::less<>> divisions_;
};

}  // namespace

Result<GuardedFormula> CompileGuardedDivisions(formula::Node& root,
                                               const formula::ColumnResolver& resolve,
                                               const formula::SqlOptions& options,
                                               const InlineSql& inline_sql) {
  Guard guard(resolve, options, inline_sql);
  guard.Rewrite(root);
  AIRPG_ASSIGN_OR_RETURN(formula::CompiledSql compiled,
                         formula::CompileToSql(root, guard.Resolver(), options));
  AIRPG_ASSIGN_OR_RETURN(std::string error, guard.Error(root));
  GuardedFormula out;
  out.error = error;
  out.value = fmt::format("(CASE WHEN {} THEN NULL ELSE {} END)", error, inline_sql(compiled));
  out.type = compiled.type;
  return out;
}

}  // namespace airpg::mapping
