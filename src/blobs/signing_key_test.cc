// The blob signing key outlives the process (issue 16): a URL signed before a
// restart is served after it, whether the key is the catalog's or the
// operator's, and a key of another database does not serve it.
#include "blobs/signing_key.h"

#include <gtest/gtest.h>

#include "blobs/blob_links.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::blobs {
namespace {

const std::string kSha(64, 'c');

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

class SigningKeyTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  }

  // The key a freshly started process loads, on a connection of its own.
  std::string KeyOfANewProcess(const std::string& configured = "") {
    auto own = Connect();
    EXPECT_TRUE(own.ok());
    if (!own.ok()) return "";
    auto key = BlobSigningKey(*own, configured);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return key.ok() ? *key : "";
  }
};

TEST_F(SigningKeyTest, AUrlSignedBeforeARestartIsServedAfter) {
  ManualClock clock;
  const std::string first = KeyOfANewProcess();
  ASSERT_EQ(first.size(), 64u);
  std::string url = BlobLinks("http://h", first, clock).Url(kSha);
  clock.Advance(std::chrono::minutes(30));
  const std::string second = KeyOfANewProcess();
  EXPECT_EQ(second, first);
  http::Response served = BlobLinks("http://h", second, clock).Serve(Get(url), Read);
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, "bytes");
  // A process with a key of its own (the old behaviour) refuses it.
  EXPECT_EQ(BlobLinks("http://h", clock).Serve(Get(url), Read).status, 403);
}

TEST_F(SigningKeyTest, TheOperatorsKeyWinsAndIsNotStored) {
  ManualClock clock;
  EXPECT_EQ(KeyOfANewProcess("operator's secret"), "operator's secret");
  auto stored = conn().Exec("SELECT count(*) FROM airpg.blob_signing_key");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->Get(0, 0), "0");
  std::string url = BlobLinks("http://h", "operator's secret", clock).Url(kSha);
  EXPECT_EQ(BlobLinks("http://h", KeyOfANewProcess("operator's secret"), clock)
                .Serve(Get(url), Read)
                .status,
            200);
  EXPECT_EQ(BlobLinks("http://h", KeyOfANewProcess(), clock).Serve(Get(url), Read).status, 403);
}

}  // namespace
}  // namespace airpg::blobs
