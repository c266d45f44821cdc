// Transaction: a scope on a Connection that rolls back on destruction unless
// Commit() succeeded (after libpqxx's transaction). The happy path ends
// explicitly; every other path (error return, exception) undoes.
// Single-thread; borrows the Connection, which must outlive it.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::pg {

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

class Transaction {
 public:
  static Result<Transaction> Begin(Connection& conn,
                                   Isolation isolation = Isolation::kReadCommitted);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back unless committed; a rollback failure is logged, never thrown.
  ~Transaction();

  Result<Rows> Exec(std::string_view sql, const std::vector<Param>& params = {}) {
    return conn_->Exec(sql, params);
  }
  Status Run(std::string_view sql, const std::vector<Param>& params = {}) {
    return conn_->Run(sql, params);
  }

  Connection& connection() { return *conn_; }

  // REQUIRES: not yet committed or rolled back. After a failed Commit the
  // transaction is over (Postgres rolled it back).
  Status Commit();
  Status Rollback();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once finished
};

}  // namespace airpg::pg
