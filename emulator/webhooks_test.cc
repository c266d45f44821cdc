// Webhooks: create/list/refresh/enable/delete, payloads by cursor, filters,
// 7-day expiry on the emulated clock, and pings with a correct MAC.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "airtable/webhook_mac.h"
#include "emulator/test_env.h"
#include "http/server.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

const std::string kHooks = "/v0/bases/appTestBase000001/webhooks";
constexpr int64_t kWeek = 7LL * 24 * 3600 * 1000;

json Spec(json filters, json includes = json()) {
  json options = {{"filters", filters}};
  if (!includes.is_null()) options["includes"] = includes;
  return {{"options", options}};
}

// A loopback HTTP server that records the pings it receives.
class Receiver {
 public:
  explicit Receiver(int status = 200) : status_(status) {
    EXPECT_TRUE(server_
                    .Start({},
                           [this](const http::Request& request) {
                             std::lock_guard lock(mu_);
                             pings_.push_back(request);
                             arrived_.notify_all();
                             http::Response response;
                             response.status = status_;
                             response.body = "";
                             return response;
                           })
                    .ok());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hook"; }
  // Waits (up to 10 s) until `count` pings have arrived.
  bool WaitFor(size_t count) {
    std::unique_lock lock(mu_);
    return arrived_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return pings_.size() >= count; });
  }
  std::vector<http::Request> pings() {
    std::lock_guard lock(mu_);
    return pings_;
  }

 private:
  int status_;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<http::Request> pings_;
  http::Server server_;  // last: stops before the members its handler uses
};

// Polls the hook list (up to 10 s) until the hook has a notification result
// matching `done`.
json WaitForResult(TestEmulator& emu, const std::function<bool(const json&)>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  json result;
  while (std::chrono::steady_clock::now() < deadline) {
    result = emu.Get(kHooks).body["webhooks"][0]["lastNotificationResult"];
    if (!result.is_null() && done(result)) return result;
    std::this_thread::yield();
  }
  return result;
}

TEST(EmulatorWebhooksTest, CreateAndList) {
  TestEmulator emu;
  json spec = Spec({{"dataTypes", {"tableData"}}, {"recordChangeScope", "tblClients0000001"}});
  Reply created = emu.Post(kHooks, {{"specification", spec}});
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = created.body["id"];
  EXPECT_EQ(id.substr(0, 3), "ach");
  std::string secret;
  ASSERT_TRUE(airtable::Base64Decode(created.body["macSecretBase64"].get<std::string>(), &secret));
  EXPECT_EQ(secret.size(), 128u);
  EXPECT_EQ(created.body["expirationTime"], "2025-01-08T00:00:00.000Z");
  Reply list = emu.Get(kHooks);
  ASSERT_EQ(list.status, 200);
  json hook = list.body["webhooks"][0];
  EXPECT_EQ(hook["id"], id);
  EXPECT_EQ(hook["specification"], spec);
  EXPECT_TRUE(hook["notificationUrl"].is_null());
  EXPECT_EQ(hook["cursorForNextPayload"], 1);
  EXPECT_EQ(hook["isHookEnabled"], true);
  EXPECT_EQ(hook["areNotificationsEnabled"], true);
  EXPECT_TRUE(hook["lastNotificationResult"].is_null());
  EXPECT_FALSE(hook.contains("macSecretBase64"));
  EXPECT_EQ(emu.Post(kHooks, {{"specification", Spec({{"dataTypes", json::array()}})}}).status,
            422);
  EXPECT_EQ(emu.Delete(kHooks + "/" + id).body, json::object());
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"].size(), 0u);
  EXPECT_EQ(emu.Delete(kHooks + "/" + id).status, 403);
}

