// Issue 17: what `airpg serve` wires for Meta API writes and fault
// injection, through the real binary: a field created through serve's Meta
// API is in Airtable (the emulator) and in the catalog when the answer
// arrives; `--inject-faults` makes /__airpg/faults fail the next API request
// with Airtable's 429, and without the flag that endpoint is not served.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "emulated_base_test.h"
#include "http/client.h"
#include "serve_process.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kBase[] = "appConform0000001";
constexpr char kArtists[] = "tblArtists0000001";

class ServeMetaCliTest : public EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
    UseTestBase(airpg_, "patServeTest");
    ProcessOutput migrate = airpg_.Run({"migrate", "--base", kBase});
    ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
    ProcessOutput created = airpg_.Run({"token", "create", "app", "--bases", kBase, "--scopes",
                                        "data.records:read,schema.bases:read,schema.bases:write"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    token_ = Lines(created.out).at(0);
  }

  // Starts serve with `extra` arguments; its URL, "" when it did not start.
  std::string Serve(std::vector<std::string> extra) {
    std::vector<std::string> args = {"serve", "--base", kBase, "--port", "0", "--threads", "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = airpg_.Start(args, "serve");
    if (serve_ == nullptr) return "";
    return ServeUrl(*serve_);
  }

  Result<http::Response> Send(const std::string& method, const std::string& url,
                              const nlohmann::json& body = nullptr) {
    return http::Client().Send(
        method, url, {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}},
        body.is_null() ? "" : body.dump());
  }

  AirpgProcess airpg_;
  std::unique_ptr<ChildProcess> serve_;
  std::string token_;
};

TEST_F(ServeMetaCliTest, MetaWriteIsMirroredBeforeTheAnswer) {
  std::string url = Serve({});
  ASSERT_FALSE(url.empty());
  auto made = Send("POST", url + "/v0/meta/bases/" + kBase + "/tables/" + kArtists + "/fields",
                   {{"name", "Studio"}, {"type", "singleLineText"}});
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->status, 200) << made->body;
  std::string field_id = nlohmann::json::parse(made->body)["id"];
  EXPECT_EQ(Scalar("SELECT airtable_name FROM airpg.fields WHERE field_id = '" + field_id + "'"),
            "Studio");
  // Without --inject-faults there are no fault endpoints.
  auto faults = Send("POST", url + "/__airpg/faults", {{"failNext", {{"status", 429}}}});
  ASSERT_TRUE(faults.ok());
  EXPECT_NE(faults->status, 200);
}

TEST_F(ServeMetaCliTest, InjectFaultsFailsTheNextRequests) {
  std::string url = Serve({"--inject-faults"});
  ASSERT_FALSE(url.empty());
  auto set = Send("POST", url + "/__airpg/faults", {{"failNext", {{"status", 429}, {"count", 1}}}});
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->status, 200) << set->body;
  std::string list = url + "/v0/" + kBase + "/" + kArtists + "?maxRecords=1";
  auto limited = Send("GET", list);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(nlohmann::json::parse(limited->body)["error"]["type"], "RATE_LIMIT_REACHED")
      << limited->body;
  auto served = Send("GET", list);
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(served->status, 200) << served->body;
  auto stats = Send("GET", url + "/__airpg/stats");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(nlohmann::json::parse(stats->body)["faultsInjected"], 1) << stats->body;
}

}  // namespace
}  // namespace airpg::testing
