// Runs testdata/conflict_rules.test: every line one field decided by
// DecideField, with the action and conflict flag it must give.
#include "sync/conflict_rules.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace airpg::sync {
namespace {

std::string_view ActionName(FieldAction action) {
  switch (action) {
    case FieldAction::kNone:
      return "none";
    case FieldAction::kToPostgres:
      return "to_postgres";
    case FieldAction::kToAirtable:
      return "to_airtable";
    case FieldAction::kPark:
      return "park";
  }
  return "?";
}

TEST(ConflictRulesTest, EveryCaseOfTheTable) {
  std::ifstream in(AIRPG_CONFLICT_CASES);
  ASSERT_TRUE(in) << AIRPG_CONFLICT_CASES;
  std::string line;
  int cases = 0;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string authority, rule, base, airtable, postgres, action, conflict;
    int64_t at = 0, pg = 0;
    ASSERT_TRUE(words >> authority >> rule >> base >> airtable >> postgres >> at >> pg >> action >>
                conflict)
        << "line " << number << ": " << line;
    auto parsed_authority = ParseAuthority(authority);
    auto parsed_rule = ParseConflictRule(rule);
    ASSERT_TRUE(parsed_authority.ok() && parsed_rule.ok()) << "line " << number;
    FieldVersions field;
    if (base != "-") field.base = base;
    field.airtable = airtable;
    field.postgres = postgres;
    field.airtable_modified = SyncTime(std::chrono::seconds(at));
    field.postgres_committed = SyncTime(std::chrono::seconds(pg));
    FieldDecision decided = DecideField(field, {*parsed_authority, *parsed_rule});
    EXPECT_EQ(ActionName(decided.action), action) << "line " << number << ": " << line;
    EXPECT_EQ(decided.conflict ? "yes" : "no", conflict) << "line " << number << ": " << line;
    ++cases;
  }
  EXPECT_GE(cases, 33);
}

TEST(ConflictRulesTest, NamesRoundTripAndUnknownOnesAreRefused) {
  for (auto a : {Authority::kAirtable, Authority::kPostgres, Authority::kBoth}) {
    EXPECT_EQ(*ParseAuthority(AuthorityName(a)), a);
  }
  for (auto r : {ConflictRule::kAirtableWins, ConflictRule::kPostgresWins, ConflictRule::kLatest,
                 ConflictRule::kManual}) {
    EXPECT_EQ(*ParseConflictRule(ConflictRuleName(r)), r);
  }
  EXPECT_EQ(ParseAuthority("everyone").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConflictRule("newest").status().code(), StatusCode::kInvalidArgument);
}

// Airtable's modification times (a lastModifiedTime cell, a payload's
// timestamp) order against Postgres commit times to the millisecond.
TEST(ConflictRulesTest, AirtableTimesParseToTheMillisecond) {
  const SyncTime t = ParseSyncTime("2024-01-02T03:04:05.678Z");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(),
            1704164645678);
  EXPECT_LT(ParseSyncTime("2024-01-02T03:04:05.677Z"), t);
  EXPECT_EQ(ParseSyncTime("not a time"), SyncTime{});
}

}  // namespace
}  // namespace airpg::sync
