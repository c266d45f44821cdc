// TypeChecker: inferred types and the errors it reports, with positions.
#include "formula/type_checker.h"

#include <gtest/gtest.h>

#include "formula/parser.h"

namespace airpg::formula {
namespace {

Schema TestSchema() {
  return Schema({{"fldA", "Name", "singleLineText", ""},
                 {"fldB", "Price", "number", ""},
                 {"fldC", "Due", "date", ""},
                 {"fldD", "Tags", "multipleSelects", ""},
                 {"fldE", "Done", "checkbox", ""},
                 {"fldF", "Total", "formula", "currency"},
                 {"fldG", "Mixed", "formula", ""}});
}

std::string TypeOf(std::string_view formula) {
  auto root = Parse(formula);
  if (!root.ok()) return "parse error";
  auto t = CheckTypes(**root, TestSchema());
  if (!t.ok()) return std::string(t.status().message());
  return std::string(TypeName(*t));
}

TEST(FormulaTypeCheckerTest, InfersResultTypes) {
  EXPECT_EQ(TypeOf("1 + 2"), "number");
  EXPECT_EQ(TypeOf("{Name} & 1"), "text");
  EXPECT_EQ(TypeOf("{Price} > 3"), "boolean");
  EXPECT_EQ(TypeOf("{Due}"), "date");
  EXPECT_EQ(TypeOf("{Tags}"), "array");
  EXPECT_EQ(TypeOf("{Done}"), "boolean");
  EXPECT_EQ(TypeOf("{Total}"), "number");
  EXPECT_EQ(TypeOf("{Mixed}"), "any");
  EXPECT_EQ(TypeOf("{fldB} * 2"), "number");
  EXPECT_EQ(TypeOf("IF({Done}, 1, 2)"), "number");
  EXPECT_EQ(TypeOf("IF({Done}, 1)"), "number");
  EXPECT_EQ(TypeOf("IF({Done}, 1, \"x\")"), "any");
  EXPECT_EQ(TypeOf("SWITCH({Price}, 1, \"a\", 2, \"b\", \"c\")"), "text");
  EXPECT_EQ(TypeOf("DATEADD({Due}, 1, \"days\")"), "date");
  EXPECT_EQ(TypeOf("DATETIME_DIFF({Due}, \"2024-01-01\", \"days\")"), "number");
  EXPECT_EQ(TypeOf("ARRAYUNIQUE({Tags})"), "array");
  EXPECT_EQ(TypeOf("BLANK()"), "blank");
  EXPECT_EQ(TypeOf("AND({Done}, {Price})"), "boolean");
}

TEST(FormulaTypeCheckerTest, ReportsProblemsWithPositions) {
  EXPECT_EQ(TypeOf("{Nope} + 1"), "at position 0: unknown field name {Nope}");
  EXPECT_EQ(TypeOf("1 + FOO(2)"), "at position 4: unknown function FOO");
  EXPECT_EQ(TypeOf("LEFT()"), "at position 0: LEFT takes 1 to 2 arguments, got 0");
  EXPECT_EQ(TypeOf("NOT(1, 2)"), "at position 0: NOT takes 1 arguments, got 2");
  EXPECT_EQ(TypeOf("AND()"), "at position 0: AND takes at least 1 arguments, got 0");
  EXPECT_EQ(TypeOf("DATEADD({Price}, 1, \"days\")"),
            "at position 8: DATEADD expects a date, not a number");
  EXPECT_EQ(TypeOf("YEAR({Done})"), "at position 5: YEAR expects a date, not a boolean");
  EXPECT_EQ(TypeOf("DATEADD({Due}, 1, \"fortnight\")"),
            "at position 18: unknown unit \"fortnight\"");
  EXPECT_EQ(TypeOf("{Due} + 1"),
            "at position 0: cannot add a number to a date with +; use DATEADD");
}

TEST(FormulaTypeCheckerTest, TextDatesAreAccepted) {
  EXPECT_EQ(TypeOf("YEAR(\"2024-01-01\")"), "number");
  EXPECT_EQ(TypeOf("IS_BEFORE({Name}, {Due})"), "boolean");
}

}  // namespace
}  // namespace airpg::formula
