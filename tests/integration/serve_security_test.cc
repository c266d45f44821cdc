// Issue 17, "Tokens and security": what `airpg serve` refuses before a
// request reaches Airtable. A token scoped to one base must not reach another
// through a path that climbs out of it (`..`, encoded dots: an HTTP client
// squashes them before sending), and Meta API writes are limited to served
// bases like every other request. The emulator holds two bases; serve
// serves one, proxying to Airtable (route airtable).
#include <gtest/gtest.h>

#include "api/api_service.h"
#include "api/fault_injection.h"
#include "api/tokens.h"
#include "emulated_base_test.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr char kBase[] = "appConform0000001";
constexpr char kOther[] = "appOther000000001";  // in the emulator, not served
constexpr char kArtists[] = "tblArtists0000001";

class ServeSecurityTest : public testing::EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    json data = json::parse(ReadFile(AIRPG_CONFORMANCE_DATA));
    json other = data["bases"][0];
    other["id"] = kOther;
    other["name"] = "Other";
    data["bases"].push_back(other);
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(data.dump(), kBase));
    api_ = NewService();
  }

  std::unique_ptr<api::ApiService> NewService(api::FaultInjection* faults = nullptr) {
    api::ApiServiceOptions options;
    if (faults != nullptr) {
      options.after_auth = [faults](const http::Request& r) { return faults->Intercept(r); };
    }
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = true;
    options.pool_size = 2;
    options.default_mode = api::RouteMode::kAirtable;
    options.upstream = client_.get();
    return std::make_unique<api::ApiService>(options);
  }

  std::string Token(const std::string& name, const std::vector<std::string>& bases,
                    const std::vector<std::string>& scopes) {
    auto token = api::CreateToken(conn(), name, bases, scopes);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : "";
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& token, const json& body = nullptr) {
    http::Request request;
    request.method = method;
    request.target = target;
    request.headers["authorization"] = "Bearer " + token;
    if (!body.is_null()) request.body = body.dump();
    return api_->Handle(request);
  }

  size_t TablesOf(const std::string& base_id) {
    auto schema = client_->GetBaseSchema(base_id, false);
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    return schema.ok() ? schema->tables.size() : 0;
  }

  std::unique_ptr<api::ApiService> api_;
};

TEST_F(ServeSecurityTest, APathCannotClimbOutOfItsBase) {
  std::string token =
      Token("scoped", {kBase},
            {std::string(api::kScopeRecordsRead), std::string(api::kScopeRecordsWrite)});
  std::string own = std::string("/v0/") + kBase + "/" + kArtists;
  // The base it may use is proxied to Airtable; the other one is refused.
  EXPECT_EQ(Call("GET", own, token).status, 200);
  EXPECT_EQ(Call("GET", std::string("/v0/") + kOther + "/" + kArtists, token).status, 403);
  for (std::string climb : {
           own + "/../../" + kOther + "/" + kArtists,
           own + "/%2e%2e/%2E%2E/" + kOther + "/" + kArtists,
           own + "/.%2e/..%2F" + kOther + "/" + kArtists,
           own + "/./../../" + kOther + "/" + kArtists + "?pageSize=1",
           own + "//../" + kOther + "/" + kArtists,
       }) {
    http::Response read = Call("GET", climb, token);
    EXPECT_EQ(read.status, 404) << climb << ": " << read.body;
    EXPECT_EQ(read.body.find("\"records\""), std::string::npos) << climb;
  }
  // A write that climbs is refused too, and nothing reaches the other base.
  http::Response write = Call("POST", own + "/../../" + kOther + "/" + kArtists, token,
                              {{"records", {{{"fields", {{"Name", "Intruder"}}}}}}});
  EXPECT_EQ(write.status, 404) << write.body;
  http::Client http;
  auto other = http.Send("GET", emulator_->url() + "/v0/" + kOther + "/" + kArtists,
                         {{"Authorization", "Bearer patAny"}}, "");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->body.find("Intruder"), std::string::npos) << other->body;
}

TEST_F(ServeSecurityTest, MetaWritesAreLimitedToServedBases) {
  std::string token = Token(
      "schema", {}, {std::string(api::kScopeSchemaRead), std::string(api::kScopeSchemaWrite)});
  size_t before = TablesOf(kOther);
  json table = {{"name", "Planted"}, {"fields", {{{"name", "Name"}, {"type", "singleLineText"}}}}};
  http::Response created =
      Call("POST", std::string("/v0/meta/bases/") + kOther + "/tables", token, table);
  EXPECT_EQ(created.status, 403) << created.body;
  EXPECT_EQ(json::parse(created.body, nullptr, false)["error"]["type"],
            "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  http::Response field =
      Call("POST", std::string("/v0/meta/bases/") + kOther + "/tables/" + kArtists + "/fields",
           token, {{"name", "Planted"}, {"type", "singleLineText"}});
  EXPECT_EQ(field.status, 403) << field.body;
  EXPECT_EQ(TablesOf(kOther), before);
  // Reading another base's schema is refused the same way.
  EXPECT_EQ(Call("GET", std::string("/v0/meta/bases/") + kOther + "/tables", token).status, 403);
}

// Only a live token holds its name: after a revoke the name can be used
// again (it used to be the primary key), and the revoked secret stays dead.
TEST_F(ServeSecurityTest, ARevokedTokensNameCanBeUsedAgain) {
  std::vector<std::string> read = {std::string(api::kScopeRecordsRead)};
  std::string own = std::string("/v0/") + kBase + "/" + kArtists;
  std::string first = Token("app", {kBase}, read);
  EXPECT_EQ(Call("GET", own, first).status, 200);
  auto twice = api::CreateToken(conn(), "app", {kBase}, read);
  EXPECT_EQ(twice.status().code(), StatusCode::kAlreadyExists);  // while it is live
  ASSERT_TRUE(api::RevokeToken(conn(), "app").ok());
  std::string second = Token("app", {kBase}, read);
  ASSERT_FALSE(second.empty());
  EXPECT_NE(second, first);
  // A new service: the token cache of the first would answer for a while.
  api_ = NewService();
  EXPECT_EQ(Call("GET", own, second).status, 200);
  EXPECT_EQ(Call("GET", own, first).status, 401);
  auto listed = api::ListTokens(conn());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_FALSE((*listed)[0].revoked_at.empty());  // oldest first
  EXPECT_TRUE((*listed)[1].revoked_at.empty());
}

// serve --inject-faults draws its faults after the token check, as the
// emulator does: a request with a bad token is told 401, and the fault waits
// for a request that may be answered.
TEST_F(ServeSecurityTest, InjectedFaultsComeAfterAuthentication) {
  api::FaultInjection faults;
  api_ = NewService(&faults);
  http::Request arm;
  arm.method = "POST";
  arm.target = "/__airpg/faults";
  arm.body = R"({"failNext":{"status":429,"count":1}})";
  ASSERT_EQ(faults.Intercept(arm)->status, 200);
  std::string token = Token("reader", {kBase}, {std::string(api::kScopeRecordsRead)});
  std::string own = std::string("/v0/") + kBase + "/" + kArtists;
  EXPECT_EQ(Call("GET", own, "patNotAToken.0000").status, 401);
  EXPECT_EQ(faults.injected(), 0);
  EXPECT_EQ(Call("GET", own, token).status, 429);
  EXPECT_EQ(faults.injected(), 1);
  EXPECT_EQ(Call("GET", own, token).status, 200);
}

}  // namespace
}  // namespace airpg
