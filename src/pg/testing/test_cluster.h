// Throwaway Postgres for tests: one cluster per test run, a fresh database
// per test. The cluster comes, in order of preference, from DATABASE_URL (an
// existing server), from the file named by AIRPG_TEST_CLUSTER_FILE (written
// by the CTest fixture `pg_cluster`, which starts one cluster for the whole
// run and removes it afterwards, also after failures), or is started by this
// process in a temporary directory and removed when the process exits.
// Single-thread (tests).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"

namespace airpg::pg::testing {

// A cluster in a fresh temporary directory, stopped and deleted on destruction
// unless Release() was called.
class TestCluster {
 public:
  static Result<TestCluster> Create();
  TestCluster(TestCluster&& other) noexcept;
  TestCluster& operator=(TestCluster&&) = delete;
  ~TestCluster();

  // Stops the cluster and deletes its directory.
  static Status Destroy(const std::filesystem::path& home);

  // Fast shutdown (every session is cut) and start again, on the same socket
  // and with the same data: a server restart as clients see it.
  Status Stop();
  Status Start();

  const std::string& admin_url() const { return admin_url_; }
  const std::filesystem::path& home() const { return home_; }
  // Keeps the cluster alive past this object (the CTest fixture hands it on).
  void Release() { home_.clear(); }

 private:
  TestCluster(std::filesystem::path home, std::string admin_url)
      : home_(std::move(home)), admin_url_(std::move(admin_url)) {}
  std::filesystem::path home_;
  std::string admin_url_;
};

// The connection string of a role that may create databases on the run's cluster.
Result<std::string> AdminUrl();

// A database created for one test and dropped (WITH FORCE) on destruction.
class TestDatabase {
 public:
  static Result<TestDatabase> Create();
  TestDatabase(TestDatabase&& other) noexcept;
  TestDatabase& operator=(TestDatabase&&) = delete;
  ~TestDatabase();

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  TestDatabase(std::string name, std::string url) : name_(std::move(name)), url_(std::move(url)) {}
  std::string name_;  // empty once moved from
  std::string url_;
};

}  // namespace airpg::pg::testing
