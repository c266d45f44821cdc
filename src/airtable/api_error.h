// ApiError: an Airtable error response, read from any of the three body
// shapes of API.md §4 ({"error":{"type","message"}}, {"error":"TYPE"},
// {"error":{"type"}}) or from a body that is not JSON at all, and turned into
// a Status whose code says what the caller does next (docs/errors.md).
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace airpg::airtable {

struct ApiError {
  int http_status = 0;
  std::string type;     // e.g. "INVALID_VALUE_FOR_COLUMN"; "" when the body had none
  std::string message;  // the server's message; "" when the body had none
};

// Reads the error of a non-2xx response. Never fails: an unreadable body
// gives an ApiError with the status only.
ApiError ParseApiError(int http_status, std::string_view body);

// The Status for an error: 401 → kUnauthenticated, 403 → kPermissionDenied,
// 404 → kNotFound, 400/413/422 → kInvalidArgument (but
// LIST_RECORDS_ITERATOR_NOT_AVAILABLE → kAborted: restart the listing),
// 429 → kResourceExhausted, 5xx → kUnavailable. The message is
// "HTTP 422 TYPE: message" with secrets redacted.
Status ToStatus(const ApiError& error);

inline constexpr std::string_view kIteratorNotAvailable = "LIST_RECORDS_ITERATOR_NOT_AVAILABLE";

}  // namespace airpg::airtable
