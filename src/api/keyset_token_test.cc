#include "api/keyset_token.h"

#include <gtest/gtest.h>

namespace airpg::api {
namespace {

TEST(KeysetTokenTest, RoundTrips) {
  KeysetToken token;
  token.sort_values = {std::string("a\"b"), std::nullopt, std::string("3.5")};
  token.row_id = 42;
  token.remaining = 7;
  token.fingerprint = QueryFingerprint({"tblX", "{A} > 1"});
  std::optional<KeysetToken> back = DecodeKeysetToken(EncodeKeysetToken(token));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sort_values, token.sort_values);
  EXPECT_EQ(back->row_id, 42);
  EXPECT_EQ(back->remaining, 7);
  EXPECT_EQ(back->fingerprint, token.fingerprint);
}

TEST(KeysetTokenTest, RefusesWhatItDidNotWrite) {
  EXPECT_FALSE(DecodeKeysetToken("itrAAAAAAAAAAAAAA/recAAAAAAAAAAAAAA").has_value());
  EXPECT_FALSE(DecodeKeysetToken("pg!!!").has_value());
  EXPECT_FALSE(DecodeKeysetToken("pgeyJ2IjoxfQ==").has_value());  // {"v":1}
  EXPECT_NE(QueryFingerprint({"a", "bc"}), QueryFingerprint({"ab", "c"}));
}

// Tokens already handed out stay valid across releases: the fingerprint is
// the first 8 bytes of SHA-256 over the length-prefixed parts, lower-case hex.
TEST(KeysetTokenTest, FingerprintIsStable) {
  EXPECT_EQ(QueryFingerprint({"tblX", "{A} > 1"}), "f494ccad85948fe5");
}

}  // namespace
}  // namespace airpg::api
