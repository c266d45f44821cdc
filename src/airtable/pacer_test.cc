#include "airtable/pacer.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "airtable/grant_ledger.h"
#include "base/clock.h"

namespace airpg::airtable {
namespace {

namespace fs = std::filesystem;

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

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

std::vector<Clock::time_point> Sorted(std::vector<Clock::time_point> grants) {
  std::sort(grants.begin(), grants.end());
  return grants;
}

// --- Logical time: a ManualClock moved by the test, so what is checked is
// the pacer's schedule, whatever the machine's load.

// Airtable's second and airpg's default budget, without the margin so the
// expected times are round.
PacerLimits Budget4() {
  PacerLimits limits;
  limits.per_base = 4;
  limits.per_token = 50;
  limits.window = milliseconds(1000);
  limits.margin = milliseconds(0);
  limits.resume_jitter = milliseconds(0);
  return limits;
}

// Runs `jobs` on their own threads and moves `clock` to the next deadline
// whenever every job still running is blocked on it; returns when all are
// done. Waits for the threads to block with a real-time deadline (they only
// need to be scheduled), never for the pacer's own times.
void Drive(ManualClock& clock, std::vector<std::function<void()>> jobs) {
  std::atomic<int> running{static_cast<int>(jobs.size())};
  std::vector<std::thread> threads;
  for (auto& job : jobs) {
    threads.emplace_back([&running, job] {
      job();
      --running;
    });
  }
  auto give_up = Clock::now() + seconds(60);
  while (running.load() > 0 && Clock::now() < give_up) {
    if (clock.waiters() >= running.load()) {
      if (std::optional<TimePoint> next = clock.NextDeadline()) clock.AdvanceTo(*next);
    }
    std::this_thread::yield();
  }
  EXPECT_EQ(running.load(), 0) << "the jobs did not finish";
  for (auto& t : threads) t.join();
}

// `n` requests to `base`, one after the other, on logical time.
void Sequential(ManualClock& clock, Pacer& pacer, const std::string& base, int n) {
  Drive(clock, {[&] {
          for (int i = 0; i < n; ++i) ASSERT_TRUE(pacer.Acquire(base, Priority::kBackfill).ok());
        }});
}

std::vector<Clock::duration> Gaps(const std::vector<TimePoint>& grants, size_t from) {
  std::vector<Clock::duration> gaps;
  for (size_t i = from + 1; i < grants.size(); ++i) gaps.push_back(grants[i] - grants[i - 1]);
  return gaps;
}

TEST(PacerLogicalTest, ABurstGoesOutEvenlyWithinTheBudget) {
  ManualClock clock;
  Grants seen;
  Pacer pacer(Budget4(), seen.Observer(), nullptr, &clock);
  TimePoint t0 = clock.Now();
  Sequential(clock, pacer, "appA", 8);
  std::vector<TimePoint> expected;
  for (int i = 0; i < 8; ++i) expected.push_back(t0 + milliseconds(250 * i));
  EXPECT_EQ(seen.Of("appA"), expected);  // 250 ms apart, not 4 back to back
}

TEST(PacerLogicalTest, ManyThreadsNeverBurstBeyondTheBudgetInAnyWindow) {
  ManualClock clock;
  Grants seen;
  PacerLimits limits;  // the defaults: a budget of 4/s with the 20 ms margin
  Pacer pacer(limits, seen.Observer(), nullptr, &clock);
  std::vector<std::function<void()>> jobs;
  for (int t = 0; t < 4; ++t) {
    jobs.push_back([&] {
      for (int i = 0; i < 10; ++i) ASSERT_TRUE(pacer.Acquire("appA", Priority::kBackfill).ok());
    });
  }
  Drive(clock, jobs);
  auto grants = Sorted(seen.Of("appA"));
  ASSERT_EQ(grants.size(), 40u);
  EXPECT_EQ(limits.per_base, 4);
  EXPECT_TRUE(RespectsWindow(grants, 4, milliseconds(1000)));
  for (Clock::duration gap : Gaps(grants, 0)) EXPECT_GE(gap, milliseconds(255));
}

TEST(PacerLogicalTest, AForeign429CutsTheRateHonoursThePenaltyThenSlowStartsAndClimbs) {
  ManualClock clock;
  Grants seen;
  Pacer pacer(Budget4(), seen.Observer(), nullptr, &clock);
  Sequential(clock, pacer, "appA", 4);
  EXPECT_EQ(pacer.base_stats("appA").rate, 4);
  // 4 of airpg's requests in the second and a 429: Airtable allows 5, so the
  // fifth and sixth came from someone else.
  clock.Advance(milliseconds(10));
  TimePoint limited_at = clock.Now();
  EXPECT_EQ(pacer.OnRateLimited("appA", seconds(30)), RateLimitCause::kAnotherClient);
  PacerBaseStats stats = pacer.base_stats("appA");
  EXPECT_EQ(stats.rate, 1);  // one request at first
  EXPECT_TRUE(stats.backing_off);
  EXPECT_EQ(stats.foreign, 1);
  // The answer to another request sent before the penalty began: counted,
  // not a second cut.
  EXPECT_EQ(pacer.OnRateLimited("appA", seconds(30)), RateLimitCause::kAnotherClient);
  EXPECT_EQ(pacer.base_stats("appA").foreign, 2);
  EXPECT_EQ(pacer.stats().foreign, 2);
  EXPECT_EQ(pacer.stats().penalties, 0);

  std::vector<int> rates;
  Drive(clock, {[&] {
          for (int i = 0; i < 10; ++i) {
            ASSERT_TRUE(pacer.Acquire("appA", Priority::kBackfill).ok());
            rates.push_back(pacer.base_stats("appA").rate);
          }
        }});
  auto grants = seen.Of("appA");
  ASSERT_EQ(grants.size(), 14u);
  // The penalty is honoured to the millisecond (no jitter here)...
  EXPECT_EQ(grants[4], limited_at + seconds(30));
  // ...then one request, a slow start up to half the old rate (1 → 2), and
  // an additive climb (2 → 3 → 4), one step per window's worth of grants.
  std::vector<int> expected_rates = {2, 2, 3, 3, 3, 4, 4, 4, 4, 4};
  EXPECT_EQ(rates, expected_rates);
  const Clock::duration third = Clock::duration(milliseconds(1000)) / 3;
  std::vector<Clock::duration> expected_gaps = {
      milliseconds(500),
      milliseconds(500),  // at 2/s
      third,
      third,
      milliseconds(1000) - 2 * third,  // at 3/s (the last one rounded up to the window)
      milliseconds(250),
      milliseconds(250),
      milliseconds(250),
      milliseconds(250)};  // at 4/s
  EXPECT_EQ(Gaps(grants, 4), expected_gaps);
  EXPECT_FALSE(pacer.base_stats("appA").backing_off);
  EXPECT_TRUE(RespectsWindow(grants, 4, milliseconds(1000)));
}

TEST(PacerLogicalTest, AnotherForeign429AfterTheResumeHalvesAgain) {
  ManualClock clock;
  Grants seen;
  Pacer pacer(Budget4(), seen.Observer(), nullptr, &clock);
  Sequential(clock, pacer, "appA", 4);
  ASSERT_EQ(pacer.OnRateLimited("appA", seconds(30)), RateLimitCause::kAnotherClient);
  Sequential(clock, pacer, "appA", 1);  // the one request after the penalty
  EXPECT_EQ(pacer.base_stats("appA").rate, 2);
  // The other client is still at it: the next cut starts from 2.
  ASSERT_EQ(pacer.OnRateLimited("appA", seconds(30)), RateLimitCause::kAnotherClient);
  EXPECT_EQ(pacer.base_stats("appA").rate, 1);
  TimePoint limited_at = clock.Now();
  std::vector<int> rates;
  Drive(clock, {[&] {
          for (int i = 0; i < 6; ++i) {
            ASSERT_TRUE(pacer.Acquire("appA", Priority::kBackfill).ok());
            rates.push_back(pacer.base_stats("appA").rate);
          }
        }});
  EXPECT_EQ(seen.Of("appA")[5], limited_at + seconds(30));
  // Half of 2 is 1: no slow start left, only the additive climb.
  std::vector<int> expected_rates = {2, 2, 3, 3, 3, 4};
  EXPECT_EQ(rates, expected_rates);
}

TEST(PacerLogicalTest, TheResumeAfterAForeign429IsJittered) {
  PacerLimits limits = Budget4();
  limits.resume_jitter = milliseconds(2000);
  std::vector<Clock::duration> waits;
  for (uint64_t seed : {1, 2, 3}) {
    limits.seed = seed;
    ManualClock clock;
    Grants seen;
    Pacer pacer(limits, seen.Observer(), nullptr, &clock);
    Sequential(clock, pacer, "appA", 1);
    TimePoint limited_at = clock.Now();
    ASSERT_EQ(pacer.OnRateLimited("appA", seconds(30)), RateLimitCause::kAnotherClient);
    Sequential(clock, pacer, "appA", 1);
    Clock::duration wait = seen.Of("appA")[1] - limited_at;
    EXPECT_GE(wait, seconds(30));
    EXPECT_LE(wait, seconds(32));
    waits.push_back(wait);
  }
  // Clients held back together do not come back together.
  EXPECT_TRUE(waits[0] != waits[1] || waits[1] != waits[2]);
}

TEST(PacerLogicalTest, A429BeyondAirtablesLimitIsOurOwnAndOnlyWaitsThePenalty) {
  ManualClock clock;
  Grants seen;
  PacerLimits limits = Budget4();
  limits.per_base = 10;  // set above Airtable's 5: airpg can cause 429s itself
  Pacer pacer(limits, seen.Observer(), nullptr, &clock);
  Sequential(clock, pacer, "appA", 6);  // 100 ms apart: 6 in the last second
  TimePoint limited_at = clock.Now();
  EXPECT_EQ(pacer.OnRateLimited("appA", seconds(30)), RateLimitCause::kOurs);
  EXPECT_EQ(pacer.stats().penalties, 1);
  EXPECT_EQ(pacer.stats().foreign, 0);
  EXPECT_EQ(pacer.base_stats("appA").rate, 10);  // no back-off
  EXPECT_FALSE(pacer.base_stats("appA").backing_off);
  Sequential(clock, pacer, "appA", 1);
  EXPECT_EQ(seen.Of("appA").back(), limited_at + seconds(30));
}

TEST(PacerLogicalTest, PenaltyHoldsTheBaseBack) {
  ManualClock clock;
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer(), nullptr, &clock);
  TimePoint t0 = clock.Now();
  pacer.Penalize("appA", milliseconds(150));
  Sequential(clock, pacer, "appA", 1);
  EXPECT_EQ(seen.Of("appA"), std::vector<TimePoint>{t0 + milliseconds(150)});
  ASSERT_TRUE(pacer.Acquire("appB", Priority::kWrite).ok());  // other bases go on
  EXPECT_EQ(seen.Of("appB"), std::vector<TimePoint>{t0 + milliseconds(150)});
  EXPECT_EQ(pacer.stats().penalties, 1);
}

TEST(PacerLogicalTest, HigherPriorityGoesFirstWhenTheBaseFrees) {
  ManualClock clock;
  PacerLimits limits = FastLimits();
  limits.per_base = 1;
  limits.window = milliseconds(1000);
  Pacer pacer(limits, nullptr, nullptr, &clock);
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
  // All three queue while the base is busy (logical time stands still until
  // they do); then they go strictly by priority.
  auto deadline = Clock::now() + seconds(30);
  while (clock.waiters() < 3 && Clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(clock.waiters(), 3);
  Drive(clock, {[&] {
          for (auto& t : threads) t.join();
        }});
  std::vector<Priority> expected = {Priority::kWrite, Priority::kBackfill, Priority::kVerification};
  EXPECT_EQ(order, expected);
}

// Issue 17: an application's request through serve (airtable and shadow
// routes) is served ahead of airpg's own outbox, polls and reads, even when
// it arrives last behind a backlog of outbox writes.
TEST(PacerLogicalTest, AnApplicationRequestGoesAheadOfTheOutboxBacklog) {
  ManualClock clock;
  PacerLimits limits = FastLimits();
  limits.per_base = 1;
  limits.window = milliseconds(1000);
  Pacer pacer(limits, nullptr, nullptr, &clock);
  ASSERT_TRUE(pacer.Acquire("appA", Priority::kWrite).ok());  // an outbox write holds the base
  std::mutex mu;
  std::vector<Priority> order;
  auto request = [&](Priority p) {
    ASSERT_TRUE(pacer.Acquire("appA", p).ok());
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(p);
  };
  std::vector<std::thread> threads;
  auto queue = [&](Priority p, int waiting) {
    threads.emplace_back(request, p);
    auto deadline = Clock::now() + seconds(30);
    while (clock.waiters() < waiting && Clock::now() < deadline) std::this_thread::yield();
    ASSERT_EQ(clock.waiters(), waiting);
  };
  queue(Priority::kWrite, 1);
  queue(Priority::kWrite, 2);
  queue(Priority::kIncremental, 3);
  queue(Priority::kApplication, 4);  // the last to arrive
  Drive(clock, {[&] {
          for (auto& t : threads) t.join();
        }});
  std::vector<Priority> expected = {Priority::kApplication, Priority::kWrite, Priority::kWrite,
                                    Priority::kIncremental};
  EXPECT_EQ(order, expected);
}

// A writer that is still recording its outcomes when its next slot opens
// keeps that slot: a lower class waits 1.5 slots after the higher one's
// last grant (and takes the slot when the writer does not come back).
TEST(PacerLogicalTest, AWriterComingBackForItsNextSlotKeepsItFromLowerClasses) {
  for (double reserve : {1.5, 0.0}) {
    ManualClock clock;
    Grants seen;
    PacerLimits limits = Budget4();  // 250 ms slots
    limits.reserve_slots = reserve;
    Pacer pacer(limits, seen.Observer(), nullptr, &clock);
    TimePoint t0 = clock.Now();
    ASSERT_TRUE(pacer.Acquire("appA", Priority::kWrite).ok());
    std::thread poll([&] { ASSERT_TRUE(pacer.Acquire("appA", Priority::kIncremental).ok()); });
    auto deadline = Clock::now() + seconds(30);
    while (clock.waiters() < 1 && Clock::now() < deadline) std::this_thread::yield();
    ASSERT_EQ(clock.waiters(), 1);
    if (reserve == 0) {
      Drive(clock, {[&] { poll.join(); }});  // strictly by the queue: the poll takes the slot
      EXPECT_EQ(seen.Of("appA"), (std::vector<TimePoint>{t0, t0 + milliseconds(250)}));
      continue;
    }
    clock.AdvanceTo(t0 + milliseconds(300));  // the slot is open, the writer is late
    ASSERT_TRUE(pacer.Acquire("appA", Priority::kWrite).ok());
    Drive(clock, {[&] { poll.join(); }});
    EXPECT_EQ(seen.Of("appA"),
              (std::vector<TimePoint>{t0, t0 + milliseconds(300), t0 + milliseconds(300 + 375)}));
  }
}

TEST(PacerLogicalTest, AStopTokenCancelsAWaiterAtOnce) {
  Pacer pacer(FastLimits());  // the real clock: the stop must not wait for it
  pacer.Penalize("appA", milliseconds(3600 * 1000));
  std::stop_source source;
  Status result;
  std::thread waiter([&] { result = pacer.Acquire("appA", Priority::kWrite, source.get_token()); });
  auto deadline = Clock::now() + seconds(30);
  while (pacer.stats().waiting < 1 && Clock::now() < deadline) std::this_thread::yield();
  source.request_stop();
  waiter.join();  // an hour without the stop
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
  EXPECT_EQ(pacer.stats().waiting, 0);
}

// --- Real time: threads and the machine's clock.

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
  std::stop_source stop;
  Status result;
  std::thread waiter([&] { result = pacer.Acquire("appA", Priority::kWrite, stop.get_token()); });
  stop.request_stop();
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
  std::unique_ptr<GrantLedger> Handle(airpg::Clock* clock = nullptr) const {
    auto ledger = GrantLedger::Open(file(), "http://127.0.0.1:1", "patPacerTest.0123", clock);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(ledger).value() : nullptr;
  }

 private:
  fs::path dir_;
};

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
  {
    // On logical time (the ledger records it too): the token allows 8; after
    // 5 to appA, 3 to appB go at their own pace, as they would not if the
    // other process's appA grants counted for appB.
    ManualClock clock;
    Grants seen;
    Pacer first(FastLimits(), seen.Observer(), ledger.Handle(&clock), &clock);
    Pacer second(FastLimits(), seen.Observer(), ledger.Handle(&clock), &clock);
    Sequential(clock, first, "appA", 5);
    TimePoint t = clock.Now();
    Sequential(clock, second, "appB", 3);
    Clock::duration spacing = Clock::duration(milliseconds(102)) / 5;
    EXPECT_EQ(seen.Of("appB"), (std::vector<TimePoint>{t, t + spacing, t + 2 * spacing}));
  }
  // On real time, from several threads: both together stay under the token limit.
  SharedLedger fresh;
  Grants seen;
  Pacer first(FastLimits(), seen.Observer(), fresh.Handle());
  Pacer second(FastLimits(), seen.Observer(), fresh.Handle());
  std::thread a([&] { Hammer(first, "appA", 2, 7); });
  std::thread b([&] { Hammer(second, "appB", 2, 7); });
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
  limits.per_base = 1;
  limits.window = milliseconds(60000);  // the other process's grant stays in the way
  SharedLedger ledger;
  Pacer first(limits, nullptr, ledger.Handle());
  Pacer second(limits, nullptr, ledger.Handle());
  ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  std::stop_source stop;
  Status result;
  std::thread waiter([&] { result = second.Acquire("appA", Priority::kWrite, stop.get_token()); });
  // Queued and past its first look at the ledger (both happen under the
  // pacer's lock, before it waits): it is held back by `first` alone.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (second.stats().waiting < 1 && Clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(second.stats().granted, 0);
  stop.request_stop();
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
  ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  EXPECT_EQ(first.stats().waited, 0);  // junk in the file holds nothing back
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  // The file was rewritten: the second process sees the first one's grants.
  Hammer(second, "appA", 1, 3);
  auto grants = Sorted(seen.Of("appA"));
  EXPECT_EQ(grants.size(), 8u);
  EXPECT_TRUE(RespectsWindow(grants, 5, milliseconds(100)));
}

TEST(PacerTest, WithoutALedgerEachProcessPacesOnlyItself) {
  PacerLimits limits = FastLimits();
  limits.per_base = 1;
  limits.window = milliseconds(60000);
  Pacer first(limits);
  Pacer second(limits);
  ASSERT_TRUE(first.Acquire("appA", Priority::kBackfill).ok());
  ASSERT_TRUE(second.Acquire("appA", Priority::kBackfill).ok());
  EXPECT_EQ(first.stats().waited + second.stats().waited, 0);
}

}  // namespace
}  // namespace airpg::airtable
