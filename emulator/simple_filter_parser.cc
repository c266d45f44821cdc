// Parsing of the built-in filterByFormula subset; see simple_filter_ast.h.
#include <algorithm>
#include <cctype>
#include <iterator>

#include "emulator/simple_filter_ast.h"

namespace airpg::emulator {
namespace {

const char* const kFunctions[] = {"AND",
                                  "OR",
                                  "NOT",
                                  "IF",
                                  "TRUE",
                                  "FALSE",
                                  "BLANK",
                                  "RECORD_ID",
                                  "LOWER",
                                  "UPPER",
                                  "LEN",
                                  "FIND",
                                  "SEARCH",
                                  "CONCATENATE",
                                  "ARRAYJOIN",
                                  "CREATED_TIME",
                                  "LAST_MODIFIED_TIME",
                                  "DATETIME_PARSE",
                                  "IS_AFTER",
                                  "IS_BEFORE",
                                  "NOW",
                                  "TODAY"};

class Parser {
 public:
  Parser(const Table& table, const std::string& text) : table_(table), s_(text) {}

  ApiResult<FilterNode> ParseAll() {
    FilterNode node = Comparison();
    Skip();
    if (error_.empty() && pos_ != s_.size()) error_ = "invalid";
    if (!unknown_.empty()) {
      return Unprocessable(
          "INVALID_FILTER_BY_FORMULA",
          "The formula for filtering records is invalid: Unknown field names: " + unknown_);
    }
    if (!error_.empty()) {
      return Unprocessable("INVALID_FILTER_BY_FORMULA",
                           "The formula for filtering records is invalid: Invalid formula. Please "
                           "check your formula text.");
    }
    return node;
  }

 private:
  void Skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Eat(std::string_view tok) {
    Skip();
    if (s_.compare(pos_, tok.size(), tok) != 0) return false;
    pos_ += tok.size();
    return true;
  }
  FilterNode Binary(std::string op, FilterNode a, FilterNode b) {
    FilterNode n{FilterNode::Kind::kBinary};
    n.name = std::move(op);
    n.args.push_back(std::move(a));
    n.args.push_back(std::move(b));
    return n;
  }
  FilterNode Comparison() {
    FilterNode left = Concat();
    for (const char* op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (Eat(op)) return Binary(op, std::move(left), Concat());
    }
    return left;
  }
  FilterNode Concat() {
    FilterNode left = Additive();
    while (Eat("&")) left = Binary("&", std::move(left), Additive());
    return left;
  }
  FilterNode Additive() {
    FilterNode left = Term();
    while (true) {
      if (Eat("+")) {
        left = Binary("+", std::move(left), Term());
      } else if (Eat("-")) {
        left = Binary("-", std::move(left), Term());
      } else {
        return left;
      }
    }
  }
  FilterNode Term() {
    FilterNode left = Unary();
    while (true) {
      if (Eat("*")) {
        left = Binary("*", std::move(left), Unary());
      } else if (Eat("/")) {
        left = Binary("/", std::move(left), Unary());
      } else {
        return left;
      }
    }
  }
  FilterNode Unary() {
    if (Eat("-")) {
      FilterNode n{FilterNode::Kind::kNegate};
      n.args.push_back(Unary());
      return n;
    }
    return Primary();
  }
  FilterNode FieldRef(const std::string& name) {
    FilterNode n{FilterNode::Kind::kField};
    n.field = table_.FindField(name);
    if (n.field == nullptr) {
      unknown_ += (unknown_.empty() ? "" : ", ") + name;
      return FilterNode{FilterNode::Kind::kLiteral};
    }
    return n;
  }
  FilterNode Primary() {
    Skip();
    FilterNode fail{FilterNode::Kind::kLiteral};
    if (pos_ >= s_.size()) return error_ = "end", fail;
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      FilterNode inner = Comparison();
      if (!Eat(")")) error_ = "paren";
      return inner;
    }
    if (c == '{') {
      std::string name;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '}') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        name.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) return error_ = "brace", fail;
      ++pos_;
      return FieldRef(name);
    }
    if (c == '"' || c == '\'') {
      std::string text;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != c) {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        text.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) return error_ = "quote", fail;
      ++pos_;
      FilterNode n{FilterNode::Kind::kLiteral};
      n.literal = text;
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
        ++pos_;
      FilterNode n{FilterNode::Kind::kLiteral};
      n.literal = std::stod(s_.substr(start, pos_ - start));
      return n;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
        ++pos_;
      }
      std::string word = s_.substr(start, pos_ - start);
      std::string upper = word;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      bool known =
          std::find(std::begin(kFunctions), std::end(kFunctions), upper) != std::end(kFunctions);
      Skip();
      bool call = pos_ < s_.size() && s_[pos_] == '(';
      if (!call && !known) return FieldRef(word);
      if (!known) return error_ = "function", fail;
      FilterNode n{FilterNode::Kind::kCall};
      n.name = upper;
      if (call) {
        ++pos_;
        if (!Eat(")")) {
          do {
            n.args.push_back(Comparison());
          } while (Eat(","));
          if (!Eat(")")) error_ = "args";
        }
      }
      return n;
    }
    return error_ = "token", fail;
  }

  const Table& table_;
  const std::string& s_;
  size_t pos_ = 0;
  std::string error_;
  std::string unknown_;
};

}  // namespace

ApiResult<FilterNode> ParseFilter(const Table& table, const std::string& formula) {
  Parser parser(table, formula);
  return parser.ParseAll();
}

}  // namespace airpg::emulator
