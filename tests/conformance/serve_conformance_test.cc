// Issue 17: the official airtable.js suite (airtable_js.test.js, unchanged
// but for AIRTABLE_ADMIN_URL) against the API of `airpg serve`, in process:
// the emulator's base is migrated into Postgres, the API listens on its own
// port, and node runs the suite with AIRTABLE_ENDPOINT_URL pointing at it.
//
// The suite's control calls (AIRTABLE_ADMIN_URL) go to this test's own admin
// server, which stands for "the system under test" as the emulator alone
// does in the emulator's run:
//   reset  → the emulator is reset and, in postgres mode, where the state
//            lives in Postgres, the base is migrated again (a fresh copy);
//   faults, stats → serve's opt-in fault injection (api/fault_injection.h),
//            so the 429 tests exercise the client's retry against airpg in
//            every mode (in postgres mode no request reaches Airtable).
// The whole suite runs in all three modes; in postgres mode `view` comes from
// the per-view snapshots the migration took.
#include <gtest/gtest.h>

#include <atomic>

#include "api/api_service.h"
#include "api/fault_injection.h"
#include "api/routes.h"
#include "base/subprocess.h"
#include "http/client.h"
#include "http/server.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "tests/integration/emulated_base_test.h"

namespace airpg::testing {
namespace {

constexpr char kBase[] = "appConform0000001";

class ServeConformanceTest : public EmulatedBaseTest {
 protected:
  void StartServe(api::RouteMode mode) {
    mode_ = mode;
    StartEmulator(ReadFile(AIRPG_CONFORMANCE_DIR "/data.json"));
    auto migrated = Run(kBase);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    ASSERT_TRUE(AllowPostgresWrites().ok());
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = false;  // the suite's token is the emulator's
    options.default_mode = mode;
    options.upstream = client_.get();
    // A reset migrates the base again: the next request reads the new plan.
    options.plan_ttl = std::chrono::milliseconds(0);
    api_ = std::make_unique<api::ApiService>(options);
    http::Server::Options server_options;
    server_options.threads = 4;
    ASSERT_TRUE(server_
                    .Start(server_options,
                           [this](const http::Request& request) {
                             if (auto fault = faults_.Intercept(request)) return *fault;
                             return api_->Handle(request);
                           })
                    .ok());
    ASSERT_TRUE(
        admin_
            .Start(server_options, [this](const http::Request& request) { return Admin(request); })
            .ok());
  }

  // The suite writes every table: the swap installed the write guard, and
  // the authority defaults to airtable.
  Status AllowPostgresWrites() {
    AIRPG_ASSIGN_OR_RETURN(sync::LiveBase live, sync::LoadLiveBase(conn(), kBase));
    sync::AuthorityConfig config;
    config.authority = sync::Authority::kPostgres;
    AIRPG_ASSIGN_OR_RETURN(auto resolved, sync::ResolveAuthority(live, config));
    return sync::StoreAuthority(conn(), live, resolved);
  }

  // The suite's /__emulator/{reset,faults,stats} calls (see the file comment).
  http::Response Admin(const http::Request& request) {
    std::string what = request.target.substr(request.target.rfind('/') + 1);
    http::Client http;
    if (what == "reset") {
      Control("POST", "reset", json::object());
      if (mode_ == api::RouteMode::kPostgres) {
        auto migrated = Run(kBase);
        Status writable = migrated.ok() ? AllowPostgresWrites() : migrated.status();
        if (!writable.ok()) {
          ADD_FAILURE() << "re-migrate: " << writable.ToString();
          return http::Response{500, "application/json", {}, "{}"};
        }
      }
      return http::Response{200, "application/json", {}, "{}"};
    }
    auto answer = http.Send(request.method, ServeUrl() + api::FaultInjection::kPrefix + what,
                            {{"Content-Type", "application/json"}}, request.body);
    if (!answer.ok()) return http::Response{502, "application/json", {}, "{}"};
    return http::Response{answer->status, "application/json", {}, answer->body};
  }

  std::string ServeUrl() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  // Runs the suite's tests whose names match `pattern`; their output on failure.
  void RunSuite(const std::string& pattern, size_t tests) {
    ProcessOptions options;
    options.env["AIRTABLE_ENDPOINT_URL"] = ServeUrl();
    options.env["AIRTABLE_ADMIN_URL"] = "http://127.0.0.1:" + std::to_string(admin_.port());
    options.env["AIRTABLE_API_KEY"] = "patConformanceToken";
    options.timeout = std::chrono::seconds(180);
    auto out = RunProcess({"node", "--test", "--test-name-pattern=" + pattern,
                           AIRPG_CONFORMANCE_DIR "/airtable_js.test.js"},
                          options);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->exit_code, 0) << out->out << out->err;
    EXPECT_NE(out->out.find("# pass " + std::to_string(tests) + "\n"), std::string::npos)
        << out->out;
    EXPECT_NE(out->out.find("# fail 0\n"), std::string::npos) << out->out;
  }

  api::RouteMode mode_ = api::RouteMode::kAirtable;
  api::FaultInjection faults_;
  std::unique_ptr<api::ApiService> api_;
  http::Server server_;  // stops before api_ is destroyed (declared after it)
  http::Server admin_;
};

// The suite has 13 tests; every mode runs them all (--test-name-pattern=.*).
constexpr size_t kSuiteTests = 13;

TEST_F(ServeConformanceTest, PostgresModeRunsTheSuite) {
  StartServe(api::RouteMode::kPostgres);
  RunSuite(".*", kSuiteTests);
  EXPECT_EQ(api_->stats().proxied, 0u);  // nothing reached Airtable
  EXPECT_EQ(faults_.injected(), 2);      // the two 429 tests, answered by serve
}

TEST_F(ServeConformanceTest, AirtableModeProxies) {
  StartServe(api::RouteMode::kAirtable);
  RunSuite(".*", kSuiteTests);
  EXPECT_GT(api_->stats().proxied, 0u);
}

TEST_F(ServeConformanceTest, ShadowModeServesAirtable) {
  StartServe(api::RouteMode::kShadow);
  RunSuite(".*", kSuiteTests);
  api_->DrainShadow();
  EXPECT_GT(api_->stats().shadow_compared, 0u);
}

}  // namespace
}  // namespace airpg::testing
