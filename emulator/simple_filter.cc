// The built-in filterByFormula subset; see record_filter.h. A recursive-descent
// parser builds a small tree; evaluation works on JSON values (null = blank).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "emulator/clock.h"
#include "emulator/record_filter.h"
#include "emulator/record_renderer.h"

namespace airpg::emulator {
namespace {

using airtable::FieldType;

struct Node {
  enum class Kind { kLiteral, kField, kCall, kBinary, kNegate } kind;
  Json literal;
  const Field* field = nullptr;
  std::string name;  // function name or operator
  std::vector<Node> args;
};

struct EvalContext {
  const Base& base;
  const Table& table;
  const Record& record;
  int64_t now_millis;
};

bool Truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0 && !std::isnan(v.get<double>());
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_array()) return !v.empty();
  return true;
}

std::string Text(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_array()) {
    std::string out;
    for (const Json& item : v) out += (out.empty() ? "" : ", ") + Text(item);
    return out;
  }
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    std::string s = v.dump();
    return s;
  }
  return v.dump();
}

bool AsNumber(const Json& v, double* out) {
  if (v.is_number()) return *out = v.get<double>(), true;
  if (v.is_boolean()) return *out = v.get<bool>() ? 1 : 0, true;
  return false;
}

// Comparison of two values: numbers numerically, ISO dates chronologically,
// everything else as text (case-sensitive).
int Compare(const Json& a, const Json& b) {
  double x, y;
  if (AsNumber(a, &x) && AsNumber(b, &y)) return x < y ? -1 : (x > y ? 1 : 0);
  int64_t ma, mb;
  std::string ta = Text(a), tb = Text(b);
  if (ta.size() >= 10 && tb.size() >= 10 && ParseIsoMillis(ta, &ma) && ParseIsoMillis(tb, &mb)) {
    return ma < mb ? -1 : (ma > mb ? 1 : 0);
  }
  return ta.compare(tb) < 0 ? -1 : (ta == tb ? 0 : 1);
}

bool Equal(const Json& a, const Json& b) {
  bool blank_a =
      a.is_null() || (a.is_string() && a.get<std::string>().empty()) || (a.is_array() && a.empty());
  bool blank_b =
      b.is_null() || (b.is_string() && b.get<std::string>().empty()) || (b.is_array() && b.empty());
  if (blank_a || blank_b) {
    // A blank equals "" and BLANK(); an unchecked checkbox equals FALSE()/0.
    if (blank_a && blank_b) return true;
    const Json& other = blank_a ? b : a;
    return other.is_boolean() ? !other.get<bool>() : false;
  }
  return Compare(a, b) == 0;
}

Json FieldValue(const EvalContext& ctx, const Field& field) {
  Json value = CellValue(ctx.base, ctx.table, field, ctx.record);
  if (value.is_null()) return value;
  switch (field.kind()) {
    case FieldType::kCheckbox:
      return Json(1);
    case FieldType::kMultipleRecordLinks:
    case FieldType::kMultipleAttachments:
    case FieldType::kSingleCollaborator:
    case FieldType::kMultipleCollaborators:
      return CellText(ctx.base, field, value);
    default:
      return value;
  }
}

Json Eval(const Node& node, const EvalContext& ctx);

Json Call(const Node& node, const EvalContext& ctx) {
  const std::string& f = node.name;
  auto arg = [&](size_t i) { return i < node.args.size() ? Eval(node.args[i], ctx) : Json(); };
  if (f == "AND" || f == "OR") {
    bool is_and = f == "AND";
    for (const Node& a : node.args) {
      bool t = Truthy(Eval(a, ctx));
      if (is_and && !t) return 0;
      if (!is_and && t) return 1;
    }
    return is_and ? 1 : 0;
  }
  if (f == "NOT") return Truthy(arg(0)) ? 0 : 1;
  if (f == "IF") return Truthy(arg(0)) ? arg(1) : arg(2);
  if (f == "TRUE") return 1;
  if (f == "FALSE") return 0;
  if (f == "BLANK") return Json();
  if (f == "RECORD_ID") return ctx.record.id;
  if (f == "LOWER" || f == "UPPER") {
    std::string s = Text(arg(0));
    std::transform(s.begin(), s.end(), s.begin(), [&](unsigned char c) {
      return static_cast<char>(f == "LOWER" ? std::tolower(c) : std::toupper(c));
    });
    return s;
  }
  if (f == "LEN") return static_cast<int64_t>(Text(arg(0)).size());
  if (f == "FIND" || f == "SEARCH") {
    std::string needle = Text(arg(0)), hay = Text(arg(1));
    if (f == "SEARCH") {
      auto lower = [](std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
      };
      needle = lower(needle);
      hay = lower(hay);
    }
    size_t pos = hay.find(needle);
    if (pos == std::string::npos) return f == "FIND" ? Json(0) : Json();
    return static_cast<int64_t>(pos + 1);
  }
  if (f == "CONCATENATE" || f == "ARRAYJOIN") {
    if (f == "ARRAYJOIN") {
      Json v = arg(0);
      std::string sep = node.args.size() > 1 ? Text(arg(1)) : ", ";
      if (!v.is_array()) return Text(v);
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + Text(v[i]);
      return out;
    }
    std::string out;
    for (size_t i = 0; i < node.args.size(); ++i) out += Text(arg(i));
    return out;
  }
  if (f == "CREATED_TIME") return FormatIsoMillis(ctx.record.created_millis);
  if (f == "LAST_MODIFIED_TIME") return FormatIsoMillis(ctx.record.modified_millis);
  if (f == "NOW" || f == "TODAY") {
    std::string now = FormatIsoMillis(ctx.now_millis);
    return f == "NOW" ? now : now.substr(0, 10);
  }
  if (f == "DATETIME_PARSE") {
    int64_t ms;
    return ParseIsoMillis(Text(arg(0)), &ms) ? Json(FormatIsoMillis(ms)) : Json();
  }
  if (f == "IS_AFTER" || f == "IS_BEFORE") {
    int64_t a, b;
    if (!ParseIsoMillis(Text(arg(0)), &a) || !ParseIsoMillis(Text(arg(1)), &b)) return 0;
    return (f == "IS_AFTER" ? a > b : a < b) ? 1 : 0;
  }
  return Json();
}

