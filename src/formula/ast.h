// Ast: the syntax tree of one Airtable formula, produced by Parse() (parser.h)
// and read by the type checker, the evaluator and the SQL compiler.
// Thread-compatible: a tree is an immutable value once built.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace airpg::formula {

enum class NodeKind {
  kNumber,  // number literal: `number`
  kString,  // string literal: `text` (escapes resolved)
  kField,   // field reference, `{Name}` or bare `Name`: `text` is the name or id
  kUnary,   // unary minus: args[0]
  kBinary,  // `op` over args[0], args[1]
  kCall,    // function call: `text` is the upper-cased name, args in order
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kConcat, kEq, kNe, kLt, kLe, kGt, kGe };

// The operator as written in formulas ("+", "&", "!=", ...).
const char* BinaryOpText(BinaryOp op);

struct Node {
  NodeKind kind = NodeKind::kNumber;
  int position = 0;  // byte offset of the node's first token in the formula
  double number = 0;
  std::string text;
  BinaryOp op = BinaryOp::kAdd;
  std::vector<std::unique_ptr<Node>> args;
  // Height of this subtree (1 for a leaf). The parser bounds it so every
  // recursive walk (evaluator, compiler, printer) has bounded depth.
  int height = 1;
};

using NodePtr = std::unique_ptr<Node>;

// Renders a tree back to canonical formula text that parses to the same tree
// (parentheses only where precedence needs them).
std::string ToFormulaText(const Node& node);

}  // namespace airpg::formula
