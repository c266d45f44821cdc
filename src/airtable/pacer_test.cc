#include "airtable/pacer.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "airtable/grant_ledger.h"

namespace airpg::airtable {
namespace {

namespace fs = std::filesystem;

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Small windows keep the tests short; the properties are the same at 1 s.
PacerLimits FastLimits() {
  PacerLimits limits;
  limits.per_base = 5;
  limits.per_token = 8;
  limits.window = milliseconds(100);
  limits.margin = milliseconds(2);
  return limits;
}

// Grant times as the pacer counted them, per base. Times observed after
// Acquire returns would include thread scheduling delays, which say nothing
// about the pacer.
class Grants {
 public:
  Pacer::GrantObserver Observer() {
    return [this](std::string_view base, Clock::time_point at) {
      std::lock_guard<std::mutex> lock(mu_);
      by_base_[std::string(base)].push_back(at);
      all_.push_back(at);
    };
  }
  std::vector<Clock::time_point> Of(const std::string& base) {
    std::lock_guard<std::mutex> lock(mu_);
    return by_base_[base];
  }
  std::vector<Clock::time_point> All() {
    std::lock_guard<std::mutex> lock(mu_);
    return all_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<Clock::time_point>> by_base_;
  std::vector<Clock::time_point> all_;
};

// `threads` × `each` requests to `base`, from several threads.
void Hammer(Pacer& pacer, const std::string& base, int threads, int each) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < each; ++i) ASSERT_TRUE(pacer.Acquire(base, Priority::kBackfill).ok());
    });
  }
  for (auto& w : workers) w.join();
}

// True when no `limit + 1` grants fall inside one `window`.
bool RespectsWindow(const std::vector<Clock::time_point>& grants, size_t limit,
                    Clock::duration window) {
  for (size_t i = limit; i < grants.size(); ++i) {
    if (grants[i] - grants[i - limit] < window) return false;
  }
  return true;
}

TEST(PacerTest, ManyThreadsOneBaseStayUnderTheBaseLimit) {
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer());
  Hammer(pacer, "appA", 4, 10);
  auto grants = seen.Of("appA");
  EXPECT_EQ(grants.size(), 40u);
  EXPECT_TRUE(RespectsWindow(grants, 5, milliseconds(100)));
  EXPECT_EQ(pacer.stats().granted, 40);
  EXPECT_GT(pacer.stats().waited, 0);
}

TEST(PacerTest, TwoBasesShareTheTokenLimit) {
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer());
  std::thread ta([&] { Hammer(pacer, "appA", 2, 10); });
  std::thread tb([&] { Hammer(pacer, "appB", 2, 10); });
  ta.join();
  tb.join();
  EXPECT_TRUE(RespectsWindow(seen.Of("appA"), 5, milliseconds(100)));
  EXPECT_TRUE(RespectsWindow(seen.Of("appB"), 5, milliseconds(100)));
  EXPECT_EQ(seen.All().size(), 40u);
  EXPECT_TRUE(RespectsWindow(seen.All(), 8, milliseconds(100)));
}

TEST(PacerTest, HigherPriorityGoesFirstWhenTheBaseFrees) {
  PacerLimits limits = FastLimits();
  limits.per_base = 1;
  limits.window = milliseconds(1000);
  Pacer pacer(limits);
  ASSERT_TRUE(pacer.Acquire("appA", Priority::kBackfill).ok());  // the base is now busy
  std::mutex mu;
  std::vector<Priority> order;
  auto request = [&](Priority p) {
    ASSERT_TRUE(pacer.Acquire("appA", p).ok());
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(p);
  };
  std::vector<std::thread> threads;
  threads.emplace_back(request, Priority::kVerification);
  threads.emplace_back(request, Priority::kBackfill);
  threads.emplace_back(request, Priority::kWrite);
  // All three queue while the base is busy; then they go strictly by priority.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (pacer.stats().waiting < 3 && pacer.stats().granted == 1 && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  for (auto& t : threads) t.join();
  std::vector<Priority> expected = {Priority::kWrite, Priority::kBackfill, Priority::kVerification};
  EXPECT_EQ(order, expected);
}

TEST(PacerTest, PenaltyHoldsTheBaseBack) {
  Pacer pacer(FastLimits());
  pacer.Penalize("appA", milliseconds(150));
  auto before = Clock::now();
  ASSERT_TRUE(pacer.Acquire("appA", Priority::kWrite).ok());
  EXPECT_GE(Clock::now() - before, milliseconds(150));
  EXPECT_TRUE(pacer.Acquire("appB", Priority::kWrite).ok());  // other bases go on
  EXPECT_EQ(pacer.stats().penalties, 1);
}

TEST(PacerTest, RequestsWithoutABaseCountForTheTokenOnly) {
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer());
  Hammer(pacer, "", 2, 8);
  auto grants = seen.Of("");
  EXPECT_EQ(grants.size(), 16u);
  EXPECT_TRUE(RespectsWindow(grants, 8, milliseconds(100)));
}

