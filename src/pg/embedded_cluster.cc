#include "pg/embedded_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "base/log.h"
#include "base/subprocess.h"
#include "pg/connection.h"
#include "pg/quote.h"
#include "pg/server_user.h"

namespace airpg::pg {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxSocketPath = 107;  // sun_path, including the terminating NUL

// Holds an exclusive flock on a file for the scope's lifetime, so two airpg
// processes never initialise or start the same cluster at once.
class FileLock {
 public:
  static Result<FileLock> Acquire(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return PermissionDeniedError(
          fmt::format("cannot open lock file {}: {}", path.string(), std::strerror(errno)));
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd);
        return InternalError(fmt::format("flock {}: {}", path.string(), std::strerror(errno)));
      }
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<fs::path> FindBinDir(const fs::path& configured) {
  if (!configured.empty()) {
    if (fs::exists(configured / "pg_ctl")) return configured;
    return FailedPreconditionError(
        fmt::format("no pg_ctl in configured Postgres bin dir {}", configured.string()));
  }
  if (fs::exists("/usr/lib/postgresql/15/bin/pg_ctl"))
    return fs::path("/usr/lib/postgresql/15/bin");
  std::error_code ec;
  fs::path best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "pg_ctl") && bin > best) best = bin;
  }
  if (!best.empty()) return best;
  return FailedPreconditionError(
      "Postgres server binaries not found (looked in /usr/lib/postgresql/*/bin): install "
      "postgresql-15 with scripts/install-deps, set embedded.bin_dir, or set DATABASE_URL");
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string RandomPassword() {
  std::random_device rd;  // /dev/urandom on Linux
  std::string out;
  for (int i = 0; i < 32; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

Status WriteFile(const fs::path& path, std::string_view content, mode_t mode) {
  // O_NOFOLLOW: a symlink planted in the home never redirects a write.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    return PermissionDeniedError(
        fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  ssize_t n = ::write(fd, content.data(), content.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(content.size())) {
    return InternalError(fmt::format("short write to {}", path.string()));
  }
  return Status::Ok();
}

// The postmaster's pid from postmaster.pid, or 0.
pid_t ReadPostmasterPid(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  long pid = 0;
  if (!(in >> pid)) return 0;
  return static_cast<pid_t>(pid);
}

// Whether `pid` is a live postgres process (not a reused pid of something else).
bool IsLivePostgres(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // /proc/PID/stat is "PID (comm) STATE …"; a zombie (Z) or dead (X) process
  // still answers kill(0) until it is reaped, but serves nothing.
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(in, stat);
  size_t open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) {
    return false;
  }
  std::string name = stat.substr(open + 1, close - open - 1);
  char state = stat[close + 2];
  return (name == "postgres" || name == "postmaster") && state != 'Z' && state != 'X';
}

// Postgres's programs run without airpg's environment: the server would
// otherwise keep AIRTABLE_TOKEN, DATABASE_URL and the like for its lifetime,
// readable in /proc by its user.
Result<ProcessOutput> RunPostgresTool(const ServerUser& user, std::vector<std::string> argv) {
  ProcessOptions options;
  options.inherit_environment = false;
  return RunProcess(user.Command(std::move(argv)), options);
}

template <typename Predicate>
bool WaitUntil(std::chrono::milliseconds limit, Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::milliseconds(20);
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(250));
  }
}

}  // namespace

std::string_view ClusterStateName(ClusterState state) {
  switch (state) {
    case ClusterState::kNotInitialized:
      return "not initialised";
    case ClusterState::kStopped:
      return "stopped";
    case ClusterState::kRunning:
      return "running";
  }
  return "unknown";
}

EmbeddedCluster::EmbeddedCluster(EmbeddedOptions options)
    : options_(std::move(options)), data_dir_(fs::absolute(options_.home) / "pg") {
  private_socket_dir_ =
      (data_dir_ / fmt::format(".s.PGSQL.{}", port())).string().size() >= kMaxSocketPath;
}

