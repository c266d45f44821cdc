// The record binding both ways: cell JSON → formula values (CellValue) and
// formula results → the cell JSON Airtable returns (CellJsonFromValue).
#include "formula/record.h"

#include <gtest/gtest.h>

#include <limits>

#include "formula/json_value.h"

namespace airpg::formula {
namespace {

TEST(FormulaRecordTest, ResultsBecomeAirtablesCells) {
  EXPECT_EQ(CellJsonFromValue(Value::Blank(), "number"), "null");
  EXPECT_EQ(CellJsonFromValue(Value::Number(3), "number"), "3");
  EXPECT_EQ(CellJsonFromValue(Value::Number(0.1 + 0.2), "number"), "0.30000000000000004");
  EXPECT_EQ(CellJsonFromValue(Value::Number(std::numeric_limits<double>::infinity()), "number"),
            R"({"specialValue":"Infinity"})");
  EXPECT_EQ(CellJsonFromValue(Value::Number(std::numeric_limits<double>::quiet_NaN()), "number"),
            R"({"specialValue":"NaN"})");
  EXPECT_EQ(CellJsonFromValue(Value::Text("a \"b\""), "singleLineText"), R"("a \"b\"")");
  EXPECT_EQ(CellJsonFromValue(Value::Text(""), "singleLineText"), "null");
  EXPECT_EQ(CellJsonFromValue(Value::Bool(true), "checkbox"), "true");
  EXPECT_EQ(CellJsonFromValue(Value::Bool(false), "checkbox"), "null");
  EXPECT_EQ(CellJsonFromValue(Value::Date(86400000 + 3600000), "dateTime"),
            R"("1970-01-02T01:00:00.000Z")");
  EXPECT_EQ(CellJsonFromValue(Value::Date(86400000 + 3600000), "date"), R"("1970-01-02")");
  EXPECT_EQ(CellJsonFromValue(Value::Array({Value::Number(1), Value::Text("x")}), "number"),
            R"([1,"x"])");
  EXPECT_EQ(CellJsonFromValue(Value::Array({}), "number"), "null");
  EXPECT_EQ(CellJsonFromValue(Value::Error(), "number"), R"({"error":"#ERROR!"})");
  EXPECT_EQ(CellJsonFromValue(Value::Error("#NUM!"), "number"), R"({"error":"#NUM!"})");
}

// What CellJsonFromValue writes, CellValue reads back as the same value.
TEST(FormulaRecordTest, CellsRoundTrip) {
  FieldInfo number{"fldN", "N", "formula", "number"};
  FieldInfo text{"fldT", "T", "formula", "singleLineText"};
  FieldInfo when{"fldD", "D", "formula", "dateTime"};
  for (const auto& [field, value] :
       std::vector<std::pair<FieldInfo, Value>>{{number, Value::Number(2.5)},
                                                {text, Value::Text("héllo")},
                                                {when, Value::Date(1700000000123)},
                                                {number, Value::Error()}}) {
    auto json = ParseJson(CellJsonFromValue(value, field.result_type));
    ASSERT_TRUE(json.ok());
    auto back = CellValue(field, *json);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(DebugString(*back), DebugString(value));
  }
}

}  // namespace
}  // namespace airpg::formula
