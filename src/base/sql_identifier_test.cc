#include "base/sql_identifier.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(SqlIdentifierTest, QuotesIdentifiersAndScriptLiterals) {
  EXPECT_EQ(QuoteIdentifier("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(QualifiedName("s", "t"), "\"s\".\"t\"");
  EXPECT_EQ(SqlStringLiteralForScript("it's a test"), "'it''s a test'");
  // Issue 14: a backslash makes it an E'' literal, safe with standard_conforming_strings=off.
  EXPECT_EQ(SqlStringLiteralForScript("it's a \\ test"), "E'it''s a \\\\ test'");
  EXPECT_EQ(SqlStringLiteralForScript("\\'; DROP TABLE t; --"), "E'\\\\''; DROP TABLE t; --'");
  EXPECT_EQ(SqlStringLiteralForScript(std::string_view("a\0b", 3)), "'ab'");
}

}  // namespace
}  // namespace airpg
