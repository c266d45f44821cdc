#include "pg/rows.h"

#include <libpq-fe.h>

#include <cstdlib>

namespace airpg::pg {

Rows::Rows(pg_result* result) : result_(result) {}

Rows::Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

Rows::~Rows() {
  if (result_) PQclear(result_);
}

int Rows::size() const { return result_ ? PQntuples(result_) : 0; }
int Rows::columns() const { return result_ ? PQnfields(result_) : 0; }

bool Rows::IsNull(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }

std::string_view Rows::Get(int row, int col) const {
  return std::string_view(PQgetvalue(result_, row, col),
                          static_cast<size_t>(PQgetlength(result_, row, col)));
}

std::optional<std::string> Rows::Optional(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return std::string(Get(row, col));
}

std::string_view Rows::ColumnName(int col) const { return PQfname(result_, col); }

int Rows::ColumnIndex(std::string_view name) const {
  for (int c = 0; c < columns(); ++c) {
    if (ColumnName(c) == name) return c;
  }
  return -1;
}

int64_t Rows::AffectedRows() const {
  if (!result_) return 0;
  const char* n = PQcmdTuples(result_);
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

std::string_view Rows::CommandTag() const { return result_ ? PQcmdStatus(result_) : ""; }

}  // namespace airpg::pg
