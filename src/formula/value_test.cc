// Value coercions, JSON cells and calendar arithmetic.
#include "formula/value.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "formula/civil_time.h"
#include "formula/evaluator.h"
#include "formula/json_value.h"
#include "formula/parser.h"
#include "formula/record.h"

namespace airpg::formula {
namespace {

TEST(FormulaValueTest, FormatsNumbersAsJavaScriptDoes) {
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(1.5), "1.5");
  EXPECT_EQ(FormatNumber(-2), "-2");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatNumber(1e21), "1e+21");
  EXPECT_EQ(FormatNumber(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatNumber(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(FormatNumber(0.000001), "0.000001");
  EXPECT_EQ(FormatNumber(1e-7), "1e-7");
  EXPECT_EQ(FormatNumber(-1.25e-10), "-1.25e-10");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(FormulaValueTest, ConvertsToNumbers) {
  EXPECT_EQ(ToNumber(Value::Blank()), 0);
  EXPECT_EQ(ToNumber(Value::Bool(true)), 1);
  EXPECT_EQ(ToNumber(Value::Text(" 42 ")), 42);
  EXPECT_EQ(ToNumber(Value::Text("")), 0);
  EXPECT_EQ(ToNumber(Value::Text("-.5")), -0.5);
  EXPECT_TRUE(std::isnan(ToNumber(Value::Text("1e3"))));
  EXPECT_TRUE(std::isnan(ToNumber(Value::Text("12abc"))));
  EXPECT_TRUE(std::isinf(ToNumber(Value::Text("1" + std::string(400, '0')))));
  EXPECT_EQ(ToNumber(Value::Date(86'400'000)), 86'400'000);
  EXPECT_EQ(ToNumber(Value::Array({Value::Number(7)})), 7);
  EXPECT_TRUE(std::isnan(ToNumber(Value::Array({}))));
}

TEST(FormulaValueTest, Truthiness) {
  EXPECT_FALSE(Truthy(Value::Blank()));
  EXPECT_FALSE(Truthy(Value::Number(0)));
  EXPECT_FALSE(Truthy(Value::Number(std::nan(""))));
  EXPECT_FALSE(Truthy(Value::Text("")));
  EXPECT_FALSE(Truthy(Value::Bool(false)));
  EXPECT_FALSE(Truthy(Value::Array({})));
  EXPECT_FALSE(Truthy(Value::Error()));
  EXPECT_TRUE(Truthy(Value::Number(-1)));
  EXPECT_TRUE(Truthy(Value::Text(" ")));
  EXPECT_TRUE(Truthy(Value::Date(0)));
  EXPECT_TRUE(Truthy(Value::Array({Value::Blank()})));
}

TEST(FormulaValueTest, ReadsIsoDates) {
  EXPECT_EQ(ParseIsoMillis("1970-01-01"), 0);
  EXPECT_EQ(ParseIsoMillis("1970-01-02T00:00:00.001Z"), 86'400'001);
  EXPECT_EQ(ParseIsoMillis("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_EQ(ParseIsoMillis("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(FormatIsoUtc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoUtc(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_FALSE(ParseIsoMillis("2023-02-29"));
  EXPECT_FALSE(ParseIsoMillis("2024-13-01"));
  EXPECT_FALSE(ParseIsoMillis("2024-01-01T24:00"));
  EXPECT_FALSE(ParseIsoMillis("2024-01-01x"));
  EXPECT_FALSE(ParseIsoMillis(""));
}

TEST(FormulaValueTest, CalendarRoundTripsEveryDayOfFourCenturies) {
  for (int64_t day = DaysFromCivil(1900, 1, 1); day < DaysFromCivil(2300, 1, 1); ++day) {
    CivilTime c = CivilFromMillis(day * kMillisPerDay);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), day);
  }
  EXPECT_EQ(WeekdayFromDays(0), 4);  // 1970-01-01 was a Thursday
  EXPECT_EQ(WeekdayFromDays(-1), 3);
}

TEST(FormulaValueTest, ReadsJsonAndCells) {
  auto doc = ParseJson(R"({"a": [1, "x\u00e9\ud83c\udf55", true, null], "b": {"c": -2.5e1}})");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->Find("a")->items[1].text, "x\xC3\xA9\xF0\x9F\x8D\x95");
  EXPECT_EQ(doc->Find("b")->Find("c")->number, -25);
  EXPECT_FALSE(ParseJson("{\"a\": }").ok());
  EXPECT_FALSE(ParseJson("[1, 2").ok());
  EXPECT_FALSE(ParseJson(std::string(500, '[')).ok());

  Schema schema({{"fldA", "When", "dateTime", ""}, {"fldB", "Who", "singleCollaborator", ""}});
  auto record = RecordFromJson(schema, R"({"When": "2024-01-01T00:00:00.000Z",
                                           "Who": {"id": "usr1", "email": "a@b.c"}})");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->cells.at("fldA").kind, ValueKind::kDate);
  EXPECT_EQ(record->cells.at("fldB").text, "a@b.c");
  EXPECT_FALSE(RecordFromJson(schema, R"({"Nope": 1})").ok());
  EXPECT_FALSE(RecordFromJson(schema, R"({"When": "yesterday"})").ok());
}

TEST(FormulaValueTest, FilterPassesTruthyResultsOnly) {
  Schema schema({{"fldA", "Name", "singleLineText", ""}, {"fldB", "Price", "number", ""}});
  auto record = RecordFromJson(schema, R"({"Name": "Ann", "Price": 0})");
  ASSERT_TRUE(record.ok());
  auto passes = [&](std::string_view formula) {
    auto root = Parse(formula);
    EXPECT_TRUE(root.ok()) << formula;
    auto r = EvaluateFilter(**root, schema, *record, EvalOptions());
    EXPECT_TRUE(r.ok()) << formula;
    return r.ok() && *r;
  };
  EXPECT_TRUE(passes("{Name} = 'Ann'"));
  EXPECT_FALSE(passes("{Price}"));
  EXPECT_FALSE(passes("ERROR()"));
  EXPECT_FALSE(passes("0 / 0"));
  EXPECT_TRUE(passes("{Price} = BLANK()"));
  auto root = Parse("{Nope}");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(EvaluateFilter(**root, schema, *record, EvalOptions()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace airpg::formula
