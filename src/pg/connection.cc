#include "pg/connection.h"

#include <libpq-fe.h>

#include <fmt/core.h>

#include <string_view>
#include <unordered_map>

#include "base/log.h"
#include "base/redact.h"
#include "pg/conninfo.h"
#include "pg/result_status.h"

namespace airpg::pg {
namespace {

// Server notices (e.g. "does not exist, skipping") go to the debug log, not stderr.
void LogNotice(void* /*arg*/, const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log::Debug("postgres: {}", text);
}

// libpq's messages end with a newline and may span lines; keep the first.
std::string FirstLine(const char* message) {
  std::string_view text = message ? message : "";
  size_t end = text.find('\n');
  std::string line(text.substr(0, end));
  return line.empty() ? "unknown error" : line;
}

}  // namespace

struct Connection::Prepared {
  std::unordered_map<std::string, std::string> names;  // SQL text → statement name
  uint64_t next = 0;
};

Connection::Connection(pg_conn* conn) : conn_(conn), prepared_(std::make_unique<Prepared>()) {}

Result<Connection> Connection::Open(const std::string& conninfo) {
  AIRPG_RETURN_IF_ERROR(ValidateConnInfo(conninfo));
  // A default connect timeout, so an unreachable host fails in seconds rather
  // than hanging; the connection string's own connect_timeout, if any, wins
  // because libpq applies the expanded dbname after the earlier keywords.
  const char* keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"10", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return ResourceExhaustedError("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Redact(FirstLine(PQerrorMessage(conn)));
    bool auth = PQconnectionNeedsPassword(conn) || PQconnectionUsedPassword(conn) ||
                message.find("authentication failed") != std::string::npos;
    PQfinish(conn);
    std::string text = fmt::format("cannot connect to Postgres: {}", message);
    return auth ? UnauthenticatedError(text) : UnavailableError(text);
  }
  // Every session speaks UTF-8 and ISO dates, whatever the server defaults are.
  PQsetNoticeProcessor(conn, &LogNotice, nullptr);
  Connection result(conn);
  AIRPG_RETURN_IF_ERROR(
      result.RunScript("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; "
                       "SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3"));
  // A backend notices that its client died (a killed airpg) only when it next
  // talks to it; one busy in a long statement or waiting on a lock would go
  // on holding the dead job's locks — advisory ones included — until then.
  // With this (Postgres 14+) it polls the socket while it works and ends
  // within a second of the client.
  if (result.ServerVersion() >= 140000) {
    AIRPG_RETURN_IF_ERROR(result.Run("SET client_connection_check_interval = '1s'"));
  }
  return result;
}

Connection::Connection(Connection&& other) noexcept
    : conn_(other.conn_), prepared_(std::move(other.prepared_)) {
  other.conn_ = nullptr;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_) PQfinish(conn_);
    conn_ = other.conn_;
    prepared_ = std::move(other.prepared_);
    other.conn_ = nullptr;
  }
  return *this;
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

Result<Rows> Connection::Exec(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string statement(sql);
  PGresult* res = PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()),
                               /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                               /*paramFormats=*/nullptr, /*resultFormat=*/0);
  Rows rows(res);
  AIRPG_RETURN_IF_ERROR(CheckResult(conn_, res));
  return rows;
}

Result<Rows> Connection::ExecPrepared(std::string_view sql, const std::vector<Param>& params) {
  constexpr size_t kMaxPrepared = 256;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string statement(sql);
  for (int attempt = 0;; ++attempt) {
    auto it = prepared_->names.find(statement);
    if (it == prepared_->names.end()) {
      if (prepared_->names.size() >= kMaxPrepared) {
        AIRPG_RETURN_IF_ERROR(RunScript("DEALLOCATE ALL"));
        prepared_->names.clear();
      }
      std::string name = fmt::format("airpg_p{}", prepared_->next++);
      PGresult* made = PQprepare(conn_, name.c_str(), statement.c_str(),
                                 static_cast<int>(params.size()), /*paramTypes=*/nullptr);
      Rows owner(made);
      AIRPG_RETURN_IF_ERROR(CheckResult(conn_, made));
      it = prepared_->names.emplace(statement, std::move(name)).first;
    }
    PGresult* res = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                                   values.data(), /*paramLengths=*/nullptr,
                                   /*paramFormats=*/nullptr, /*resultFormat=*/0);
    Rows rows(res);
    Status status = CheckResult(conn_, res);
    if (status.ok()) return rows;
    // 0A000 on an existing statement: a DDL changed its result's row type.
    // Its plan cannot be reused; prepare it afresh, once.
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (attempt > 0 || state == nullptr || std::string_view(state) != "0A000" || !IsHealthy()) {
      return status;
    }
    AIRPG_RETURN_IF_ERROR(Run(fmt::format("DEALLOCATE {}", it->second)));
    prepared_->names.erase(it);
  }
}

Status Connection::Run(std::string_view sql, const std::vector<Param>& params) {
  return Exec(sql, params).status();
}

Status Connection::RunScript(std::string_view sql) {
  std::string script(sql);
  // PQexec returns the last statement's result; an earlier failure stops the script there.
  PGresult* res = PQexec(conn_, script.c_str());
  Rows owner(res);
  return CheckResult(conn_, res);
}

bool Connection::IsHealthy() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

int Connection::ServerVersion() const { return conn_ ? PQserverVersion(conn_) : 0; }

Status Connection::LastError(std::string_view what) const {
  return UnavailableError(fmt::format("{}: {}", what, Redact(FirstLine(PQerrorMessage(conn_)))));
}

}  // namespace airpg::pg
