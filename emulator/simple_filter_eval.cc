// Evaluation of the built-in filterByFormula subset; see simple_filter_ast.h.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "emulator/clock.h"
#include "emulator/record_renderer.h"
#include "emulator/simple_filter_ast.h"

namespace airpg::emulator {
namespace {

using airtable::FieldType;

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

Json Eval(const FilterNode& node, const EvalContext& ctx);

Json Call(const FilterNode& node, const EvalContext& ctx) {
  const std::string& f = node.name;
  auto arg = [&](size_t i) { return i < node.args.size() ? Eval(node.args[i], ctx) : Json(); };
  if (f == "AND" || f == "OR") {
    bool is_and = f == "AND";
    for (const FilterNode& a : node.args) {
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

Json Eval(const FilterNode& node, const EvalContext& ctx) {
  switch (node.kind) {
    case FilterNode::Kind::kLiteral:
      return node.literal;
    case FilterNode::Kind::kField:
      return FieldValue(ctx, *node.field);
    case FilterNode::Kind::kCall:
      return Call(node, ctx);
    case FilterNode::Kind::kNegate: {
      double x = 0;
      AsNumber(Eval(node.args[0], ctx), &x);
      return -x;
    }
    case FilterNode::Kind::kBinary: {
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

}  // namespace

Json EvaluateFilter(const FilterNode& root, const Base& base, const Table& table,
                    const Record& record, int64_t now_millis) {
  return Eval(root, EvalContext{base, table, record, now_millis});
}

bool FilterTruthy(const Json& value) { return Truthy(value); }

}  // namespace airpg::emulator
