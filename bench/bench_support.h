// What the end-to-end benchmarks (migrate_bench, sync_bench) share: a
// scratch directory, a throwaway embedded Postgres, `airtable-emulator
// generate` and a running emulator with its request counters, and the
// environment the real `airpg` binary runs with against them. A step that
// fails throws Failed (OrDie); the bench's main catches it, stops its
// children and the cluster, removes the scratch directory and exits 1.
// Single-thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "bench/child_process.h"
#include "http/client.h"
#include "pg/connection.h"
#include "pg/embedded_cluster.h"

namespace airpg::bench {

// The token the benches give airpg (the emulator accepts any).
inline constexpr const char* kBenchToken = "patBench000000000.0123456789abcdef";

struct Failed {
  std::string what;
};

template <typename T>
T OrDie(Result<T> r, std::string_view what) {
  if (!r.ok()) throw Failed{fmt::format("{}: {}", what, r.status().ToString())};
  return std::move(*r);
}
void OrDie(const Status& s, std::string_view what);

std::string Mb(int64_t bytes);

// A directory under $TMPDIR, removed (with everything in it) at destruction.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix);  // exits 1 when it cannot be made
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One emulator process serving one generated base.
struct Emulator {
  std::unique_ptr<ChildProcess> process;
  std::string url;
  std::string base_id;
};

// The base's and the whole emulator's request counters at one moment.
struct Counters {
  int64_t base_requests = 0, base_limited = 0, requests = 0, limited = 0;
};

class Harness {
 public:
  // `name` prefixes progress lines ("migrate_bench: …"); files go to `dir`.
  Harness(std::string name, std::filesystem::path dir);

  // Progress, on stderr.
  void Say(std::string_view line) const;

  Status StartPostgres();
  void StopPostgres();
  pg::Connection& admin() { return *admin_; }
  pg::EmbeddedCluster& cluster() { return cluster_; }
  // The postmaster's pid, read once (Postgres rewrites postmaster.pid now
  // and then, and a read at that moment finds it empty).
  pid_t Postmaster();

  // `airtable-emulator generate` of `tables` tables of `per_table` records.
  Result<std::filesystem::path> Generate(int tables, int per_table);
  Result<Emulator> StartEmulator(const std::filesystem::path& data, bool rate_limits);
  Result<Counters> Count(const Emulator& emu);

  // The environment airpg runs with: database `database` of the cluster,
  // the emulator, the bench's token and a home in the scratch directory.
  // `paced`: airpg's pacer keeps Airtable's limits (its defaults); else it
  // is opened wide. Output goes to `<dir>/<log>.out` and `.err`.
  SpawnOptions AirpgOptions(const Emulator& emu, const std::string& database, bool paced,
                            const std::string& log) const;

  // HTTP to the emulator (JSON both ways); any status but 200 is an error.
  Result<nlohmann::json> Get(const std::string& url);
  Result<nlohmann::json> Send(std::string_view method, const std::string& url,
                              const nlohmann::json& body);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string name_;
  std::filesystem::path dir_;
  pg::EmbeddedCluster cluster_;
  std::optional<pg::Connection> admin_;
  http::Client http_;
  pid_t postmaster_ = 0;
};

// The JSON summary `airpg migrate --output json` printed, checked: the run
// exited 0, said ok and verified clean.
Result<nlohmann::json> MigrateSummary(const ChildExit& exit, const SpawnOptions& options);

}  // namespace airpg::bench