Json Eval(const Node& node, const EvalContext& ctx) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      return node.literal;
    case Node::Kind::kField:
      return FieldValue(ctx, *node.field);
    case Node::Kind::kCall:
      return Call(node, ctx);
    case Node::Kind::kNegate: {
      double x = 0;
      AsNumber(Eval(node.args[0], ctx), &x);
      return -x;
    }
    case Node::Kind::kBinary: {
      Json a = Eval(node.args[0], ctx), b = Eval(node.args[1], ctx);
      const std::string& op = node.name;
      if (op == "=") return Equal(a, b) ? 1 : 0;
      if (op == "!=") return Equal(a, b) ? 0 : 1;
      if (op == "&") return Text(a) + Text(b);
      if (op == "<" || op == ">" || op == "<=" || op == ">=") {
        if (a.is_null() || b.is_null()) return 0;
        int c = Compare(a, b);
        bool r = op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0;
        return r ? 1 : 0;
      }
      double x = 0, y = 0;
      AsNumber(a, &x);
      AsNumber(b, &y);
      if (op == "+") return x + y;
      if (op == "-") return x - y;
      if (op == "*") return x * y;
      return x / y;
    }
  }
  return Json();
}

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

  ApiResult<Node> ParseAll() {
    Node node = Comparison();
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
  Node Binary(std::string op, Node a, Node b) {
    Node n{Node::Kind::kBinary};
    n.name = std::move(op);
    n.args.push_back(std::move(a));
    n.args.push_back(std::move(b));
    return n;
  }
  Node Comparison() {
    Node left = Concat();
    for (const char* op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (Eat(op)) return Binary(op, std::move(left), Concat());
    }
    return left;
  }
  Node Concat() {
    Node left = Additive();
    while (Eat("&")) left = Binary("&", std::move(left), Additive());
    return left;
  }
  Node Additive() {
    Node left = Term();
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
  Node Term() {
    Node left = Unary();
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
  Node Unary() {
    if (Eat("-")) {
      Node n{Node::Kind::kNegate};
      n.args.push_back(Unary());
      return n;
    }
    return Primary();
  }
  Node FieldRef(const std::string& name) {
    Node n{Node::Kind::kField};
    n.field = table_.FindField(name);
    if (n.field == nullptr) {
      unknown_ += (unknown_.empty() ? "" : ", ") + name;
      return Node{Node::Kind::kLiteral};
    }
    return n;
  }
  Node Primary() {
    Skip();
    Node fail{Node::Kind::kLiteral};
    if (pos_ >= s_.size()) return error_ = "end", fail;
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      Node inner = Comparison();
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
      Node n{Node::Kind::kLiteral};
      n.literal = text;
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
        ++pos_;
      Node n{Node::Kind::kLiteral};
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
      Node n{Node::Kind::kCall};
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

class SimpleFilter final : public RecordFilter {
 public:
  explicit SimpleFilter(Node root) : root_(std::move(root)) {}
  bool Matches(const Base& base, const Table& table, const Record& record,
               int64_t now_millis) const override {
    return Truthy(Eval(root_, EvalContext{base, table, record, now_millis}));
  }

 private:
  Node root_;
};

}  // namespace

FilterCompiler SimpleFilterCompiler() {
  return [](const Base&, const Table& table,
            const std::string& formula) -> ApiResult<std::unique_ptr<RecordFilter>> {
    Parser parser(table, formula);
    EMU_ASSIGN_OR_RETURN(Node root, parser.ParseAll());
    return std::unique_ptr<RecordFilter>(std::make_unique<SimpleFilter>(std::move(root)));
  };
}

}  // namespace airpg::emulator
