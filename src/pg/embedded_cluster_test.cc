#include "pg/embedded_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "pg/connection.h"
#include "pg/server_user.h"
#include "pg/testing/postmaster.h"

namespace airpg::pg {
namespace {
namespace fs = std::filesystem;

// Each test owns a fresh home directory, removed (with its cluster) afterwards.
class EmbeddedClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "airpg-emb-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    home_ = pattern;
    // As root the server runs as `postgres`, which must be able to enter the directory.
    fs::permissions(home_, fs::perms::others_exec, fs::perm_options::add);
  }
  void TearDown() override {
    for (auto& cluster : started_) cluster->Stop().IgnoreError();
    std::error_code ec;
    fs::remove_all(home_, ec);
  }
  EmbeddedCluster& Make(int tcp_port = 0) {
    EmbeddedOptions options;
    options.home = home_;
    options.durable = false;
    options.tcp_port = tcp_port;
    started_.push_back(std::make_unique<EmbeddedCluster>(options));
    return *started_.back();
  }
  fs::path home_;
  std::vector<std::unique_ptr<EmbeddedCluster>> started_;
};

TEST_F(EmbeddedClusterTest, StartsServesAndStops) {
  EmbeddedCluster& cluster = Make();
  EXPECT_EQ(*cluster.State(), ClusterState::kNotInitialized);
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(*cluster.State(), ClusterState::kRunning);

  auto conn = Connection::Open(cluster.Url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto rows = conn->Exec("SELECT current_database(), current_setting('listen_addresses')");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), "airpg");
  EXPECT_EQ(rows->Get(0, 1), "");  // unix socket only

  ASSERT_TRUE(cluster.Stop().ok());
  EXPECT_EQ(*cluster.State(), ClusterState::kStopped);
  EXPECT_TRUE(cluster.Stop().ok());  // stopping a stopped cluster is fine
}

TEST_F(EmbeddedClusterTest, StartIsIdempotent) {
  EmbeddedCluster& cluster = Make();
  ASSERT_TRUE(cluster.Start().ok());
  pid_t first = testing::PostmasterPid(cluster.data_dir());
  ASSERT_TRUE(cluster.Start().ok());
  EXPECT_EQ(testing::PostmasterPid(cluster.data_dir()), first);
}

TEST_F(EmbeddedClusterTest, RecoversAfterSigkill) {
  EmbeddedCluster& cluster = Make();
  ASSERT_TRUE(cluster.Start().ok());
  {
    auto conn = Connection::Open(cluster.Url());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn->RunScript("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('x')").ok());
  }
  pid_t pid = testing::PostmasterPid(cluster.data_dir());
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(testing::WaitUntilGone(pid, std::chrono::seconds(10)));
  EXPECT_EQ(*cluster.State(), ClusterState::kStopped);
  EXPECT_TRUE(fs::exists(cluster.data_dir() / "postmaster.pid"));  // stale

  Status restarted = cluster.Start();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  auto conn = Connection::Open(cluster.Url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto rows = conn->Exec("SELECT v FROM kept");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Get(0, 0), "x");
}

TEST_F(EmbeddedClusterTest, LoopbackTcpWhenAskedWithPassfile) {
  // Ask the kernel for a free port.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ::close(fd);

  EmbeddedCluster& cluster = Make(port);
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(cluster.TcpUrl().find("password"), std::string::npos);
  auto conn = Connection::Open(cluster.TcpUrl());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto rows = conn->Exec("SELECT current_setting('listen_addresses'), inet_server_addr()::text");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Get(0, 0), "127.0.0.1");
  EXPECT_EQ(rows->Get(0, 1), "127.0.0.1/32");
  // Without the passfile, TCP asks for a password: trust is for the private socket only.
  auto anonymous =
      Connection::Open("postgresql://airpg@127.0.0.1:" + std::to_string(port) + "/airpg");
  EXPECT_EQ(anonymous.status().code(), StatusCode::kUnauthenticated)
      << anonymous.status().ToString();
}

TEST_F(EmbeddedClusterTest, LongHomeStillGetsASocket) {
  home_ /= std::string(90, 'h');
  EmbeddedCluster& cluster = Make();
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto conn = Connection::Open(cluster.Url());
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  home_ = home_.parent_path();
}

