// Connection: one libpq connection, owned (closed on destruction). Queries
// take their values as text parameters ($1…$n), never spliced into SQL.
// Errors come back as Status, translated by SQLSTATE (pg/sqlstate.h).
// Single-thread: use one Connection per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/rows.h"

struct pg_conn;

namespace airpg::pg {

// A parameter in Postgres text form; nullopt is SQL NULL. Cast in the SQL
// where the type is not obvious ($1::numeric, $2::timestamptz, $3::text[]).
using Param = std::optional<std::string>;

class Connection {
 public:
  // Connects to a libpq URI or key/value string. Failures are kUnavailable
  // (unreachable, refused), kUnauthenticated (password rejected) or
  // kInvalidArgument (the string does not parse); the message never holds
  // the password.
  static Result<Connection> Open(const std::string& conninfo);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement with parameters and returns its rows.
  Result<Rows> Exec(std::string_view sql, const std::vector<Param>& params = {});

  // Runs one statement as a prepared statement of this session: the first
  // call with a given SQL text prepares it (named airpg_p<n>), later calls
  // only execute it, so Postgres parses and plans it once (then reuses a
  // generic plan when that is as cheap). For statements run many times with
  // different values, e.g. the API's reads. The cache holds at most 256
  // statements; past that it starts over (DEALLOCATE ALL). A statement whose
  // result type a DDL changed ("cached plan must not change result type") is
  // prepared again and run once more. REQUIRES: no transaction is open on
  // this connection (a failed statement would abort it before the retry).
  Result<Rows> ExecPrepared(std::string_view sql, const std::vector<Param>& params = {});

  // Runs one statement with parameters, for its effect only.
  Status Run(std::string_view sql, const std::vector<Param>& params = {});

  // Runs a script of several statements without parameters (static SQL files).
  Status RunScript(std::string_view sql);

  // False once the server or network dropped the connection.
  bool IsHealthy() const;

  // E.g. 150018 for 15.18.
  int ServerVersion() const;

  // For the other classes of src/pg/ only (Transaction, CopyWriter).
  pg_conn* raw() const { return conn_; }

  // The Status for the connection's last error (used by CopyWriter).
  Status LastError(std::string_view what) const;

 private:
  explicit Connection(pg_conn* conn);
  struct Prepared;  // SQL text → statement name
  pg_conn* conn_ = nullptr;
  std::unique_ptr<Prepared> prepared_;
};

}  // namespace airpg::pg
