#include "mapping/cell_value.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mapping/testing_cells.h"
#include "pg/quote.h"
#include "pg/testing/pg_test.h"

namespace airpg::mapping {
namespace {

using Case = testing::CellCase;
using testing::LoadCellCases;

// Checks one case; `through` turns the column value into what Postgres gives back.
template <typename Through>
void Check(const Case& c, Through through) {
  SCOPED_TRACE("cells.test:" + std::to_string(c.line) + " " + c.field.type_name);
  Result<ColumnPlan> plan = PlanField(c.field);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Result<PgValue> value = CellToPg(c.field, *plan, c.cell);
  if (c.expected[0] == '!') {
    ASSERT_FALSE(value.ok()) << "expected a reject";
    EXPECT_EQ(value.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(value.status().message().find(c.expected.substr(1)), std::string_view::npos)
        << value.status().message();
    return;
  }
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  // A formula error is no column value: the row's airpg_cell_errors keeps it.
  PgValue stored = value->cell_error ? *value : through(*plan, *value);
  Result<std::optional<std::string>> back = PgToCell(c.field, *plan, stored);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  if (c.expected == "absent") {
    EXPECT_FALSE(back->has_value()) << **back;
    return;
  }
  ASSERT_TRUE(back->has_value());
  std::string expected = c.expected == "=" ? *c.cell : c.expected;
  // Byte-exact: the text Airtable sent (when it is in Airtable's own
  // spelling) is the text that goes back.
  EXPECT_EQ(**back, expected);
}

TEST(CellValueTest, EveryCaseConvertsOrIsRejectedWithItsReason) {
  std::vector<Case> cases = LoadCellCases();
  EXPECT_GE(cases.size(), 40u);
  for (const Case& c : cases) {
    SCOPED_TRACE("cells.test:" + std::to_string(c.line) + " " + c.field.type_name);
    Result<ColumnPlan> plan = PlanField(c.field);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    Result<PgValue> value = CellToPg(c.field, *plan, c.cell);
    EXPECT_EQ(value.ok(), c.expected[0] != '!') << value.status().ToString();
  }
}

TEST(CellValueTest, RelationsAreNotColumnValues) {
  airtable::Field link;
  link.name = "Regulators";
  link.type = airtable::FieldType::kMultipleRecordLinks;
  link.type_name = "multipleRecordLinks";
  Result<ColumnPlan> plan = PlanField(link);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(CellToPg(link, *plan, R"(["recA"])").status().code(), StatusCode::kFailedPrecondition);
}

class CellValuePgTest : public pg::testing::PgTest {};

// The full round trip: each accepted cell is stored in a column of its
// planned type, read back as Postgres prints it, and must come back as the
// Airtable value it was (one case per type and option combination).
TEST_F(CellValuePgTest, CasesRoundTripThroughPostgres) {
  ASSERT_TRUE(conn().RunScript("SET TIME ZONE 'UTC'").ok());
  for (const Case& c : LoadCellCases()) {
    Check(c, [&](const ColumnPlan& plan, const PgValue& v) {
      // Store in a column of the planned type, read it back as Postgres prints it.
      // With the column's CHECK: a value the converter accepts must pass it.
      std::string type = plan.sql_type;
      std::string check = plan.check;
      for (size_t at = check.find("{col}"); at != std::string::npos; at = check.find("{col}")) {
        check.replace(at, 5, "v");
      }
      EXPECT_TRUE(conn()
                      .RunScript("DROP TABLE IF EXISTS rt; CREATE TABLE rt (v " + type +
                                 (check.empty() ? "" : " CHECK (" + check + ")") + ")")
                      .ok());
      pg::Param param;
      if (!v.is_null) {
        if (v.array) {
          std::vector<std::optional<std::string>> items(v.array->begin(), v.array->end());
          param = pg::ArrayLiteral(items);
        } else {
          param = v.text;
        }
      }
      Status inserted = conn().Run("INSERT INTO rt VALUES ($1::" + type + ")", {param});
      EXPECT_TRUE(inserted.ok()) << inserted.ToString();
      auto rows = conn().Exec("SELECT v FROM rt");
      PgValue out;
      if (!rows.ok() || rows->empty() || rows->IsNull(0, 0)) return out;
      out.is_null = false;
      if (v.array) {
        auto parsed = pg::ParseArray(rows->Get(0, 0));
        EXPECT_TRUE(parsed.ok());
        out.array.emplace();
        for (const auto& item : *parsed) out.array->push_back(item);
      } else {
        out.text = std::string(rows->Get(0, 0));
      }
      return out;
    });
  }
}

}  // namespace
}  // namespace airpg::mapping
