#include "airtable/client.h"

#include <charconv>

#include <fmt/core.h>

#include "airtable/api_error.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/version.h"

namespace airpg::airtable {
namespace {

bool IsSuccess(int status) { return status >= 200 && status <= 299; }

// Seconds from a Retry-After header (the delta form Airtable documents for 503).
std::chrono::milliseconds RetryAfter(const http::Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name != "retry-after") continue;
    int seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && seconds > 0) return std::chrono::seconds(seconds);
  }
  return std::chrono::milliseconds(0);
}

}  // namespace

Client::Client(ClientOptions options, Pacer& pacer, std::unique_ptr<Transport> transport)
    : options_(std::move(options)),
      pacer_(pacer),
      transport_(std::move(transport)),
      user_agent_(fmt::format("airpg/{}", kVersion)) {
  RegisterSecret(options_.token);
  while (!options_.endpoint_url.empty() && options_.endpoint_url.back() == '/') {
    options_.endpoint_url.pop_back();
  }
}

ClientStats Client::stats() const {
  return {requests_.load(), retries_.load(), rate_limited_.load(), server_errors_.load(),
          foreign_rate_limited_.load()};
}

Result<std::string> Client::Call(std::string_view base_id, Priority priority, Retry retry,
                                 std::string method, const std::string& path_and_query,
                                 std::string body, ApiError* api_error) {
  return CallHost(options_.endpoint_url, base_id, priority, retry, std::move(method),
                  path_and_query, std::move(body), api_error);
}

Result<std::string> Client::CallHost(const std::string& host_url, std::string_view base_id,
                                     Priority priority, Retry retry, std::string method,
                                     const std::string& path_and_query, std::string body,
                                     ApiError* api_error) {
  HttpCall call{std::move(method),
                host_url + path_and_query,
                {{"Authorization", "Bearer " + options_.token},
                 {"User-Agent", user_agent_},
                 {"Accept", "application/json"}},
                std::move(body)};
  if (!call.body.empty()) call.headers.emplace_back("Content-Type", "application/json");
  Backoff backoff(options_.backoff);
  int rate_limit_retries = 0;
  while (true) {
    if (options_.stop.stop_requested()) return CancelledError("stopped");
    AIRPG_RETURN_IF_ERROR(pacer_.Acquire(base_id, priority, options_.stop));
    ++requests_;
    Result<http::Response> response = transport_->Send(call);
    Status failure;
    bool may_retry = false;
    std::chrono::milliseconds at_least(0);
    if (!response.ok()) {
      // The request may or may not have reached Airtable: repeat reads only.
      ++server_errors_;
      failure = response.status();
      may_retry = retry == Retry::kAlways;
    } else if (IsSuccess(response->status)) {
      return std::move(response->body);
    } else if (response->status == 429) {
      ++rate_limited_;
      // The pacer tells whose 429 it was: another client of the base (it
      // backs off and logs that once) or airpg's own, a pacing bug.
      if (pacer_.OnRateLimited(base_id, options_.rate_limit_penalty) == RateLimitCause::kOurs) {
        log::Warn("Airtable answered 429 for {} {}: a pacing bug; holding base {} back {} ms",
                  call.method, path_and_query, base_id, options_.rate_limit_penalty.count());
      } else {
        ++foreign_rate_limited_;
      }
      ApiError error = ParseApiError(429, response->body);
      if (api_error != nullptr) *api_error = error;
      failure = ToStatus(error);
      // A 429 means nothing was done, so even a create is safe to send again;
      // the pacer waits out the penalty.
      if (++rate_limit_retries <= options_.max_rate_limit_retries) {
        ++retries_;
        continue;
      }
    } else if (response->status >= 500) {
      ++server_errors_;
      ApiError error = ParseApiError(response->status, response->body);
      if (api_error != nullptr) *api_error = error;
      failure = ToStatus(error);
      // 503 is documented as "safe to retry"; other 5xx may have been applied.
      may_retry = retry == Retry::kAlways || response->status == 503;
      at_least = RetryAfter(*response);
    } else if (response->status == 401) {
      // Whatever the command, the fix is the same: the token (issue 15).
      return ToStatus(ParseApiError(401, response->body))
          .WithContext("Airtable refused the token in AIRTABLE_TOKEN");
    } else {
      ApiError error = ParseApiError(response->status, response->body);
      if (api_error != nullptr) *api_error = error;
      return ToStatus(error);
    }
    if (!may_retry) return failure;
    std::optional<std::chrono::milliseconds> delay = backoff.Next();
    if (!delay)
      return failure.WithContext(fmt::format("gave up after {} retries", backoff.attempts()));
    // Said at the first retry, not after the whole backoff has run out in silence.
    if (backoff.attempts() == 1) {
      log::Warn("Airtable at {} did not answer {} {} ({}): retrying up to {} times", host_url,
                call.method, path_and_query, failure.message(), options_.backoff.max_attempts);
    }
    if (!pacer_.clock().SleepFor(std::max(*delay, at_least), options_.stop)) {
      return CancelledError("stopped while waiting to retry");
    }
    ++retries_;
  }
}

Result<BaseSchema> Client::GetBaseSchema(std::string_view base_id, bool include_visible_field_ids,
                                         Priority priority) {
  std::string path = fmt::format("/v0/meta/bases/{}/tables", http::PercentEncode(base_id));
  if (include_visible_field_ids) path += "?include=visibleFieldIds";
  return Read<BaseSchema>(base_id, priority, "GET", path, "", ParseBaseSchema);
}

Result<BaseInfo> Client::GetBaseInfo(std::string_view base_id, Priority priority) {
  std::string offset;
  do {
    std::string path = "/v0/meta/bases";
    if (!offset.empty()) path += "?offset=" + http::PercentEncode(offset);
    // The list of bases belongs to no base: it counts for the token's limit
    // only (issue 6: pacing it as the base's spent one of the base's 5 slots
    // of the first second of a migration).
    AIRPG_ASSIGN_OR_RETURN(BaseList page,
                           Read<BaseList>("", priority, "GET", path, "", ParseBaseList));
    for (BaseInfo& info : page.bases) {
      if (info.id == base_id) return std::move(info);
    }
    offset = page.offset;
  } while (!offset.empty());
  return NotFoundError(fmt::format("base {} is not among the bases this token can see", base_id));
}

}  // namespace airpg::airtable
