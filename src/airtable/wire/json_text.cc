#include "airtable/wire/json_text.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "airtable/wire/json_read.h"
#include "base/hex.h"

namespace airpg::airtable::wire {
namespace {

// The fast path below says "done" only for input whose nlohmann spelling it
// is sure of; anything else (invalid JSON, duplicate or escaped object keys,
// lone surrogates, deep nesting) is handed to nlohmann itself, which then
// decides. So the result is nlohmann's by construction, and the rare shapes
// cost what they cost before.
constexpr int kMaxDepth = 64;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The escape nlohmann writes for a code point below 0x20, or for " and \.
void AppendEscaped(std::string& out, unsigned code) {
  switch (code) {
    case 0x08:
      out += "\\b";
      return;
    case 0x09:
      out += "\\t";
      return;
    case 0x0A:
      out += "\\n";
      return;
    case 0x0C:
      out += "\\f";
      return;
    case 0x0D:
      out += "\\r";
      return;
    case 0x22:
      out += "\\\"";
      return;
    case 0x5C:
      out += "\\\\";
      return;
    default: {
      // Only code points below 0x20 get here: one byte, the \u escape's last two digits.
      const unsigned char byte = static_cast<unsigned char>(code);
      out += "\\u00";
      out += HexLower(&byte, 1);
    }
  }
}

void AppendUtf8(std::string& out, unsigned code) {
  if (code < 0x20 || code == 0x22 || code == 0x5C) {
    AppendEscaped(out, code);
  } else if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// The length of the well-formed UTF-8 sequence (RFC 3629, as nlohmann's
// lexer accepts) starting at s[i]; 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0;
  };
  auto cont = [&](size_t k, unsigned low = 0x80, unsigned high = 0xBF) {
    return byte(k) >= low && byte(k) <= high;
  };
  unsigned b = byte(i);
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (b == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (b == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

class Writer {
 public:
  Writer(std::string_view in, std::string& out) : in_(in), out_(out) {}

  // The whole text as one value; false: not sure (nlohmann decides).
  bool Document() {
    Skip();
    if (!Value(0)) return false;
    Skip();
    return at_ == in_.size();
  }

 private:
  void Skip() {
    while (at_ < in_.size() && IsSpace(in_[at_])) ++at_;
  }
  bool Peek(char c) const { return at_ < in_.size() && in_[at_] == c; }

  bool Value(int depth) {
    if (at_ >= in_.size() || depth > kMaxDepth) return false;
    switch (in_[at_]) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String(nullptr);
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  bool Literal(std::string_view word) {
    if (in_.substr(at_, word.size()) != word) return false;
    out_ += word;
    at_ += word.size();
    return true;
  }

  bool Array(int depth) {
    ++at_;
    out_ += '[';
    Skip();
    if (Peek(']')) {
      ++at_;
      out_ += ']';
      return true;
    }
    while (true) {
      Skip();
      if (!Value(depth + 1)) return false;
      Skip();
      if (Peek(']')) {
        ++at_;
        out_ += ']';
        return true;
      }
      if (!Peek(',')) return false;
      ++at_;
      out_ += ',';
    }
  }

  bool Object(int depth) {
    ++at_;
    out_ += '{';
    Skip();
    if (Peek('}')) {
      ++at_;
      out_ += '}';
      return true;
    }
    // Keys as written (unescaped ones only): a repeated key would collapse
    // in nlohmann's object.
    std::string_view keys[16];
    size_t count = 0;
    while (true) {
      Skip();
      if (!Peek('"')) return false;
      std::string_view key;
      if (!String(&key)) return false;
      if (count == std::size(keys)) return false;
      for (size_t k = 0; k < count; ++k) {
        if (keys[k] == key) return false;
      }
      keys[count++] = key;
      Skip();
      if (!Peek(':')) return false;
      ++at_;
      out_ += ':';
      Skip();
      if (!Value(depth + 1)) return false;
      Skip();
      if (Peek('}')) {
        ++at_;
        out_ += '}';
        return true;
      }
      if (!Peek(',')) return false;
      ++at_;
      out_ += ',';
    }
  }

  // `key`: when set, the string is an object key; it must have no escapes
  // and is returned as written.
  bool String(std::string_view* key) {
    size_t start = ++at_;
    out_ += '"';
    while (at_ < in_.size()) {
      char c = in_[at_];
      auto u = static_cast<unsigned char>(c);
      if (c == '"') {
        if (key != nullptr) *key = in_.substr(start, at_ - start);
        ++at_;
        out_ += '"';
        return true;
      }
      if (u < 0x20) return false;  // a raw control character: not JSON
      if (u < 0x80) {
        // Plain ASCII runs are copied whole.
        size_t end = at_;
        while (end < in_.size()) {
          auto e = static_cast<unsigned char>(in_[end]);
          if (e < 0x20 || e >= 0x80 || e == '"' || e == '\\') break;
          ++end;
        }
        if (end > at_) {
          out_.append(in_.data() + at_, end - at_);
          at_ = end;
          continue;
        }
        if (key != nullptr) return false;  // escaped keys: nlohmann decides
        if (!Escape()) return false;
        continue;
      }
      size_t n = Utf8Length(in_, at_);
      if (n == 0) return false;
      out_.append(in_.data() + at_, n);
      at_ += n;
    }
    return false;
  }

  // One escape at in_[at_] == '\\'.
  bool Escape() {
    if (at_ + 1 >= in_.size()) return false;
    char e = in_[at_ + 1];
    at_ += 2;
    switch (e) {
      case '"':
        out_ += "\\\"";
        return true;
      case '\\':
        out_ += "\\\\";
        return true;
      case '/':
        out_ += '/';
        return true;
      case 'b':
        out_ += "\\b";
        return true;
      case 'f':
        out_ += "\\f";
        return true;
      case 'n':
        out_ += "\\n";
        return true;
      case 'r':
        out_ += "\\r";
        return true;
      case 't':
        out_ += "\\t";
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    int code = Hex4();
    if (code < 0) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a lone low surrogate
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (in_.substr(at_, 2) != "\\u") return false;
      at_ += 2;
      int low = Hex4();
      if (low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out_, static_cast<unsigned>(code));
    return true;
  }

  int Hex4() {
    if (at_ + 4 > in_.size()) return -1;
    int code = 0;
    for (int k = 0; k < 4; ++k) {
      int v = HexDigitValue(in_[at_ + k]);
      if (v < 0) return -1;
      code = code * 16 + v;
    }
    at_ += 4;
    return code;
  }

  // A number as nlohmann stores it: an integer that fits 64 bits as
  // written, anything else as the double strtod reads, printed by nlohmann.
  bool Number() {
    size_t start = at_;
    bool negative = Peek('-');
    if (negative) ++at_;
    size_t digits_start = at_;
    if (!(at_ < in_.size() && IsDigit(in_[at_]))) return false;
    if (in_[at_] == '0') {
      ++at_;
    } else {
      while (at_ < in_.size() && IsDigit(in_[at_])) ++at_;
    }
    std::string_view digits = in_.substr(digits_start, at_ - digits_start);
    bool integer = true;
    if (Peek('.')) {
      integer = false;
      ++at_;
      if (!(at_ < in_.size() && IsDigit(in_[at_]))) return false;
      while (at_ < in_.size() && IsDigit(in_[at_])) ++at_;
    }
    if (Peek('e') || Peek('E')) {
      integer = false;
      ++at_;
      if (Peek('+') || Peek('-')) ++at_;
      if (!(at_ < in_.size() && IsDigit(in_[at_]))) return false;
      while (at_ < in_.size() && IsDigit(in_[at_])) ++at_;
    }
    std::string_view token = in_.substr(start, at_ - start);
    if (integer) {
      if (negative && digits == "0") {
        out_ += '0';  // strtoll("-0") is 0
        return true;
      }
      // uint64 holds every 19-digit number; int64's least is -9223372036854775808.
      std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
      if (digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit)) {
        out_ += token;
        return true;
      }
    }
    char buffer[64];
    if (token.size() >= sizeof(buffer)) return false;
    std::memcpy(buffer, token.data(), token.size());
    buffer[token.size()] = '\0';
    double value = std::strtod(buffer, nullptr);
    if (!std::isfinite(value)) return false;  // nlohmann refuses an overflow
    out_ += Json(value).dump();
    return true;
  }

  std::string_view in_;
  std::string& out_;
  size_t at_ = 0;
};

}  // namespace

bool AppendCanonicalJson(std::string& out, std::string_view text) {
  size_t mark = out.size();
  if (Writer(text, out).Document()) return true;
  out.resize(mark);
  Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return false;
  out += parsed.dump();
  return true;
}

std::optional<std::string> CanonicalJson(std::string_view text) {
  std::string out;
  if (!AppendCanonicalJson(out, text)) return std::nullopt;
  return out;
}

void AppendJsonString(std::string& out, std::string_view utf8) {
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    auto u = static_cast<unsigned char>(utf8[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(utf8.data() + run, i - run);
    AppendEscaped(out, u);
    run = i + 1;
  }
  out.append(utf8.data() + run, utf8.size() - run);
  out += '"';
}

}  // namespace airpg::airtable::wire
