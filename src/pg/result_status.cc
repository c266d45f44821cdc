#include "pg/result_status.h"

#include <libpq-fe.h>

#include <string>

#include <fmt/core.h>

#include "base/redact.h"
#include "pg/sqlstate.h"

namespace airpg::pg {
namespace {

std::string Field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value ? value : "";
}

std::string TrimmedConnectionError(pg_conn* conn) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message.empty() ? "connection lost" : message;
}

}  // namespace

Status CheckResult(pg_conn* conn, const pg_result* result) {
  if (result == nullptr) {
    return UnavailableError(Redact(TrimmedConnectionError(conn)));
  }
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
    case PGRES_SINGLE_TUPLE:
      return Status::Ok();
    default:
      break;
  }
  std::string sqlstate = Field(result, PG_DIAG_SQLSTATE);
  if (sqlstate.empty() || PQstatus(conn) != CONNECTION_OK) {
    return UnavailableError(Redact(TrimmedConnectionError(conn)));
  }
  std::string message = Field(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string detail = Field(result, PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) message += fmt::format(" ({})", detail);
  return StatusFromSqlState(sqlstate, Redact(message));
}

}  // namespace airpg::pg
