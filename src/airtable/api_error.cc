#include "airtable/api_error.h"

#include <simdjson.h>

#include <fmt/core.h>

#include "base/redact.h"

namespace airpg::airtable {

ApiError ParseApiError(int http_status, std::string_view body) {
  ApiError error;
  error.http_status = http_status;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return error;
  simdjson::dom::element value;
  if (root["error"].get(value) != simdjson::SUCCESS) return error;
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {  // {"error":"NOT_FOUND"}
    error.type = std::string(text);
    return error;
  }
  if (value["type"].get_string().get(text) == simdjson::SUCCESS) error.type = std::string(text);
  if (value["message"].get_string().get(text) == simdjson::SUCCESS) {
    error.message = std::string(text);
  }
  return error;
}

Status ToStatus(const ApiError& error) {
  std::string text = fmt::format("HTTP {}", error.http_status);
  if (!error.type.empty()) text += " " + error.type;
  if (!error.message.empty()) text += ": " + error.message;
  text = Redact(text);
  int s = error.http_status;
  if (error.type == kIteratorNotAvailable) return AbortedError(text);
  if (s == 401) return UnauthenticatedError(text);
  if (s == 403) return PermissionDeniedError(text);
  if (s == 404) return NotFoundError(text);
  if (s == 400 || s == 413 || s == 422) return InvalidArgumentError(text);
  if (s == 429) return ResourceExhaustedError(text);
  if (s >= 500 && s <= 599) return UnavailableError(text);
  return InternalError(text);
}

}  // namespace airpg::airtable
