// Parser: formula text → syntax tree (ast.h). Recursive descent with
// Airtable's operator precedence, lowest first: comparisons (= != < <= > >=),
// then &, then + -, then * /, then unary minus; all binary operators are
// left-associative. Pure and thread-safe.
#pragma once

#include <string_view>

#include "base/result.h"
#include "formula/ast.h"

namespace airpg::formula {

// Parses one formula. Function names are upper-cased (calls are case-
// insensitive); TRUE, FALSE, NOW, TODAY and BLANK may be written without
// parentheses. Errors are kInvalidArgument "at position N: expected ...".
Result<NodePtr> Parse(std::string_view formula);

}  // namespace airpg::formula
