#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "http/client.h"

namespace airpg::http {
namespace {

TEST(HttpServerTest, PortZeroPicksAFreePortAndServesEveryMethod) {
  Server server;
  ASSERT_TRUE(server
                  .Start({},
                         [](const Request& req) {
                           Response res;
                           res.body = req.method + " " + req.target + " " +
                                      std::string(req.Header("x-test")) + " " + req.body;
                           res.content_type = "text/plain";
                           res.headers.emplace_back("X-Reply", "yes");
                           return res;
                         })
                  .ok());
  ASSERT_GT(server.port(), 0);
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  Client client;
  for (std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    auto res = client.Send(method, base + "/v0/a%2Fb/?x=1+2", {{"X-Test", "hi"}}, "");
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, method + " /v0/a%2Fb/?x=1+2 hi ");
  }
  auto res = client.Send("POST", base + "/p", {{"Content-Type", "application/json"}}, "{\"a\":1}");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body, "POST /p  {\"a\":1}");
  bool saw_reply = false;
  for (const auto& [name, value] : res->headers) saw_reply |= (name == "x-reply" && value == "yes");
  EXPECT_TRUE(saw_reply);
  server.Stop();
  server.Stop();
  EXPECT_FALSE(client.Send("GET", base + "/").ok());
}

TEST(HttpServerTest, TwoServersGetDifferentPorts) {
  Server a, b;
  auto echo = [](const Request&) { return Response{}; };
  ASSERT_TRUE(a.Start({}, echo).ok());
  ASSERT_TRUE(b.Start({}, echo).ok());
  EXPECT_NE(a.port(), b.port());
}

TEST(HttpServerTest, HandlerExceptionBecomesJson500) {
  Server server;
  ASSERT_TRUE(
      server.Start({}, [](const Request&) -> Response { throw std::runtime_error("x"); }).ok());
  Client client;
  auto res = client.Send("GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body.front(), '{');
}

}  // namespace
}  // namespace airpg::http
