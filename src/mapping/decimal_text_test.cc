#include "mapping/decimal_text.h"

#include <gtest/gtest.h>

namespace airpg::mapping {
namespace {

// What JavaScript's Number#toString prints (Airtable's spelling), for values
// a double holds, and every digit for those it does not.
TEST(DecimalTextTest, CanonicalNumbersAreAirtablesSpelling) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"0.29999999999999877", "0.29999999999999877"},
      {"1e20", "100000000000000000000"},
      {"100000000000000000000", "100000000000000000000"},
      {"1e21", "1e+21"},
      {"1.2345678901234567e+29", "1.2345678901234567e+29"},
      {"123456789012345678901234567890", "123456789012345678901234567890"},
      {"123456789012345678901234567890.5", "123456789012345678901234567890.5"},
      {"1e-300", "1e-300"},
      {"0.000001", "0.000001"},
      {"1e-7", "1e-7"},
      {"1.5E-7", "1.5e-7"},
      {"-0", "0"},
      {"0.0", "0"},
      {"1.50", "1.5"},
      {"-12.500", "-12.5"},
      {"0.00010", "0.0001"},  // numeric's output keeps its scale
      {"18446744073709551617", "18446744073709551617"},
      {"5e-324", "5e-324"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CanonicalNumber(c.in), c.out) << c.in;
  }
}

TEST(DecimalTextTest, JsonNumberGrammar) {
  for (const char* ok :
       {"0", "-0", "1.5", "1e5", "1E+5", "1e-5", "-0.0e0", "123456789012345678901"}) {
    EXPECT_TRUE(IsJsonNumber(ok)) << ok;
  }
  for (const char* bad : {"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "NaN", "Infinity", "0x10",
                          "1 ", " 1", "1.5.5"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

TEST(DecimalTextTest, HostileExponentsStayBounded) {
  EXPECT_EQ(CanonicalNumber("1e999999999999999999999"), "1e+999999999");
  EXPECT_EQ(CanonicalNumber("1e-999999999999999999999"), "1e-1000000001");
  // Found by cell_fuzz: a clamped value's text parses back to itself.
  std::string once = CanonicalNumber("9212359959e2123599590");
  EXPECT_EQ(CanonicalNumber(once), once);
  EXPECT_FALSE(FitsNumeric(ParseDecimal("1e131072")));
  EXPECT_TRUE(FitsNumeric(ParseDecimal("1e131071")));
  EXPECT_FALSE(FitsNumeric(ParseDecimal("1e-16384")));
  EXPECT_TRUE(FitsNumeric(ParseDecimal("1e-16383")));
  Decimal d = ParseDecimal("12.5e3");
  EXPECT_EQ(d.digits, "125");
  EXPECT_EQ(d.point, 5);
  EXPECT_EQ(d.IntegerDigits(), 5);
  EXPECT_EQ(d.FractionDigits(), 0);
}

}  // namespace
}  // namespace airpg::mapping
