#include "emulator/faults.h"

namespace airpg::emulator {
namespace {

ApiError ErrorFor(int status) {
  switch (status) {
    case 429:
      return RateLimitReached();
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

}  // namespace

ApiResult<Json> FaultInjector::Configure(const Json& body) {
  if (!body.is_object()) return InvalidRequest();
  Config next = config_;
  for (auto [key, target] : {std::pair<const char*, double*>{"error500", &next.error_500},
                             {"error502", &next.error_502},
                             {"error503", &next.error_503},
                             {"error429", &next.error_429},
                             {"truncate", &next.truncate},
                             {"dropPing", &next.drop_ping},
                             {"duplicatePing", &next.duplicate_ping}}) {
    if (!body.contains(key)) continue;
    if (!body[key].is_number() || body[key].get<double>() < 0 || body[key].get<double>() > 1) {
      return InvalidRequest(std::string(key) + " must be a probability between 0 and 1");
    }
    *target = body[key].get<double>();
  }
  if (body.contains("attachmentLatencyMs")) {
    const Json& v = body["attachmentLatencyMs"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0) {
      return InvalidRequest("attachmentLatencyMs must be a non-negative integer");
    }
    next.attachment_latency_millis = v.get<int64_t>();
  }
  if (body.contains("latencyMs")) {
    if (!body["latencyMs"].is_number_integer() || body["latencyMs"].get<int64_t>() < 0) {
      return InvalidRequest("latencyMs must be a non-negative integer");
    }
    next.latency_millis = body["latencyMs"].get<int64_t>();
  }
  if (body.contains("failNext")) {
    const Json& fail = body["failNext"];
    int status = fail.is_object() ? fail.value("status", 0) : 0;
    if (status < 400 || status > 599) return InvalidRequest("failNext.status must be 4xx or 5xx");
    fail_next_status_ = status;
    fail_next_count_ = fail.value("count", int64_t{1});
  }
  config_ = next;
  return ToJson();
}

Json FaultInjector::ToJson() const {
  Json out = {{"error500", config_.error_500},
              {"error502", config_.error_502},
              {"error503", config_.error_503},
              {"error429", config_.error_429},
              {"truncate", config_.truncate},
              {"latencyMs", config_.latency_millis},
              {"attachmentLatencyMs", config_.attachment_latency_millis},
              {"dropPing", config_.drop_ping},
              {"duplicatePing", config_.duplicate_ping},
              {"injected", injected_}};
  if (fail_next_count_ > 0) {
    out["failNext"] = {{"status", fail_next_status_}, {"count", fail_next_count_}};
  }
  return out;
}

bool FaultInjector::Roll(double probability) {
  if (probability <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < probability;
}

std::optional<ApiError> FaultInjector::NextError() {
  if (fail_next_count_ > 0) {
    --fail_next_count_;
    ++injected_;
    return ErrorFor(fail_next_status_);
  }
  for (auto [p, status] : {std::pair{config_.error_500, 500},
                           {config_.error_502, 502},
                           {config_.error_503, 503},
                           {config_.error_429, 429}}) {
    if (Roll(p)) {
      ++injected_;
      return ErrorFor(status);
    }
  }
  return std::nullopt;
}

int FaultInjector::NextPingCopies() {
  if (Roll(config_.drop_ping)) {
    ++injected_;
    return 0;
  }
  if (Roll(config_.duplicate_ping)) {
    ++injected_;
    return 2;
  }
  return 1;
}

bool FaultInjector::NextTruncate() {
  if (!Roll(config_.truncate)) return false;
  ++injected_;
  return true;
}

}  // namespace airpg::emulator
