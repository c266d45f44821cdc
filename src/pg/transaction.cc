#include "pg/transaction.h"

#include "base/log.h"

namespace airpg::pg {

Result<Transaction> Transaction::Begin(Connection& conn, Isolation isolation) {
  std::string_view sql = "BEGIN ISOLATION LEVEL READ COMMITTED";
  if (isolation == Isolation::kRepeatableRead) sql = "BEGIN ISOLATION LEVEL REPEATABLE READ";
  if (isolation == Isolation::kSerializable) sql = "BEGIN ISOLATION LEVEL SERIALIZABLE";
  AIRPG_RETURN_IF_ERROR(conn.Run(sql));
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept : conn_(other.conn_) {
  other.conn_ = nullptr;
}

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  Status s = Rollback();
  if (!s.ok()) log::Warn("rollback failed: {}", s.ToString());
}

Status Transaction::Commit() {
  if (conn_ == nullptr) return FailedPreconditionError("transaction already finished");
  Connection* conn = conn_;
  conn_ = nullptr;
  // COMMIT of a transaction that already failed answers ROLLBACK without an
  // error: check the command tag so a failed transaction is never reported OK.
  AIRPG_ASSIGN_OR_RETURN(Rows rows, conn->Exec("COMMIT"));
  if (rows.CommandTag() == "ROLLBACK") {
    return AbortedError("transaction rolled back at COMMIT: an earlier statement failed");
  }
  return Status::Ok();
}

Status Transaction::Rollback() {
  if (conn_ == nullptr) return FailedPreconditionError("transaction already finished");
  Connection* conn = conn_;
  conn_ = nullptr;
  return conn->Run("ROLLBACK");
}

}  // namespace airpg::pg
