// A small recursive-descent JSON reader.
#include "formula/json_value.h"

#include <fmt/format.h>
#include <charconv>

namespace airpg::formula {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  Result<JsonValue> Document() {
    AIRPG_ASSIGN_OR_RETURN(JsonValue v, Value(0));
    Space();
    if (i_ != in_.size()) return Fail("trailing characters");
    return v;
  }

 private:
  Status Fail(std::string_view what) const {
    return InvalidArgumentError(fmt::format("JSON at position {}: {}", i_, what));
  }
  void Space() {
    while (i_ < in_.size() &&
           (in_[i_] == ' ' || in_[i_] == '\n' || in_[i_] == '\r' || in_[i_] == '\t')) {
      ++i_;
    }
  }
  bool Literal(std::string_view word) {
    if (in_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  Result<JsonValue> Value(int depth) {
    if (depth > 100) return Fail("nested too deeply");
    Space();
    JsonValue v;
    if (i_ >= in_.size()) return Fail("expected a value");
    char c = in_[i_];
    if (Literal("null")) return v;
    if (Literal("true") || Literal("false")) {
      v.kind = JsonValue::Kind::kBool;
      v.boolean = c == 't';
      return v;
    }
    if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      AIRPG_ASSIGN_OR_RETURN(v.text, String());
      return v;
    }
    if (c == '[') {
      ++i_;
      v.kind = JsonValue::Kind::kArray;
      Space();
      if (i_ < in_.size() && in_[i_] == ']') {
        ++i_;
        return v;
      }
      while (true) {
        AIRPG_ASSIGN_OR_RETURN(JsonValue item, Value(depth + 1));
        v.items.push_back(std::move(item));
        Space();
        if (i_ < in_.size() && in_[i_] == ',') {
          ++i_;
        } else if (i_ < in_.size() && in_[i_] == ']') {
          ++i_;
          return v;
        } else {
          return Fail("expected ',' or ']'");
        }
      }
    }
    if (c == '{') {
      ++i_;
      v.kind = JsonValue::Kind::kObject;
      Space();
      if (i_ < in_.size() && in_[i_] == '}') {
        ++i_;
        return v;
      }
      while (true) {
        Space();
        if (i_ >= in_.size() || in_[i_] != '"') return Fail("expected a member name");
        AIRPG_ASSIGN_OR_RETURN(std::string key, String());
        Space();
        if (i_ >= in_.size() || in_[i_++] != ':') return Fail("expected ':'");
        AIRPG_ASSIGN_OR_RETURN(JsonValue item, Value(depth + 1));
        v.members.push_back(JsonMember{std::move(key), std::move(item)});
        Space();
        if (i_ < in_.size() && in_[i_] == ',') {
          ++i_;
        } else if (i_ < in_.size() && in_[i_] == '}') {
          ++i_;
          return v;
        } else {
          return Fail("expected ',' or '}'");
        }
      }
    }
    size_t start = i_;
    if (c == '-') ++i_;
    while (i_ < in_.size() &&
           ((in_[i_] >= '0' && in_[i_] <= '9') || in_[i_] == '.' || in_[i_] == 'e' ||
            in_[i_] == 'E' || in_[i_] == '+' || in_[i_] == '-')) {
      ++i_;
    }
    v.kind = JsonValue::Kind::kNumber;
    v.text = std::string(in_.substr(start, i_ - start));
    auto res = std::from_chars(v.text.data(), v.text.data() + v.text.size(), v.number);
    if (v.text.empty() || res.ec != std::errc() || res.ptr != v.text.data() + v.text.size()) {
      i_ = start;
      return Fail("expected a value");
    }
    return v;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Result<uint32_t> Hex4() {
    if (i_ + 4 > in_.size()) return Fail("short \\u escape");
    uint32_t cp = 0;
    auto res = std::from_chars(in_.data() + i_, in_.data() + i_ + 4, cp, 16);
    if (res.ptr != in_.data() + i_ + 4) return Fail("bad \\u escape");
    i_ += 4;
    return cp;
  }

  Result<std::string> String() {
    ++i_;  // opening quote
    std::string out;
    while (i_ < in_.size()) {
      char c = in_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= in_.size()) break;
      char e = in_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          AIRPG_ASSIGN_OR_RETURN(uint32_t cp, Hex4());
          if (cp >= 0xD800 && cp < 0xDC00 && in_.substr(i_, 2) == "\\u") {
            i_ += 2;
            AIRPG_ASSIGN_OR_RETURN(uint32_t low, Hex4());
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          out += e;
      }
    }
    return Fail("unterminated string");
  }

  std::string_view in_;
  size_t i_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

Result<JsonValue> ParseJson(std::string_view text) { return Reader(text).Document(); }

}  // namespace airpg::formula
