#include "api/permission_level.h"

#include <gtest/gtest.h>

namespace airpg::api {
namespace {

TokenInfo WithScopes(std::vector<std::string> scopes) {
  TokenInfo token;
  token.scopes = std::move(scopes);
  return token;
}

TEST(PermissionLevelTest, TheStoredLevelIsAnsweredWhenTheTokenMayWrite) {
  TokenInfo writer = WithScopes({"data.records:read", "data.records:write"});
  EXPECT_EQ(EffectivePermissionLevel("edit", writer), "edit");
  EXPECT_EQ(EffectivePermissionLevel("comment", writer), "comment");
  EXPECT_EQ(EffectivePermissionLevel("create", writer), "create");
  EXPECT_EQ(EffectivePermissionLevel("create", std::nullopt), "create");
  EXPECT_EQ(EffectivePermissionLevel("read", std::nullopt), "read");
}

TEST(PermissionLevelTest, ATokenThatCannotWriteRecordsIsAtMostRead) {
  TokenInfo reader = WithScopes({"data.records:read", "schema.bases:read"});
  EXPECT_EQ(EffectivePermissionLevel("create", reader), "read");
  EXPECT_EQ(EffectivePermissionLevel("edit", reader), "read");
  EXPECT_EQ(EffectivePermissionLevel("none", reader), "none");
}

TEST(PermissionLevelTest, UnknownLevelsClaimNoMoreThanCanBeTold) {
  EXPECT_EQ(EffectivePermissionLevel("", std::nullopt), "create");  // not stored yet
  EXPECT_EQ(EffectivePermissionLevel("", WithScopes({"data.records:read"})), "read");
  EXPECT_EQ(EffectivePermissionLevel("owner?", std::nullopt), "read");
}

}  // namespace
}  // namespace airpg::api
