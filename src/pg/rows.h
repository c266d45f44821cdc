// Rows: the owned result of one query, read by row and column in text form.
// Lives in the Postgres layer; libpq's PGresult never leaves src/pg/.
// Thread-compatible; movable, not copyable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct pg_result;

namespace airpg::pg {

class Rows {
 public:
  Rows() = default;
  // Takes ownership of `result` (may be null: no rows).
  explicit Rows(pg_result* result);
  Rows(Rows&& other) noexcept;
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  int columns() const;
  bool empty() const { return size() == 0; }

  // REQUIRES: 0 <= row < size(), 0 <= col < columns().
  bool IsNull(int row, int col) const;
  // The text value; empty for NULL (use IsNull or Optional to tell them apart).
  std::string_view Get(int row, int col) const;
  std::optional<std::string> Optional(int row, int col) const;

  std::string_view ColumnName(int col) const;
  // Column index by name, or -1.
  int ColumnIndex(std::string_view name) const;

  // Rows touched by INSERT/UPDATE/DELETE/COPY (PQcmdTuples), 0 when not applicable.
  int64_t AffectedRows() const;

  // The command tag without counts' context, e.g. "COMMIT", "ROLLBACK", "INSERT 0 3".
  std::string_view CommandTag() const;

 private:
  pg_result* result_ = nullptr;
};

}  // namespace airpg::pg
