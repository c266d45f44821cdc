#include "pg/quote.h"

#include <gtest/gtest.h>

namespace airpg::pg {
namespace {

TEST(QuoteTest, IdentifiersAreAlwaysQuoted) {
  EXPECT_EQ(QuoteIdentifier("name"), "\"name\"");
  EXPECT_EQ(QuoteIdentifier("select"), "\"select\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
  EXPECT_EQ(QuoteIdentifier(std::string("a\0b", 3)), "\"ab\"");
  EXPECT_EQ(QualifiedName("crm", "Leads 🚀"), "\"crm\".\"Leads 🚀\"");
}

TEST(QuoteTest, ArrayLiteralQuotesEveryElement) {
  EXPECT_EQ(ArrayLiteral({}), "{}");
  EXPECT_EQ(ArrayLiteral({"a", std::nullopt, "b,c", "q\"\\", "NULL", ""}),
            "{\"a\",NULL,\"b,c\",\"q\\\"\\\\\",\"NULL\",\"\"}");
}

TEST(QuoteTest, ParseArrayReadsPostgresOutput) {
  auto parsed = ParseArray("{a,NULL,\"b,c\",\"q\\\"\\\\\",\"NULL\",\"\"}");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::vector<std::optional<std::string>> expected = {"a",     std::nullopt, "b,c",
                                                      "q\"\\", "NULL",       ""};
  EXPECT_EQ(*parsed, expected);
  EXPECT_TRUE(ParseArray("{}")->empty());
  EXPECT_FALSE(ParseArray("a,b").ok());
  EXPECT_FALSE(ParseArray("{\"open}").ok());
  EXPECT_EQ(ParseArray("{{1,2},{3,4}}").status().code(), StatusCode::kUnimplemented);
}

TEST(QuoteTest, ArrayRoundTripsThroughItsOwnParser) {
  std::vector<std::optional<std::string>> values = {"x", "", std::nullopt, "{}", " sp ", "é,\"\\"};
  auto parsed = ParseArray(ArrayLiteral(values));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, values);
}

TEST(QuoteTest, CopyFieldsEscapeControlCharacters) {
  std::string out;
  AppendCopyField(&out, std::string("a\tb\nc\rd\\e"));
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\e");
  out.clear();
  AppendCopyField(&out, std::nullopt);
  EXPECT_EQ(out, "\\N");
  out.clear();
  AppendCopyField(&out, std::string("\\N"));
  EXPECT_EQ(out, "\\\\N");
}

}  // namespace
}  // namespace airpg::pg
