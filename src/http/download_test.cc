// Download against a real loopback server: the schemes it follows, the
// redirect limit and the size cap (issue 14).
#include "http/download.h"

#include <gtest/gtest.h>

#include <string>

#include "http/server.h"

namespace airpg::http {
namespace {

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_
                    .Start({},
                           [](const Request& req) {
                             Response res;
                             res.content_type = "application/octet-stream";
                             if (req.target == "/file") {
                               res.body = std::string(2000, 'x');
                             } else if (req.target.rfind("/hop/", 0) == 0) {
                               // /hop/N redirects to /hop/N-1, and /hop/0 to /file.
                               int n = std::stoi(req.target.substr(5));
                               res.status = 302;
                               res.headers.emplace_back(
                                   "Location", n == 0 ? "/file" : "/hop/" + std::to_string(n - 1));
                             } else if (req.target == "/to-file-scheme") {
                               res.status = 302;
                               res.headers.emplace_back("Location", "file:///etc/passwd");
                             } else {
                               res.status = 404;
                             }
                             return res;
                           })
                    .ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_.port());
  }

  Result<DownloadInfo> Get(const std::string& url, int64_t max_bytes = 1 << 20) {
    received_.clear();
    return Download(
        url, {},
        [this](std::string_view piece) {
          received_ += piece;
          return Status::Ok();
        },
        max_bytes);
  }

  Server server_;
  std::string base_;
  std::string received_;
};

TEST_F(DownloadTest, FetchesHttpAndFollowsAFewRedirects) {
  auto got = Get(base_ + "/hop/" + std::to_string(kMaxRedirects - 1));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->bytes, 2000);
  EXPECT_EQ(received_, std::string(2000, 'x'));
}

TEST_F(DownloadTest, TooManyRedirectsIsRefused) {
  auto got = Get(base_ + "/hop/" + std::to_string(kMaxRedirects));
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status().ToString();
  EXPECT_TRUE(received_.empty());
}

TEST_F(DownloadTest, OnlyHttpAndHttpsAreFetched) {
  for (std::string url : {"file:///etc/passwd", "FILE:///etc/hostname", "ftp://127.0.0.1/x",
                          "gopher://127.0.0.1/x", "/etc/passwd"}) {
    auto got = Get(url);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(received_.empty()) << url;
  }
  // Nor through a redirect.
  auto redirected = Get(base_ + "/to-file-scheme");
  EXPECT_EQ(redirected.status().code(), StatusCode::kInvalidArgument)
      << redirected.status().ToString();
  EXPECT_TRUE(received_.empty()) << received_;
}

TEST_F(DownloadTest, AnnouncedBodyOverTheCapIsRefusedBeforeAnyByte) {
  auto got = Get(base_ + "/file", 1000);
  EXPECT_EQ(got.status().code(), StatusCode::kResourceExhausted) << got.status().ToString();
  EXPECT_TRUE(received_.empty());
  auto exact = Get(base_ + "/file", 2000);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->bytes, 2000);
}

TEST_F(DownloadTest, ErrorsNeverShowTheUrlsSecrets) {
  // Nothing listens on port 1.
  auto got = Get("http://user:pr0xy-pass@127.0.0.1:1/a?signature=s1gned-value");
  ASSERT_FALSE(got.ok());
  std::string text = got.status().ToString();
  EXPECT_EQ(text.find("pr0xy-pass"), std::string::npos) << text;
  EXPECT_EQ(text.find("s1gned-value"), std::string::npos) << text;
  EXPECT_EQ(text.find("user"), std::string::npos) << text;
}

}  // namespace
}  // namespace airpg::http
