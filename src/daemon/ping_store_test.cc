// InboxBody: what of a ping's body goes into airpg.inbox (the rest of
// PingStore runs against Postgres in webhook_receiver_test.cc).
#include "daemon/ping_store.h"

#include <gtest/gtest.h>

namespace airpg::daemon {
namespace {

TEST(InboxBodyTest, KeepsShortValidText) {
  EXPECT_EQ(InboxBody(R"({"base":{"id":"appA"}})", 4096), R"({"base":{"id":"appA"}})");
  EXPECT_EQ(InboxBody("", 4096), "");
  EXPECT_EQ(InboxBody("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 4096),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(InboxBodyTest, CutsLongBodiesWithoutSplittingACharacter) {
  EXPECT_EQ(InboxBody("abcdef", 4), "abcd\xE2\x80\xA6");
  // "é" is two bytes: it does not fit after "abc" in 4 bytes.
  EXPECT_EQ(InboxBody("abc\xC3\xA9", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(InboxBody(std::string(10000, 'x'), 4096).size(), 4096u + 3);
}

TEST(InboxBodyTest, ReplacesWhatPostgresTextCannotHold) {
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(InboxBody(std::string("a\0b", 3), 100), "a" + kFffd + "b");
  EXPECT_EQ(InboxBody("a\xFF"
                      "b",
                      100),
            "a" + kFffd + "b");
  EXPECT_EQ(InboxBody("\xC3", 100), kFffd);                                      // cut sequence
  EXPECT_EQ(InboxBody("\xC0\xAF", 100), kFffd + kFffd);                          // overlong '/'
  EXPECT_EQ(InboxBody("\xED\xA0\x80", 100), kFffd + kFffd + kFffd);              // surrogate
  EXPECT_EQ(InboxBody("\xF4\x90\x80\x80", 100), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
}

TEST(PingOutcomeTest, NamesAreTheInboxValues) {
  EXPECT_EQ(PingOutcomeName(PingOutcome::kAccepted), "accepted");
  EXPECT_EQ(PingOutcomeName(PingOutcome::kBadMac), "bad_mac");
  EXPECT_EQ(PingOutcomeName(PingOutcome::kUnknownWebhook), "unknown_webhook");
  EXPECT_EQ(PingOutcomeName(PingOutcome::kMalformed), "malformed");
}

}  // namespace
}  // namespace airpg::daemon
