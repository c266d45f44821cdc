// BlobLinks: a signed URL serves its blob until it expires; a forged or
// altered one, or one for another blob, is refused.
#include "blobs/blob_links.h"

#include <gtest/gtest.h>

namespace airpg::blobs {
namespace {

const std::string kSha(64, 'a');
const std::string kOther(64, 'b');

http::Request Get(const std::string& url) {
  http::Request r;
  r.method = "GET";
  r.target = url.substr(url.find("/blobs/"));
  return r;
}

Result<std::string> Read(const std::string& sha) {
  if (sha == kSha) return std::string("bytes");
  return NotFoundError("no such blob");
}

TEST(BlobLinksTest, ServesItsBlobUntilItExpires) {
  ManualClock clock;
  BlobLinks links("http://127.0.0.1:9", clock, std::chrono::seconds(60));
  std::string url = links.Url(kSha);
  ASSERT_EQ(url.rfind("http://127.0.0.1:9/blobs/" + kSha + "?expires=", 0), 0u) << url;
  http::Response ok = links.Serve(Get(url), Read);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "bytes");
  clock.Advance(std::chrono::seconds(60));
  EXPECT_EQ(links.Serve(Get(url), Read).status, 410);
}

TEST(BlobLinksTest, RefusesForgedAndForeignUrls) {
  ManualClock clock;
  BlobLinks links("http://h", clock);
  std::string url = links.Url(kSha);
  std::string forged = url;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(links.Serve(Get(forged), Read).status, 403);
  // The signature of one blob does not open another.
  std::string other = url;
  other.replace(other.find(kSha), kSha.size(), kOther);
  EXPECT_EQ(links.Serve(Get(other), Read).status, 403);
  // A later expiry with the old signature.
  std::string later = url;
  size_t at = later.find("expires=") + 8;
  later.insert(at, "9");
  EXPECT_EQ(links.Serve(Get(later), Read).status, 403);
  // Another process's key (another BlobLinks) does not match.
  BlobLinks elsewhere("http://h", clock);
  EXPECT_EQ(elsewhere.Serve(Get(url), Read).status, 403);
  EXPECT_EQ(links.Serve(Get("http://h/blobs/nothex?expires=1&sig=x"), Read).status, 404);
  // A signed URL of a blob that is not stored.
  EXPECT_EQ(links.Serve(Get(links.Url(kOther)), Read).status, 404);
}

}  // namespace
}  // namespace airpg::blobs
