#include "bench/bench_support.h"

#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace airpg::bench {
namespace {

pg::EmbeddedOptions ClusterOptions(const fs::path& dir) {
  pg::EmbeddedOptions options;
  options.home = dir;
  options.durable = false;  // as copy_bench: a throwaway cluster, fsync off
  return options;
}

}  // namespace

void OrDie(const Status& s, std::string_view what) {
  if (!s.ok()) throw Failed{fmt::format("{}: {}", what, s.ToString())};
}

std::string Mb(int64_t bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }

ScratchDir::ScratchDir(std::string_view prefix) {
  std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "cannot create a directory like " << pattern << "\n";
    std::exit(1);
  }
  // The Postgres server runs as another user and must reach its socket here.
  fs::permissions(pattern, fs::perms::others_exec, fs::perm_options::add);
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

Harness::Harness(std::string name, fs::path dir)
    : name_(std::move(name)), dir_(std::move(dir)), cluster_(ClusterOptions(dir_)) {}

void Harness::Say(std::string_view line) const { std::cerr << name_ << ": " << line << std::endl; }

Status Harness::StartPostgres() {
  Say("starting a throwaway Postgres");
  AIRPG_RETURN_IF_ERROR(cluster_.Start());
  AIRPG_ASSIGN_OR_RETURN(pg::Connection admin, pg::Connection::Open(cluster_.Url()));
  admin_.emplace(std::move(admin));
  if (Postmaster() <= 0) return InternalError("cannot read the postmaster's pid");
  return Status::Ok();
}

void Harness::StopPostgres() {
  admin_.reset();
  cluster_.Stop().IgnoreError();
}

pid_t Harness::Postmaster() {
  if (postmaster_ <= 0) {
    postmaster_ = std::atoi(ReadText((cluster_.data_dir() / "postmaster.pid").string()).c_str());
  }
  return postmaster_;
}

Result<fs::path> Harness::Generate(int tables, int per_table) {
  fs::path file = dir_ / fmt::format("base-{}x{}.json", tables, per_table);
  if (fs::exists(file)) return file;
  Say(fmt::format("generating {} tables × {} records", tables, per_table));
  SpawnOptions options;
  options.stdout_path = file.string();
  options.stderr_path = (dir_ / "generate.err").string();
  AIRPG_ASSIGN_OR_RETURN(
      auto child, ChildProcess::Spawn(
                      {AIRPG_EMULATOR_BINARY, "generate", "--records", std::to_string(per_table),
                       "--tables", std::to_string(tables), "--seed", "1"},
                      options));
  AIRPG_ASSIGN_OR_RETURN(ChildExit done, child->Wait());
  if (!done.ok()) return InternalError("generate failed: " + ReadText(options.stderr_path));
  Say(fmt::format("  {} in {:.1f} s", Mb(static_cast<int64_t>(fs::file_size(file))), done.seconds));
  return file;
}

Result<Emulator> Harness::StartEmulator(const fs::path& data, bool rate_limits) {
  Say(fmt::format("starting airtable-emulator (rate limits {})", rate_limits ? "ON" : "off"));
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> argv = {AIRPG_EMULATOR_BINARY, "--port", "0", "--data", data.string()};
  if (!rate_limits) argv.push_back("--no-rate-limits");
  SpawnOptions options;
  options.stdout_path = (dir_ / "emulator.out").string();
  options.stderr_path = (dir_ / "emulator.err").string();
  Emulator emu;
  AIRPG_ASSIGN_OR_RETURN(emu.process, ChildProcess::Spawn(argv, options));
  AIRPG_ASSIGN_OR_RETURN(
      emu.url, WaitForLine(options.stdout_path, "listening on ", std::chrono::minutes(10)));
  // Meta API (counts for the token only, not for the base).
  AIRPG_ASSIGN_OR_RETURN(json bases, Get(emu.url + "/v0/meta/bases"));
  emu.base_id = bases["bases"][0]["id"];
  AIRPG_ASSIGN_OR_RETURN(json stats, Get(emu.url + "/__emulator/stats"));
  const json& limits = stats["rateLimits"];
  Say(
      fmt::format("  {} serves base {} after {:.1f} s; limits: enabled={} perBase={} "
                  "windowMillis={} penaltyMillis={}",
                  emu.url, emu.base_id,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                  limits["enabled"].get<bool>(), limits["perBase"].get<int>(),
                  limits["windowMillis"].get<int64_t>(), limits["penaltyMillis"].get<int64_t>()));
  if (limits["enabled"].get<bool>() != rate_limits) {
    return InternalError("the emulator's rate limits are not as asked");
  }
  return emu;
}

