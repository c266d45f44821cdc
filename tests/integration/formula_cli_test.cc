// `airpg formula check|eval|sql` as a user runs it against a real schema file.
#include <gtest/gtest.h>

#include "airpg_process.h"

namespace airpg::testing {
namespace {

const std::string kSchema =
    std::string(AIRPG_FIXTURES_DIR) + "/meta/base_schema_art_gallery_real.json";
const std::string kTable = "tblUb6rPWHIFF28W6";  // the artists table

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(FormulaCliTest, CheckReportsTheResultType) {
  AirpgProcess airpg;
  ProcessOutput out = airpg.Run({"formula", "check", "AND({On Display?}, LEN({Name}) > 3)",
                                 "--schema-file", kSchema, "--table", kTable});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "ok: the formula gives boolean\n");
}

TEST(FormulaCliTest, ErrorsSayWhereAndWhat) {
  AirpgProcess airpg;
  ProcessOutput parse = airpg.Run({"formula", "check", "IF(1,"});
  EXPECT_EQ(parse.exit_code, 2);  // the formula is bad input (docs/errors.md)
  EXPECT_TRUE(Contains(parse.err, "at position 5")) << parse.err;
  ProcessOutput field =
      airpg.Run({"formula", "check", "{Nope} + 1", "--schema-file", kSchema, "--table", kTable});
  EXPECT_EQ(field.exit_code, 2);
  EXPECT_TRUE(Contains(field.err, "Nope")) << field.err;
  ProcessOutput table =
      airpg.Run({"formula", "check", "1", "--schema-file", kSchema, "--table", "X"});
  EXPECT_EQ(table.exit_code, 2);
}

TEST(FormulaCliTest, EvalOnARecord) {
  AirpgProcess airpg;
  ProcessOutput out = airpg.Run({"formula", "eval", "IF({On Display?}, UPPER({Name}), \"hidden\")",
                                 "--schema-file", kSchema, "--table", kTable, "--record",
                                 R"({"Name":"Al Held","On Display?":true})"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "\"AL HELD\"\n");
  ProcessOutput dated = airpg.Run({"formula", "eval", "DATEADD(NOW(), 1, \"days\")", "--now",
                                   "2024-02-28T12:00:00Z", "--output", "json"});
  EXPECT_EQ(dated.exit_code, 0) << dated.err;
  EXPECT_TRUE(Contains(dated.out, "2024-02-29T12:00:00.000Z")) << dated.out;
}

TEST(FormulaCliTest, SqlBindsEveryLiteral) {
  AirpgProcess airpg;
  ProcessOutput out =
      airpg.Run({"formula", "sql", "AND({On Display?}, {Name} = \"Zoë's \\\"pick\\\"\")",
                 "--schema-file", kSchema, "--table", kTable, "--filter"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(Contains(out.out, "t.\"on_display\"")) << out.out;
  EXPECT_TRUE(Contains(out.out, "$1 = ")) << out.out;
  EXPECT_FALSE(Contains(out.out.substr(0, out.out.find('\n')), "Zoë")) << out.out;
}

}  // namespace
}  // namespace airpg::testing
