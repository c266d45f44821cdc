// Runs the list-planning fuzz target's committed seeds through it in every
// test run (a seed the target rejects aborts this test), and checks that the
// seeds are planned, not refused: the fuzz target exercises real plans.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

bool ListPlanFuzzPlans(std::string_view input);  // list_plan_fuzz.cc

namespace {

TEST(ListPlanFuzzSeeds, EverySeedPlansAndPassesTheChecks) {
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(AIRPG_LIST_PLAN_SEEDS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string input = text.str();
    EXPECT_TRUE(ListPlanFuzzPlans(input)) << entry.path();
    ++seeds;
  }
  EXPECT_GE(seeds, 5);
}

}  // namespace