Result<Counters> Harness::Count(const Emulator& emu) {
  AIRPG_ASSIGN_OR_RETURN(json stats, Get(emu.url + "/__emulator/stats"));
  Counters c;
  c.requests = stats["requests"];
  c.limited = stats["rateLimited"];
  if (stats["bases"].contains(emu.base_id)) {
    c.base_requests = stats["bases"][emu.base_id]["requests"];
    c.base_limited = stats["bases"][emu.base_id]["rateLimited"];
  }
  return c;
}

SpawnOptions Harness::AirpgOptions(const Emulator& emu, const std::string& database, bool paced,
                                   const std::string& log) const {
  SpawnOptions options;
  options.stdout_path = (dir_ / (log + ".out")).string();
  options.stderr_path = (dir_ / (log + ".err")).string();
  options.cwd = dir_.string();  // no airpg.yaml of the caller's directory
  options.env = {
      {"DATABASE_URL", cluster_.Url(database)}, {"AIRTABLE_ENDPOINT_URL", emu.url},
      {"AIRTABLE_TOKEN", kBenchToken},          {"AIRPG_HOME", (dir_ / "home").string()},
      {"AIRPG_CONFIG", std::nullopt},           {"AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt},
      {"AIRPG_AIRTABLE_BASE_ID", std::nullopt}};
  // The sync's defaults: the lanes' poll intervals, sweeps every 10 minutes.
  options.env["AIRPG_SYNC_POLL_SECONDS"] = std::nullopt;
  options.env["AIRPG_SYNC_SWEEP_MINUTES"] = std::nullopt;
  if (!paced) {
    options.env["AIRPG_AIRTABLE_PER_BASE_LIMIT"] = "1000000";
    options.env["AIRPG_AIRTABLE_PER_TOKEN_LIMIT"] = "1000000";
  } else {
    options.env["AIRPG_AIRTABLE_PER_BASE_LIMIT"] = std::nullopt;
    options.env["AIRPG_AIRTABLE_PER_TOKEN_LIMIT"] = std::nullopt;
  }
  return options;
}

Result<json> Harness::Get(const std::string& url) {
  AIRPG_ASSIGN_OR_RETURN(
      http::Response response,
      http_.Send("GET", url, {{"Authorization", std::string("Bearer ") + kBenchToken}}));
  if (response.status != 200) {
    return UnavailableError(fmt::format("GET {}: {} {}", url, response.status, response.body));
  }
  return json::parse(response.body);
}

Result<json> Harness::Send(std::string_view method, const std::string& url, const json& body) {
  AIRPG_ASSIGN_OR_RETURN(http::Response response,
                         http_.Send(method, url,
                                    {{"Authorization", std::string("Bearer ") + kBenchToken},
                                     {"Content-Type", "application/json"}},
                                    body.dump()));
  if (response.status != 200) {
    return UnavailableError(
        fmt::format("{} {}: {} {}", method, url, response.status, response.body));
  }
  return json::parse(response.body);
}

Result<json> MigrateSummary(const ChildExit& exit, const SpawnOptions& options) {
  if (!exit.ok()) {
    return InternalError(fmt::format("airpg migrate exited {} (signal {}): {}", exit.exit_code,
                                     exit.term_signal, ReadText(options.stderr_path)));
  }
  json summary = json::parse(ReadText(options.stdout_path), nullptr, false);
  if (summary.is_discarded() || !summary.value("ok", false)) {
    return InternalError("airpg migrate printed no summary: " + ReadText(options.stdout_path));
  }
  if (!summary["verify"]["clean"].get<bool>()) {
    return InternalError("the migration did not verify clean");
  }
  return summary;
}

}  // namespace airpg::bench
