// Cursor: a query's rows read in batches through a server-side cursor
// (DECLARE … NO SCROLL CURSOR, FETCH FORWARD n), so the client never holds a
// whole table — verification walks tables of millions of rows this way in
// constant memory. A cursor lives in its transaction and ends with it (commit
// or rollback closes it on the server); Close() ends it earlier.
// Single-thread; borrows the Transaction, which must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/rows.h"
#include "pg/transaction.h"

namespace airpg::pg {

class Cursor {
 public:
  // Declares cursor `name` (unique among the transaction's open cursors) for
  // `sql` with `params`. REQUIRES: batch >= 1.
  static Result<Cursor> Open(Transaction& tx, std::string_view name, std::string_view sql,
                             const std::vector<Param>& params, int batch);

  // Moves to the next row, fetching the next `batch` rows when the current
  // ones are used up; false once the rows are exhausted (and on every call
  // after that). Then Get/IsNull read the row moved to.
  Result<bool> Advance();
  std::string_view Get(int col) const { return rows_.Get(row_, col); }
  bool IsNull(int col) const { return rows_.IsNull(row_, col); }

  // Closes the cursor on the server (idempotent).
  Status Close();

 private:
  Cursor(Transaction* tx, std::string name, int batch)
      : tx_(tx), name_(std::move(name)), batch_(batch) {}
  Transaction* tx_;
  std::string name_;  // quoted
  int batch_;
  Rows rows_;     // the current batch
  int row_ = -1;  // the current row in rows_
  bool last_batch_ = false;
};

}  // namespace airpg::pg
