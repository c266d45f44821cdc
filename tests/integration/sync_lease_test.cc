// One sync per base (issue 14): two real `airpg sync` processes with their
// own homes — two machines, as far as they can tell — on one Postgres. The
// second is refused while the first runs, with a message naming the holder
// (host, pid, since), and exits 1 without touching anything; once the first
// is SIGKILLed, a new one takes the base within its lease wait.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <iostream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "pg/testing/pg_test.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using std::chrono::milliseconds;

class SyncLeaseTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    data_ = emulator::GenerateBase(2, 10, 14);
    base_id_ = data_["bases"][0]["id"];
    emulator::EmulatorOptions options;
    options.data_json = data_.dump();
    options.rate_limits = false;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    for (AirpgProcess* airpg : {&first_, &second_}) {
      airpg->SetEnv("DATABASE_URL", url());
      airpg->SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
      airpg->SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
      airpg->SetEnv("AIRTABLE_TOKEN", "patSyncLeaseTest");
      airpg->SetEnv("AIRPG_AIRTABLE_BASE_ID", base_id_);
    }
  }

  // Whether some session holds the base's sync lease (sync/sync_lease.h).
  bool LeaseHeld() {
    auto rows = conn().Exec(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
        "AND classid = hashtext('airpg.sync')::oid AND objid = hashtext($1)::oid",
        {base_id_});
    return rows.ok() && rows->Get(0, 0) == "1";
  }

  // A started sync is past its lease once it says where it listens.
  static bool Listening(ChildProcess& sync) {
    return sync.Stderr().find("listening on") != std::string::npos;
  }

  nlohmann::json data_;
  std::string base_id_;
  std::unique_ptr<emulator::Emulator> emulator_;
  AirpgProcess first_, second_;
};

TEST_F(SyncLeaseTest, ASecondSyncOfTheBaseIsRefusedNamingTheHolderAndAKilledHolderIsTakenOver) {
  ProcessOutput migrate = first_.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

  auto holder = first_.Start({"sync", "--loopback-pings", "--port", "0"}, "first");
  ASSERT_NE(holder, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Listening(*holder) || holder->Exited(); }, milliseconds(30000)))
      << holder->Stderr();
  ASSERT_FALSE(holder->Exited()) << holder->Stderr();
  ASSERT_TRUE(LeaseHeld());

  // The second, from another home: refused, exit 1, the holder named.
  ProcessOutput refused = second_.Run({"sync", "--loopback-pings", "--port", "0"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  std::cout << "[ refused  ] " << refused.err;
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  EXPECT_NE(refused.err.find(fmt::format("pid {} on host {}", holder->pid(), host)),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find(" since 20"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("listening on"), std::string::npos) << "the refused sync started";
  EXPECT_FALSE(holder->Exited()) << "the holder ended: " << holder->Stderr();

  // The holder dies without a word: the next sync takes the base.
  holder->Signal(SIGKILL);
  ASSERT_TRUE(holder->Wait(milliseconds(10000)).has_value());
  auto next = second_.Start({"sync", "--loopback-pings", "--port", "0"}, "next");
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(WaitFor([&] { return Listening(*next) || next->Exited(); }, milliseconds(30000)));
  EXPECT_FALSE(next->Exited()) << next->Stderr();
  EXPECT_TRUE(LeaseHeld());
  next->Signal(SIGTERM);
  auto ended = next->Wait(milliseconds(20000));
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->exit_code, 0) << ended->err;
  EXPECT_TRUE(WaitFor([&] { return !LeaseHeld(); }, milliseconds(5000)))
      << "the lease outlived its holder";
}

}  // namespace
}  // namespace airpg::testing
