#include "api/meta_writer.h"

#include "airtable/wire/api_error.h"
#include "airtable/wire/api_path.h"
#include "base/log.h"
#include "http/url.h"

namespace airpg::api {
namespace {

using airtable::wire::ApiError;

}  // namespace

bool IsMetaWrite(const http::Request& request) {
  if (request.method != "POST" && request.method != "PATCH") return false;
  auto [encoded_path, query] = http::SplitTarget(request.target);
  std::vector<std::string> path = http::SplitPath(encoded_path);  // v0 meta bases {b} tables …
  if (path.size() < 5 || path[1] != "meta" || path[2] != "bases" || path[4] != "tables") {
    return false;
  }
  if (path.size() == 5) return request.method == "POST";   // create a table
  if (path.size() == 6) return request.method == "PATCH";  // update a table
  if (path.size() == 7) return path[6] == "fields" && request.method == "POST";
  return path.size() == 8 && path[6] == "fields" && request.method == "PATCH";
}

http::Response WriteMeta(pg::Connection& conn, airtable::Client* upstream,
                         const SchemaMirror& mirror, const http::Request& request,
                         const std::string& base_id) {
  if (upstream == nullptr) {
    return ApiError{503, "SERVICE_UNAVAILABLE", "Airtable is not configured for this server"}
        .ToResponse();
  }
  // A create is sent again only when Airtable surely did nothing (a second
  // send could make a second table or field); a rename may always repeat.
  // Airtable gets the path rebuilt from the checked segments, never the
  // client's raw target.
  auto [encoded_path, query] = http::SplitTarget(request.target);
  airtable::wire::ApiResult<airtable::wire::ApiPath> path =
      airtable::wire::ParseApiPath(encoded_path);
  if (!path.ok()) return path.error().ToResponse();
  std::string target = path->Encoded();
  if (!query.empty()) target += "?" + std::string(query);
  airtable::ApiError upstream_error;
  Result<std::string> body =
      upstream->Call(base_id, airtable::Priority::kApplication,
                     request.method == "PATCH" ? airtable::Client::Retry::kAlways
                                               : airtable::Client::Retry::kIfNotApplied,
                     request.method, target, request.body, &upstream_error);
  if (!body.ok()) {
    if (upstream_error.http_status >= 400 && upstream_error.http_status < 500 &&
        !upstream_error.type.empty()) {
      return ApiError{upstream_error.http_status, upstream_error.type, upstream_error.message}
          .ToResponse();
    }
    if (body.status().code() == StatusCode::kResourceExhausted) {
      return airtable::wire::RateLimitReached().ToResponse();
    }
    return ApiError{503, "SERVICE_UNAVAILABLE", "Airtable did not answer"}.ToResponse();
  }
  if (mirror) {
    if (Status mirrored = mirror(conn, base_id); !mirrored.ok()) {
      log::Warn(
          "serve: {} {} was made in Airtable but not yet mirrored into Postgres ({}); the "
          "sync's schema check will apply it",
          request.method, request.target, mirrored.ToString());
    }
  }
  http::Response response;
  response.body = std::move(*body);
  return response;
}

}  // namespace airpg::api
