#include "api/fault_injection.h"

#include <nlohmann/json.hpp>
#include <string>

#include "airtable/wire/api_error.h"
#include "http/url.h"

namespace airpg::api {
namespace {

using airtable::wire::ApiError;
using Json = nlohmann::json;

// Airtable's body for an injected status, as the emulator answers it.
ApiError ErrorFor(int status) {
  switch (status) {
    case 429:
      return airtable::wire::RateLimitReached();
    case 503:
      return {503, "RETRIABLE_ERROR",
              "Server encountered an error while processing your request, and it is safe to "
              "retry the request"};
    case 502:
      return {502, "BAD_GATEWAY", "Bad gateway"};
    default:
      return {status, "SERVER_ERROR", "Server error"};
  }
}

http::Response JsonBody(const Json& body) {
  http::Response response;
  response.body = body.dump();
  return response;
}

}  // namespace

std::optional<http::Response> FaultInjection::Intercept(const http::Request& request) {
  auto [path, query] = http::SplitTarget(request.target);
  std::lock_guard lock(mu_);
  if (path == std::string(kPrefix) + "faults" && request.method == "POST") {
    Json body = Json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
    if (!body.is_object()) return airtable::wire::BadJson().ToResponse();
    if (body.contains("failNext")) {
      const Json& fail = body["failNext"];
      int status = fail.is_object() ? fail.value("status", 0) : 0;
      int64_t count = fail.is_object() ? fail.value("count", int64_t{1}) : 0;
      if (status < 400 || status > 599 || count < 0) {
        return airtable::wire::InvalidRequest("failNext.status must be 4xx or 5xx").ToResponse();
      }
      fail_status_ = status;
      fail_count_ = count;
    }
    Json out = {{"injected", injected_}};
    if (fail_count_ > 0) out["failNext"] = {{"status", fail_status_}, {"count", fail_count_}};
    return JsonBody(out);
  }
  if (path == std::string(kPrefix) + "stats" && request.method == "GET") {
    return JsonBody({{"faultsInjected", injected_}});
  }
  if (path.rfind("/v0/", 0) == 0 && fail_count_ > 0) {
    --fail_count_;
    ++injected_;
    return ErrorFor(fail_status_).ToResponse();
  }
  return std::nullopt;
}

int64_t FaultInjection::injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

}  // namespace airpg::api
