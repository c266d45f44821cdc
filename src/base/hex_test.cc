#include "base/hex.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(HexLowerTest, TwoLowerCaseDigitsPerByteInOrder) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(HexLower(bytes, sizeof(bytes)), "000fa5ff");
  EXPECT_EQ(HexLower(bytes, 0), "");
}

TEST(HexDigitValueTest, ReadsEitherCaseAndRefusesTheRest) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('/'), -1);
  EXPECT_EQ(HexDigitValue(':'), -1);
  EXPECT_EQ(HexDigitValue('@'), -1);
}

// Every byte written by HexLower reads back through HexDigitValue.
TEST(HexDigitValueTest, ReadsBackWhatHexLowerWrites) {
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<unsigned char>(b);
    const std::string hex = HexLower(&byte, 1);
    EXPECT_EQ(HexDigitValue(hex[0]) * 16 + HexDigitValue(hex[1]), b) << hex;
  }
}

}  // namespace
}  // namespace airpg
