#include "base/redact.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(RedactTest, MasksUriPassword) {
  EXPECT_EQ(Redact("postgresql://app:s3cr%40t@db.example:5432/prod"),
            "postgresql://app:***@db.example:5432/prod");
  EXPECT_EQ(Redact("connect to postgres://u:p@ss@h/db failed"),
            "connect to postgres://u:***@h/db failed");
}

TEST(RedactTest, LeavesUriWithoutPasswordAlone) {
  EXPECT_EQ(Redact("postgresql://app@db/prod"), "postgresql://app@db/prod");
  EXPECT_EQ(Redact("https://api.airtable.com/v0/appX/tbl?offset=itr1"),
            "https://api.airtable.com/v0/appX/tbl?offset=itr1");
}

TEST(RedactTest, MasksKeyValuePasswords) {
  EXPECT_EQ(Redact("host=db password=hunter22 user=app"), "host=db password=*** user=app");
  EXPECT_EQ(Redact("host=db password='a b\\'c' user=app"), "host=db password='***' user=app");
  EXPECT_EQ(Redact("postgresql://h/db?user=a&password=zz9&sslmode=require"),
            "postgresql://h/db?user=a&password=***&sslmode=require");
  EXPECT_EQ(Redact(R"({"password": "x1y2"})"), R"({"password": "***"})");
}

TEST(RedactTest, MasksBearerCredentials) {
  EXPECT_EQ(Redact("Authorization: Bearer abc.def-123"), "Authorization: Bearer ***");
}

TEST(RedactTest, MasksAirtableTokenShapes) {
  std::string token = "patAbCdEfGh123456." + std::string(64, 'a');
  EXPECT_EQ(Redact("token " + token + " rejected"), "token *** rejected");
}

TEST(RedactTest, MasksRegisteredSecretsAnywhere) {
  RegisterSecret("correct-horse-battery");
  EXPECT_EQ(Redact("value correct-horse-battery and correct-horse-battery!"), "value *** and ***!");
}

TEST(RedactTest, IgnoresTooShortSecrets) {
  RegisterSecret("ab");
  EXPECT_EQ(Redact("about a tab"), "about a tab");
}

TEST(RedactTest, OrdinaryTextIsUnchanged) {
  const char* text = "migrated 1200 records of tblAbc in 3.2 s; patience is a virtue";
  EXPECT_EQ(Redact(text), text);
}

// Issue 14: a password with a raw '%' is not valid percent-encoding, so libpq
// quotes it back as written; both that form and the decoded one are masked.
TEST(RedactTest, UrlSecretsAreMaskedAsWrittenAndDecoded) {
  RegisterUrlSecrets("postgresql://app:pa%ss%41word@db/x?sslmode=require", false);
  EXPECT_EQ(Redact(R"(invalid percent-encoded token: "pa%ss%41word")"),
            R"(invalid percent-encoded token: "***")");
  EXPECT_EQ(Redact("pa%ssAword"), "***");
  EXPECT_EQ(Redact("sslmode require"), "sslmode require");  // settings stay readable
  // A password holding '/' still ends at the '@'.
  RegisterUrlSecrets("postgresql://app:slash/ed/pw@db/x", false);
  EXPECT_EQ(Redact("got slash/ed/pw"), "got ***");
}

TEST(RedactTest, PasswordsAreMaskedAnywhereOnlyWhenLongEnough) {
  RegisterPassword("Long%41Password");
  EXPECT_EQ(Redact("saw Long%41Password and LongAPassword"), "saw *** and ***");
  RegisterPassword("short");
  EXPECT_EQ(Redact("a short note"), "a short note");
  EXPECT_EQ(Redact("password=short"), "password=***");
  // The URL's password, never its user name.
  RegisterUrlPassword("postgresql://alice-the-admin:Url-Pass-123@db/x");
  EXPECT_EQ(Redact("alice-the-admin used Url-Pass-123"), "alice-the-admin used ***");
  RegisterUrlPassword("postgresql://bob-the-builder@db/x");
  EXPECT_EQ(Redact("bob-the-builder"), "bob-the-builder");
}

TEST(RedactTest, EndpointUrlUserInfoAndQueryValues) {
  EXPECT_EQ(RedactUrl("https://proxyuser:proxypass@proxy.example:8443/base?key=k3y-value&x=1#frag"),
            "https://***@proxy.example:8443/base?key=***&x=***#***");
  EXPECT_EQ(RedactUrl("https://tokenonly@proxy.example/"), "https://***@proxy.example/");
  EXPECT_EQ(RedactUrl("https://api.airtable.com"), "https://api.airtable.com");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080/v0?e=a@b"), "http://127.0.0.1:8080/v0?e=***");
  RegisterUrlSecrets("https://tokenonly@proxy.example/?api_key=qu3ry-secret", true);
  EXPECT_EQ(Redact("sent tokenonly and qu3ry-secret"), "sent *** and ***");
}

}  // namespace
}  // namespace airpg
