#include "base/hex.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(HexLowerTest, TwoLowerCaseDigitsPerByteInOrder) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(HexLower(bytes, sizeof(bytes)), "000fa5ff");
  EXPECT_EQ(HexLower(bytes, 0), "");
}

}  // namespace
}  // namespace airpg
