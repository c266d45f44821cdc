// Lexer implementation: a hand-written scanner over bytes; UTF-8 passes
// through string literals, braces and bare identifiers untouched.
#include "formula/lexer.h"

#include <fmt/format.h>
#include <cstdlib>

namespace airpg::formula {
namespace {

bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status ErrorAt(size_t pos, std::string_view what) {
  return InvalidArgumentError(fmt::format("at position {}: {}", pos, what));
}

// Reads a quoted run starting after the opening `close`-delimiter; a backslash
// escapes the next byte (\n and \t in strings mean newline and tab).
Result<std::string> ReadQuoted(std::string_view in, size_t& i, char close, bool string_escapes,
                               size_t start) {
  std::string out;
  while (i < in.size()) {
    char c = in[i++];
    if (c == close) return out;
    if (c == '\\') {
      if (i >= in.size()) break;
      char e = in[i++];
      if (string_escapes && e == 'n') {
        out += '\n';
      } else if (string_escapes && e == 't') {
        out += '\t';
      } else {
        out += e;
      }
      continue;
    }
    out += c;
  }
  return ErrorAt(start, close == '}' ? "expected '}' to close the field reference"
                                     : fmt::format("expected {} to close the string", close));
}

}  // namespace

Result<std::vector<Token>> Lex(std::string_view in) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < in.size() && (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n')) {
      ++i;
    }
    Token tok;
    tok.position = static_cast<int>(i);
    if (i >= in.size()) {
      tokens.push_back(tok);
      return tokens;
    }
    char c = in[i];
    if (in.substr(i, 2) == "\xE2\x80" && i + 2 < in.size() &&
        (in[i + 2] == '\x98' || in[i + 2] == '\x99' || in[i + 2] == '\x9C' ||
         in[i + 2] == '\x9D')) {
      return ErrorAt(i, "expected a straight quote (\" or ') instead of a curly quote");
    }
    if (IsDigit(c) || (c == '.' && i + 1 < in.size() && IsDigit(in[i + 1]))) {
      size_t start = i;
      while (i < in.size() && IsDigit(in[i])) ++i;
      if (i < in.size() && in[i] == '.') {
        ++i;
        while (i < in.size() && IsDigit(in[i])) ++i;
      }
      if (i < in.size() && IsIdentStart(static_cast<unsigned char>(in[i]))) {
        return ErrorAt(i, "expected an operator, ',' or ')' after the number");
      }
      tok.kind = TokenKind::kNumber;
      tok.text = std::string(in.substr(start, i - start));
      // strtod, not from_chars: out-of-range literals become Infinity (or 0)
      // as in JavaScript instead of being left unset.
      tok.number = std::strtod(tok.text.c_str(), nullptr);
    } else if (c == '"' || c == '\'') {
      size_t start = i++;
      AIRPG_ASSIGN_OR_RETURN(tok.text, ReadQuoted(in, i, c, true, start));
      tok.kind = TokenKind::kString;
    } else if (c == '{') {
      size_t start = i++;
      AIRPG_ASSIGN_OR_RETURN(tok.text, ReadQuoted(in, i, '}', false, start));
      tok.kind = TokenKind::kField;
    } else if (IsIdentStart(static_cast<unsigned char>(c))) {
      size_t start = i;
      while (i < in.size() && IsIdentChar(static_cast<unsigned char>(in[i]))) ++i;
      tok.kind = TokenKind::kIdentifier;
      tok.text = std::string(in.substr(start, i - start));
    } else if (c == '(' || c == ')' || c == ',') {
      tok.kind = c == '(' ? TokenKind::kLParen : c == ')' ? TokenKind::kRParen : TokenKind::kComma;
      tok.text = std::string(1, c);
      ++i;
    } else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '&' || c == '=') {
      tok.kind = TokenKind::kOperator;
      tok.text = std::string(1, c);
      ++i;
    } else if (c == '<' || c == '>' || c == '!') {
      tok.kind = TokenKind::kOperator;
      if (i + 1 < in.size() && in[i + 1] == '=') {
        tok.text = std::string(in.substr(i, 2));
        i += 2;
      } else if (c == '!') {
        return ErrorAt(i, "expected '=' after '!'");
      } else {
        tok.text = std::string(1, c);
        ++i;
      }
    } else {
      return ErrorAt(i, fmt::format("unexpected character '{}'", c));
    }
    tokens.push_back(std::move(tok));
  }
}

}  // namespace airpg::formula
