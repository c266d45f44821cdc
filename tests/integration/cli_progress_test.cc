// Progress of the long commands as a user sees it: `airpg migrate` and
// `airpg verify` on a pipe write a line per table on stderr (stdout stays the
// report), --quiet removes them, and on a terminal (script(1) gives the
// command a pty) the line is redrawn in place.
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "base/subprocess.h"
#include "child_process.h"
#include "emulator/emulator.h"
#include "http/client.h"
#include "pg/connection.h"
#include "pg/testing/test_cluster.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

constexpr const char* kBase = "appDeltaAnalytic1";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The Delta sample in an in-process emulator and a fresh database, with
// `env` pointing airpg at both.
struct Delta {
  std::unique_ptr<emulator::Emulator> emulator;
  std::optional<pg::testing::TestDatabase> db;
  std::map<std::string, std::optional<std::string>> env;

  void Start(AirpgProcess& airpg) {
    emulator::EmulatorOptions options;
    options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
    options.rate_limits = false;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator = std::move(started).value();
    auto created = pg::testing::TestDatabase::Create();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    db.emplace(std::move(created).value());
    env = {{"AIRPG_HOME", airpg.home().string()},
           {"DATABASE_URL", db->url()},
           {"AIRTABLE_ENDPOINT_URL", emulator->url()},
           {"AIRTABLE_TOKEN", "patCliProgressTest"},
           {"AIRPG_AIRTABLE_BASE_ID", kBase},
           {"AIRPG_CONFIG", std::nullopt},
           {"AIRPG_LOG_LEVEL", std::nullopt},
           {"AIRPG_LOG_FORMAT", std::nullopt},
           {"AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt}};
    for (const auto& [name, value] : env) airpg.SetEnv(name, value);
  }
};

// Lines of stderr that report a table's progress for `job`.
std::vector<std::string> ProgressLines(const std::string& err, const std::string& job) {
  std::vector<std::string> found;
  for (const std::string& line : Lines(err)) {
    if (Contains(line, job + "  ") && Contains(line, " records  ")) found.push_back(line);
  }
  return found;
}

TEST(CliProgressTest, PipeGetsALinePerTableAndQuietRemovesThem) {
  AirpgProcess airpg;
  Delta setup;
  ASSERT_NO_FATAL_FAILURE(setup.Start(airpg));

  ProcessOutput migrate = airpg.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  std::vector<std::string> lines = ProgressLines(migrate.err, "migrate");
  // The Delta sample has 5 tables of one page each: one end line per table.
  ASSERT_EQ(lines.size(), 5u) << migrate.err;
  for (const std::string& line : lines) EXPECT_TRUE(Contains(line, "done in")) << line;
  EXPECT_TRUE(Contains(migrate.err, "migrate  clients  ")) << migrate.err;
  EXPECT_FALSE(Contains(migrate.out, " records  ")) << "progress belongs on stderr";
  EXPECT_EQ(migrate.err.find('\r'), std::string::npos) << "no redraws on a pipe";

  ProcessOutput verify = airpg.Run({"verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(ProgressLines(verify.err, "verify").size(), 5u) << verify.err;

  // In a JSON log, progress lines are log objects like every other line.
  ProcessOutput json = airpg.Run({"--log-format", "json", "verify"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  for (const std::string& line : ProgressLines(json.err, "verify")) {
    EXPECT_EQ(line.rfind("{", 0), 0u) << line;
  }

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--quiet", "migrate"}, {"migrate", "--quiet"}, {"-q", "verify"}}) {
    ProcessOutput quiet = airpg.Run(args);
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_TRUE(ProgressLines(quiet.err, args[0] == "migrate" ? "migrate" : args[1]).empty())
        << quiet.err;
    EXPECT_FALSE(quiet.out.empty());
  }
}

TEST(CliProgressTest, TerminalGetsALiveLineRedrawnInPlace) {
  AirpgProcess airpg;
  Delta setup;
  ASSERT_NO_FATAL_FAILURE(setup.Start(airpg));
  ASSERT_EQ(airpg.Run({"migrate", "--quiet"}).exit_code, 0);

  // script(1) runs the command on a pty; stdout and stderr both land in its output.
  ProcessOptions options;
  options.env = setup.env;
  options.timeout = std::chrono::seconds(120);
  std::string command = std::string(AIRPG_BINARY) + " migrate";
  Result<ProcessOutput> run =
      RunProcess({"script", "--quiet", "--return", "--command", command, "/dev/null"}, options);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->exit_code, 0) << run->out << run->err;
  // Each table's line starts by going back over the line it replaces.
  EXPECT_TRUE(Contains(run->out, "\r\x1b[Kmigrate  clients  ")) << run->out;
  // A second migration expects the counts the first one read.
  EXPECT_TRUE(Contains(run->out, "migrate  clients  4/4 records  1 pages")) << run->out;
  EXPECT_TRUE(Contains(run->out, "records:       17 read from Airtable"))
      << run->out;  // the summary
}

// `airpg sync` shows its first catch-up per table (records and pages read)
// like migrate, then reports each step that changed something on stderr;
// --quiet silences both.
TEST(CliProgressTest, QuietSyncPrintsNoStepLines) {
  AirpgProcess airpg;
  Delta setup;
  ASSERT_NO_FATAL_FAILURE(setup.Start(airpg));
  ASSERT_EQ(airpg.Run({"migrate", "--quiet"}).exit_code, 0);
  auto conn = pg::Connection::Open(setup.db->url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto scalar = [&](const std::string& sql) {
    auto rows = conn->Exec(sql);
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : std::string();
  };
  // One sync run that brings `notes` in for a client; its stderr.
  auto run_sync = [&](const std::vector<std::string>& args, const std::string& notes) {
    auto sync = airpg.Start(args, "sync");
    if (sync == nullptr) return std::string();
    EXPECT_TRUE(WaitFor(
        [&] {
          return scalar("SELECT count(*) FROM airpg.sync_bases WHERE webhook_id IS NOT NULL") ==
                     "1" &&
                 scalar(
                     "SELECT count(*) FILTER (WHERE last_sweep_at IS NOT NULL) FROM "
                     "airpg.sync_tables") == "5";
        },
        std::chrono::seconds(30)))
        << sync->Stderr();
    http::Client http;
    auto patched = http.Send(
        "PATCH", setup.emulator->url() + "/__emulator/ui/" + kBase + "/Clients/recCliHarbor0001",
        {{"Content-Type", "application/json"}}, R"({"fields":{"Notes":")" + notes + R"("}})");
    EXPECT_TRUE(patched.ok() && patched->status == 200);
    EXPECT_TRUE(WaitFor(
        [&] {
          return scalar(
                     "SELECT notes FROM delta_analytics_registration_tracking.clients WHERE "
                     "airtable_id = 'recCliHarbor0001'") == notes;
        },
        std::chrono::seconds(30)))
        << sync->Stderr();
    sync->Signal(SIGTERM);
    auto ended = sync->Wait(std::chrono::seconds(20));
    EXPECT_TRUE(ended.has_value() && ended->exit_code == 0) << sync->Stderr();
    return sync->Stderr();
  };
  std::string loud = run_sync({"sync", "--loopback-pings"}, "loud");
  EXPECT_TRUE(Contains(loud, "airpg sync: 1 changed")) << loud;
  // The catch-up: one end line per table (one page each), and none after it.
  std::vector<std::string> catch_up = ProgressLines(loud, "sync");
  EXPECT_EQ(catch_up.size(), 5u) << loud;
  for (const std::string& line : catch_up) {
    EXPECT_TRUE(Contains(line, " 1 pages ")) << line;
    EXPECT_TRUE(Contains(line, "done in")) << line;
  }
  EXPECT_TRUE(Contains(loud, "sync  clients  ")) << loud;
  std::string quiet = run_sync({"sync", "--loopback-pings", "--quiet"}, "quiet");
  EXPECT_FALSE(Contains(quiet, " changed, ")) << quiet;
  EXPECT_TRUE(ProgressLines(quiet, "sync").empty()) << quiet;
}

}  // namespace
}  // namespace airpg::testing
