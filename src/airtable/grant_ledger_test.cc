#include "airtable/grant_ledger.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr std::string_view kServer = "http://127.0.0.1:1";
constexpr std::string_view kToken = "patLedgerTest.0123";

// A fresh directory for one test's ledger file, removed afterwards.
class LedgerDir {
 public:
  LedgerDir() {
    std::string pattern = (fs::temp_directory_path() / "airpg-ledger-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~LedgerDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path file() const { return path_ / "run" / "airtable-pacer"; }

 private:
  fs::path path_;
};

std::unique_ptr<GrantLedger> Open(const fs::path& file, std::string_view server = kServer,
                                  std::string_view token = kToken) {
  auto ledger = GrantLedger::Open(file, server, token);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger).value() : nullptr;
}

void Grant(GrantLedger& ledger, std::string_view base_id) {
  ASSERT_TRUE(ledger.Transact(base_id, seconds(60), [](const auto&) { return true; }).ok());
}

// What `ledger` sees of the others inside `span`, recording nothing.
GrantLedger::Others Look(GrantLedger& ledger, std::string_view base_id,
                         GrantLedger::Clock::duration span = seconds(60)) {
  GrantLedger::Others seen;
  Status s = ledger.Transact(base_id, span, [&](const GrantLedger::Others& others) {
    seen = others;
    return false;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return seen;
}

TEST(GrantLedgerTest, EachHandleSeesTheOthersGrantsButNotItsOwn) {
  LedgerDir dir;
  auto a = Open(dir.file());
  auto b = Open(dir.file());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->owner(), b->owner());
  Grant(*a, "appA");
  Grant(*a, "appA");
  Grant(*a, "appB");
  Grant(*a, "");  // names no base: counts for the token only

  GrantLedger::Others seen = Look(*b, "appA");
  EXPECT_EQ(seen.base.size(), 2u);
  EXPECT_EQ(seen.token.size(), 4u);
  EXPECT_TRUE(std::is_sorted(seen.token.begin(), seen.token.end()));
  for (auto at : seen.token) EXPECT_LE(at, seen.now);
  EXPECT_EQ(Look(*b, "").base.size(), 0u);

  GrantLedger::Others own = Look(*a, "appA");
  EXPECT_TRUE(own.base.empty());
  EXPECT_TRUE(own.token.empty());
}

TEST(GrantLedgerTest, OnlyGrantsInsideTheSpanCount) {
  LedgerDir dir;
  auto a = Open(dir.file());
  auto b = Open(dir.file());
  ASSERT_TRUE(a && b);
  Grant(*a, "appA");
  // Every grant in the file is at or before the reader's `now`, so a span of
  // zero holds none of them.
  GrantLedger::Others seen = Look(*b, "appA", GrantLedger::Clock::duration::zero());
  EXPECT_TRUE(seen.base.empty());
  EXPECT_TRUE(seen.token.empty());
}

TEST(GrantLedgerTest, DeclinedTransactionsRecordNothing) {
  LedgerDir dir;
  auto a = Open(dir.file());
  auto b = Open(dir.file());
  ASSERT_TRUE(a && b);
  Look(*a, "appA");
  EXPECT_TRUE(Look(*b, "appA").token.empty());
}

TEST(GrantLedgerTest, ServerAndTokenScopeTheLimits) {
  LedgerDir dir;
  auto a = Open(dir.file(), kServer, kToken);
  auto other_token = Open(dir.file(), kServer, "patSomeoneElse.4567");
  auto other_server = Open(dir.file(), "https://api.airtable.com", kToken);
  ASSERT_TRUE(a && other_token && other_server);
  Grant(*a, "appA");
  // A base's limit is the base's, whoever asks; the token's is the token's.
  GrantLedger::Others seen = Look(*other_token, "appA");
  EXPECT_EQ(seen.base.size(), 1u);
  EXPECT_EQ(seen.token.size(), 0u);
  seen = Look(*other_server, "appA");
  EXPECT_EQ(seen.base.size(), 0u);
  EXPECT_EQ(seen.token.size(), 0u);
}

TEST(GrantLedgerTest, TheRingKeepsTheLastCapacityGrants) {
  LedgerDir dir;
  auto a = Open(dir.file());
  auto b = Open(dir.file());
  ASSERT_TRUE(a && b);
  for (int i = 0; i < GrantLedger::kCapacity + 10; ++i) Grant(*a, "appA");
  EXPECT_EQ(Look(*b, "appA").base.size(), static_cast<size_t>(GrantLedger::kCapacity));
}

TEST(GrantLedgerTest, AFileNotInTheFormatCountsAsEmptyAndIsRewritten) {
  LedgerDir dir;
  auto a = Open(dir.file());
  auto b = Open(dir.file());
  ASSERT_TRUE(a && b);
  Grant(*a, "appA");
  for (std::string junk : {std::string("short"), std::string(20000, '\x7f')}) {
    std::ofstream(dir.file(), std::ios::binary | std::ios::trunc) << junk;
    EXPECT_TRUE(Look(*b, "appA").token.empty()) << junk.size();
    Grant(*b, "appA");  // rewrites the file
    EXPECT_EQ(Look(*a, "appA").base.size(), 1u);
  }
  // Cut short after grants: empty again.
  fs::resize_file(dir.file(), 100);
  EXPECT_TRUE(Look(*a, "appA").token.empty());
}

TEST(GrantLedgerTest, AFileThatCannotBeOpenedIsUnavailable) {
  LedgerDir dir;
  fs::create_directories(dir.file().parent_path());
  std::ofstream(dir.file()) << "a file where the ledger's directory should be";
  auto ledger = GrantLedger::Open(dir.file() / "airtable-pacer", kServer, kToken);
  EXPECT_EQ(ledger.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace airpg::airtable
