#include "airtable/webhook_mac.h"

#include <string>

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

// The pyairtable vector quoted in API.md §6.6.
constexpr char kSecret[] = "c2VjcmV0LWtleQ==";  // "secret-key"
constexpr char kBody[] =
    R"({"base": {"id": "app00000000000000"}, "webhook": {"id": "ach00000000000000"}, "timestamp": "2022-02-01T21:25:05.663Z"})";
constexpr char kMac[] =
    "hmac-sha256=e26da696a90933647bddc83995c3e1e3bb1c3d8ce1ff61cb7469767d50b2b2d4";

TEST(WebhookMacTest, Rfc4231Vectors) {
  // Test case 1: a 20-byte key of 0x0b.
  EXPECT_EQ(ContentMac(std::string(20, '\x0b'), "Hi There"),
            "hmac-sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the block.
  EXPECT_EQ(ContentMac("Jefe", "what do ya want for nothing?"),
            "hmac-sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookMacTest, DocumentedPingVector) {
  std::string key;
  ASSERT_TRUE(Base64Decode(kSecret, &key));
  EXPECT_EQ(key, "secret-key");
  EXPECT_EQ(ContentMac(key, kBody), kMac);
  EXPECT_TRUE(VerifyContentMac(kSecret, kBody, kMac));
}

// The emulator signs its pings exactly so (emulator/webhook_notifier.cc):
// a 128-byte secret shown base64-encoded, the compact ping body, ContentMac.
TEST(WebhookMacTest, VerifiesAPingSignedTheEmulatorsWay) {
  std::string key;
  for (int i = 0; i < 128; ++i) key.push_back(static_cast<char>((i * 37 + 11) & 0xff));
  std::string secret = Base64Encode(key);
  std::string body =
      R"({"base":{"id":"appTestBase000001"},"webhook":{"id":"achAbcdefghijklmn"},"timestamp":"2025-01-01T00:00:00.000Z"})";
  std::string header = ContentMac(key, body);
  EXPECT_TRUE(VerifyContentMac(secret, body, header));
  // Upper-case hex carries the same digest.
  std::string upper = header;
  for (size_t i = 12; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(VerifyContentMac(secret, body, upper));
}

TEST(WebhookMacTest, RefusesForgedMacs) {
  std::string forged = kMac;
  forged.back() = forged.back() == '4' ? '5' : '4';
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, forged));
  // The right MAC for another body, or under another secret.
  std::string body = kBody;
  body[body.size() - 3] = '4';
  EXPECT_FALSE(VerifyContentMac(kSecret, body, kMac));
  EXPECT_FALSE(VerifyContentMac(Base64Encode("another-key"), kBody, kMac));
  // A body signed with the secret's text rather than its bytes (the JS atob trap).
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, ContentMac(kSecret, kBody)));
}

TEST(WebhookMacTest, RefusesMalformedHeaders) {
  std::string hex = std::string(kMac).substr(12);
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, hex));                             // no prefix
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "hmac-sha1=" + hex));              // wrong prefix
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "HMAC-SHA256=" + hex));            // prefix case
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, " hmac-sha256=" + hex));           // leading space
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "hmac-sha256=" + hex + " "));      // trailing space
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "hmac-sha256=" + hex.substr(2)));  // short
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "hmac-sha256=" + hex + "00"));     // long
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "hmac-sha256=" + hex.substr(0, 62) + "zz"));
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, ""));
  EXPECT_FALSE(VerifyContentMac(kSecret, kBody, "hmac-sha256="));
}

TEST(WebhookMacTest, RefusesBadSecrets) {
  EXPECT_FALSE(VerifyContentMac("", kBody, kMac));
  EXPECT_FALSE(VerifyContentMac("not base64!", kBody, kMac));
  EXPECT_FALSE(VerifyContentMac("c2VjcmV0LWtleQ", kBody, kMac));    // padding missing
  EXPECT_FALSE(VerifyContentMac("c2Vj=mV0LWtleQ==", kBody, kMac));  // padding inside
  EXPECT_FALSE(VerifyContentMac("c2VjcmV0LWtleQ===", kBody, kMac));
}

TEST(WebhookMacTest, Base64RoundTrips) {
  for (std::string bytes : {std::string(""), std::string("a"), std::string("ab"),
                            std::string("abc"), std::string("\0\xff\x10", 3)}) {
    std::string decoded = "unchanged";
    ASSERT_TRUE(Base64Decode(Base64Encode(bytes), &decoded)) << bytes;
    EXPECT_EQ(decoded, bytes);
  }
  EXPECT_EQ(Base64Encode("secret-key"), kSecret);
  std::string decoded;
  ASSERT_TRUE(Base64Decode("c2Vj\ncmV0\nLWtleQ==\n", &decoded));  // MIME line breaks
  EXPECT_EQ(decoded, "secret-key");
  decoded = "unchanged";
  EXPECT_FALSE(Base64Decode("c2V*", &decoded));
  EXPECT_EQ(decoded, "unchanged");
}

}  // namespace
}  // namespace airpg::airtable
