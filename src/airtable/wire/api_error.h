// ApiError: an Airtable error response (status, type, message) in one of the
// three body shapes of API.md §4, and ApiResult<T>, a value or an ApiError,
// which the emulator's handlers pass between stages.
// Thread-compatible values.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "http/message.h"

namespace airpg::airtable::wire {

struct ApiError {
  enum class Shape {
    kObject,           // {"error":{"type":T,"message":M}}
    kObjectNoMessage,  // {"error":{"type":T}}
    kBareString,       // {"error":T}
  };
  int status = 422;
  std::string type;
  std::string message;
  Shape shape = Shape::kObject;

  http::Response ToResponse() const;
};

// Builders for the errors the emulator returns; wording as API.md §4.
ApiError RouteNotFound();                           // 404 {"error":"NOT_FOUND"}
ApiError ModelNotFound();                           // 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND
ApiError AuthenticationRequired();                  // 401 AUTHENTICATION_REQUIRED
ApiError RateLimitReached();                        // 429 RATE_LIMIT_REACHED
ApiError InvalidRequest(std::string message = "");  // 422 INVALID_REQUEST_UNKNOWN
ApiError BadJson();                                 // 400 INVALID_REQUEST_UNKNOWN
ApiError Unprocessable(std::string type, std::string message);  // 422 TYPE
ApiError UnknownFieldName(const std::string& name);             // 422 UNKNOWN_FIELD_NAME
ApiError ViewNameNotFound(const std::string& view);             // 422 VIEW_NAME_NOT_FOUND

template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(ApiError error) : data_(std::move(error)) {}  // NOLINT: implicit by design
  ApiResult(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(data_); }
  const ApiError& error() const { return std::get<ApiError>(data_); }
  T& value() { return std::get<T>(data_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<ApiError, T> data_;
};

}  // namespace airpg::airtable::wire

// Binds the value of an ApiResult or returns its error from the enclosing
// function (which returns an ApiResult or an ApiError-constructible type).
#define WIRE_ASSIGN_OR_RETURN(lhs, expr) \
  WIRE_ASSIGN_OR_RETURN_IMPL_(WIRE_CONCAT_(wire_result_, __LINE__), lhs, expr)
#define WIRE_CONCAT_INNER_(a, b) a##b
#define WIRE_CONCAT_(a, b) WIRE_CONCAT_INNER_(a, b)
#define WIRE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp.value())
