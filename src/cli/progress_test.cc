#include "cli/progress.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace airpg::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TableProgress Table(const std::string& id, int64_t records, int64_t pages,
                    std::optional<int64_t> expected = std::nullopt) {
  return {id, "Table " + id, records, pages, expected, false, false};
}

TEST(ProgressTest, EtaIsBoundedByTheBudget) {
  ProgressOptions options;
  options.pages_per_second = 3;
  // 20,000 records, 1,000 read in 0.5 s: 190 pages left at no more than 3/s.
  auto left = EstimateSecondsLeft(Table("a", 1000, 10, 20000), 0.5, options);
  ASSERT_TRUE(left.has_value());
  EXPECT_NEAR(*left, 190 / 3.0, 1e-9);
  // Slower than the budget (2 pages/s measured): the measured rate wins.
  left = EstimateSecondsLeft(Table("a", 1000, 10, 20000), 5, options);
  ASSERT_TRUE(left.has_value());
  EXPECT_NEAR(*left, 190 / 2.0, 1e-9);
  // A partial last page is still a request.
  left = EstimateSecondsLeft(Table("a", 19950, 200, 20001), 5, options);
  ASSERT_TRUE(left.has_value());
  EXPECT_NEAR(*left, 1 / 3.0, 1e-9);
  EXPECT_FALSE(EstimateSecondsLeft(Table("a", 10, 1), 1, options).has_value());
  EXPECT_FALSE(EstimateSecondsLeft(Table("a", 30, 1, 20), 1, options).has_value());
}

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(FormatEta(0.25), "250 ms");
  EXPECT_EQ(FormatEta(41.2), "42s");
  EXPECT_EQ(FormatEta(185), "3m05s");
  EXPECT_EQ(FormatEta(3725), "1h02m");
}

TEST(ProgressTest, LineShowsRecordsPagesRateAndEta) {
  ProgressOptions options;
  EXPECT_EQ(FormatProgressLine("migrate", Table("a", 600, 6, 1000), 2, options),
            "migrate  Table a  600/1000 records  6 pages  300 rec/s  ETA 2s");
  EXPECT_EQ(FormatProgressLine("migrate", Table("a", 600, 6), 2, options),
            "migrate  Table a  600 records  6 pages  300 rec/s  ETA ? (budget 300 rec/s)");
  TableProgress done = Table("a", 1000, 10, 1000);
  done.done = true;
  EXPECT_EQ(FormatProgressLine("verify", done, 4, options),
            "verify  Table a  1000 records  10 pages  250 rec/s  done in 4s");
}

struct Recorder {
  std::vector<std::string> writes;
  ProgressReporter::Sink sink() {
    return [this](std::string_view s) { writes.emplace_back(s); };
  }
};

TEST(ProgressTest, PipeWritesOneLinePerIntervalAndOneAtTableEnd) {
  ManualClock clock;
  Recorder out;
  ProgressOptions options;
  options.interval = seconds(5);
  ProgressReporter reporter("migrate", options, clock, out.sink());
  // Three pages a second for 12 s: lines at 5 s and 10 s, then the end line.
  int64_t pages = 0;
  for (int tick = 0; tick < 36; ++tick) {
    clock.Advance(milliseconds(334));
    ++pages;
    reporter.Update(Table("a", pages * 100, pages, 3600));
  }
  TableProgress done = Table("a", 3600, 36, 3600);
  done.done = true;
  reporter.Update(done);
  ASSERT_EQ(out.writes.size(), 3u);
  EXPECT_NE(out.writes[0].find("ETA"), std::string::npos) << out.writes[0];
  EXPECT_EQ(out.writes[0].back(), '\n');
  EXPECT_NE(out.writes[2].find("done in"), std::string::npos) << out.writes[2];
  // A quick table says only that it is done.
  reporter.Update(Table("b", 17, 1));
  TableProgress b = Table("b", 17, 1);
  b.done = true;
  reporter.Update(b);
  ASSERT_EQ(out.writes.size(), 4u);
  EXPECT_EQ(out.writes[3].rfind("migrate  Table b  17 records", 0), 0u) << out.writes[3];
  reporter.Finish();
  EXPECT_EQ(out.writes.size(), 4u);
}

TEST(ProgressTest, TerminalRewritesOneLineAndEndsItWithTheTable) {
  ManualClock clock;
  Recorder out;
  ProgressOptions options;
  options.live = true;
  ProgressReporter reporter("verify", options, clock, out.sink());
  reporter.Update(Table("a", 100, 1, 300));
  clock.Advance(milliseconds(50));
  reporter.Update(Table("a", 200, 2, 300));  // within the redraw gap: not drawn
  clock.Advance(milliseconds(300));
  reporter.Update(Table("a", 300, 3, 300));
  ASSERT_EQ(out.writes.size(), 2u);
  for (const std::string& w : out.writes) {
    EXPECT_EQ(w.rfind("\r\x1b[K", 0), 0u);
    EXPECT_EQ(w.find('\n'), std::string::npos);
  }
  // The next table ends the open line; a stop mid-table is ended by Finish.
  reporter.Update(Table("b", 100, 1));
  ASSERT_EQ(out.writes.size(), 4u);
  EXPECT_EQ(out.writes[2], "\n");
  reporter.Finish();
  EXPECT_EQ(out.writes.back(), "\n");
  reporter.Finish();
  EXPECT_EQ(out.writes.size(), 5u);
}

TEST(ProgressTest, ResumedTableIsReportedAsDoneEarlier) {
  ManualClock clock;
  Recorder out;
  ProgressReporter reporter("migrate", {}, clock, out.sink());
  TableProgress t = Table("a", 17, 0);
  t.done = true;
  t.resumed = true;
  reporter.Update(t);
  ASSERT_EQ(out.writes.size(), 1u);
  EXPECT_NE(out.writes[0].find("loaded by an earlier attempt"), std::string::npos);
}

}  // namespace
}  // namespace airpg::cli
