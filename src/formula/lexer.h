// Lexer: splits formula text into tokens for the parser (parser.h).
// Positions are byte offsets into the input so errors can point at them.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace airpg::formula {

enum class TokenKind {
  kNumber,      // 42, 3.5, .5
  kString,      // "..." or '...'; `text` holds the unescaped value
  kField,       // {Field Name}; `text` holds the unescaped name
  kIdentifier,  // bare word: function name or single-word field name
  kLParen,
  kRParen,
  kComma,
  kOperator,  // + - * / & = != < <= > >=; `text` holds it
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  int position = 0;
  std::string text;
  double number = 0;
};

// Tokenizes the whole formula. Whitespace (spaces, tabs, CR, LF) separates
// tokens and is otherwise ignored. The last token is always kEnd.
// Errors are kInvalidArgument with "at position N: ..." messages.
Result<std::vector<Token>> Lex(std::string_view formula);

}  // namespace airpg::formula
