#include "pg/cursor.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"

namespace airpg::pg {

Result<Cursor> Cursor::Open(Transaction& tx, std::string_view name, std::string_view sql,
                            const std::vector<Param>& params, int batch) {
  if (batch < 1) return InvalidArgumentError("a cursor's batch must hold at least one row");
  std::string quoted = QuoteIdentifier(name);
  AIRPG_RETURN_IF_ERROR(
      tx.Run(fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", quoted, sql), params));
  return Cursor(&tx, std::move(quoted), batch);
}

Result<bool> Cursor::Advance() {
  if (++row_ < rows_.size()) return true;
  if (last_batch_) {
    row_ = rows_.size();
    return false;
  }
  AIRPG_ASSIGN_OR_RETURN(rows_, tx_->Exec(fmt::format("FETCH FORWARD {} FROM {}", batch_, name_)));
  last_batch_ = rows_.size() < batch_;
  row_ = 0;
  return rows_.size() > 0;
}

Status Cursor::Close() {
  if (tx_ == nullptr) return Status::Ok();
  Transaction* tx = tx_;
  tx_ = nullptr;
  last_batch_ = true;
  rows_ = Rows();
  row_ = 0;
  return tx->Run("CLOSE " + name_);
}

}  // namespace airpg::pg
