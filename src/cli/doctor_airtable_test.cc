#include "cli/doctor_airtable.h"

#include <gtest/gtest.h>

namespace airpg::cli {
namespace {

// An OAuth token's listed scopes: a missing required one fails, a missing
// optional one warns, each with the fix naming the scope.
TEST(DoctorAirtableTest, ListedScopesFailOrWarnByNeed) {
  std::vector<Check> all = CheckListedScopes(
      {"schema.bases:read", "data.records:read", "webhook:manage", "data.records:write"});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].outcome, Outcome::kOk);

  std::vector<Check> some = CheckListedScopes({"data.records:read", "user.email:read"});
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0].outcome, Outcome::kFail);
  EXPECT_NE(some[0].message.find("schema.bases:read"), std::string::npos);
  EXPECT_NE(some[0].fix.find("schema.bases:read"), std::string::npos);
  EXPECT_EQ(some[1].outcome, Outcome::kWarn);
  EXPECT_NE(some[1].message.find("webhook:manage"), std::string::npos);
  EXPECT_EQ(some[2].outcome, Outcome::kWarn);
  EXPECT_NE(some[2].message.find("data.records:write"), std::string::npos);
}

}  // namespace
}  // namespace airpg::cli