TEST(EmulatorWebhooksTest, PayloadsByCursor) {
  TestEmulator emu;
  std::string id =
      emu.Post(kHooks, {{"specification", Spec({{"dataTypes", {"tableData"}}},
                                               {{"includePreviousCellValues", true}})}})
          .body["id"];
  std::string bob = std::string(kClients) + "/recBob00000000001";
  std::string created =
      emu.Post(kClients, {{"fields", {{"Name", "New"}, {"Status", "Done"}}}}).body["id"];
  emu.Patch(bob, {{"fields", {{"Age", 26}}}});
  emu.Delete(std::string(kClients) + "/" + created);
  std::string payloads = kHooks + "/" + id + "/payloads";
  Reply all = emu.Get(payloads + "?cursor=1");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.body["cursor"], 4);
  EXPECT_EQ(all.body["mightHaveMore"], false);
  EXPECT_EQ(all.body["payloadFormat"], "v0");
  ASSERT_EQ(all.body["payloads"].size(), 3u);
  const json& p1 = all.body["payloads"][0];
  EXPECT_EQ(p1["actionMetadata"]["source"], "publicApi");
  EXPECT_EQ(p1["actionMetadata"]["sourceMetadata"]["user"]["id"], "usrTestUser000001");
  EXPECT_EQ(p1["timestamp"], "2025-01-01T00:00:00.000Z");
  const json& added = p1["changedTablesById"]["tblClients0000001"]["createdRecordsById"][created];
  EXPECT_EQ(added["cellValuesByFieldId"]["fldStatus00000001"],
            json({{"id", "selDone000000001"}, {"name", "Done"}, {"color", "greenLight2"}}));
  const json& changed = all.body["payloads"][1]["changedTablesById"]["tblClients0000001"]
                                ["changedRecordsById"]["recBob00000000001"];
  // Score ({Age} * 2) is recomputed and reported with the field it reads.
  EXPECT_EQ(changed["current"]["cellValuesByFieldId"],
            json({{"fldAge00000000001", 26}, {"fldScore000000001", 52}}));
  EXPECT_EQ(changed["previous"]["cellValuesByFieldId"],
            json({{"fldAge00000000001", 25}, {"fldScore000000001", 50}}));
  EXPECT_EQ(all.body["payloads"][2]["changedTablesById"]["tblClients0000001"]["destroyedRecordIds"],
            json({created}));
  EXPECT_LT(p1["baseTransactionNumber"], all.body["payloads"][2]["baseTransactionNumber"]);

  Reply page = emu.Get(payloads + "?cursor=1&limit=2");
  EXPECT_EQ(page.body["payloads"].size(), 2u);
  EXPECT_EQ(page.body["cursor"], 3);
  EXPECT_EQ(page.body["mightHaveMore"], true);
  Reply rest = emu.Get(payloads + "?cursor=3");
  EXPECT_EQ(rest.body["payloads"].size(), 1u);
  Reply none = emu.Get(payloads + "?cursor=4");
  EXPECT_EQ(none.body["payloads"].size(), 0u);
  EXPECT_EQ(none.body["cursor"], 4);
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"][0]["cursorForNextPayload"], 4);
}

