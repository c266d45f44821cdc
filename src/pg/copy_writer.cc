#include "pg/copy_writer.h"

#include <libpq-fe.h>

#include <fmt/core.h>

#include "base/log.h"
#include "pg/quote.h"
#include "pg/result_status.h"

namespace airpg::pg {
namespace {

constexpr size_t kFlushBytes = 256 * 1024;

// Reads the results that follow the end of a COPY; returns the first error.
Result<int64_t> DrainResults(pg_conn* conn) {
  Status status;
  int64_t rows = 0;
  while (PGresult* res = PQgetResult(conn)) {
    Rows owner(res);
    Status s = CheckResult(conn, res);
    if (status.ok() && !s.ok()) status = s;
    if (s.ok()) rows += owner.AffectedRows();
  }
  if (!status.ok()) return status;
  return rows;
}

}  // namespace

Result<CopyWriter> CopyWriter::Start(Connection& conn, std::string_view schema,
                                     std::string_view table,
                                     const std::vector<std::string>& columns) {
  if (columns.empty()) return InvalidArgumentError("COPY needs at least one column");
  std::string sql = fmt::format("COPY {} (", QualifiedName(schema, table));
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += QuoteIdentifier(columns[i]);
  }
  sql += ") FROM STDIN";
  PGresult* res = PQexec(conn.raw(), sql.c_str());
  Rows owner(res);
  AIRPG_RETURN_IF_ERROR(CheckResult(conn.raw(), res));
  if (PQresultStatus(res) != PGRES_COPY_IN) return InternalError("server did not enter COPY IN");
  return CopyWriter(&conn, columns.size());
}

CopyWriter::CopyWriter(CopyWriter&& other) noexcept
    : conn_(other.conn_), columns_(other.columns_), buffer_(std::move(other.buffer_)) {
  other.conn_ = nullptr;
}

CopyWriter::~CopyWriter() {
  if (conn_ == nullptr) return;
  Status s = Abort("COPY abandoned before Finish()");
  if (!s.ok()) log::Warn("aborting COPY: {}", s.ToString());
}

Status CopyWriter::WriteRow(const std::vector<Param>& values) {
  if (conn_ == nullptr) return FailedPreconditionError("COPY already finished");
  if (values.size() != columns_) {
    return InvalidArgumentError(
        fmt::format("COPY row has {} values for {} columns", values.size(), columns_));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) buffer_ += '\t';
    AppendCopyField(&buffer_, values[i]);
  }
  buffer_ += '\n';
  if (buffer_.size() >= kFlushBytes) return Flush();
  return Status::Ok();
}

Status CopyWriter::Flush() {
  if (buffer_.empty()) return Status::Ok();
  if (PQputCopyData(conn_->raw(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    return conn_->LastError("sending COPY data");
  }
  buffer_.clear();
  return Status::Ok();
}

Result<int64_t> CopyWriter::Finish() {
  if (conn_ == nullptr) return FailedPreconditionError("COPY already finished");
  Status flushed = Flush();
  if (!flushed.ok()) {
    Abort("send failed").IgnoreError();
    return flushed;
  }
  Connection* conn = conn_;
  conn_ = nullptr;
  if (PQputCopyEnd(conn->raw(), nullptr) != 1) return conn->LastError("ending COPY");
  return DrainResults(conn->raw());
}

Status CopyWriter::Abort(std::string_view reason) {
  if (conn_ == nullptr) return FailedPreconditionError("COPY already finished");
  Connection* conn = conn_;
  conn_ = nullptr;
  buffer_.clear();
  std::string message(reason);
  if (PQputCopyEnd(conn->raw(), message.c_str()) != 1) return conn->LastError("aborting COPY");
  // The server answers the abort with an error result (57014); that is the expected outcome.
  Result<int64_t> drained = DrainResults(conn->raw());
  if (drained.ok() || drained.status().code() == StatusCode::kCancelled) return Status::Ok();
  return drained.status();
}

}  // namespace airpg::pg
