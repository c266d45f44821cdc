// CopyWriter: streams rows into a table with COPY … FROM STDIN (text format),
// the fast path of every bulk load. A scope: unless Finish() succeeded, the
// destructor aborts the COPY so no partial load is ever committed by it.
// Single-thread; borrows the Connection, which must outlive it and must not
// be used for anything else until the writer is finished or destroyed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::pg {

class CopyWriter {
 public:
  // Starts COPY "schema"."table" ("col", …) FROM STDIN. Identifiers are quoted here.
  static Result<CopyWriter> Start(Connection& conn, std::string_view schema, std::string_view table,
                                  const std::vector<std::string>& columns);

  CopyWriter(CopyWriter&& other) noexcept;
  CopyWriter& operator=(CopyWriter&&) = delete;
  CopyWriter(const CopyWriter&) = delete;
  CopyWriter& operator=(const CopyWriter&) = delete;
  ~CopyWriter();

  // Buffers one row (values in Postgres text form, nullopt = NULL); sends
  // when the buffer passes 256 KiB. REQUIRES: values.size() == column count.
  Status WriteRow(const std::vector<Param>& values);

  // Ends the COPY and returns the number of rows the server stored.
  Result<int64_t> Finish();

  // Ends the COPY with an error so the server discards it.
  Status Abort(std::string_view reason);

 private:
  CopyWriter(Connection* conn, size_t columns) : conn_(conn), columns_(columns) {}
  Status Flush();

  Connection* conn_;  // null once finished or aborted
  size_t columns_;
  std::string buffer_;
};

}  // namespace airpg::pg
