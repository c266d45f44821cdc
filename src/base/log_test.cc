#include "base/log.h"

#include <gtest/gtest.h>

#include "base/redact.h"

namespace airpg::log {
namespace {

TEST(LogTest, ParsesLevelsAndFormats) {
  Level level;
  ASSERT_TRUE(ParseLevel("warn", &level).ok());
  EXPECT_EQ(level, Level::kWarn);
  EXPECT_EQ(ParseLevel("loud", &level).code(), StatusCode::kInvalidArgument);
  Format format;
  ASSERT_TRUE(ParseFormat("json", &format).ok());
  EXPECT_EQ(format, Format::kJson);
  EXPECT_EQ(ParseFormat("xml", &format).code(), StatusCode::kInvalidArgument);
}

TEST(LogTest, JsonLinesAreRedactedAndEscaped) {
  Init(Options{Level::kInfo, Format::kJson});
  testing::internal::CaptureStderr();
  Info("connecting to {} with \"quotes\"", "postgresql://app:hunter2@db/prod");
  Debug("below the level");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("\"level\":\"info\""), std::string::npos) << err;
  EXPECT_NE(err.find("postgresql://app:***@db/prod with \\\"quotes\\\""), std::string::npos) << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos);
  EXPECT_EQ(err.find("below the level"), std::string::npos);
  EXPECT_EQ(err.back(), '\n');
  Init(Options{});
}

}  // namespace
}  // namespace airpg::log
