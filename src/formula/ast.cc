// Ast printing: canonical formula text for diagnostics and round-trip tests.
#include "formula/ast.h"

#include <charconv>

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

std::string ToFormulaText(const Node& node) {
  switch (node.kind) {
    case NodeKind::kNumber: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, node.number);
      return std::string(buf, res.ptr);
    }
    case NodeKind::kString:
      return QuoteString(node.text);
    case NodeKind::kField:
      return QuoteField(node.text);
    case NodeKind::kUnary:
      return "(-" + ToFormulaText(*node.args[0]) + ")";
    case NodeKind::kBinary:
      return "(" + ToFormulaText(*node.args[0]) + " " + BinaryOpText(node.op) + " " +
             ToFormulaText(*node.args[1]) + ")";
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
