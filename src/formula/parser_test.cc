// Parser and lexer: structure, precedence, and errors with positions.
#include "formula/parser.h"

#include <gtest/gtest.h>

namespace airpg::formula {
namespace {

std::string Canon(std::string_view formula) {
  auto root = Parse(formula);
  if (!root.ok()) return "ERROR " + std::string(root.status().message());
  return ToFormulaText(**root);
}

TEST(FormulaParserTest, Precedence) {
  EXPECT_EQ(Canon("1 + 2 * 3"), "1 + 2 * 3");
  EXPECT_EQ(Canon("1 - 2 - 3"), "1 - 2 - 3");
  EXPECT_EQ(Canon("-2 * 3"), "-2 * 3");
  EXPECT_EQ(Canon("\"a\" & 1 + 2"), "\"a\" & 1 + 2");
  EXPECT_EQ(Canon("1 + 2 = 3 & \"\""), "1 + 2 = 3 & \"\"");
  EXPECT_EQ(Canon("a < b != c"), "{a} < {b} != {c}");
  EXPECT_EQ(Canon("(1 + 2) * 3"), "(1 + 2) * 3");
  EXPECT_EQ(Canon("1 - (2 - 3)"), "1 - (2 - 3)");
  EXPECT_EQ(Canon("-(1 + 2)"), "-(1 + 2)");
  EXPECT_EQ(Canon("1000000000000000000000000"), "999999999999999983222784");
}

TEST(FormulaParserTest, FieldsStringsAndCalls) {
  EXPECT_EQ(Canon("{Field Name} & 'x'"), "{Field Name} & \"x\"");
  EXPECT_EQ(Canon("{a\\}b}"), "{a\\}b}");
  EXPECT_EQ(Canon("'Jane\\'s' & \"a \\\"b\\\"\""), "\"Jane's\" & \"a \\\"b\\\"\"");
  EXPECT_EQ(Canon("if(a, 1)"), "IF({a}, 1)");
  EXPECT_EQ(Canon("TRUE"), "TRUE()");
  EXPECT_EQ(Canon("NOW()"), "NOW()");
  EXPECT_EQ(Canon("CONCATENATE()"), "CONCATENATE()");
  EXPECT_EQ(Canon("\r\n  SUM(\r\n1,\t2 ,3)\r\n"), "SUM(1, 2, 3)");
  EXPECT_EQ(Canon(".5 + 1.25"), "0.5 + 1.25");
  EXPECT_EQ(Canon("{Prix €} * 2"), "{Prix €} * 2");
}

TEST(FormulaParserTest, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(Canon("1 +"),
            "ERROR at position 3: expected a value, field, function call or '(' but found the end "
            "of the formula");
  EXPECT_EQ(Canon("(1"), "ERROR at position 2: expected ')' but found the end of the formula");
  EXPECT_EQ(Canon("IF(1 2)"),
            "ERROR at position 5: expected ',' or ')' in the arguments of IF but found number 2");
  EXPECT_EQ(Canon("'abc"), "ERROR at position 0: expected ' to close the string");
  EXPECT_EQ(Canon("{abc"), "ERROR at position 0: expected '}' to close the field reference");
  EXPECT_EQ(Canon("1 <> 2"),
            "ERROR at position 3: expected a value, field, function call or '(' but found '>'");
  EXPECT_EQ(Canon("a && b"),
            "ERROR at position 3: expected a value, field, function call or '(' but found '&'");
  EXPECT_EQ(Canon("\xE2\x80\x9Cx\xE2\x80\x9D"),
            "ERROR at position 0: expected a straight quote (\" or ') instead of a curly quote");
  EXPECT_EQ(
      Canon("1 2"),
      "ERROR at position 2: expected an operator or the end of the formula but found number 2");
  EXPECT_EQ(Canon("a ! b"), "ERROR at position 2: expected '=' after '!'");
}

TEST(FormulaParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  EXPECT_FALSE(Parse(deep + "1" + std::string(5000, ')')).ok());
  std::string minus(5000, '-');
  EXPECT_FALSE(Parse(minus + "1").ok());
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  EXPECT_EQ(Parse(chain).status().message(), "at position 799: the formula is nested too deeply");
  std::string ok_chain = "1";
  for (int i = 0; i < 300; ++i) ok_chain += "&1";
  EXPECT_TRUE(Parse(ok_chain).ok());
}

}  // namespace
}  // namespace airpg::formula
