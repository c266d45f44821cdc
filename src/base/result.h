// Result<T>: a value or a non-OK Status, never OK-without-value.
// Thread-compatible, like the T it holds.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "base/status.h"

namespace airpg {

template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok(). An OK status without a value is a programmer
  // error; it is turned into kInternal so release builds stay honest.
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok());
    if (std::get<Status>(data_).ok()) data_ = InternalError("Result built from an OK status");
  }
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(data_); }

  // The error; OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when this holds an error (the error is dropped:
  // only for callers to whom any error means "use the default").
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<Status, T> data_;
};

}  // namespace airpg

#define AIRPG_CONCAT_INNER_(a, b) a##b
#define AIRPG_CONCAT_(a, b) AIRPG_CONCAT_INNER_(a, b)

// AIRPG_ASSIGN_OR_RETURN(auto x, Call()): binds the value or returns the error.
#define AIRPG_ASSIGN_OR_RETURN(lhs, expr) \
  AIRPG_ASSIGN_OR_RETURN_IMPL_(AIRPG_CONCAT_(airpg_result_, __LINE__), lhs, expr)
#define AIRPG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