TEST(PacerTest, StopCancelsAWaiter) {
  PacerLimits limits = FastLimits();
  Pacer pacer(limits);
  pacer.Penalize("appA", milliseconds(60000));
  std::atomic<bool> stop{false};
  Status result;
  std::thread waiter([&] { result = pacer.Acquire("appA", Priority::kWrite, &stop); });
  stop = true;
  waiter.join();
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
}

// --- Across processes: Pacers with their own handles on one ledger file, as
// two airpg processes sharing an AIRPG_HOME have.

// A ledger file in a fresh directory, removed afterwards.
class SharedLedger {
 public:
  SharedLedger() {
    std::string pattern = (fs::temp_directory_path() / "airpg-pacer-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  ~SharedLedger() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path file() const { return dir_ / "airtable-pacer"; }
  // A new handle: another owner, as another process would be.
  std::unique_ptr<GrantLedger> Handle() const {
    auto ledger = GrantLedger::Open(file(), "http://127.0.0.1:1", "patPacerTest.0123");
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(ledger).value() : nullptr;
  }

 private:
  fs::path dir_;
};

std::vector<Clock::time_point> Sorted(std::vector<Clock::time_point> grants) {
  std::sort(grants.begin(), grants.end());
  return grants;
}

TEST(PacerTest, TwoProcessesOnOneBaseStayUnderTheBaseLimitTogether) {
  SharedLedger ledger;
  Grants seen;  // one record of both: the ledger's times are one clock
  Pacer first(FastLimits(), seen.Observer(), ledger.Handle());
  Pacer second(FastLimits(), seen.Observer(), ledger.Handle());
  std::thread a([&] { Hammer(first, "appA", 2, 10); });
  std::thread b([&] { Hammer(second, "appA", 2, 10); });
  a.join();
  b.join();
  auto grants = Sorted(seen.Of("appA"));
  EXPECT_EQ(grants.size(), 40u);
  EXPECT_TRUE(RespectsWindow(grants, 5, milliseconds(100)));
  EXPECT_EQ(first.stats().granted + second.stats().granted, 40);
}

TEST(PacerTest, TwoProcessesOnTwoBasesShareOnlyTheTokenLimit) {
  SharedLedger ledger;
  Grants seen;
  Pacer first(FastLimits(), seen.Observer(), ledger.Handle());
  Pacer second(FastLimits(), seen.Observer(), ledger.Handle());
  // The token allows 8: after 5 to appA, 3 to appB go at once (none waits, as
  // one would if the other process's appA grants counted for appB)...
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(second.Acquire("appB", Priority::kBackfill).ok());
  EXPECT_EQ(first.stats().waited, 0);
  EXPECT_EQ(second.stats().waited, 0);
  // ...and from there on both together stay under the token limit.
  std::thread a([&] { Hammer(first, "appA", 2, 5); });
  std::thread b([&] { Hammer(second, "appB", 2, 5); });
  a.join();
  b.join();
  EXPECT_TRUE(RespectsWindow(Sorted(seen.Of("appA")), 5, milliseconds(100)));
  EXPECT_TRUE(RespectsWindow(Sorted(seen.Of("appB")), 5, milliseconds(100)));
  auto all = Sorted(seen.All());
  EXPECT_EQ(all.size(), 28u);
  EXPECT_TRUE(RespectsWindow(all, 8, milliseconds(100)));
}

TEST(PacerTest, StopCancelsAWaiterHeldBackByAnotherProcess) {
  PacerLimits limits = FastLimits();
  limits.window = milliseconds(60000);  // the other process's grants stay in the way
  SharedLedger ledger;
  Pacer first(limits, nullptr, ledger.Handle());
  Pacer second(limits, nullptr, ledger.Handle());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  std::atomic<bool> stop{false};
  Status result;
  std::thread waiter([&] { result = second.Acquire("appA", Priority::kWrite, &stop); });
  // Queued and past its first look at the ledger (both happen under the
  // pacer's lock, before it waits): it is held back by `first` alone.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (second.stats().waiting < 1 && Clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(second.stats().granted, 0);
  stop = true;
  waiter.join();
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
  EXPECT_EQ(second.stats().granted, 0);
}

TEST(PacerTest, ACorruptLedgerFileCountsAsEmpty) {
  SharedLedger ledger;
  { std::ofstream(ledger.file(), std::ios::binary) << std::string(5000, '\x7f'); }
  Grants seen;
  Pacer first(FastLimits(), seen.Observer(), ledger.Handle());
  Pacer second(FastLimits(), seen.Observer(), ledger.Handle());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  EXPECT_EQ(first.stats().waited, 0);  // junk in the file holds nothing back
  // The file was rewritten: the second process sees the first one's grants.
  Hammer(second, "appA", 1, 3);
  auto grants = Sorted(seen.Of("appA"));
  EXPECT_EQ(grants.size(), 8u);
  EXPECT_TRUE(RespectsWindow(grants, 5, milliseconds(100)));
}

TEST(PacerTest, WithoutALedgerEachProcessPacesOnlyItself) {
  PacerLimits limits = FastLimits();
  limits.window = milliseconds(60000);
  Pacer first(limits);
  Pacer second(limits);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(second.Acquire("appA", Priority::kBackfill).ok());
  EXPECT_EQ(first.stats().waited + second.stats().waited, 0);
}

}  // namespace
}  // namespace airpg::airtable