fs::path EmbeddedCluster::socket_dir() const {
  if (!private_socket_dir_) return data_dir_;
  // Read at every use: another airpg process may have started the server
  // (and made the directory) since this object was built.
  std::ifstream in(socket_dir_record());
  std::string line;
  if (!std::getline(in, line) || line.empty()) return fs::path();
  return line;
}

std::string EmbeddedCluster::Url() const { return Url(options_.database); }

std::string EmbeddedCluster::Url(std::string_view database) const {
  fs::path dir = socket_dir();
  // Never an empty host: libpq would fall back to the system's default
  // socket, another server. The data directory holds no socket: a clear error.
  if (dir.empty()) dir = data_dir_;
  return fmt::format("postgresql://{}@/{}?host={}&port={}", kSuperuser, PercentEncode(database),
                     PercentEncode(dir.string()), port());
}

std::string EmbeddedCluster::TcpUrl() const {
  return fmt::format("postgresql://{}@127.0.0.1:{}/{}?passfile={}", kSuperuser, port(),
                     PercentEncode(options_.database), PercentEncode(passfile().string()));
}

Result<ClusterState> EmbeddedCluster::State() const {
  if (!fs::exists(data_dir_ / "PG_VERSION")) return ClusterState::kNotInitialized;
  if (!IsLivePostgres(ReadPostmasterPid(data_dir_))) return ClusterState::kStopped;
  return ClusterState::kRunning;
}

Status EmbeddedCluster::Start() {
  AIRPG_ASSIGN_OR_RETURN(ServerUser user, ServerUser::ForThisProcess());
  std::error_code ec;
  fs::create_directories(options_.home, ec);
  if (ec) {
    return PermissionDeniedError(
        fmt::format("cannot create data directory {}: {}", options_.home.string(), ec.message()));
  }
  if (user.is_other_user()) {
    // The server user must be able to enter airpg's own home to reach pg/.
    fs::permissions(options_.home, fs::perms::others_exec | fs::perms::group_exec,
                    fs::perm_options::add, ec);
    AIRPG_RETURN_IF_ERROR(user.CheckCanReach(data_dir_));
  }
  AIRPG_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(options_.home / ".db.lock"));

  AIRPG_ASSIGN_OR_RETURN(ClusterState state, State());
  if (state == ClusterState::kNotInitialized) AIRPG_RETURN_IF_ERROR(Initialize());
  if (state != ClusterState::kRunning) {
    AIRPG_RETURN_IF_ERROR(WriteSettings());
    AIRPG_RETURN_IF_ERROR(ClearStalePidFile());
    AIRPG_RETURN_IF_ERROR(StartServer());
  }
  return EnsureDatabase();
}

