#include "daemon/airtable_metrics.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "airtable/client.h"
#include "airtable/pacer.h"

namespace airpg::daemon {
namespace {

// Airtable answering 429 to everything, as when another client has put the
// base into its penalty.
class RateLimitedTransport final : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall&) override {
    http::Response response;
    response.status = 429;
    response.body = R"({"errors":[{"error":"RATE_LIMIT_REACHED"}]})";
    return response;
  }
};

TEST(AirtableMetricsTest, ForeignRateLimitsAreCountedPerBase) {
  airtable::Pacer pacer;
  airtable::ClientOptions options;
  options.endpoint_url = "http://127.0.0.1:1";
  options.token = "patMetricsTest000.0123";
  options.max_rate_limit_retries = 0;  // report the 429, do not wait it out
  airtable::Client client(options, pacer, std::make_unique<RateLimitedTransport>());
  MetricsRegistry metrics;
  CountForeignRateLimits(metrics, client, "appNeighbour");
  EXPECT_NE(metrics.Render().find("airpg_airtable_foreign_429_total{base=\"appNeighbour\"} 0\n"),
            std::string::npos);

  // One request of airpg's in the window and a 429: another client's doing.
  Result<airtable::BaseSchema> schema = client.GetBaseSchema("appNeighbour", false);
  EXPECT_EQ(schema.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(client.stats().foreign_rate_limited, 1);
  std::string text = metrics.Render();
  EXPECT_NE(text.find("# TYPE airpg_airtable_foreign_429_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("airpg_airtable_foreign_429_total{base=\"appNeighbour\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(metrics.Render().find("airpg_airtable_foreign_429_total{base=\"appNeighbour\"} 1\n"),
            std::string::npos);  // a second render adds nothing
}

}  // namespace
}  // namespace airpg::daemon