TEST(EmulatorWebhooksTest, FiltersAndSources) {
  TestEmulator emu;
  std::string regs =
      emu.Post(kHooks, {{"specification", Spec({{"dataTypes", {"tableData"}},
                                                {"recordChangeScope", "tblRegistrations1"}})}})
          .body["id"];
  std::string adds =
      emu.Post(kHooks,
               {{"specification", Spec({{"dataTypes", {"tableData"}}, {"changeTypes", {"add"}}})}})
          .body["id"];
  std::string ui =
      emu.Post(kHooks, {{"specification",
                         Spec({{"dataTypes", {"tableData"}}, {"fromSources", {"client"}}})}})
          .body["id"];
  std::string fields =
      emu.Post(kHooks, {{"specification", Spec({{"dataTypes", {"tableFields"}}})}}).body["id"];
  emu.Patch(std::string(kClients) + "/recBob00000000001", {{"fields", {{"Age", 1}}}});
  emu.Post(kClients, {{"fields", {{"Name", "A"}}}});
  Reply by_ui =
      emu.Post("/__emulator/ui/appTestBase000001/Clients", {{"fields", {{"Name", "UI"}}}});
  ASSERT_EQ(by_ui.status, 200) << by_ui.body;
  emu.Post("/v0/meta/bases/appTestBase000001/tables/tblClients0000001/fields",
           {{"name", "Phone"}, {"type", "phoneNumber"}});
  auto count = [&](const std::string& id) {
    return emu.Get(kHooks + "/" + id + "/payloads").body["payloads"].size();
  };
  EXPECT_EQ(count(regs), 0u);
  EXPECT_EQ(count(adds), 2u);
  EXPECT_EQ(count(ui), 1u);
  json field_payloads = emu.Get(kHooks + "/" + fields + "/payloads").body["payloads"];
  ASSERT_EQ(field_payloads.size(), 1u);
  const json& created =
      field_payloads[0]["changedTablesById"]["tblClients0000001"]["createdFieldsById"];
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created.begin().value(), json({{"name", "Phone"}, {"type", "phoneNumber"}}));
  json ui_payload = emu.Get(kHooks + "/" + ui + "/payloads").body["payloads"][0];
  EXPECT_EQ(ui_payload["actionMetadata"]["source"], "client");
}

TEST(EmulatorWebhooksTest, ExpiryAfterSevenDaysAndRefresh) {
  TestEmulator emu;
  std::string id =
      emu.Post(kHooks, {{"specification", Spec({{"dataTypes", {"tableData"}}})}}).body["id"];
  emu.emulator().AdvanceClock(kWeek - 1000);
  Reply refreshed = emu.Post(kHooks + "/" + id + "/refresh", json::object());
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(refreshed.body["expirationTime"], "2025-01-14T23:59:59.000Z");
  emu.emulator().AdvanceClock(kWeek - 1000);
  emu.Get(kHooks + "/" + id + "/payloads");  // listing payloads also extends the expiry
  emu.emulator().AdvanceClock(kWeek - 1);
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"][0]["isHookEnabled"], true);
  emu.emulator().AdvanceClock(1);
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"][0]["isHookEnabled"], false);
  emu.Post(kClients, {{"fields", {{"Name", "late"}}}});
  EXPECT_EQ(emu.Get(kHooks + "/" + id + "/payloads").body["payloads"].size(), 0u);
  EXPECT_EQ(emu.Post(kHooks + "/" + id + "/refresh", json::object()).status, 422);
  emu.emulator().AdvanceClock(kWeek);  // expired hooks vanish a week later
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"].size(), 0u);
}

TEST(EmulatorWebhooksTest, PayloadsAreKeptSevenDays) {
  TestEmulator emu;
  std::string id =
      emu.Post(kHooks, {{"specification", Spec({{"dataTypes", {"tableData"}}})}}).body["id"];
  emu.Post(kClients, {{"fields", {{"Name", "old"}}}});
  emu.emulator().AdvanceClock(kWeek / 2);
  emu.Post(kHooks + "/" + id + "/refresh", json::object());
  emu.Post(kClients, {{"fields", {{"Name", "new"}}}});
  emu.emulator().AdvanceClock(kWeek / 2);
  Reply r = emu.Get(kHooks + "/" + id + "/payloads?cursor=1");
  ASSERT_EQ(r.body["payloads"].size(), 1u);
  EXPECT_EQ(r.body["cursor"], 3);
}

