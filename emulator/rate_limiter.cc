#include "emulator/rate_limiter.h"

#include "emulator/clock.h"

namespace airpg::emulator {
namespace {

Json BucketJson(int64_t requests, int64_t limited, int64_t penalty_until, int64_t now) {
  Json out = {{"requests", requests}, {"rateLimited", limited}};
  if (penalty_until > now) out["penaltyUntil"] = FormatIsoMillis(penalty_until);
  return out;
}

}  // namespace

bool RateLimiter::Check(Bucket& bucket, int limit, int64_t now) {
  if (now < bucket.penalty_until) return false;
  while (!bucket.recent.empty() && bucket.recent.front() <= now - config_.window_millis) {
    bucket.recent.pop_front();
  }
  if (static_cast<int>(bucket.recent.size()) >= limit) {
    bucket.penalty_until = now + config_.penalty_millis;
    bucket.recent.clear();
    return false;
  }
  return true;
}

bool RateLimiter::Admit(const std::string& base_id, const std::string& token, int64_t now) {
  ++requests_;
  Bucket* base = base_id.empty() ? nullptr : &bases_[base_id];
  Bucket& tok = tokens_[token];
  if (base) ++base->requests;
  ++tok.requests;
  bool admitted = true;
  if (config_.enabled) {
    // Both limits are checked so that each one's penalty starts on its own overflow.
    bool token_ok = Check(tok, config_.per_token, now);
    bool base_ok = base == nullptr || !token_ok || Check(*base, config_.per_base, now);
    admitted = token_ok && base_ok;
  }
  if (!admitted) {
    ++limited_;
    ++tok.limited;
    if (base) ++base->limited;
    return false;
  }
  tok.recent.push_back(now);
  if (base) base->recent.push_back(now);
  return true;
}

Json RateLimiter::Stats(int64_t now) const {
  Json bases = Json::object(), tokens = Json::object();
  for (const auto& [id, b] : bases_)
    bases[id] = BucketJson(b.requests, b.limited, b.penalty_until, now);
  for (const auto& [token, b] : tokens_) {
    std::string shown = token.substr(0, 6) + "…";
    tokens[shown] = BucketJson(b.requests, b.limited, b.penalty_until, now);
  }
  return {{"requests", requests_},
          {"rateLimited", limited_},
          {"rateLimits",
           {{"enabled", config_.enabled},
            {"perBase", config_.per_base},
            {"perToken", config_.per_token},
            {"windowMillis", config_.window_millis},
            {"penaltyMillis", config_.penalty_millis}}},
          {"bases", bases},
          {"tokens", tokens}};
}

void RateLimiter::set_config(const Config& config) {
  config_ = config;
  for (auto& [id, bucket] : bases_) bucket.penalty_until = 0;
  for (auto& [token, bucket] : tokens_) bucket.penalty_until = 0;
}

void RateLimiter::ResetCounters() {
  bases_.clear();
  tokens_.clear();
  requests_ = 0;
  limited_ = 0;
}

}  // namespace airpg::emulator
