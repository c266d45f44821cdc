// `airpg formula check|eval|sql` as a user runs it against a real schema file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

// A single-record link is stored as its FK column `<field>_id`: the SQL names
// the column the schema plan gives it, as migrate does.
TEST(FormulaCliTest, SqlNamesColumnsAsTheSchemaPlanDoes) {
  const std::filesystem::path file =
      std::filesystem::path(::testing::TempDir()) / "formula_single_link_schema.json";
  std::ofstream(file) << R"({"tables":[
    {"id":"tblProjects0000001","name":"Projects","primaryFieldId":"fldName00000000001","fields":[
      {"id":"fldName00000000001","name":"Name","type":"singleLineText"},
      {"id":"fldClient000000001","name":"Client","type":"multipleRecordLinks",
       "options":{"linkedTableId":"tblClients00000001","isReversed":false,
                  "prefersSingleRecordLink":true,"inverseLinkFieldId":"fldProjects0000001"}}]},
    {"id":"tblClients00000001","name":"Clients","primaryFieldId":"fldCName0000000001","fields":[
      {"id":"fldCName0000000001","name":"Name","type":"singleLineText"},
      {"id":"fldProjects0000001","name":"Projects","type":"multipleRecordLinks",
       "options":{"linkedTableId":"tblProjects0000001","isReversed":false,
                  "prefersSingleRecordLink":false,"inverseLinkFieldId":"fldClient000000001"}}]}]})";
  AirpgProcess airpg;
  ProcessOutput out = airpg.Run({"formula", "sql", "IF({Client}, {Name}, \"none\")",
                                 "--schema-file", file.string(), "--table", "Projects"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(Contains(out.out, "t.\"client_id\"")) << out.out;
  EXPECT_TRUE(Contains(out.out, "t.\"name\"")) << out.out;
  EXPECT_FALSE(Contains(out.out, "t.\"client\"")) << out.out;
}

}  // namespace
}  // namespace airpg::testing