Status EmbeddedCluster::Initialize() {
  AIRPG_ASSIGN_OR_RETURN(ServerUser user, ServerUser::ForThisProcess());
  AIRPG_ASSIGN_OR_RETURN(fs::path bin, FindBinDir(options_.bin_dir));
  // initdb writes into pg.init and the result is renamed into place, so a
  // run killed half-way never leaves a half-made cluster behind.
  fs::path staging = options_.home / "pg.init";
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directory(staging, ec);
  if (ec)
    return PermissionDeniedError(
        fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  fs::permissions(staging, fs::perms::owner_all, ec);
  AIRPG_RETURN_IF_ERROR(user.Own(staging));

  std::string password = RandomPassword();
  fs::path pwfile = options_.home / ".initdb-password";
  AIRPG_RETURN_IF_ERROR(WriteFile(pwfile, password + "\n", 0600));
  AIRPG_RETURN_IF_ERROR(user.Own(pwfile));
  // libpq reads the password for TCP connections from this passfile; it
  // belongs to airpg's user, never to the server's.
  AIRPG_RETURN_IF_ERROR(WriteFile(
      passfile(),
      fmt::format("127.0.0.1:*:*:{0}:{1}\nlocalhost:*:*:{0}:{1}\n", kSuperuser, password), 0600));

  std::vector<std::string> argv = {(bin / "initdb").string(),
                                   "-D",
                                   staging.string(),
                                   "-U",
                                   kSuperuser,
                                   "-E",
                                   "UTF8",
                                   "--locale=C.UTF-8",
                                   "--auth-local=trust",
                                   "--auth-host=scram-sha-256",
                                   "--pwfile",
                                   pwfile.string()};
  if (!options_.durable) argv.push_back("--no-sync");
  log::Info("initialising embedded Postgres in {}", data_dir_.string());
  Result<ProcessOutput> out = RunPostgresTool(user, argv);
  fs::remove(pwfile, ec);
  if (!out.ok()) return out.status();
  if (!out->ok()) {
    return FailedPreconditionError(fmt::format("initdb failed: {}", out->err));
  }
  AIRPG_RETURN_IF_ERROR(WriteFile(
      staging / "postgresql.conf",
      [&] {
        std::ifstream in(staging / "postgresql.conf");
        std::stringstream ss;
        ss << in.rdbuf() << "\n# Settings managed by airpg (rewritten at every start).\n"
           << "include_if_exists = 'airpg.conf'\n";
        return ss.str();
      }(),
      0600));
  fs::rename(staging, data_dir_, ec);
  if (ec)
    return InternalError(
        fmt::format("cannot move {} into place: {}", staging.string(), ec.message()));
  return Status::Ok();
}

Status EmbeddedCluster::PrepareSocketDir(const ServerUser& user) {
  // The directory sits in world-writable /tmp, so it must be made by us
  // (mkdtemp: unpredictable name, 0700, fails on anything already there) and
  // checked without following links before it is reused or chowned: a
  // predictable name once let a planted symlink make airpg chown its target.
  auto safe = [&](const fs::path& dir) {
    if (dir.empty() || dir.parent_path() != "/tmp") return false;
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0) return false;
    return S_ISDIR(st.st_mode) && st.st_uid == user.uid() && (st.st_mode & 077) == 0;
  };
  fs::path recorded = socket_dir();
  if (safe(recorded)) return Status::Ok();
  if (!recorded.empty()) {
    log::Warn("not using socket directory {}: it is not a private directory of {}",
              recorded.string(), user.name());
  }
  std::string pattern = "/tmp/airpg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return PermissionDeniedError(
        fmt::format("cannot create a socket directory in /tmp: {}", std::strerror(errno)));
  }
  int fd = ::open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return PermissionDeniedError(fmt::format("cannot open {}: {}", pattern, std::strerror(errno)));
  }
  int rc = ::fchmod(fd, 0700);
  if (rc == 0 && user.is_other_user()) rc = ::fchown(fd, user.uid(), user.gid());
  int saved = errno;
  ::close(fd);
  if (rc != 0) {
    return PermissionDeniedError(
        fmt::format("cannot give {} to {}: {}", pattern, user.name(), std::strerror(saved)));
  }
  return WriteFile(socket_dir_record(), pattern + "\n", 0600);
}

Status EmbeddedCluster::WriteSettings() {
  AIRPG_ASSIGN_OR_RETURN(ServerUser user, ServerUser::ForThisProcess());
  if (private_socket_dir_) AIRPG_RETURN_IF_ERROR(PrepareSocketDir(user));
  fs::path socket_dir = this->socket_dir();
  std::string conf = fmt::format(
      "listen_addresses = '{}'\n"
      "port = {}\n"
      "unix_socket_directories = '{}'\n"
      "unix_socket_permissions = 0700\n"
      "logging_collector = off\n",
      options_.tcp_port > 0 ? "127.0.0.1" : "", port(), socket_dir.string());
  if (!options_.durable) {
    // Survives a killed server (commits still reach the OS), not a killed machine.
    conf += "fsync = off\nfull_page_writes = off\n";
  }
  fs::path path = data_dir_ / "airpg.conf";
  AIRPG_RETURN_IF_ERROR(WriteFile(path, conf, 0600));
  return user.Own(path);
}

