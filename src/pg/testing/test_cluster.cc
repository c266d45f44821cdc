#include "pg/testing/test_cluster.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>

#include <fmt/core.h>

#include "pg/connection.h"
#include "pg/conninfo.h"
#include "pg/embedded_cluster.h"
#include "pg/quote.h"

namespace airpg::pg::testing {
namespace fs = std::filesystem;
namespace {

EmbeddedOptions OptionsFor(const fs::path& home) {
  EmbeddedOptions options;
  options.home = home;
  options.durable = false;
  options.database = "postgres";
  return options;
}

}  // namespace

Result<TestCluster> TestCluster::Create() {
  // Short, so the socket path stays within the 107-byte limit.
  std::string pattern = (fs::temp_directory_path() / "airpg-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return InternalError("mkdtemp failed");
  fs::path home = pattern;
  EmbeddedCluster cluster(OptionsFor(home));
  Status started = cluster.Start();
  if (!started.ok()) {
    Destroy(home).IgnoreError();
    return started.WithContext("starting the test cluster");
  }
  return TestCluster(home, cluster.Url("postgres"));
}

TestCluster::TestCluster(TestCluster&& other) noexcept
    : home_(std::move(other.home_)), admin_url_(std::move(other.admin_url_)) {
  other.home_.clear();
}

TestCluster::~TestCluster() {
  if (!home_.empty()) Destroy(home_).IgnoreError();
}

Status TestCluster::Stop() { return EmbeddedCluster(OptionsFor(home_)).Stop(); }

Status TestCluster::Start() { return EmbeddedCluster(OptionsFor(home_)).Start(); }

Status TestCluster::Destroy(const fs::path& home) {
  Status stopped = EmbeddedCluster(OptionsFor(home)).Stop();
  std::error_code ec;
  fs::remove_all(home, ec);
  return stopped;
}

Result<std::string> AdminUrl() {
  if (const char* url = std::getenv("DATABASE_URL"); url && *url) return std::string(url);
  if (const char* file = std::getenv("AIRPG_TEST_CLUSTER_FILE"); file && fs::exists(file)) {
    std::ifstream in(file);
    std::string url;
    if (std::getline(in, url) && !url.empty()) return url;
  }
  // No shared cluster: this process starts its own, removed at exit.
  static std::unique_ptr<TestCluster> own;
  if (!own) {
    AIRPG_ASSIGN_OR_RETURN(TestCluster cluster, TestCluster::Create());
    own = std::make_unique<TestCluster>(std::move(cluster));
  }
  return own->admin_url();
}

Result<TestDatabase> TestDatabase::Create() {
  static std::atomic<int> counter{0};
  AIRPG_ASSIGN_OR_RETURN(std::string admin_url, AdminUrl());
  AIRPG_ASSIGN_OR_RETURN(Connection admin, Connection::Open(admin_url));
  std::string name = fmt::format("airpg_test_{}_{}", ::getpid(), counter++);
  AIRPG_RETURN_IF_ERROR(
      admin.Run("DROP DATABASE IF EXISTS " + QuoteIdentifier(name) + " WITH (FORCE)"));
  AIRPG_RETURN_IF_ERROR(admin.Run("CREATE DATABASE " + QuoteIdentifier(name) +
                                  " TEMPLATE template0 ENCODING 'UTF8'"));
  AIRPG_ASSIGN_OR_RETURN(std::string url, WithDatabase(admin_url, name));
  return TestDatabase(std::move(name), std::move(url));
}

TestDatabase::TestDatabase(TestDatabase&& other) noexcept
    : name_(std::move(other.name_)), url_(std::move(other.url_)) {
  other.name_.clear();
}

TestDatabase::~TestDatabase() {
  if (name_.empty()) return;
  Result<std::string> admin_url = AdminUrl();
  if (!admin_url.ok()) return;
  Result<Connection> admin = Connection::Open(*admin_url);
  if (admin.ok())
    admin->Run("DROP DATABASE IF EXISTS " + QuoteIdentifier(name_) + " WITH (FORCE)").IgnoreError();
}

}  // namespace airpg::pg::testing
