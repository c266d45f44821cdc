// Ast printing: canonical formula text for diagnostics and round-trip tests.
#include "formula/ast.h"

#include <charconv>
#include <cmath>

namespace airpg::formula {

const char* BinaryOpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kConcat:
      return "&";
    case BinaryOp::kEq:
      return "=";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
  }
  return "?";
}

namespace {

std::string QuoteString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string QuoteField(const std::string& name) {
  std::string out = "{";
  for (char c : name) {
    if (c == '}' || c == '\\') out += '\\';
    out += c;
  }
  return out + "}";
}

}  // namespace

namespace {

// Binding strength, weakest first: comparisons, &, + -, * /, unary minus.
int Precedence(const Node& node) {
  if (node.kind == NodeKind::kUnary) return 5;
  if (node.kind != NodeKind::kBinary) return 6;
  switch (node.op) {
    case BinaryOp::kConcat:
      return 2;
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      return 3;
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
      return 4;
    default:
      return 1;
  }
}

std::string Wrapped(const Node& node, bool wrap) {
  std::string text = ToFormulaText(node);
  return wrap ? "(" + text + ")" : text;
}

}  // namespace

std::string ToFormulaText(const Node& node) {
  switch (node.kind) {
    case NodeKind::kNumber: {
      // Plain decimal digits (the lexer reads no exponents); literals too
      // large for a double are Infinity, printed as a literal that still is.
      if (std::isinf(node.number)) return "1" + std::string(309, '0');
      char buf[400];
      auto res = std::to_chars(buf, buf + sizeof buf, node.number, std::chars_format::fixed);
      return std::string(buf, res.ptr);
    }
    case NodeKind::kString:
      return QuoteString(node.text);
    case NodeKind::kField:
      return QuoteField(node.text);
    case NodeKind::kUnary:
      return "-" + Wrapped(*node.args[0], Precedence(*node.args[0]) < 5);
    case NodeKind::kBinary: {
      // Parentheses only where precedence or left-associativity needs them.
      int p = Precedence(node);
      return Wrapped(*node.args[0], Precedence(*node.args[0]) < p) + " " + BinaryOpText(node.op) +
             " " + Wrapped(*node.args[1], Precedence(*node.args[1]) <= p);
    }
    case NodeKind::kCall: {
      std::string out = node.text + "(";
      for (size_t i = 0; i < node.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += ToFormulaText(*node.args[i]);
      }
      return out + ")";
    }
  }
  return "";
}

}  // namespace airpg::formula