Status EmbeddedCluster::ClearStalePidFile() const {
  fs::path pidfile = data_dir_ / "postmaster.pid";
  if (!fs::exists(pidfile)) return Status::Ok();
  pid_t pid = ReadPostmasterPid(data_dir_);
  if (IsLivePostgres(pid)) return Status::Ok();
  // The server died without cleaning up (SIGKILL, power loss); its pid may
  // since belong to another process, which Postgres would take for itself.
  log::Warn("removing stale postmaster.pid (pid {} is gone)", pid);
  std::error_code ec;
  fs::remove(pidfile, ec);
  return Status::Ok();
}

Status EmbeddedCluster::StartServer() {
  AIRPG_ASSIGN_OR_RETURN(ServerUser user, ServerUser::ForThisProcess());
  AIRPG_ASSIGN_OR_RETURN(fs::path bin, FindBinDir(options_.bin_dir));
  std::vector<std::string> argv = {(bin / "pg_ctl").string(),
                                   "-D",
                                   data_dir_.string(),
                                   "-l",
                                   log_file().string(),
                                   "-w",
                                   "-t",
                                   "60",
                                   "-s",
                                   "start"};
  // After a SIGKILL the old server's children take a moment to notice and
  // release shared memory; until then a start fails. Retry for a while.
  Status last;
  bool started = WaitUntil(std::chrono::seconds(20), [&] {
    Result<ProcessOutput> out = RunPostgresTool(user, argv);
    if (!out.ok()) {
      last = out.status();
      return false;
    }
    if (out->ok()) return true;
    last =
        UnavailableError(fmt::format("embedded Postgres did not start: {}{}", out->err, LogTail()));
    ClearStalePidFile().IgnoreError();
    return false;
  });
  if (!started) return last;
  log::Info("embedded Postgres running on {}", socket_dir().string());
  return Status::Ok();
}

Status EmbeddedCluster::EnsureDatabase() {
  Result<Connection> admin = Status(StatusCode::kUnavailable, "not connected");
  // pg_ctl -w returns once the server accepts connections; allow for a slow host.
  WaitUntil(std::chrono::seconds(10), [&] {
    admin = Connection::Open(Url("postgres"));
    return admin.ok();
  });
  if (!admin.ok()) return admin.status();
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows, admin->Exec("SELECT 1 FROM pg_database WHERE datname = $1", {options_.database}));
  if (!rows.empty()) return Status::Ok();
  Status created = admin->Run("CREATE DATABASE " + QuoteIdentifier(options_.database));
  // Another process may have created it between the check and here.
  if (created.code() == StatusCode::kAlreadyExists) return Status::Ok();
  return created;
}

Status EmbeddedCluster::Stop() {
  AIRPG_ASSIGN_OR_RETURN(ClusterState state, State());
  if (state != ClusterState::kRunning) return Status::Ok();
  AIRPG_ASSIGN_OR_RETURN(ServerUser user, ServerUser::ForThisProcess());
  AIRPG_ASSIGN_OR_RETURN(fs::path bin, FindBinDir(options_.bin_dir));
  AIRPG_ASSIGN_OR_RETURN(ProcessOutput out,
                         RunPostgresTool(user, {(bin / "pg_ctl").string(), "-D", data_dir_.string(),
                                                "-m", "fast", "-w", "-t", "60", "-s", "stop"}));
  if (!out.ok()) {
    return UnavailableError(fmt::format("embedded Postgres did not stop: {}", out.err));
  }
  if (private_socket_dir_) {
    // Only when empty (the server removed its socket); the next start makes a fresh one.
    if (fs::path dir = socket_dir(); !dir.empty() && ::rmdir(dir.c_str()) == 0) {
      std::error_code ec;
      fs::remove(socket_dir_record(), ec);
    }
  }
  return Status::Ok();
}

std::string EmbeddedCluster::LogTail() const {
  std::ifstream in(log_file());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > 5) lines.erase(lines.begin());
  }
  std::string out;
  for (const std::string& line : lines) out += "\n  " + line;
  return out.empty() ? "" : "; server log:" + out;
}

}  // namespace airpg::pg
