// Parser implementation: one method per precedence level.
#include "formula/parser.h"

#include <fmt/format.h>
#include <algorithm>

#include "formula/lexer.h"

namespace airpg::formula {
namespace {

// Deep nesting is refused rather than risking the stack (fuzzers find it):
// kMaxDepth bounds the parser's own recursion, kMaxHeight the tree's height
// (long operator chains build deep trees without deep parser recursion).
constexpr int kMaxDepth = 200;
constexpr int kMaxHeight = 400;

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
  return s;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "the end of the formula";
    case TokenKind::kNumber:
      return fmt::format("number {}", t.text);
    case TokenKind::kString:
      return "a string";
    case TokenKind::kField:
      return fmt::format("field {{{}}}", t.text);
    default:
      return fmt::format("'{}'", t.text);
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<NodePtr> ParseAll() {
    AIRPG_ASSIGN_OR_RETURN(NodePtr root, Comparison());
    if (Peek().kind != TokenKind::kEnd) return Expected("an operator or the end of the formula");
    return root;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool PeekOperator(std::initializer_list<std::string_view> ops) const {
    if (Peek().kind != TokenKind::kOperator) return false;
    return std::find(ops.begin(), ops.end(), Peek().text) != ops.end();
  }

  Status Expected(std::string_view what) const {
    return InvalidArgumentError(fmt::format("at position {}: expected {} but found {}",
                                            Peek().position, what, Describe(Peek())));
  }

  static NodePtr Binary(BinaryOp op, int position, NodePtr lhs, NodePtr rhs) {
    auto node = std::make_unique<Node>();
    node->kind = NodeKind::kBinary;
    node->op = op;
    node->position = position;
    node->height = 1 + std::max(lhs->height, rhs->height);
    node->args.push_back(std::move(lhs));
    node->args.push_back(std::move(rhs));
    return node;
  }

  static BinaryOp OpFor(const std::string& text) {
    if (text == "+") return BinaryOp::kAdd;
    if (text == "-") return BinaryOp::kSub;
    if (text == "*") return BinaryOp::kMul;
    if (text == "/") return BinaryOp::kDiv;
    if (text == "&") return BinaryOp::kConcat;
    if (text == "=") return BinaryOp::kEq;
    if (text == "!=") return BinaryOp::kNe;
    if (text == "<") return BinaryOp::kLt;
    if (text == "<=") return BinaryOp::kLe;
    if (text == ">") return BinaryOp::kGt;
    return BinaryOp::kGe;
  }

  // One left-associative level: next_level (op next_level)*.
  template <typename F>
  Result<NodePtr> Level(std::initializer_list<std::string_view> ops, F next_level) {
    AIRPG_ASSIGN_OR_RETURN(NodePtr lhs, (this->*next_level)());
    while (PeekOperator(ops)) {
      const Token& op = Next();
      AIRPG_ASSIGN_OR_RETURN(NodePtr rhs, (this->*next_level)());
      int position = lhs->position;
      lhs = Binary(OpFor(op.text), position, std::move(lhs), std::move(rhs));
      if (lhs->height > kMaxHeight) {
        return InvalidArgumentError(
            fmt::format("at position {}: the formula is nested too deeply", op.position));
      }
    }
    return lhs;
  }

  Result<NodePtr> Comparison() {
    if (++depth_ > kMaxDepth) return Expected("less deeply nested parentheses");
    auto result = Level({"=", "!=", "<", "<=", ">", ">="}, &Parser::Concat);
    --depth_;
    return result;
  }
  Result<NodePtr> Concat() { return Level({"&"}, &Parser::Additive); }
  Result<NodePtr> Additive() { return Level({"+", "-"}, &Parser::Multiplicative); }
  Result<NodePtr> Multiplicative() { return Level({"*", "/"}, &Parser::Unary); }

  Result<NodePtr> Unary() {
    if (PeekOperator({"-", "+"})) {
      if (++depth_ > kMaxDepth) return Expected("fewer unary operators");
      const Token& op = Next();
      AIRPG_ASSIGN_OR_RETURN(NodePtr operand, Unary());
      --depth_;
      if (op.text == "+") return operand;
      auto node = std::make_unique<Node>();
      node->kind = NodeKind::kUnary;
      node->position = op.position;
      node->height = operand->height + 1;
      node->args.push_back(std::move(operand));
      return node;
    }
    return Primary();
  }

  Result<NodePtr> Primary() {
    const Token& tok = Peek();
    auto node = std::make_unique<Node>();
    node->position = tok.position;
    switch (tok.kind) {
      case TokenKind::kNumber:
        node->kind = NodeKind::kNumber;
        node->number = Next().number;
        return node;
      case TokenKind::kString:
        node->kind = NodeKind::kString;
        node->text = Next().text;
        return node;
      case TokenKind::kField:
        node->kind = NodeKind::kField;
        node->text = Next().text;
        return node;
      case TokenKind::kLParen: {
        Next();
        AIRPG_ASSIGN_OR_RETURN(NodePtr inner, Comparison());
        if (Peek().kind != TokenKind::kRParen) return Expected("')'");
        Next();
        return inner;
      }
      case TokenKind::kIdentifier:
        return IdentifierOrCall();
      default:
        return Expected("a value, field, function call or '('");
    }
  }

  Result<NodePtr> IdentifierOrCall() {
    const Token& name = Next();
    auto node = std::make_unique<Node>();
    node->position = name.position;
    if (Peek().kind != TokenKind::kLParen) {
      std::string upper = Upper(name.text);
      if (upper == "TRUE" || upper == "FALSE" || upper == "NOW" || upper == "TODAY" ||
          upper == "BLANK") {
        node->kind = NodeKind::kCall;
        node->text = upper;
      } else {
        node->kind = NodeKind::kField;
        node->text = name.text;
      }
      return node;
    }
    Next();
    node->kind = NodeKind::kCall;
    node->text = Upper(name.text);
    if (Peek().kind == TokenKind::kRParen) {
      Next();
      return node;
    }
    while (true) {
      AIRPG_ASSIGN_OR_RETURN(NodePtr arg, Comparison());
      node->height = std::max(node->height, arg->height + 1);
      if (node->height > kMaxHeight) {
        return InvalidArgumentError(
            fmt::format("at position {}: the formula is nested too deeply", node->position));
      }
      node->args.push_back(std::move(arg));
      if (Peek().kind == TokenKind::kComma) {
        Next();
        continue;
      }
      if (Peek().kind == TokenKind::kRParen) {
        Next();
        return node;
      }
      return Expected("',' or ')' in the arguments of " + node->text);
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<NodePtr> Parse(std::string_view formula) {
  AIRPG_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(formula));
  return Parser(std::move(tokens)).ParseAll();
}

}  // namespace airpg::formula
