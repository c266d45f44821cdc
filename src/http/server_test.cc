#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/testing/raw_socket.h"

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

using testing::RawSocket;
using namespace std::chrono_literals;

Response Ok(const Request& req) {
  Response res;
  res.body = std::to_string(req.body.size());
  return res;
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

// A chunked body past the limit is refused once the limit has been read: the
// handler never runs, the connection is closed, and the sender cannot push
// more than the limit plus what the two sockets' buffers hold.
TEST(HttpServerTest, ChunkedBodyPastTheLimitIs413BeforeItIsReadWhole) {
  constexpr size_t kLimit = 1 << 20;
  constexpr size_t kOffered = 256 << 20;
  std::atomic<int> handled{0};
  Server server;
  Server::Options options;
  options.max_body_bytes = kLimit;
  ASSERT_TRUE(server
                  .Start(options,
                         [&](const Request& req) {
                           ++handled;
                           return Ok(req);
                         })
                  .ok());
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.Send("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::atomic<size_t> sent{0};
  std::thread sender([&] {
    std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    while (sent < kOffered && socket.Send(chunk)) sent += 0x10000;
  });
  std::string response = socket.ReadResponse();
  EXPECT_TRUE(socket.ClosedBy(10s));
  sender.join();
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 413")) << response.substr(0, 200);
  EXPECT_NE(response.find("REQUEST_TOO_LARGE"), std::string::npos);
  EXPECT_EQ(handled, 0);
  // Loopback socket buffers hold a few MB at most; 256 MB were offered.
  EXPECT_LT(sent, 32u << 20);
}

TEST(HttpServerTest, DeclaredLengthPastTheLimitIs413BeforeAnyBodyIsSent) {
  Server server;
  Server::Options options;
  options.max_body_bytes = 1 << 20;
  ASSERT_TRUE(server.Start(options, Ok).ok());
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 314572800\r\n\r\n"));
  std::string response = socket.ReadResponse();
  EXPECT_TRUE(StartsWith(response, "HTTP/1.1 413")) << response;
  EXPECT_TRUE(socket.ClosedBy(10s));
}

TEST(HttpServerTest, BodiesWithinTheLimitArriveWhole) {
  Server server;
  Server::Options options;
  options.max_body_bytes = 1000;
  ASSERT_TRUE(server.Start(options, Ok).ok());
  RawSocket socket(server.port());
  ASSERT_TRUE(
      socket.Send("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3e8\r\n" +
                  std::string(1000, 'y') +
                  "\r\n0\r\n\r\n"
                  "PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                  std::string(1000, 'z')));
  std::string first = socket.ReadResponse();
  std::string second = socket.ReadResponse();
  EXPECT_TRUE(StartsWith(first, "HTTP/1.1 200")) << first;
  EXPECT_TRUE(first.ends_with("\r\n\r\n1000")) << first;
  EXPECT_TRUE(second.ends_with("\r\n\r\n1000")) << second;
}

// More slow-loris connections than workers: each sent half a request head
// and holds it. None takes a worker, so a real request is answered at once.
TEST(HttpServerTest, SlowLorisConnectionsDoNotHoldTheWorkers) {
  Server server;
  Server::Options options;
  options.threads = 2;
  options.header_timeout = 60s;  // they stay for the whole test
  ASSERT_TRUE(server.Start(options, Ok).ok());
  std::vector<std::unique_ptr<RawSocket>> loris;
  for (int i = 0; i < 12; ++i) {
    loris.push_back(std::make_unique<RawSocket>(server.port()));
    ASSERT_TRUE(loris.back()->Send("GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: a"));
  }
  for (int i = 0; i < 3; ++i) {
    RawSocket healthy(server.port());
    ASSERT_TRUE(healthy.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_TRUE(StartsWith(healthy.ReadResponse(10s), "HTTP/1.1 200"));
  }
  for (auto& socket : loris) EXPECT_FALSE(socket->ClosedBy(0ms));  // still waiting
}

TEST(HttpServerTest, AHeadNotFinishedInTimeGets408AndIsClosed) {
  Server server;
  Server::Options options;
  options.header_timeout = 200ms;
  ASSERT_TRUE(server.Start(options, Ok).ok());
  RawSocket socket(server.port());
  ASSERT_TRUE(socket.Send("GET / HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(StartsWith(socket.ReadResponse(10s), "HTTP/1.1 408"));
  EXPECT_TRUE(socket.ClosedBy(10s));
}

// A body that stops arriving is given up after io_timeout; one that keeps
// trickling, at the request's deadline. Neither reaches the handler.
TEST(HttpServerTest, AStalledOrTricklingBodyIsCutAtItsDeadline) {
  std::atomic<int> handled{0};
  Server server;
  Server::Options options;
  options.io_timeout = 200ms;
  options.request_timeout = 1s;
  ASSERT_TRUE(server
                  .Start(options,
                         [&](const Request& req) {
                           ++handled;
                           return Ok(req);
                         })
                  .ok());
  RawSocket stalled(server.port());
  ASSERT_TRUE(stalled.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"));
  EXPECT_TRUE(StartsWith(stalled.ReadResponse(10s), "HTTP/1.1 408"));
  EXPECT_TRUE(stalled.ClosedBy(10s));

  RawSocket trickling(server.port());
  ASSERT_TRUE(trickling.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
  std::atomic<bool> cut{false};
  std::thread attacker([&] {
    // One byte every 50 ms: never idle for io_timeout, done only after 83 min.
    while (!cut && trickling.Send("a")) std::this_thread::sleep_for(50ms);
  });
  EXPECT_TRUE(trickling.ClosedBy(20s));
  cut = true;
  attacker.join();
  EXPECT_EQ(handled, 0);
}

TEST(HttpServerTest, AHeadTooLargeGets431) {
  Server server;
  Server::Options options;
  options.max_head_bytes = 4096;
  ASSERT_TRUE(server.Start(options, Ok).ok());
  RawSocket socket(server.port());
  socket.Send("GET / HTTP/1.1\r\nX-Big: " + std::string(100000, 'b'));
  EXPECT_TRUE(StartsWith(socket.ReadResponse(10s), "HTTP/1.1 431"));
}

// One worker, a queue of one: of two requests sent while the worker is busy,
// one waits in the queue and the other is refused with 503 at once.
TEST(HttpServerTest, AFullQueueAnswers503) {
  std::mutex mu;
  std::condition_variable cv;
  bool busy = false, release = false;
  Server server;
  Server::Options options;
  options.threads = 1;
  options.max_queued = 1;
  ASSERT_TRUE(server
                  .Start(options,
                         [&](const Request& req) {
                           std::unique_lock lock(mu);
                           busy = true;
                           cv.notify_all();
                           cv.wait(lock, [&] { return release; });
                           return Ok(req);
                         })
                  .ok());
  RawSocket first(server.port()), second(server.port()), third(server.port());
  ASSERT_TRUE(first.Send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return busy; }));
  }
  ASSERT_TRUE(second.Send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(third.Send("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Both are in before the worker is freed: the queue holds one of them.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.stats().refused_busy == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server.stats().refused_busy, 1u);
  {
    std::lock_guard lock(mu);
    release = true;
    cv.notify_all();
  }
  std::string second_response = second.ReadResponse(10s);
  std::string third_response = third.ReadResponse(10s);
  EXPECT_TRUE(StartsWith(first.ReadResponse(10s), "HTTP/1.1 200"));
  int refusals =
      StartsWith(second_response, "HTTP/1.1 503") + StartsWith(third_response, "HTTP/1.1 503");
  int served =
      StartsWith(second_response, "HTTP/1.1 200") + StartsWith(third_response, "HTTP/1.1 200");
  EXPECT_EQ(refusals, 1) << second_response << "\n---\n" << third_response;
  EXPECT_EQ(served, 1);
}

TEST(HttpServerTest, APortInUseIsRefusedNotShared) {
  Server first, second;
  ASSERT_TRUE(first.Start({}, Ok).ok());
  Server::Options options;
  options.port = first.port();
  Status status = second.Start(options, Ok);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("already in use"), std::string::npos) << status.message();
}

TEST(HttpServerTest, ListenAddressIsCheckedAndReportedAsBound) {
  Server server;
  Server::Options options;
  options.port = 70000;
  EXPECT_EQ(server.Start(options, Ok).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckListenAddress("127.0.0.1", -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckListenAddress("localhost", 80).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckListenAddress("", 80).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckListenAddress("0.0.0.0", 65535).ok());
  EXPECT_TRUE(CheckListenAddress("::1", 0).ok());
  EXPECT_EQ(FormatHostPort("::1", 80), "[::1]:80");
  Server bound;
  ASSERT_TRUE(bound.Start({}, Ok).ok());
  EXPECT_EQ(bound.address(), "127.0.0.1:" + std::to_string(bound.port()));
}

TEST(HttpServerTest, ServeBytesRunsTheSocketRequestPath) {
  Server::Options options;
  options.max_body_bytes = 10;
  std::string out = Server::ServeBytes(options, Ok,
                                       "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_TRUE(StartsWith(out, "HTTP/1.1 200"));
  EXPECT_TRUE(out.ends_with("\r\n\r\n3")) << out;
  EXPECT_TRUE(StartsWith(Server::ServeBytes(options, Ok, "NONSENSE\r\n\r\n"), "HTTP/1.1 400"));
  EXPECT_TRUE(
      StartsWith(Server::ServeBytes(options, Ok,
                                    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" +
                                        std::string(32, 'x') + "\r\n0\r\n\r\n"),
                 "HTTP/1.1 413"));
}

}  // namespace
}  // namespace airpg::http
