// EmbeddedCluster: a private Postgres cluster under airpg's data directory,
// used when no DATABASE_URL is configured. It listens on a unix socket in the
// data directory (loopback TCP only when a port is given); when that path is
// too long for a socket, in a private directory made with mkdtemp under /tmp,
// whose path is recorded in home/pg.socket-dir for other airpg processes. As root, the
// server runs as the `postgres` system user, which owns the data directory.
// Start() is idempotent and recovers from a server killed with SIGKILL.
// Thread-compatible; concurrent processes are serialised by a lock file.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"

namespace airpg::pg {

class ServerUser;

struct EmbeddedOptions {
  std::filesystem::path home;     // REQUIRED: the cluster lives in home/"pg"
  std::filesystem::path bin_dir;  // Postgres server binaries; empty: discover
  int tcp_port = 0;               // 0: unix socket only; else also 127.0.0.1:tcp_port
  bool durable = true;            // false: fsync off (throwaway test clusters)
  std::string database = "airpg";
};

enum class ClusterState { kNotInitialized, kStopped, kRunning };

std::string_view ClusterStateName(ClusterState state);

class EmbeddedCluster {
 public:
  // The superuser initdb creates; local socket connections trust it (the
  // socket directory is private to the server's owner), TCP needs its password.
  static constexpr const char* kSuperuser = "airpg";

  explicit EmbeddedCluster(EmbeddedOptions options);

  // Initialises the cluster if needed, starts it unless running, waits until
  // it accepts connections and creates the database. Idempotent.
  Status Start();

  // Fast shutdown; OK when already stopped or never initialised.
  Status Stop();

  Result<ClusterState> State() const;

  // libpq URIs. Url(): the unix socket, database `options.database`;
  // TcpUrl(): loopback TCP with a passfile= parameter (no password in the URL).
  std::string Url() const;
  std::string Url(std::string_view database) const;
  std::string TcpUrl() const;

  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path log_file() const { return data_dir_ / "server.log"; }
  std::filesystem::path passfile() const { return options_.home / "pgpass"; }
  // Where the server's socket lives: the data directory, or the private
  // directory recorded by the last Start() (empty when none is recorded yet).
  std::filesystem::path socket_dir() const;
  int port() const { return options_.tcp_port > 0 ? options_.tcp_port : 5432; }

 private:
  Status Initialize();
  Status WriteSettings();
  // Makes sure the recorded private socket directory is safe to use, or
  // creates a fresh one; only when the data directory cannot hold the socket.
  Status PrepareSocketDir(const ServerUser& user);
  std::filesystem::path socket_dir_record() const { return options_.home / "pg.socket-dir"; }
  Status StartServer();
  Status EnsureDatabase();
  Status ClearStalePidFile() const;
  std::string LogTail() const;

  EmbeddedOptions options_;
  std::filesystem::path data_dir_;
  // True when the data directory's path is too long to hold the socket.
  bool private_socket_dir_ = false;
};

}  // namespace airpg::pg
