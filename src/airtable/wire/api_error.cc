#include "airtable/wire/api_error.h"

#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {

http::Response ApiError::ToResponse() const {
  Json body;  // ordered: Airtable writes "type" before "message"
  switch (shape) {
    case Shape::kBareString:
      body["error"] = type;
      break;
    case Shape::kObjectNoMessage:
      body["error"] = {{"type", type}};
      break;
    case Shape::kObject:
      body["error"] = {{"type", type}, {"message", message}};
      break;
  }
  http::Response response;
  response.status = status;
  // A message may echo the request (an unknown field's name): bytes that are
  // not UTF-8 become U+FFFD instead of throwing out of the handler.
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

ApiError RouteNotFound() { return {404, "NOT_FOUND", "", ApiError::Shape::kBareString}; }

ApiError ModelNotFound() {
  return {403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
          "Invalid permissions, or the requested model was not found. Check that both your user "
          "and your token have the required permissions, and that the model names and/or ids are "
          "correct."};
}

ApiError AuthenticationRequired() {
  return {401, "AUTHENTICATION_REQUIRED", "Authentication required"};
}

ApiError RateLimitReached() {
  return {429, "RATE_LIMIT_REACHED", "Rate limit exceeded. Please try again later"};
}

ApiError InvalidRequest(std::string message) {
  if (message.empty()) {
    message = "Invalid request: parameter validation failed. Check your request data.";
  }
  return {422, "INVALID_REQUEST_UNKNOWN", std::move(message)};
}

ApiError BadJson() {
  return {400, "INVALID_REQUEST_UNKNOWN", "Invalid request: the body is not valid JSON."};
}

ApiError Unprocessable(std::string type, std::string message) {
  return {422, std::move(type), std::move(message)};
}

ApiError UnknownFieldName(const std::string& name) {
  return {422, "UNKNOWN_FIELD_NAME", "Unknown field name: \"" + name + "\""};
}

ApiError ViewNameNotFound(const std::string& view) {
  return {422, "VIEW_NAME_NOT_FOUND", "Could not find view " + view};
}

}  // namespace airpg::airtable::wire