TEST(EmulatorWebhooksTest, PingsCarryAValidMac) {
  TestEmulator emu;
  Receiver receiver;
  Reply created = emu.Post(kHooks, {{"notificationUrl", receiver.url()},
                                    {"specification", Spec({{"dataTypes", {"tableData"}}})}});
  ASSERT_EQ(created.status, 200);
  std::string id = created.body["id"];
  std::string secret;
  ASSERT_TRUE(airtable::Base64Decode(created.body["macSecretBase64"].get<std::string>(), &secret));
  emu.Post(kClients, {{"fields", {{"Name", "ping me"}}}});
  ASSERT_TRUE(receiver.WaitFor(1));
  http::Request ping = receiver.pings()[0];
  EXPECT_EQ(ping.method, "POST");
  EXPECT_EQ(json::parse(ping.body), json({{"base", {{"id", "appTestBase000001"}}},
                                          {"webhook", {{"id", id}}},
                                          {"timestamp", "2025-01-01T00:00:00.000Z"}}));
  EXPECT_EQ(ping.Header("x-airtable-content-mac"), airtable::ContentMac(secret, ping.body));
  // What airpg's receiver checks: the header against the secret as Airtable shows it.
  EXPECT_TRUE(airtable::VerifyContentMac(created.body["macSecretBase64"].get<std::string>(),
                                         ping.body, ping.Header("x-airtable-content-mac")));
  json result = WaitForResult(emu, [](const json& r) { return r["success"] == true; });
  EXPECT_EQ(result["success"], true);
  EXPECT_EQ(result["retryNumber"], 0);
  EXPECT_FALSE(result.contains("willBeRetried"));
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"][0]["lastSuccessfulNotificationTime"],
            "2025-01-01T00:00:00.000Z");
}

TEST(EmulatorWebhooksTest, FailedPingsAreRetriedOnTheEmulatedClock) {
  TestEmulator emu;
  Receiver receiver(404);
  emu.Post(kHooks, {{"notificationUrl", receiver.url()},
                    {"specification", Spec({{"dataTypes", {"tableData"}}})}});
  emu.Post(kClients, {{"fields", {{"Name", "x"}}}});
  ASSERT_TRUE(receiver.WaitFor(1));
  json failed = WaitForResult(emu, [](const json& r) { return r["success"] == false; });
  EXPECT_EQ(failed["error"]["message"],
            "The HTTP request returned a 404 status code instead of 200 or 204.");
  EXPECT_EQ(failed["willBeRetried"], true);
  EXPECT_EQ(failed["retryNumber"], 0);
  emu.emulator().AdvanceClock(30000);
  ASSERT_TRUE(receiver.WaitFor(2));
  json retried = WaitForResult(emu, [](const json& r) { return r["retryNumber"] == 1; });
  EXPECT_EQ(retried["retryNumber"], 1);
}

TEST(EmulatorWebhooksTest, DuplicatedPingsFault) {
  TestEmulator emu;
  Receiver receiver;
  emu.Post("/__emulator/faults", {{"duplicatePing", 1.0}});
  emu.Post(kHooks, {{"notificationUrl", receiver.url()},
                    {"specification", Spec({{"dataTypes", {"tableData"}}})}});
  emu.Post(kClients, {{"fields", {{"Name", "x"}}}});
  ASSERT_TRUE(receiver.WaitFor(2));
  EXPECT_EQ(receiver.pings()[0].body, receiver.pings()[1].body);
}

TEST(EmulatorWebhooksTest, NotificationsCanBeSwitchedOff) {
  TestEmulator emu;
  std::string id =
      emu.Post(kHooks, {{"specification", Spec({{"dataTypes", {"tableData"}}})}}).body["id"];
  Reply off = emu.Post(kHooks + "/" + id + "/enableNotifications", {{"enable", false}});
  ASSERT_EQ(off.status, 200);
  EXPECT_EQ(off.body, json::object());
  EXPECT_EQ(emu.Get(kHooks).body["webhooks"][0]["areNotificationsEnabled"], false);
  emu.Post(kClients, {{"fields", {{"Name", "x"}}}});
  EXPECT_EQ(emu.Get(kHooks + "/" + id + "/payloads").body["payloads"].size(), 1u);
  EXPECT_EQ(emu.Post(kHooks + "/" + id + "/enableNotifications", json::object()).status, 422);
}

}  // namespace
}  // namespace airpg::emulator