// Issue 14: the server (and initdb, pg_ctl) never sees airpg's secrets.
TEST_F(EmbeddedClusterTest, ServerEnvironmentHoldsNoSecrets) {
  ::setenv("AIRTABLE_TOKEN", "patEmbeddedTest01.0123456789abcdef", 1);
  ::setenv("DATABASE_URL", "postgresql://u:Sekr1tPassword@db/x", 1);
  EmbeddedCluster& cluster = Make();
  Status started = cluster.Start();
  ::unsetenv("AIRTABLE_TOKEN");
  ::unsetenv("DATABASE_URL");
  ASSERT_TRUE(started.ok()) << started.ToString();
  pid_t pid = testing::PostmasterPid(cluster.data_dir());
  ASSERT_GT(pid, 0);
  std::ifstream in(fmt::format("/proc/{}/environ", pid));
  std::string environ((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(environ.find("PATH="), std::string::npos);  // read it at all
  EXPECT_EQ(environ.find("AIRTABLE_TOKEN"), std::string::npos);
  EXPECT_EQ(environ.find("patEmbeddedTest01"), std::string::npos);
  EXPECT_EQ(environ.find("Sekr1tPassword"), std::string::npos);
}

// Issue 14: with a long AIRPG_HOME the socket lives under /tmp. It used to be
// a predictable /tmp/airpg-UID-HASH, created and chowned through any symlink
// planted there; now it is made by mkdtemp and checked with lstat.
TEST_F(EmbeddedClusterTest, LongHomeSocketDirIsPrivateAndNeverFollowsAPlantedSymlink) {
  home_ /= std::string(90, 'h');
  fs::path data_dir = fs::absolute(home_) / "pg";
  fs::path predicted = fs::path("/tmp") / fmt::format("airpg-{}-{:x}", ::geteuid(),
                                                      std::hash<std::string>{}(data_dir.string()));
  std::string victim_pattern = "/tmp/airpg-victim-XXXXXX";
  ASSERT_NE(::mkdtemp(victim_pattern.data()), nullptr);
  fs::path victim = victim_pattern;
  ASSERT_EQ(::chmod(victim.c_str(), 0755), 0);
  std::error_code ec;
  fs::remove(predicted, ec);
  fs::create_directory_symlink(victim, predicted);
  auto victim_unchanged = [&] {
    struct stat st;
    EXPECT_EQ(::stat(victim.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, ::geteuid());
    EXPECT_EQ(st.st_mode & 07777, 0755u);
  };
  auto private_dir = [&](const fs::path& dir) {
    Result<ServerUser> user = ServerUser::ForThisProcess();
    ASSERT_TRUE(user.ok());
    struct stat st;
    ASSERT_EQ(::lstat(dir.c_str(), &st), 0) << dir;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << dir;
    EXPECT_EQ(st.st_uid, user->uid());
    EXPECT_EQ(st.st_mode & 077, 0u);
  };

  EmbeddedCluster& cluster = Make();
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  fs::path first = cluster.socket_dir();
  EXPECT_NE(first, predicted);
  EXPECT_EQ(first.parent_path(), "/tmp");
  private_dir(first);
  victim_unchanged();
  EXPECT_TRUE(Connection::Open(cluster.Url()).ok());

  // A record that names a planted symlink is not trusted: a fresh directory is made.
  ASSERT_TRUE(cluster.Stop().ok());
  EXPECT_FALSE(fs::exists(first));  // removed on stop
  fs::path planted = "/tmp/airpg-planted-" + std::to_string(::getpid());
  fs::remove(planted, ec);
  fs::create_directory_symlink(victim, planted);
  std::ofstream(home_ / "pg.socket-dir") << planted.string() << "\n";
  started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_NE(cluster.socket_dir(), planted);
  private_dir(cluster.socket_dir());
  victim_unchanged();
  auto conn = Connection::Open(cluster.Url());
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();

  fs::remove(planted, ec);
  fs::remove(predicted, ec);
  fs::remove(victim, ec);
  home_ = home_.parent_path();
}

}  // namespace
}  // namespace airpg::pg
